package io.kindling.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An optimizer's update rule on the flat trainable buffer: turns the gradient, in place, into the
 * step to subtract from the parameters, keeping any state in a view of the trainer's flat
 * optimizer-state buffer.
 */
interface UpdateRule {
  void apply(INDArray gradient, int iteration, int epoch);
}
