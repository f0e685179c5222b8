package io.kindling.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;

/** The maths of one {@link Loss}: works in the caller's workspace, writes nothing outside it. */
interface LossFunction {
  /**
   * Returns the mean loss over the rows of {@code output} and writes dLoss/dOutput into {@code
   * gradient} (same shape as output).
   *
   * @param targets one-hot rows for classification, target values for regression
   */
  double lossAndGradient(INDArray output, INDArray targets, INDArray gradient);

  /** Turns raw network outputs into what a user reads (probabilities for classification). */
  INDArray outputTransform(INDArray output);
}
