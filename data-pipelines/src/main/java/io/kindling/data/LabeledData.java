package io.kindling.data;

import io.kindling.kernels.ExampleBlock;
import java.util.Arrays;

/**
 * Examples held in the driver, packed row-major: what a reader returns before partitioning.
 *
 * @param source where the examples came from, for messages
 * @param shape the shape of one example (e.g. [28, 28])
 * @param classes number of label classes
 */
public record LabeledData(
    String source, int[] shape, int classes, ExampleBlock examples, SkippedRecords skipped) {

  public int size() {
    return examples.size();
  }

  public int width() {
    return examples.width();
  }

  /** The examples at the given row indices, in that order. */
  public LabeledData select(int[] rows, String label) {
    int w = width();
    float[] x = new float[rows.length * w];
    int[] y = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      System.arraycopy(examples.features(), rows[i] * w, x, i * w, w);
      y[i] = examples.labels()[rows[i]];
    }
    return new LabeledData(
        source + " (" + label + ")",
        shape,
        classes,
        new ExampleBlock(rows.length, w, x, y),
        skipped);
  }

  @Override
  public String toString() {
    return source
        + ": "
        + size()
        + " examples of shape "
        + Arrays.toString(shape)
        + ", "
        + classes
        + " classes";
  }
}
