package io.kindling.data;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.monotonically_increasing_id;

import io.kindling.data.FrameRowDecoder.Mode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * Reads examples from Parquet or any Spark DataFrame: a numeric label column and the features,
 * either one vector column ({@code org.apache.spark.ml.linalg.Vector}, dense or sparse, or an array
 * of numbers) or several numeric columns. Rows are checked on the executors; a bad row names its
 * file and record ({@code _metadata.row_index}, 0-based) when the frame is a Parquet scan, else the
 * partition and record within it.
 *
 * <p>Immutable: each {@code with...} returns a changed copy.
 */
public final class FrameReader {
  private final int classes;
  private final String label;
  private final List<String> features;
  private final BadRecordPolicy policy;
  private final int[] shape;

  /**
   * A reader of column {@code label} and vector column {@code features}, as Spark ML names them,
   * failing on bad rows.
   *
   * @param classes labels must be whole numbers in 0..classes-1; 0 means real-valued labels
   *     (regression targets)
   */
  public FrameReader(int classes) {
    this(classes, "label", List.of("features"), BadRecordPolicy.FAIL, null);
  }

  private FrameReader(
      int classes, String label, List<String> features, BadRecordPolicy policy, int[] shape) {
    if (classes < 0) {
      throw new IllegalArgumentException(
          "classes must be positive, or 0 for real-valued labels, got " + classes);
    }
    this.classes = classes;
    this.label = label;
    this.features = List.copyOf(features);
    this.policy = policy;
    this.shape = shape;
  }

  /** The label column (default {@code label}): integral, or whole numbers as floating point. */
  public FrameReader withLabel(String column) {
    return new FrameReader(classes, column, features, policy, shape);
  }

  /**
   * The features: one vector or array column (default {@code features}), or numeric columns in the
   * order the examples hold them; no names means every numeric column but the label.
   */
  public FrameReader withFeatures(String... columns) {
    return new FrameReader(classes, label, List.of(columns), policy, shape);
  }

  /** What to do with a bad row (default FAIL). */
  public FrameReader withPolicy(BadRecordPolicy policy) {
    return new FrameReader(classes, label, features, policy, shape);
  }

  /**
   * The shape of one example, e.g. {@code [1, 28, 28]} (default {@code [features]}). For a vector
   * column it also fixes the vector size, which is otherwise taken from the column's ML metadata or
   * its first row.
   */
  public FrameReader withShape(int... shape) {
    return new FrameReader(classes, label, features, policy, shape.clone());
  }

  /** Reads Parquet files (a file, a folder or a glob, as {@code spark.read().parquet} takes). */
  public LabeledData readParquet(SparkSession spark, String path) {
    return read(SparkRows.asData(path, () -> spark.read().parquet(path)), path);
  }

  /**
   * Reads a DataFrame into the driver.
   *
   * @param source names the frame in messages
   */
  public LabeledData read(Dataset<Row> frame, String source) {
    Plan plan = plan(frame, source);
    return SparkRows.collect(
        SparkRows.pack(plan.internalRows(), plan.decoder, source, plan.width(), policy, classes),
        source,
        plan.shape,
        classes,
        plan.width());
  }

  /**
   * Packs a DataFrame on the executors, validating every row, into one cached block per partition
   * of the frame (no shuffle), dealt by their counts into {@code workers} blocks whose sizes differ
   * by at most one; nothing passes through the driver. Lazy: the rows are read, and a bad one
   * reported, when the examples are first used.
   *
   * @param storage how the blocks as read are cached until they are dealt: for data larger than the
   *     executors' memory, {@code NONE} reads the input again to deal it, leaving memory to the
   *     dealt blocks and using no disk (from Parquet that took no longer than {@code DISK_ONLY},
   *     which writes a serialised copy and reads it back)
   */
  public DistributedExamples distribute(
      Dataset<Row> frame, String source, int workers, StorageLevel storage) {
    if (workers <= 0) {
      throw new IllegalArgumentException("workers must be positive, got " + workers);
    }
    Plan plan = plan(frame, source);
    return DistributedExamples.of(
        SparkRows.pack(plan.internalRows(), plan.decoder, source, plan.width(), policy, classes),
        source,
        plan.shape,
        classes,
        workers,
        storage);
  }

  /**
   * The columns to read, in the order the decoder expects, and the example shape.
   *
   * @param frame the frame as given
   * @param scanNames the columns of {@code rows} as a bare file scan of {@code frame} outputs them
   *     (null when it is not a file scan)
   */
  private record Plan(
      Dataset<Row> frame,
      Dataset<Row> rows,
      List<String> scanNames,
      FrameRowDecoder decoder,
      int[] shape) {
    int width() {
      return decoder.width();
    }

    /**
     * The rows in Spark's internal form, no Row object per row: straight from the scan's column
     * batches where it can ({@link ColumnarScan}), else as Spark's projection makes them.
     */
    JavaRDD<InternalRow> internalRows() {
      return (scanNames == null
              ? Optional.<JavaRDD<InternalRow>>empty()
              : ColumnarScan.rows(frame, rows, scanNames))
          .orElseGet(() -> rows.queryExecution().toRdd().toJavaRDD());
    }
  }

  private Plan plan(Dataset<Row> frame, String source) {
    StructType schema = frame.schema();
    DataType labelType = type(schema, label, source, "label");
    if (!(labelType instanceof NumericType)) {
      throw new DataException(
          source
              + ": label column '"
              + label
              + "' is "
              + labelType.simpleString()
              + "; it must hold class numbers (index text labels with StringIndexer first)");
    }
    List<String> columns = featureColumns(schema, source);
    Mode mode = mode(schema, columns, source);
    List<Column> selected = new ArrayList<>();
    selected.add(col(label));
    columns.forEach(c -> selected.add(col(c)));
    boolean fileRecords = hasFileRecords(frame);
    List<String> scanNames = null;
    if (fileRecords) {
      selected.add(col("_metadata.file_path"));
      selected.add(col("_metadata.row_index"));
      scanNames = new ArrayList<>();
      scanNames.add(label);
      scanNames.addAll(columns);
      scanNames.add("file_path");
      scanNames.add(ColumnarScan.ROW_INDEX);
    } else {
      selected.add(monotonically_increasing_id());
    }
    Dataset<Row> rows = frame.select(selected.toArray(new Column[0]));
    int width =
        mode == Mode.COLUMNS
            ? columns.size()
            : shape != null
                ? Arrays.stream(shape).reduce(1, (a, b) -> a * b)
                : vectorSize(frame, schema, columns.get(0), mode, source);
    if (width == 0) {
      throw new DataException(source + ": column '" + columns.get(0) + "' holds empty vectors");
    }
    List<DataType> types = new ArrayList<>();
    types.add(labelType);
    if (mode == Mode.COLUMNS || mode == Mode.ARRAY) {
      columns.forEach(c -> types.add(schema.apply(c).dataType()));
    }
    FrameRowDecoder decoder =
        new FrameRowDecoder(
            mode,
            width,
            label,
            columns.toArray(new String[0]),
            types.toArray(new DataType[0]),
            fileRecords,
            source);
    return new Plan(
        frame, rows, scanNames, decoder, ExampleBuffer.checkShape(source, shape, width));
  }

  /** The declared feature columns, or every numeric column but the label. */
  private List<String> featureColumns(StructType schema, String source) {
    if (!features.isEmpty()) {
      return features;
    }
    List<String> columns = new ArrayList<>();
    for (StructField f : schema.fields()) {
      if (f.dataType() instanceof NumericType && !f.name().equals(label)) {
        columns.add(f.name());
      }
    }
    if (columns.isEmpty()) {
      throw new DataException(source + ": no numeric columns besides the label");
    }
    return columns;
  }

  /** One vector or array column, else numeric columns, checked. */
  private Mode mode(StructType schema, List<String> columns, String source) {
    if (columns.size() == 1) {
      DataType t = type(schema, columns.get(0), source, "feature");
      if (t.equals(SQLDataTypes.VectorType())) {
        return Mode.VECTOR;
      }
      if (t instanceof ArrayType a && a.elementType() instanceof NumericType) {
        return Mode.ARRAY;
      }
      if (t instanceof BinaryType) {
        return Mode.PACKED;
      }
    }
    for (String c : columns) {
      DataType t = type(schema, c, source, "feature");
      if (!(t instanceof NumericType)) {
        throw new DataException(
            source
                + ": feature column '"
                + c
                + "' is "
                + t.simpleString()
                + (t.getClass().getName().equals("org.apache.spark.mllib.linalg.VectorUDT")
                    ? " (an old mllib vector: convert it with MLUtils.convertVectorColumnsToML)"
                    : "")
                + "; features must be one vector, array or packed binary column, or numeric"
                + " columns");
      }
      if (c.equals(label)) {
        throw new DataException(source + ": column '" + c + "' is both the label and a feature");
      }
    }
    return Mode.COLUMNS;
  }

  private static DataType type(StructType schema, String column, String source, String role) {
    for (StructField f : schema.fields()) {
      if (f.name().equals(column)) {
        return f.dataType();
      }
    }
    throw new DataException(
        source
            + ": no "
            + role
            + " column '"
            + column
            + "' (columns: "
            + DataException.excerpt(String.join(", ", schema.fieldNames()))
            + ")");
  }

  /** Whether the frame is a file scan whose rows know their file and 0-based row index. */
  private static boolean hasFileRecords(Dataset<Row> frame) {
    try {
      StructType metadata =
          (StructType) frame.select(col("_metadata")).schema().fields()[0].dataType();
      return Arrays.asList(metadata.fieldNames()).containsAll(List.of("file_path", "row_index"));
    } catch (Exception e) {
      // Not a file scan (or a source without row indices): rows are named by partition instead.
      return false;
    }
  }

  /** The size of a vector or array column: from a vector's ML metadata, else its first row. */
  private static int vectorSize(
      Dataset<Row> frame, StructType schema, String column, Mode mode, String source) {
    int declared =
        mode == Mode.VECTOR ? AttributeGroup.fromStructField(schema.apply(column)).size() : -1;
    if (declared >= 0) {
      return declared;
    }
    // The first row, read alone, usually holds a value; a filter for one would make Spark read
    // far more of the input (seconds, for large packed rows) to find it.
    List<Row> first =
        SparkRows.asData(source, () -> frame.select(col(column)).limit(1).collectAsList());
    if (!first.isEmpty() && first.get(0).isNullAt(0)) {
      first =
          SparkRows.asData(
              source,
              () ->
                  frame
                      .select(col(column))
                      .where(col(column).isNotNull())
                      .limit(1)
                      .collectAsList());
    }
    if (first.isEmpty()) {
      throw new DataException(source + ": column '" + column + "' holds no values");
    }
    Object value = first.get(0).get(0);
    if (value instanceof byte[] packed) {
      if (packed.length % 4 != 0) {
        throw new DataException(
            source
                + ": packed column '"
                + column
                + "' holds "
                + packed.length
                + " bytes in its first row, not a whole number of fp32 values");
      }
      return packed.length / 4;
    }
    return value instanceof Vector v ? v.size() : first.get(0).getList(0).size();
  }
}
