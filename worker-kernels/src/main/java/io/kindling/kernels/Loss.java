package io.kindling.kernels;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Training objectives: each is the mean over a batch's examples of a per-example loss. A loss
 * without settings is written by name in configuration ({@code "loss": "huber"}); one with settings
 * as an object ({@code "loss": {"type": "huber", "delta": 0.5}}).
 */
public sealed interface Loss extends java.io.Serializable
    permits Loss.SoftmaxCrossEntropy, Loss.BinaryCrossEntropy, Loss.MeanSquaredError, Loss.Huber {

  Loss SOFTMAX_CROSS_ENTROPY = new SoftmaxCrossEntropy(0);
  Loss BINARY_CROSS_ENTROPY = new BinaryCrossEntropy();
  Loss MEAN_SQUARED_ERROR = new MeanSquaredError();
  Loss HUBER = new Huber(Huber.DEFAULT_DELTA);

  /** The configuration name, e.g. {@code softmax-cross-entropy}. */
  String configName();

  /** Whether outputs are class scores (so evaluation reports accuracy and F1). */
  boolean isClassification();

  /** The loss of the given name with default settings; the error lists the valid names. */
  static Loss parse(String name) {
    List<Loss> defaults =
        List.of(SOFTMAX_CROSS_ENTROPY, BINARY_CROSS_ENTROPY, MEAN_SQUARED_ERROR, HUBER);
    String configName = name.toLowerCase(Locale.ROOT).replace('_', '-');
    for (Loss l : defaults) {
      if (l.configName().equals(configName)) {
        return l;
      }
    }
    throw new IllegalArgumentException(
        "unknown loss '"
            + name
            + "'; use one of "
            + defaults.stream().map(Loss::configName).collect(Collectors.joining(", ")));
  }

  /**
   * Softmax over the logits, then cross-entropy with the one-hot label smoothed towards uniform:
   * the target is {@code (1 - labelSmoothing) * y + labelSmoothing / classes}.
   */
  record SoftmaxCrossEntropy(double labelSmoothing) implements Loss {
    public SoftmaxCrossEntropy {
      if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
        throw new IllegalArgumentException(
            "softmax-cross-entropy: label-smoothing must be in [0, 1), got " + labelSmoothing);
      }
    }

    @Override
    public String configName() {
      return "softmax-cross-entropy";
    }

    @Override
    public boolean isClassification() {
      return true;
    }
  }

  /**
   * A sigmoid per output, then binary cross-entropy with the targets; computed from the logits in
   * the stable form {@code max(z, 0) - z y + log(1 + exp(-|z|))}, summed over outputs.
   */
  record BinaryCrossEntropy() implements Loss {
    @Override
    public String configName() {
      return "binary-cross-entropy";
    }

    @Override
    public boolean isClassification() {
      return true;
    }
  }

  /** Squared error summed over outputs. */
  record MeanSquaredError() implements Loss {
    @Override
    public String configName() {
      return "mean-squared-error";
    }

    @Override
    public boolean isClassification() {
      return false;
    }
  }

  /** Squared error within {@code delta} of the target, linear beyond: robust to outliers. */
  record Huber(double delta) implements Loss {
    public static final double DEFAULT_DELTA = 1.0;

    public Huber {
      if (!(delta > 0)) {
        throw new IllegalArgumentException("huber: delta must be positive, got " + delta);
      }
    }

    @Override
    public String configName() {
      return "huber";
    }

    @Override
    public boolean isClassification() {
      return false;
    }
  }
}
