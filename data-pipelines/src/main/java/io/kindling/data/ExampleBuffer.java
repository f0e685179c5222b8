package io.kindling.data;

import io.kindling.kernels.ExampleBlock;
import java.util.Arrays;

/**
 * Examples appended one at a time and packed into one {@link ExampleBlock}: what every reader
 * fills, in the driver or in a Spark task. It refuses, with a {@link DataException}, to grow past
 * what one Java array or the heap can hold, instead of failing later with an OutOfMemoryError.
 */
final class ExampleBuffer {
  private static final long MAX_VALUES = Integer.MAX_VALUE - 8;
  private static final int INITIAL_VALUES = 1 << 16;

  private final String source;
  private final int width;
  private float[] features;
  private int[] labels;
  private float[] targets;
  private int size;

  /**
   * @param expected examples expected, to size the buffer at once (it still grows if needed)
   * @param regression true for real-valued targets, false for class labels
   */
  ExampleBuffer(String source, int width, long expected, boolean regression) {
    this.source = source;
    this.width = width;
    int rows = rowsFor(expected, Math.max(expected, INITIAL_VALUES / Math.max(width, 1)));
    features = new float[rows * width];
    if (regression) {
      targets = new float[rows];
    } else {
      labels = new int[rows];
    }
  }

  /** Appends a row with its label: a class number, or a target for regression. */
  void add(float[] row, double label) {
    if (size == capacity()) {
      grow(size + 1L);
    }
    System.arraycopy(row, 0, features, size * width, width);
    if (targets != null) {
      targets[size++] = (float) label;
    } else {
      labels[size++] = (int) label;
    }
  }

  void addAll(ExampleBlock block) {
    if (size + (long) block.size() > capacity()) {
      grow(size + (long) block.size());
    }
    System.arraycopy(block.features(), 0, features, size * width, block.size() * width);
    if (targets != null) {
      System.arraycopy(block.targets(), 0, targets, size, block.size());
    } else {
      System.arraycopy(block.labels(), 0, labels, size, block.size());
    }
    size += block.size();
  }

  /** The examples so far, trimmed to size (no copy when the buffer is exactly full). */
  ExampleBlock block() {
    boolean full = size == capacity();
    float[] x = full ? features : Arrays.copyOf(features, size * width);
    return targets != null
        ? ExampleBlock.ofTargets(size, width, x, full ? targets : Arrays.copyOf(targets, size))
        : new ExampleBlock(size, width, x, full ? labels : Arrays.copyOf(labels, size));
  }

  private int capacity() {
    return targets != null ? targets.length : labels.length;
  }

  /**
   * The examples as driver-side data.
   *
   * @param shape the shape of one example, or null for {@code [width]}
   */
  LabeledData toLabeledData(int[] shape, int classes, SkippedRecords skipped) {
    if (size == 0) {
      throw noExamples(source, skipped);
    }
    return new LabeledData(source, checkShape(source, shape, width), classes, block(), skipped);
  }

  static DataException noExamples(String source, SkippedRecords skipped) {
    return new DataException(
        source
            + ": no usable examples"
            + (skipped.total() > 0 ? " (" + skipped.total() + " skipped: " + skipped + ")" : ""));
  }

  /** A declared shape must hold exactly the features of one example; none means {@code [width]}. */
  static int[] checkShape(String source, int[] shape, int width) {
    if (shape == null) {
      return new int[] {width};
    }
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    if (n != width) {
      throw new DataException(
          source
              + ": the declared shape "
              + Arrays.toString(shape)
              + " holds "
              + n
              + " values but each example has "
              + width
              + " features");
    }
    return shape.clone();
  }

  private void grow(long needed) {
    int rows = rowsFor(needed, 2L * capacity());
    features = Arrays.copyOf(features, rows * width);
    if (targets != null) {
      targets = Arrays.copyOf(targets, rows);
    } else {
      labels = Arrays.copyOf(labels, rows);
    }
  }

  /**
   * Rows to allocate: {@code wanted} if one float array and the heap can hold them, never fewer
   * than {@code needed} (more than fits is a DataException).
   */
  private int rowsFor(long needed, long wanted) {
    long perRow = Math.max(width, 1);
    long fit = Math.min(MAX_VALUES / perRow, Runtime.getRuntime().maxMemory() / 4 / perRow);
    if (needed > fit) {
      throw new DataException(
          source
              + ": "
              + needed
              + " examples of "
              + width
              + " features do not fit in one block in this JVM's memory; read them on the"
              + " executors (FrameReader.distribute) in more partitions");
    }
    return (int) Math.max(1, Math.min(fit, Math.max(needed, wanted)));
  }
}
