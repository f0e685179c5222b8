package io.kindling.driver;

import io.kindling.sync.Round;
import io.kindling.sync.RoundResult;
import java.util.Arrays;

/** Collects every round's wall time and synchronisation share, for medians in the summary. */
final class RoundTimes implements TrainingListener {
  private double[] seconds = new double[64];
  private double[] syncFractions = new double[64];
  private int count;

  @Override
  public void onRoundEnd(Round round, RoundResult result) {
    if (count == seconds.length) {
      seconds = Arrays.copyOf(seconds, count * 2);
      syncFractions = Arrays.copyOf(syncFractions, count * 2);
    }
    seconds[count] = result.roundSeconds();
    syncFractions[count] = result.syncSeconds() / result.roundSeconds();
    count++;
  }

  double medianRoundSeconds() {
    return median(seconds);
  }

  double medianSyncFraction() {
    return median(syncFractions);
  }

  private double median(double[] values) {
    if (count == 0) {
      return Double.NaN;
    }
    double[] sorted = Arrays.copyOf(values, count);
    Arrays.sort(sorted);
    return count % 2 == 1 ? sorted[count / 2] : (sorted[count / 2 - 1] + sorted[count / 2]) / 2;
  }
}
