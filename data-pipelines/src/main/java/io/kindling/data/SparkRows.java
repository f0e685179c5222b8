package io.kindling.data;

import io.kindling.kernels.ExampleBlock;
import java.io.Serializable;
import java.util.List;
import java.util.function.Supplier;
import org.apache.spark.SparkThrowable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Row;

/**
 * Packs the rows of a DataFrame into one {@link ExampleBlock} per partition on the executors, with
 * the same checks as the file readers; shared by the DataFrame and image-folder readers.
 */
final class SparkRows {
  private SparkRows() {}

  /**
   * Turns one row ({@link Row}, or Spark's {@link org.apache.spark.sql.catalyst.InternalRow}) into
   * one example.
   */
  interface Decoder<R> extends Serializable {
    /**
     * Writes the row's features into {@code x}; returns its label (see {@link
     * RecordChecks#label(double, Supplier)}), or NaN when it is rejected.
     */
    double decode(R row, float[] x, RecordChecks checks, Supplier<String> where);

    /** Where the row came from, for messages: a file and record, or a partition and record. */
    String where(R row);
  }

  /** One partition's examples and what was dropped from it. */
  record Packed(ExampleBlock block, SkippedRecords skipped) implements Serializable {}

  /** The rows packed on the executors: one {@link Packed} per partition, lazily. */
  static <R> JavaRDD<Packed> pack(
      JavaRDD<R> rows,
      Decoder<R> decoder,
      String source,
      int width,
      BadRecordPolicy policy,
      int classes) {
    return rows.mapPartitions(
        it -> {
          RecordChecks checks = new RecordChecks(policy, classes);
          ExampleBuffer out = new ExampleBuffer(source, width, 0, classes == 0);
          float[] x = new float[width];
          while (it.hasNext()) {
            R row = it.next();
            double y = decoder.decode(row, x, checks, () -> decoder.where(row));
            if (!Double.isNaN(y)) {
              out.add(x, y);
            }
          }
          return List.of(new Packed(out.block(), checks.skipped())).iterator();
        });
  }

  /** Brings the packed partitions to the driver as one data set. */
  static LabeledData collect(
      JavaRDD<Packed> packed, String source, int[] shape, int classes, int width) {
    List<Packed> parts = asData(source, packed::collect);
    SkippedRecords skipped = new SkippedRecords();
    long size = 0;
    for (Packed p : parts) {
      size += p.block().size();
      skipped.merge(p.skipped());
    }
    ExampleBuffer all = new ExampleBuffer(source, width, size, classes == 0);
    for (Packed p : parts) {
      all.addAll(p.block());
    }
    return all.toLabeledData(shape, classes, skipped);
  }

  /**
   * Runs a Spark action, turning a failure that is about the input into a one-line DataException: a
   * DataException thrown in a task (Spark wraps it in a SparkException), a file Spark failed to
   * read, or a query the input does not fit (a missing path, a column that is not there).
   */
  static <T> T asData(String source, Supplier<T> action) {
    try {
      return action.get();
    } catch (Exception e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        if (t instanceof DataException d) {
          throw new DataException(d.getMessage(), e);
        }
        if (t instanceof SparkThrowable s
            && s.getCondition() != null
            && s.getCondition().startsWith("FAILED_READ_FILE")) {
          Throwable cause = t.getCause() != null ? t.getCause() : t;
          throw new DataException(source + ": cannot read: " + message(cause), e);
        }
      }
      if (e instanceof AnalysisException) {
        throw new DataException(source + ": " + message(e), e);
      }
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e);
    }
  }

  /** The gist of an exception's message, without Spark's {@code [CONDITION]} and SQLSTATE. */
  private static String message(Throwable e) {
    String text = e.getMessage() == null ? e.toString() : e.getMessage();
    return DataException.excerpt(
        text.replaceFirst("^\\[[A-Z0-9_.]+\\] ", "").replaceFirst(" SQLSTATE: \\w+$", ""));
  }
}
