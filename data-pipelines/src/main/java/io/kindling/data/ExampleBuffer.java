package io.kindling.data;

import io.kindling.kernels.ExampleBlock;
import java.util.Arrays;

/**
 * Examples appended one at a time and packed into one {@link ExampleBlock}: what every reader
 * fills, in the driver or in a Spark task. It refuses, with a {@link DataException}, to grow past
 * what one Java array or the heap can hold, instead of failing later with an OutOfMemoryError.
 */
final class ExampleBuffer {
  private final String source;
  private final int width;
  private final long maxRows;
  private final ExampleBlock.Builder rows;

  /**
   * @param expected examples expected, to size the buffer at once (more or fewer may come)
   * @param regression true for real-valued targets, false for class labels
   */
  ExampleBuffer(String source, int width, long expected, boolean regression) {
    this.source = source;
    this.width = width;
    // The answers live in one array; the features, in chunks, need only fit in the heap.
    this.maxRows =
        Math.min(Integer.MAX_VALUE - 8, Runtime.getRuntime().maxMemory() / 4 / Math.max(width, 1));
    checkFits(expected);
    this.rows = new ExampleBlock.Builder(width, regression, (int) expected);
  }

  /** Appends a row with its label: a class number, or a target for regression. */
  void add(float[] row, double label) {
    checkFits(rows.size() + 1L);
    rows.add(row, 0, label);
  }

  void addAll(ExampleBlock block) {
    checkFits(rows.size() + (long) block.size());
    for (int r = 0; r < block.size(); r++) {
      rows.addRow(block, r);
    }
  }

  /** The examples so far, trimmed to size; call once, when all are in. */
  ExampleBlock block() {
    return rows.build();
  }

  /**
   * The examples as driver-side data.
   *
   * @param shape the shape of one example, or null for {@code [width]}
   */
  LabeledData toLabeledData(int[] shape, int classes, SkippedRecords skipped) {
    if (rows.size() == 0) {
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

  /** More rows than this JVM's memory can hold are a DataException, not an OutOfMemoryError. */
  private void checkFits(long needed) {
    if (needed > maxRows) {
      throw new DataException(
          source
              + ": "
              + needed
              + " examples of "
              + width
              + " features do not fit in one block in this JVM's memory; read them on the"
              + " executors (FrameReader.distribute) in more partitions");
    }
  }
}
