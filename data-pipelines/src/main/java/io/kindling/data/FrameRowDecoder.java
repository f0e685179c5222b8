package io.kindling.data;

import java.util.function.Supplier;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.unsafe.Platform;

/**
 * Reads one selected row of a DataFrame in Spark's internal (binary) form: label, features, then
 * its location columns. Values are read straight from the row's bytes into the example, with no
 * {@link org.apache.spark.sql.Row}, boxed number or ML vector made per row.
 */
final class FrameRowDecoder implements SparkRows.Decoder<InternalRow> {
  private static final long RECORD_BITS = (1L << 33) - 1;

  /** How the features are laid out in the row. */
  enum Mode {
    /** One numeric column per feature. */
    COLUMNS,
    /** One {@code org.apache.spark.ml.linalg.Vector} column, dense or sparse. */
    VECTOR,
    /** One array-of-numbers column. */
    ARRAY,
    /**
     * One binary column of little-endian fp32 values, an array packed into bytes (as Petastorm
     * stores tensors): a plain Parquet column with no per-value levels to assemble, read several
     * times faster than an array column.
     */
    PACKED
  }

  // Fields of the struct Spark ML stores a vector as: type (0 sparse, 1 dense), size, indices,
  // values.
  private static final int VECTOR_FIELDS = 4;
  private static final int SPARSE_SIZE = 1;
  private static final int SPARSE_INDICES = 2;
  private static final int VECTOR_VALUES = 3;

  private final Mode mode;
  private final int width;
  private final String label;
  private final NumberReader labelReader;
  private final String[] columns;
  private final NumberReader[] featureReaders;
  private final boolean fileRecords;
  private final String source;

  /**
   * @param types the label's type, then the feature columns' (COLUMNS) or the array column's
   *     (ARRAY); nothing more for VECTOR
   */
  FrameRowDecoder(
      Mode mode,
      int width,
      String label,
      String[] columns,
      DataType[] types,
      boolean fileRecords,
      String source) {
    this.mode = mode;
    this.width = width;
    this.label = label;
    this.columns = columns;
    this.labelReader = NumberReader.of(types[0]);
    this.featureReaders = new NumberReader[types.length - 1];
    for (int i = 1; i < types.length; i++) {
      featureReaders[i - 1] = NumberReader.of(types[i]);
    }
    this.fileRecords = fileRecords;
    this.source = source;
  }

  int width() {
    return width;
  }

  @Override
  public double decode(InternalRow row, float[] x, RecordChecks checks, Supplier<String> where) {
    if (row.isNullAt(0)) {
      checks.reject(where, SkippedRecords.MISSING_VALUE, "label column '" + label + "' is null");
      return Double.NaN;
    }
    double y = checks.label(labelReader.read(row, 0), where);
    if (Double.isNaN(y)) {
      return Double.NaN;
    }
    boolean ok =
        switch (mode) {
          case COLUMNS -> columns(row, x, checks, where);
          case VECTOR -> vector(row, x, checks, where);
          case ARRAY -> array(row, x, checks, where);
          case PACKED -> packed(row, x, checks, where);
        };
    return ok ? y : Double.NaN;
  }

  private boolean columns(InternalRow row, float[] x, RecordChecks checks, Supplier<String> where) {
    for (int j = 0; j < width; j++) {
      if (row.isNullAt(1 + j)) {
        checks.reject(where, SkippedRecords.MISSING_VALUE, columnName(j) + " is null");
        return false;
      }
      x[j] = checks.feature(featureReaders[j].read(row, 1 + j), j, this::columnName, where);
      if (Float.isNaN(x[j])) {
        return false;
      }
    }
    return true;
  }

  private boolean vector(InternalRow row, float[] x, RecordChecks checks, Supplier<String> where) {
    if (row.isNullAt(1)) {
      return sized(-1, checks, where);
    }
    InternalRow vector = row.getStruct(1, VECTOR_FIELDS);
    ArrayData values = vector.getArray(VECTOR_VALUES);
    if (vector.getByte(0) == 1) {
      if (!sized(values.numElements(), checks, where)) {
        return false;
      }
      for (int j = 0; j < width; j++) {
        x[j] = checks.feature(values.getDouble(j), j, this::elementName, where);
        if (Float.isNaN(x[j])) {
          return false;
        }
      }
      return true;
    }
    if (!sized(vector.getInt(SPARSE_SIZE), checks, where)) {
      return false;
    }
    ArrayData indices = vector.getArray(SPARSE_INDICES);
    java.util.Arrays.fill(x, 0f);
    for (int k = 0; k < indices.numElements(); k++) {
      int j = indices.getInt(k);
      x[j] = checks.feature(values.getDouble(k), j, this::elementName, where);
      if (Float.isNaN(x[j])) {
        return false;
      }
    }
    return true;
  }

  private boolean array(InternalRow row, float[] x, RecordChecks checks, Supplier<String> where) {
    ArrayData values = row.isNullAt(1) ? null : row.getArray(1);
    if (!sized(values == null ? -1 : values.numElements(), checks, where)) {
      return false;
    }
    NumberReader element = featureReaders[0];
    for (int j = 0; j < width; j++) {
      if (values.isNullAt(j)) {
        checks.reject(where, SkippedRecords.MISSING_VALUE, elementName(j) + " is null");
        return false;
      }
      x[j] = checks.feature(element.read(values, j), j, this::elementName, where);
      if (Float.isNaN(x[j])) {
        return false;
      }
    }
    return true;
  }

  private boolean packed(InternalRow row, float[] x, RecordChecks checks, Supplier<String> where) {
    if (row.isNullAt(1)) {
      return sized(-1, checks, where);
    }
    if (row instanceof UnsafeRow u && PackedFloats.NATIVE_ORDER) {
      // The field's offset and size within the row, as UnsafeRow.getBinary reads them, without
      // the copy into a new byte array that getBinary makes for every row.
      long offsetAndSize = u.getLong(1);
      int size = (int) offsetAndSize;
      if (!packedSize(size, checks, where)) {
        return false;
      }
      Platform.copyMemory(
          u.getBaseObject(),
          u.getBaseOffset() + (offsetAndSize >>> 32),
          x,
          Platform.FLOAT_ARRAY_OFFSET,
          size);
    } else {
      byte[] bytes = row.getBinary(1);
      if (!packedSize(bytes.length, checks, where)) {
        return false;
      }
      PackedFloats.unpack(bytes, x);
    }
    for (int j = 0; j < width; j++) {
      if (!Float.isFinite(x[j])) {
        checks.feature(x[j], j, this::elementName, where);
        return false;
      }
    }
    return true;
  }

  private boolean packedSize(int bytes, RecordChecks checks, Supplier<String> where) {
    if (bytes != 4 * width) {
      checks.reject(
          where,
          SkippedRecords.WRONG_VECTOR_SIZE,
          "column '"
              + columns[0]
              + "' has "
              + bytes
              + " bytes, expected "
              + 4 * width
              + " ("
              + width
              + " little-endian fp32 values)");
      return false;
    }
    return true;
  }

  /** Whether a vector or array of {@code size} values (-1: null) has the expected width. */
  private boolean sized(int size, RecordChecks checks, Supplier<String> where) {
    if (size < 0) {
      checks.reject(where, SkippedRecords.MISSING_VALUE, "column '" + columns[0] + "' is null");
      return false;
    }
    if (size != width) {
      checks.reject(
          where,
          SkippedRecords.WRONG_VECTOR_SIZE,
          "column '" + columns[0] + "' has " + size + " values, expected " + width);
      return false;
    }
    return true;
  }

  private String columnName(int j) {
    return "column '" + columns[j] + "'";
  }

  private String elementName(int j) {
    return columns[0] + "[" + j + "]";
  }

  @Override
  public String where(InternalRow row) {
    int at = 1 + (mode == Mode.COLUMNS ? columns.length : 1);
    if (fileRecords) {
      return row.getUTF8String(at) + ": record " + row.getLong(at + 1);
    }
    long id = row.getLong(at);
    return source + ": partition " + (id >>> 33) + ", record " + (id & RECORD_BITS);
  }

  /** Reads a value of one numeric SQL type as a double, from a row or an array. */
  record NumberReader(DataType type) implements java.io.Serializable {
    /** The reader of a numeric type, or of an array's numeric elements. */
    static NumberReader of(DataType type) {
      return new NumberReader(type instanceof ArrayType a ? a.elementType() : type);
    }

    double read(SpecializedGetters values, int i) {
      if (type instanceof FloatType) {
        return values.getFloat(i);
      }
      if (type instanceof DoubleType) {
        return values.getDouble(i);
      }
      if (type instanceof IntegerType) {
        return values.getInt(i);
      }
      if (type instanceof LongType) {
        return values.getLong(i);
      }
      if (type instanceof ShortType) {
        return values.getShort(i);
      }
      if (type instanceof ByteType) {
        return values.getByte(i);
      }
      if (type instanceof DecimalType d) {
        return values.getDecimal(i, d.precision(), d.scale()).toDouble();
      }
      throw new IllegalArgumentException(type.simpleString() + " is not a numeric type");
    }
  }
}
