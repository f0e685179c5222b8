package io.kindling.kernels;

/**
 * Counts of (actual, predicted) class pairs, plus the summed log loss and top-k hits, from which
 * every classification metric is derived. Partial matrices from workers merge by addition.
 */
public final class ConfusionMatrix implements Evaluation {
  private static final long serialVersionUID = 1L;
  private static final double MIN_PROBABILITY = 1e-15;

  private final int classes;
  private final int topK;
  private final long[] counts;
  private double logLossSum;
  private long topKHits;

  public ConfusionMatrix(int classes, int topK) {
    this.classes = classes;
    this.topK = Math.min(topK, classes);
    this.counts = new long[classes * classes];
  }

  /** Adds {@code n} examples given their labels and packed class probabilities. */
  public void add(int[] labels, int labelOffset, float[] probabilities, int n) {
    for (int i = 0; i < n; i++) {
      int actual = labels[labelOffset + i];
      int base = i * classes;
      int predicted = 0;
      for (int c = 1; c < classes; c++) {
        if (probabilities[base + c] > probabilities[base + predicted]) {
          predicted = c;
        }
      }
      counts[actual * classes + predicted]++;
      float p = probabilities[base + actual];
      logLossSum -= Math.log(Math.max(p, MIN_PROBABILITY));
      int higher = 0;
      for (int c = 0; c < classes; c++) {
        if (probabilities[base + c] > p) {
          higher++;
        }
      }
      if (higher < topK) {
        topKHits++;
      }
    }
  }

  @Override
  public void add(ExampleBlock block, int from, float[] outputs, int n) {
    add(block.labels(), from, outputs, n);
  }

  /** Adds another matrix into this one and returns this. */
  @Override
  public ConfusionMatrix merge(Evaluation evaluation) {
    if (!(evaluation instanceof ConfusionMatrix other)) {
      throw new IllegalArgumentException("cannot merge a regression result into classification");
    }
    if (other.classes != classes) {
      throw new IllegalArgumentException(
          "cannot merge " + other.classes + " into " + classes + " classes");
    }
    for (int i = 0; i < counts.length; i++) {
      counts[i] += other.counts[i];
    }
    logLossSum += other.logLossSum;
    topKHits += other.topKHits;
    return this;
  }

  public int classes() {
    return classes;
  }

  public int topK() {
    return topK;
  }

  public long count(int actual, int predicted) {
    return counts[actual * classes + predicted];
  }

  @Override
  public long total() {
    long t = 0;
    for (long c : counts) {
      t += c;
    }
    return t;
  }

  public double accuracy() {
    long correct = 0;
    for (int c = 0; c < classes; c++) {
      correct += count(c, c);
    }
    return ratio(correct, total());
  }

  public double topKAccuracy() {
    return ratio(topKHits, total());
  }

  @Override
  public double loss() {
    return logLoss();
  }

  public double logLoss() {
    long n = total();
    return n == 0 ? Double.NaN : logLossSum / n;
  }

  /** Examples whose actual class is {@code c}. */
  public long support(int c) {
    long s = 0;
    for (int p = 0; p < classes; p++) {
      s += count(c, p);
    }
    return s;
  }

  private long predictedAs(int c) {
    long s = 0;
    for (int a = 0; a < classes; a++) {
      s += count(a, c);
    }
    return s;
  }

  /** Precision of class c; 0 when nothing was predicted as c. */
  public double precision(int c) {
    return ratio(count(c, c), predictedAs(c));
  }

  /** Recall of class c; 0 when no example has class c. */
  public double recall(int c) {
    return ratio(count(c, c), support(c));
  }

  public double f1(int c) {
    double p = precision(c);
    double r = recall(c);
    return p + r == 0 ? 0 : 2 * p * r / (p + r);
  }

  /** Unweighted mean of the per-class F1 scores. */
  public double macroF1() {
    double s = 0;
    for (int c = 0; c < classes; c++) {
      s += f1(c);
    }
    return s / classes;
  }

  /** Mean of the per-class F1 scores weighted by each class's support. */
  public double weightedF1() {
    long n = total();
    if (n == 0) {
      return 0;
    }
    double s = 0;
    for (int c = 0; c < classes; c++) {
      s += f1(c) * support(c);
    }
    return s / n;
  }

  private static double ratio(long a, long b) {
    return b == 0 ? 0 : (double) a / b;
  }
}
