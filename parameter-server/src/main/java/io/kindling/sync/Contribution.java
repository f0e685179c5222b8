package io.kindling.sync;

import java.io.Serializable;

/**
 * A worker's result for a round, summed with others in place during the tree aggregation. The
 * aggregation's zero holds no vector (it would otherwise travel inside every task); the first
 * contribution added is adopted as the running sum.
 */
final class Contribution implements Serializable {
  private static final long serialVersionUID = 1L;

  float[] state;
  int workers;
  double lossSum;
  long batches;
  long examples;
  double computeSeconds;

  /** The empty sum. */
  Contribution() {}

  Contribution(float[] state) {
    this.state = state;
  }

  Contribution add(Contribution o) {
    if (state == null) {
      state = o.state;
    } else if (o.state != null) {
      float[] s = state;
      float[] t = o.state;
      for (int i = 0; i < s.length; i++) {
        s[i] += t[i];
      }
    }
    workers += o.workers;
    lossSum += o.lossSum;
    batches += o.batches;
    examples += o.examples;
    computeSeconds = Math.max(computeSeconds, o.computeSeconds);
    return this;
  }
}
