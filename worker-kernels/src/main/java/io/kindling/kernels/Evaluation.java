package io.kindling.kernels;

import java.io.Serializable;

/**
 * Scores of a model's outputs against the answers, summed over examples so that partial results
 * from workers merge by addition: a {@link ConfusionMatrix} for classification, {@link
 * RegressionMetrics} for regression.
 */
public sealed interface Evaluation extends Serializable permits ConfusionMatrix, RegressionMetrics {

  /**
   * An empty evaluation: a confusion matrix over {@code classes} classes (with top-{@code k}
   * accuracy), or regression metrics when {@code classes} is 0 (real-valued targets).
   */
  static Evaluation of(int classes, int topK) {
    return classes == 0 ? new RegressionMetrics() : new ConfusionMatrix(classes, topK);
  }

  /** Adds rows {@code from .. from + n - 1} of the block, given the network's outputs for them. */
  void add(ExampleBlock block, int from, float[] outputs, int n);

  /** Adds another evaluation of the same kind into this one and returns this. */
  Evaluation merge(Evaluation other);

  /** Number of examples scored. */
  long total();

  /** The loss early stopping can watch: log loss, or mean squared error for regression. */
  double loss();
}
