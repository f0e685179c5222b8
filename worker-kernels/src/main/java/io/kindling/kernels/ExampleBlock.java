package io.kindling.kernels;

import java.io.Serializable;

/**
 * Examples packed row by row into one float array, with what the network should output for each: a
 * class label (classification) or a real-valued target (regression). The unit a worker caches and
 * trains on. Rows are read through an order array, so reshuffling moves no data.
 */
public final class ExampleBlock implements Serializable {
  private static final long serialVersionUID = 2L;

  private final int size;
  private final int width;
  private final float[] features;
  private final int[] labels;
  private final float[] targets;

  /** A block of classification examples: {@code labels[i]} is the class of row {@code i}. */
  public ExampleBlock(int size, int width, float[] features, int[] labels) {
    this(size, width, features, labels, null);
  }

  private ExampleBlock(int size, int width, float[] features, int[] labels, float[] targets) {
    int answers = labels != null ? labels.length : targets.length;
    if ((long) size * width != features.length || answers != size) {
      throw new IllegalArgumentException(
          "block of "
              + size
              + " x "
              + width
              + " needs "
              + (long) size * width
              + " features and "
              + size
              + (labels != null ? " labels" : " targets")
              + ", got "
              + features.length
              + " and "
              + answers);
    }
    this.size = size;
    this.width = width;
    this.features = features;
    this.labels = labels;
    this.targets = targets;
  }

  /** A block of regression examples: {@code targets[i]} is the value row {@code i} should give. */
  public static ExampleBlock ofTargets(int size, int width, float[] features, float[] targets) {
    return new ExampleBlock(size, width, features, null, targets);
  }

  /** The same examples and answers with other features (e.g. normalised), packed alike. */
  public ExampleBlock withFeatures(float[] newFeatures) {
    return new ExampleBlock(size, width, newFeatures, labels, targets);
  }

  /** The rows at the given indices, in that order. */
  public ExampleBlock rows(int[] indices) {
    float[] x = new float[indices.length * width];
    for (int i = 0; i < indices.length; i++) {
      System.arraycopy(features, indices[i] * width, x, i * width, width);
    }
    if (labels != null) {
      int[] y = new int[indices.length];
      for (int i = 0; i < indices.length; i++) {
        y[i] = labels[indices[i]];
      }
      return new ExampleBlock(indices.length, width, x, y, null);
    }
    float[] t = new float[indices.length];
    for (int i = 0; i < indices.length; i++) {
      t[i] = targets[indices[i]];
    }
    return new ExampleBlock(indices.length, width, x, null, t);
  }

  /** Number of examples. */
  public int size() {
    return size;
  }

  /** Number of feature values per example. */
  public int width() {
    return width;
  }

  /** True when the examples carry real-valued targets rather than class labels. */
  public boolean isRegression() {
    return targets != null;
  }

  /** The packed features; not copied: callers must not modify it. */
  public float[] features() {
    return features;
  }

  /**
   * The class labels; not copied: callers must not modify it.
   *
   * @throws IllegalStateException for a regression block
   */
  public int[] labels() {
    if (labels == null) {
      throw new IllegalStateException("a regression block has targets, not class labels");
    }
    return labels;
  }

  /**
   * The regression targets; not copied: callers must not modify it.
   *
   * @throws IllegalStateException for a classification block
   */
  public float[] targets() {
    if (targets == null) {
      throw new IllegalStateException("a classification block has class labels, not targets");
    }
    return targets;
  }

  /** Copies rows {@code order[from], ..., order[from + count - 1]} into {@code dst}, packed. */
  void gather(int[] order, int from, int count, float[] dst) {
    for (int i = 0; i < count; i++) {
      System.arraycopy(features, order[from + i] * width, dst, i * width, width);
    }
  }
}
