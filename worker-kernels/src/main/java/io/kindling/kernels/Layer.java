package io.kindling.kernels;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One layer's maths on a batch: arrays are {@code [batch, ...shape of one example]}. Parameters,
 * gradients and state are views into the network's flat buffers; any array a layer creates during
 * forward/backward lives in the caller's workspace and is recycled on the next step. The defaults
 * describe a layer without parameters.
 */
interface Layer {
  default long numParams() {
    return 0;
  }

  /** Number of non-trainable values (running statistics) the layer keeps. */
  default long numState() {
    return 0;
  }

  /** Gives the layer its views; both have {@link #numParams()} elements. */
  default void bind(INDArray params, INDArray gradients) {}

  /** Gives the layer its state view of {@link #numState()} elements. */
  default void bindState(INDArray state) {}

  /** Fills the parameter (and state) views with seeded initial values. */
  default void initialise(Random random) {}

  INDArray forward(INDArray input, boolean training);

  /**
   * Writes the parameter gradients into the gradient view and returns dLoss/dInput, or null where
   * the input has no gradient (token ids).
   */
  INDArray backward(INDArray outputGradient);

  /**
   * {@link #backward} where nobody reads dLoss/dInput (the network's first layer with parameters):
   * writes the parameter gradients, and may skip computing the input gradient.
   */
  default void backwardParameters(INDArray outputGradient) {
    backward(outputGradient);
  }
}
