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

  static LossFunction of(Loss loss) {
    if (loss instanceof Loss.SoftmaxCrossEntropy s) {
      return new SoftmaxCrossEntropyFunction(s.labelSmoothing());
    }
    if (loss instanceof Loss.BinaryCrossEntropy) {
      return new BinaryCrossEntropyFunction();
    }
    if (loss instanceof Loss.MeanSquaredError) {
      return new SquaredErrorFunction();
    }
    if (loss instanceof Loss.Huber h) {
      return new HuberFunction(h.delta());
    }
    throw new IllegalStateException("no implementation for loss " + loss.configName());
  }
}
