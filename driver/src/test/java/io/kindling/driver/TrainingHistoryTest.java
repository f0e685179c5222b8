package io.kindling.driver;

import static org.assertj.core.api.Assertions.assertThat;

import io.kindling.kernels.ConfusionMatrix;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A resumed run's report shows the epochs before its checkpoint as the first run saw them. */
class TrainingHistoryTest {
  @TempDir Path dir;

  @Test
  void restoringFromMetricsLinesGivesTheEpochsAsCollected() throws Exception {
    RunStore store = new RunStore(dir.toString(), new Configuration());
    MetricsLog log = new MetricsLog(store);
    TrainingHistory live = new TrainingHistory();
    for (int epoch = 1; epoch <= 2; epoch++) {
      EpochReport report =
          new EpochReport(
              epoch,
              5,
              20,
              0.5 / epoch,
              54_000,
              8.0 + epoch,
              6.0,
              2.0 + epoch,
              scores(epoch, 600),
              scores(epoch + 1, 5400),
              9.0 * epoch);
      log.onEpoch(report);
      live.onEpoch(report);
    }
    store.close();

    TrainingHistory resumed = new TrainingHistory();
    resumed.restore(store.readMetrics());

    assertThat(resumed.epochs()).hasSize(2).isEqualTo(live.epochs());
    assertThat(resumed.epochs().get(1).trainExamples()).isEqualTo(5400);
  }

  /** A two-class matrix over {@code n} examples with {@code wrong} of them misclassified. */
  private static ConfusionMatrix scores(int wrong, int n) {
    ConfusionMatrix cm = new ConfusionMatrix(2, 1);
    int[] labels = new int[n];
    float[] probabilities = new float[2 * n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % 2;
      int predicted = i < wrong ? 1 - labels[i] : labels[i];
      probabilities[2 * i + predicted] = 0.75f;
      probabilities[2 * i + 1 - predicted] = 0.25f;
    }
    cm.add(labels, 0, probabilities, n);
    return cm;
  }
}
