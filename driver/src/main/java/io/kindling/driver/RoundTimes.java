package io.kindling.driver;

import io.kindling.sync.Communication;
import io.kindling.sync.Round;
import io.kindling.sync.RoundResult;
import java.util.Arrays;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * Collects every round's wall time and its computation and synchronisation parts, for medians in
 * the summary and the per-round chart in the report.
 */
final class RoundTimes implements TrainingListener {
  private double[] seconds = new double[64];
  private double[] computeSeconds = new double[64];
  private double[] syncSeconds = new double[64];
  private int count;
  private double communicationSeconds;
  private double bytesPerWorkerPerStep;
  private double optimumBytesPerWorkerPerStep;
  private long communicatingSteps;

  @Override
  public void onRoundEnd(Round round, RoundResult result) {
    if (count == seconds.length) {
      seconds = Arrays.copyOf(seconds, count * 2);
      computeSeconds = Arrays.copyOf(computeSeconds, count * 2);
      syncSeconds = Arrays.copyOf(syncSeconds, count * 2);
    }
    seconds[count] = result.roundSeconds();
    computeSeconds[count] = result.computeSeconds();
    syncSeconds[count] = result.syncSeconds();
    count++;
    Communication c = result.communication();
    if (c != null && c.steps() > 0) {
      communicationSeconds += c.seconds();
      bytesPerWorkerPerStep += c.bytesPerWorkerPerStep() * c.steps();
      optimumBytesPerWorkerPerStep = c.optimumBytesPerWorkerPerStep();
      communicatingSteps += c.steps();
    }
  }

  /** Adds the all-reduce traffic figures to a summary (nothing for averaging). */
  void writeCommunication(ObjectNode summary) {
    if (communicatingSteps == 0) {
      return;
    }
    double perStep = bytesPerWorkerPerStep / communicatingSteps;
    summary.put("bytes_per_worker_per_step", perStep);
    summary.put("ring_optimum_bytes_per_worker_per_step", optimumBytesPerWorkerPerStep);
    summary.put("bytes_vs_ring_optimum", perStep / optimumBytesPerWorkerPerStep);
    summary.put("communication_seconds_per_step", communicationSeconds / communicatingSteps);
  }

  double medianRoundSeconds() {
    return median(seconds());
  }

  double medianSyncFraction() {
    double[] fractions = new double[count];
    for (int i = 0; i < count; i++) {
      fractions[i] = syncSeconds[i] / seconds[i];
    }
    return median(fractions);
  }

  /** Each round's wall time, in order. */
  double[] seconds() {
    return Arrays.copyOf(seconds, count);
  }

  /** Each round's slowest worker's computation time, in order. */
  double[] computeSeconds() {
    return Arrays.copyOf(computeSeconds, count);
  }

  /** Each round's time not spent computing, in order. */
  double[] syncSeconds() {
    return Arrays.copyOf(syncSeconds, count);
  }

  private static double median(double[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] sorted = values.clone();
    int count = sorted.length;
    Arrays.sort(sorted);
    return count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2;
  }
}
