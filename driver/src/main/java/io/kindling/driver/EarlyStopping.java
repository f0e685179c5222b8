package io.kindling.driver;

import io.kindling.kernels.ConfusionMatrix;
import io.kindling.kernels.Evaluation;
import java.util.Locale;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * Stops training when a validation metric has not improved by more than {@code minDelta} for {@code
 * patience} epochs, and remembers the best epoch's parameters so the run can end on them.
 */
final class EarlyStopping {
  /** The validation metric watched. */
  enum Metric {
    ACCURACY(true),
    LOSS(false);

    final boolean higherIsBetter;

    Metric(boolean higherIsBetter) {
      this.higherIsBetter = higherIsBetter;
    }

    static Metric parse(String name) {
      return switch (name) {
        case "validation-accuracy" -> ACCURACY;
        case "validation-loss" -> LOSS;
        default ->
            throw new IllegalArgumentException(
                "unknown metric '" + name + "'; use validation-accuracy or validation-loss");
      };
    }

    double of(Evaluation validation) {
      if (this == LOSS) {
        return validation.loss();
      }
      if (!(validation instanceof ConfusionMatrix cm)) {
        throw new ConfigException(
            "early-stopping.metric = validation-accuracy needs class labels; for regression use"
                + " validation-loss (mean squared error)");
      }
      return cm.accuracy();
    }
  }

  private final Metric metric;
  private final int patience;
  private final double minDelta;
  private double best = Double.NaN;
  private int bestEpoch;
  private int epochsWithoutImprovement;
  private float[] bestState;

  EarlyStopping(Metric metric, int patience, double minDelta) {
    this.metric = metric;
    this.patience = patience;
    this.minDelta = minDelta;
  }

  boolean enabled() {
    return patience > 0;
  }

  /** Records an epoch's validation result; returns true when training should stop now. */
  boolean update(int epoch, Evaluation validation, float[] state) {
    if (!enabled() || validation == null) {
      return false;
    }
    double value = metric.of(validation);
    boolean improved =
        Double.isNaN(best)
            || (metric.higherIsBetter ? value > best + minDelta : value < best - minDelta);
    if (improved) {
      best = value;
      bestEpoch = epoch;
      bestState = state.clone();
      epochsWithoutImprovement = 0;
      return false;
    }
    return ++epochsWithoutImprovement >= patience;
  }

  /** The best epoch's state, or null if no epoch was validated. */
  float[] bestState() {
    return bestState;
  }

  int bestEpoch() {
    return bestEpoch;
  }

  String describe() {
    return String.format(
        Locale.ROOT,
        "validation %s did not improve for %d epochs; keeping epoch %d (%s %.4f)",
        metric.name().toLowerCase(Locale.ROOT),
        patience,
        bestEpoch,
        metric.name().toLowerCase(Locale.ROOT),
        best);
  }

  ObjectNode toJson() {
    ObjectNode node = Json.object();
    node.put("best", best);
    node.put("best_epoch", bestEpoch);
    node.put("epochs_without_improvement", epochsWithoutImprovement);
    return node;
  }

  /** Restores the counters written by {@link #toJson} and the best state saved beside them. */
  void restore(JsonNode node, float[] savedBestState) {
    best = node.path("best").asDouble(Double.NaN);
    bestEpoch = node.path("best_epoch").asInt();
    epochsWithoutImprovement = node.path("epochs_without_improvement").asInt();
    bestState = savedBestState;
  }
}
