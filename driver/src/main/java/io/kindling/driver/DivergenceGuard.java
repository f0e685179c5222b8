package io.kindling.driver;

import java.util.Locale;

/**
 * Catches a run that has blown up: a round whose loss is NaN or infinite, or more than {@code
 * maxRatio} times the lowest round loss seen so far. The trainer then keeps the parameters from
 * before that round and stops, saying why.
 */
final class DivergenceGuard {
  private final double maxRatio;
  private double lowest = Double.POSITIVE_INFINITY;

  DivergenceGuard(double maxRatio) {
    this.maxRatio = maxRatio;
  }

  /** Returns null if the loss is acceptable (and records it), else the reason it is not. */
  String check(double loss) {
    if (!Double.isFinite(loss)) {
      return "loss is " + loss;
    }
    if (maxRatio > 0 && lowest > 0 && Double.isFinite(lowest) && loss > maxRatio * lowest) {
      return String.format(
          Locale.ROOT, "loss %.4g exceeds %.0f x the lowest so far (%.4g)", loss, maxRatio, lowest);
    }
    lowest = Math.min(lowest, loss);
    return null;
  }

  double lowest() {
    return lowest;
  }

  void restore(double lowestLoss) {
    lowest = lowestLoss;
  }
}
