package io.kindling.data;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.Attribute;
import org.apache.spark.sql.execution.ColumnarToRowExec;
import org.apache.spark.sql.execution.FileSourceScanExec;
import org.apache.spark.sql.execution.InputAdapter;
import org.apache.spark.sql.execution.SparkPlan;
import org.apache.spark.sql.execution.WholeStageCodegenExec;
import org.apache.spark.sql.vectorized.ColumnVector;
import org.apache.spark.sql.vectorized.ColumnarBatch;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The rows of a bare file scan read straight from the reader's column batches, as row views over
 * them: Spark would otherwise copy every row into its binary row format, and build a struct for its
 * {@code _metadata}, which for wide rows of packed features was about 40% of the CPU of a read.
 */
final class ColumnarScan {
  /** The name the Parquet scan gives the column behind {@code _metadata.row_index}. */
  static final String ROW_INDEX = "_tmp_metadata_row_index";

  private static final Set<Class<?>> BARE =
      Set.of(
          WholeStageCodegenExec.class,
          ColumnarToRowExec.class,
          InputAdapter.class,
          FileSourceScanExec.class);

  private ColumnarScan() {}

  /**
   * The columns {@code names} of {@code selected}, in that order, as rows over its scan's batches;
   * or empty when {@code frame} is anything but a bare columnar file scan (a filter or a computed
   * column, say), or the scan does not output each name exactly once: then the caller reads the
   * rows as Spark makes them.
   *
   * @param selected columns of {@code frame}, with its file metadata
   * @param names the columns as the scan outputs them ({@code file_path} and {@link #ROW_INDEX} for
   *     the file metadata)
   */
  static Optional<JavaRDD<InternalRow>> rows(
      Dataset<Row> frame, Dataset<Row> selected, List<String> names) {
    if (!nodes(frame).stream().allMatch(n -> BARE.contains(n.getClass()))) {
      return Optional.empty();
    }
    List<SparkPlan> nodes = nodes(selected);
    return nodes.get(nodes.size() - 1) instanceof FileSourceScanExec scan && scan.supportsColumnar()
        ? batchesAsRows(scan, names)
        : Optional.empty();
  }

  /** The frame's physical plan, node by node, depth first: a chain ends with its scan. */
  private static List<SparkPlan> nodes(Dataset<Row> frame) {
    List<SparkPlan> nodes = new ArrayList<>();
    collect(frame.queryExecution().executedPlan(), nodes);
    return nodes;
  }

  private static Optional<JavaRDD<InternalRow>> batchesAsRows(
      FileSourceScanExec scan, List<String> names) {
    List<Attribute> output = CollectionConverters.asJava(scan.output());
    int[] ordinals = new int[names.size()];
    for (int i = 0; i < ordinals.length; i++) {
      int found = -1;
      for (int j = 0; j < output.size(); j++) {
        if (output.get(j).name().equals(names.get(i))) {
          if (found >= 0) {
            return Optional.empty(); // two columns of that name: which is meant is unclear
          }
          found = j;
        }
      }
      if (found < 0) {
        return Optional.empty();
      }
      ordinals[i] = found;
    }
    return Optional.of(
        scan.executeColumnar().toJavaRDD().mapPartitions(batches -> new Rows(batches, ordinals)));
  }

  private static void collect(SparkPlan node, List<SparkPlan> into) {
    into.add(node);
    for (SparkPlan child : CollectionConverters.asJava(node.children())) {
      collect(child, into);
    }
  }

  /**
   * Each batch's rows in turn, as one reused row view over the chosen columns: the caller reads a
   * row before asking for the next, as the packers do.
   */
  private static final class Rows implements Iterator<InternalRow> {
    private final Iterator<ColumnarBatch> batches;
    private final int[] ordinals;
    private final ColumnVector[] columns;
    private ColumnarBatch batch;
    private int next;

    Rows(Iterator<ColumnarBatch> batches, int[] ordinals) {
      this.batches = batches;
      this.ordinals = ordinals;
      this.columns = new ColumnVector[ordinals.length];
    }

    @Override
    public boolean hasNext() {
      while (batch == null || next == batch.numRows()) {
        if (!batches.hasNext()) {
          return false;
        }
        ColumnarBatch read = batches.next();
        for (int i = 0; i < ordinals.length; i++) {
          columns[i] = read.column(ordinals[i]);
        }
        batch = new ColumnarBatch(columns, read.numRows());
        next = 0;
      }
      return true;
    }

    @Override
    public InternalRow next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      return batch.getRow(next++);
    }
  }
}
