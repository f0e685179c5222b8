package io.kindling.driver;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/** Appends one JSON line per epoch to the run's {@code metrics.jsonl}. */
final class MetricsLog implements TrainingListener {
  private final RunStore store;

  MetricsLog(RunStore store) {
    this.store = store;
  }

  @Override
  public void onEpoch(EpochReport r) {
    ObjectNode line = Json.object();
    line.put("epoch", r.epoch());
    line.put("rounds", r.rounds());
    line.put("train_loss", r.loss());
    line.put("examples", r.examples());
    line.put("epoch_seconds", r.epochSeconds());
    line.put("compute_seconds", r.computeSeconds());
    line.put("sync_seconds", r.syncSeconds());
    line.put("examples_per_second", r.examplesPerSecond());
    if (r.validation() != null) {
      Reports.putScores(line, "validation_", r.validation());
    }
    Reports.putScores(line, "train_", r.trainSample());
    line.put("train_sample_examples", r.trainSample().total());
    line.put("elapsed_seconds", r.elapsedSeconds());
    try {
      store.appendMetrics(line.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + RunStore.METRICS, e);
    }
  }
}
