package io.kindling.kernels;

import java.util.Locale;

/** Training objectives. Each computes the mean loss over a batch and its gradient. */
public enum Loss {
  /** Softmax over the logits, then cross-entropy with the class labels. */
  SOFTMAX_CROSS_ENTROPY,
  /** Mean squared error between outputs and targets. */
  MEAN_SQUARED_ERROR;

  public String configName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static Loss parse(String name) {
    for (Loss l : values()) {
      if (l.configName().equals(name) || l.name().equalsIgnoreCase(name)) {
        return l;
      }
    }
    throw new IllegalArgumentException(
        "unknown loss '" + name + "'; use one of " + Names.of(values()));
  }

  /** Whether outputs are class scores (so evaluation reports accuracy and F1). */
  public boolean isClassification() {
    return this == SOFTMAX_CROSS_ENTROPY;
  }

  LossFunction function() {
    return switch (this) {
      case SOFTMAX_CROSS_ENTROPY -> new SoftmaxCrossEntropy();
      case MEAN_SQUARED_ERROR -> new MeanSquaredError();
    };
  }
}
