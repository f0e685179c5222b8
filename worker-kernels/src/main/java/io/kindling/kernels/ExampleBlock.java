package io.kindling.kernels;

import java.io.Serializable;

/**
 * Examples packed row by row into one float array, with their class labels: the unit a worker
 * caches and trains on. Rows are read through an order array, so reshuffling moves no data.
 */
public final class ExampleBlock implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int size;
  private final int width;
  private final float[] features;
  private final int[] labels;

  public ExampleBlock(int size, int width, float[] features, int[] labels) {
    if ((long) size * width != features.length || labels.length != size) {
      throw new IllegalArgumentException(
          "block of "
              + size
              + " x "
              + width
              + " needs "
              + (long) size * width
              + " features and "
              + size
              + " labels, got "
              + features.length
              + " and "
              + labels.length);
    }
    this.size = size;
    this.width = width;
    this.features = features;
    this.labels = labels;
  }

  /** Number of examples. */
  public int size() {
    return size;
  }

  /** Number of feature values per example. */
  public int width() {
    return width;
  }

  /** The packed features; not copied: callers must not modify it. */
  public float[] features() {
    return features;
  }

  /** The labels; not copied: callers must not modify it. */
  public int[] labels() {
    return labels;
  }

  /** Copies rows {@code order[from], ..., order[from + count - 1]} into {@code dst}, packed. */
  void gather(int[] order, int from, int count, float[] dst) {
    for (int i = 0; i < count; i++) {
      System.arraycopy(features, order[from + i] * width, dst, i * width, width);
    }
  }
}
