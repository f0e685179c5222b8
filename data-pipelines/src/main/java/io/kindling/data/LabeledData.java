package io.kindling.data;

import io.kindling.kernels.ExampleBlock;
import java.util.Arrays;

/**
 * Examples held in the driver, packed row-major: what a reader returns before partitioning.
 *
 * @param source where the examples came from, for messages
 * @param shape the shape of one example (e.g. [28, 28])
 * @param classes number of label classes; 0 when the labels are real-valued regression targets
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
    return new LabeledData(
        source + " (" + label + ")", shape, classes, examples.rows(rows), skipped);
  }

  @Override
  public String toString() {
    return source
        + ": "
        + size()
        + " examples of shape "
        + Arrays.toString(shape)
        + ", "
        + (classes == 0 ? "real-valued labels" : classes + " classes");
  }
}
