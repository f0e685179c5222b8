package io.kindling.kernels;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One layer's maths. Parameters and gradients are views into the network's flat buffers; any array
 * a layer creates during forward/backward lives in the caller's workspace and is recycled on the
 * next step.
 */
interface Layer {
  long numParams();

  /** Gives the layer its views; both have {@link #numParams()} elements. */
  void bind(INDArray params, INDArray gradients);

  /** Fills the parameter view with seeded initial values. */
  void initialise(Random random);

  INDArray forward(INDArray input, boolean training);

  /** Writes the parameter gradients into the gradient view and returns dLoss/dInput. */
  INDArray backward(INDArray outputGradient);
}
