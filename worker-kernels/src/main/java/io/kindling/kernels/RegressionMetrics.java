package io.kindling.kernels;

/**
 * Sums of errors and targets from which mean squared error, mean absolute error and R^2 follow, for
 * a network with one real-valued output. Partial results from workers merge by addition.
 */
public final class RegressionMetrics implements Evaluation {
  private static final long serialVersionUID = 1L;

  private long count;
  private double squaredErrorSum;
  private double absoluteErrorSum;
  private double targetSum;
  private double targetSquaredSum;

  /** Adds {@code n} examples given their targets and predictions. */
  public void add(float[] targets, int targetOffset, float[] predictions, int n) {
    for (int i = 0; i < n; i++) {
      double y = targets[targetOffset + i];
      double e = predictions[i] - y;
      squaredErrorSum += e * e;
      absoluteErrorSum += Math.abs(e);
      targetSum += y;
      targetSquaredSum += y * y;
    }
    count += n;
  }

  @Override
  public void add(ExampleBlock block, int from, float[] outputs, int n) {
    if (outputs.length != n) {
      throw new IllegalArgumentException(
          "regression needs one output per example, got " + outputs.length + " for " + n);
    }
    add(block.targets(), from, outputs, n);
  }

  @Override
  public RegressionMetrics merge(Evaluation other) {
    if (!(other instanceof RegressionMetrics r)) {
      throw new IllegalArgumentException("cannot merge a classification result into regression");
    }
    count += r.count;
    squaredErrorSum += r.squaredErrorSum;
    absoluteErrorSum += r.absoluteErrorSum;
    targetSum += r.targetSum;
    targetSquaredSum += r.targetSquaredSum;
    return this;
  }

  @Override
  public long total() {
    return count;
  }

  @Override
  public double loss() {
    return mse();
  }

  public double mse() {
    return count == 0 ? Double.NaN : squaredErrorSum / count;
  }

  public double rmse() {
    return Math.sqrt(mse());
  }

  public double mae() {
    return count == 0 ? Double.NaN : absoluteErrorSum / count;
  }

  /**
   * The coefficient of determination, {@code 1 - SSE / SST}: 1 for perfect predictions, 0 for
   * always predicting the mean target; NaN when the targets do not vary.
   */
  public double r2() {
    double sst = targetSquaredSum - targetSum * targetSum / count;
    return count == 0 || sst <= 0 ? Double.NaN : 1 - squaredErrorSum / sst;
  }
}
