package io.kindling.driver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * Every epoch's figures, in order, for the run report: collected as training goes and, for a
 * resumed run, restored from the {@code metrics.jsonl} lines of the epochs before its checkpoint.
 */
final class TrainingHistory implements TrainingListener {
  /**
   * One epoch's figures; NaN where the epoch did not measure one (no validation split).
   *
   * @param trainLoss mean minibatch loss while training (dropout on)
   * @param trainAccuracy accuracy (R^2 for regression) on the {@link TrainingSample} after the
   *     epoch
   * @param trainExamples the size of that sample
   */
  record Epoch(
      int epoch,
      double trainLoss,
      double trainAccuracy,
      long trainExamples,
      double validationLoss,
      double validationAccuracy,
      double examplesPerSecond,
      double computeSeconds,
      double syncSeconds) {}

  private final List<Epoch> epochs = new ArrayList<>();

  @Override
  public void onEpoch(EpochReport r) {
    epochs.add(
        new Epoch(
            r.epoch(),
            r.loss(),
            Reports.score(r.trainSample()),
            r.trainSample().total(),
            r.validation() == null ? Double.NaN : r.validation().loss(),
            r.validation() == null ? Double.NaN : Reports.score(r.validation()),
            r.examplesPerSecond(),
            r.computeSeconds(),
            r.syncSeconds()));
  }

  /** Puts back the epochs a resumed run did before its checkpoint, from their metrics lines. */
  void restore(List<String> metricsLines) {
    epochs.clear();
    for (String line : metricsLines) {
      JsonNode m = parse(line);
      epochs.add(
          new Epoch(
              m.path("epoch").asInt(),
              m.path("train_loss").asDouble(Double.NaN),
              m.path("train_accuracy").asDouble(m.path("train_r2").asDouble(Double.NaN)),
              m.path("train_sample_examples").asLong(),
              m.path("validation_log_loss").asDouble(m.path("validation_mse").asDouble(Double.NaN)),
              m.path("validation_accuracy").asDouble(m.path("validation_r2").asDouble(Double.NaN)),
              m.path("examples_per_second").asDouble(Double.NaN),
              m.path("compute_seconds").asDouble(Double.NaN),
              m.path("sync_seconds").asDouble(Double.NaN)));
    }
  }

  List<Epoch> epochs() {
    return List.copyOf(epochs);
  }

  private static JsonNode parse(String line) {
    try {
      return Json.MAPPER.readTree(line);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RunStore.METRICS + " line: " + line, e);
    }
  }
}
