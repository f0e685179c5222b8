package io.kindling.data;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rows read from a bare Parquet scan's column batches are the rows Spark's projection makes. */
class ColumnarScanTest {
  private static final List<String> NAMES =
      List.of("label", "features", "file_path", ColumnarScan.ROW_INDEX);

  static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    spark = TestSpark.start();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** Three files of packed rows: row i holds bytes i, i+1, ..., i+7 and label i mod 10. */
  private Dataset<Row> threeFiles() {
    StructType schema =
        new StructType().add("features", DataTypes.BinaryType).add("label", DataTypes.IntegerType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      byte[] b = new byte[8];
      for (int j = 0; j < 8; j++) {
        b[j] = (byte) (i + j);
      }
      rows.add(RowFactory.create(b, i % 10));
    }
    String out = dir.resolve("packed").toString();
    spark.createDataFrame(rows, schema).repartition(3).write().parquet(out);
    return spark.read().parquet(out);
  }

  private static Dataset<Row> selected(Dataset<Row> frame) {
    return frame.select(
        col("label"), col("features"), col("_metadata.file_path"), col("_metadata.row_index"));
  }

  /** Each row as label | features | file | record, read while the row view is current. */
  private static List<String> text(JavaRDD<InternalRow> rows) {
    return rows.map(
            r ->
                r.getInt(0)
                    + "|"
                    + Arrays.toString(r.getBinary(1))
                    + "|"
                    + r.getUTF8String(2)
                    + "|"
                    + r.getLong(3))
        .collect();
  }

  @Test
  void aBareScanIsReadFromItsBatchesAsSparkWouldReadIt() {
    Dataset<Row> frame = threeFiles();
    Dataset<Row> selected = selected(frame);
    Optional<JavaRDD<InternalRow>> columnar = ColumnarScan.rows(frame, selected, NAMES);
    assertThat(columnar).isPresent();
    List<String> expected = text(selected.queryExecution().toRdd().toJavaRDD());
    List<String> actual = text(columnar.get());
    assertThat(actual).hasSize(300).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(actual).allMatch(s -> s.contains("|file:") && s.contains(".parquet|"));
  }

  @Test
  void anythingButABareScanIsLeftToSpark() {
    Dataset<Row> frame = threeFiles();
    Dataset<Row> filtered = frame.where(col("label").gt(2));
    assertThat(ColumnarScan.rows(filtered, selected(filtered), NAMES)).isEmpty();
    Dataset<Row> computed = frame.withColumn("label", col("label").plus(1));
    assertThat(ColumnarScan.rows(computed, selected(computed), NAMES)).isEmpty();
    List<String> missing = List.of("label", "pixels", "file_path", ColumnarScan.ROW_INDEX);
    assertThat(ColumnarScan.rows(frame, selected(frame), missing)).isEmpty();
  }
}
