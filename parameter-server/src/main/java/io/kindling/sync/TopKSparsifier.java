package io.kindling.sync;

import java.io.IOException;
import java.util.Arrays;

/**
 * Top-k sparsification of a task's gradient with error feedback: each step the task adds what it
 * held back before to its gradient, sends only the k entries of largest magnitude, as (index,
 * value) pairs, and holds back the rest for later steps, so no part of a gradient is lost, only
 * delayed. Every task's k pairs travel to every other in a ring all-gather ({@link
 * RingCollective#allGatherPairs}), (W-1) x k x 8 bytes per task per step, and each task sums them
 * in rank order, so all hold bit-identical sums.
 *
 * <p>The pairs live in one float array of W blocks of k pairs, block r being task r's: an index
 * travels as the raw bits of a float (a non-negative int below 2^31 - 2^23 is never a NaN pattern,
 * so it is copied bit for bit). Buffers are allocated once; a step allocates nothing.
 */
final class TopKSparsifier {
  private final int k;
  private final float[] residual;
  private final float[] magnitudes;
  private final float[] pairs;

  /**
   * @param length the gradient's length
   * @param fraction the share of entries sent each step, in (0, 1]; at least one is
   * @param workers the tasks whose pairs {@link #pairs()} holds
   */
  TopKSparsifier(int length, double fraction, int workers) {
    if (!(fraction > 0 && fraction <= 1)) {
      throw new IllegalArgumentException("top-k fraction must be in (0, 1], got " + fraction);
    }
    this.k = length == 0 ? 0 : (int) Math.max(1, Math.min(length, Math.ceil(fraction * length)));
    this.residual = new float[length];
    this.magnitudes = new float[length];
    this.pairs = new float[2 * k * workers];
  }

  /** Entries sent per step. */
  int k() {
    return k;
  }

  /** Every task's pairs, block by block: the buffer the all-gather fills. */
  float[] pairs() {
    return pairs;
  }

  /**
   * Adds the held-back residual to {@code gradient} and writes the k entries of largest magnitude
   * (ties in index order) as pairs into block {@code block}; the others become the new residual.
   */
  void select(float[] gradient, int block) {
    if (k == 0) {
      return;
    }
    int length = residual.length;
    for (int i = 0; i < length; i++) {
      gradient[i] += residual[i];
      magnitudes[i] = Math.abs(gradient[i]);
    }
    float threshold = kthLargest(magnitudes, k);
    int ties = k;
    for (int i = 0; i < length; i++) {
      if (Math.abs(gradient[i]) > threshold) {
        ties--;
      }
    }
    int at = 2 * k * block;
    int end = at + 2 * k;
    for (int i = 0; i < length; i++) {
      float g = gradient[i];
      float m = Math.abs(g);
      if (m > threshold || (m == threshold && ties-- > 0)) {
        pairs[at++] = Float.intBitsToFloat(i);
        pairs[at++] = g;
        residual[i] = 0;
      } else {
        residual[i] = g;
      }
    }
    // Fewer than k only when the gradient holds NaN, which the divergence guard then reports.
    Arrays.fill(pairs, at, end, 0f);
  }

  /** Sets {@code gradient} to the sum of every block's pairs, summed in block (rank) order. */
  void sum(float[] gradient) throws IOException {
    Arrays.fill(gradient, 0f);
    for (int p = 0; p < pairs.length; p += 2) {
      int index = Float.floatToRawIntBits(pairs[p]);
      if (index < 0 || index >= gradient.length) {
        throw new IOException(
            "task "
                + p / (2 * k)
                + " sent gradient index "
                + index
                + " outside 0.."
                + (gradient.length - 1)
                + ": are all tasks set up alike?");
      }
      gradient[index] += pairs[p + 1];
    }
  }

  /** The k-th largest of {@code values} (which it reorders), by quickselect: linear on average. */
  static float kthLargest(float[] values, int k) {
    int target = values.length - k;
    int lo = 0;
    int hi = values.length - 1;
    while (lo < hi) {
      float pivot = values[(lo + hi) >>> 1];
      int i = lo;
      int j = hi;
      while (i <= j) {
        while (values[i] < pivot) {
          i++;
        }
        while (values[j] > pivot) {
          j--;
        }
        if (i <= j) {
          float swap = values[i];
          values[i++] = values[j];
          values[j--] = swap;
        }
      }
      if (target <= j) {
        hi = j;
      } else if (target >= i) {
        lo = i;
      } else {
        return values[target];
      }
    }
    return values[target];
  }
}
