package io.kindling.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kindling.kernels.ExampleBlock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FrameReaderTest {
  private static final String HINT = " (use bad-records = skip to drop such records)";
  private static final StructType VECTORS =
      new StructType()
          .add("features", SQLDataTypes.VectorType())
          .add("label", DataTypes.IntegerType);

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

  private static Row vectorRow(Object features, Integer label) {
    return RowFactory.create(features, label);
  }

  /** Writes rows as one Parquet file and returns the folder and that file's URI. */
  private String[] parquet(String name, StructType schema, Row... rows) throws IOException {
    String out = dir.resolve(name).toString();
    spark.createDataFrame(List.of(rows), schema).coalesce(1).write().parquet(out);
    try (Stream<Path> files = Files.list(Path.of(out))) {
      Path part = files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
      // Spark names the file by its Hadoop path.
      return new String[] {out, "file:" + part};
    }
  }

  @Test
  void readsDenseAndSparseVectorsFromParquet() throws IOException {
    String[] p =
        parquet(
            "v",
            VECTORS,
            vectorRow(Vectors.dense(1, 2, 3), 0),
            vectorRow(Vectors.sparse(3, new int[] {1}, new double[] {5}), 2));
    LabeledData data = new FrameReader(3).readParquet(spark, p[0]);
    assertThat(data.shape()).containsExactly(3);
    assertThat(data.examples().labels()).containsExactly(0, 2);
    assertThat(data.examples().features()).containsExactly(1, 2, 3, 0, 5, 0);
  }

  @Test
  void readsNumericColumnsAndArrays() {
    StructType schema =
        new StructType()
            .add("id", DataTypes.StringType)
            .add("a", DataTypes.DoubleType)
            .add("y", DataTypes.LongType)
            .add("b", DataTypes.IntegerType)
            .add("arr", DataTypes.createArrayType(DataTypes.FloatType));
    Dataset<Row> frame =
        spark.createDataFrame(
            List.of(
                RowFactory.create("r0", 0.5, 1L, 7, List.of(1f, 2f)),
                RowFactory.create("r1", 1.5, 0L, 8, List.of(3f, 4f))),
            schema);
    FrameReader reader = new FrameReader(2).withLabel("y");
    assertThat(reader.withFeatures().read(frame, "t").examples().features())
        .containsExactly(0.5f, 7, 1.5f, 8);
    assertThat(reader.withFeatures("b", "a").read(frame, "t").examples().features())
        .containsExactly(7, 0.5f, 8, 1.5f);
    assertThat(reader.withFeatures("arr").read(frame, "t").shape()).containsExactly(2);
    LabeledData arrays = reader.withFeatures("arr").withShape(1, 2).read(frame, "t");
    assertThat(arrays.shape()).containsExactly(1, 2);
    assertThat(arrays.examples().features()).containsExactly(1, 2, 3, 4);
    assertThat(arrays.examples().labels()).containsExactly(1, 0);
  }

  @Test
  void aBadParquetRowNamesItsFileAndRecord() throws IOException {
    String[] p =
        parquet(
            "bad",
            VECTORS,
            vectorRow(Vectors.dense(1, 2), 0),
            vectorRow(Vectors.dense(1, 2), 1),
            vectorRow(Vectors.dense(1, Double.NaN), 1),
            vectorRow(Vectors.dense(1, 2), 5),
            vectorRow(Vectors.dense(1, 2, 3), 1),
            vectorRow(Vectors.dense(1, 2), null),
            vectorRow(null, 1));
    FrameReader reader = new FrameReader(2);
    assertThatThrownBy(() -> reader.readParquet(spark, p[0]))
        .isInstanceOf(DataException.class)
        .hasMessage(p[1] + ": record 2: features[1] is NaN" + HINT);
    LabeledData kept = reader.withPolicy(BadRecordPolicy.SKIP).readParquet(spark, p[0]);
    assertThat(kept.examples().labels()).containsExactly(0, 1);
    assertThat(kept.skipped().counts())
        .containsEntry(SkippedRecords.NAN, 1L)
        .containsEntry(SkippedRecords.LABEL_OUT_OF_RANGE, 1L)
        .containsEntry(SkippedRecords.WRONG_VECTOR_SIZE, 1L)
        .containsEntry(SkippedRecords.MISSING_VALUE, 2L);
  }

  @Test
  void eachKindOfBadRowHasItsMessage() throws IOException {
    FrameReader reader = new FrameReader(2);
    String[] label = parquet("label", VECTORS, vectorRow(Vectors.dense(1, 2), 5));
    assertThatThrownBy(() -> reader.readParquet(spark, label[0]))
        .hasMessage(label[1] + ": record 0: label 5 is outside 0..1" + HINT);
    String[] size =
        parquet("size", VECTORS, vectorRow(Vectors.dense(1, 2), 0), vectorRow(Vectors.dense(1), 0));
    assertThatThrownBy(() -> reader.readParquet(spark, size[0]))
        .hasMessage(size[1] + ": record 1: column 'features' has 1 values, expected 2" + HINT);
    String[] nullLabel = parquet("null", VECTORS, vectorRow(Vectors.dense(1, 2), null));
    assertThatThrownBy(() -> reader.readParquet(spark, nullLabel[0]))
        .hasMessage(nullLabel[1] + ": record 0: label column 'label' is null" + HINT);
  }

  private static final StructType PACKED =
      new StructType().add("features", DataTypes.BinaryType).add("label", DataTypes.IntegerType);

  private static byte[] packed(float... values) {
    return PackedFloats.pack(values);
  }

  @Test
  void readsPackedFeaturesAsTheArrayLayoutReadsThem() throws IOException {
    SyntheticData data = new SyntheticData(300, 7, 3).withSeed(5).withPartitions(2);
    String arrays = dir.resolve("layout-array").toString();
    String packed = dir.resolve("layout-packed").toString();
    data.write(spark, arrays);
    data.withPackedFeatures().write(spark, packed);
    assertThat(spark.read().parquet(packed).schema().apply("features").dataType())
        .isEqualTo(DataTypes.BinaryType);
    FrameReader reader = new FrameReader(3);
    LabeledData fromPacked = reader.readParquet(spark, packed);
    LabeledData fromArrays = reader.readParquet(spark, arrays);
    assertThat(fromPacked.shape()).containsExactly(7);
    assertThat(rows(fromPacked)).hasSize(300).containsExactlyInAnyOrderElementsOf(rows(fromArrays));
  }

  /** Each example as text, label first: the two data sets' files may be read in another order. */
  private static List<String> rows(LabeledData data) {
    ExampleBlock examples = data.examples();
    int width = examples.width();
    List<String> rows = new ArrayList<>();
    for (int i = 0; i < examples.size(); i++) {
      float[] x = Arrays.copyOfRange(examples.features(), i * width, (i + 1) * width);
      rows.add(examples.labels()[i] + " " + Arrays.toString(x));
    }
    return rows;
  }

  @Test
  void badPackedRowsAreNamed() throws IOException {
    String[] p =
        parquet(
            "packed-bad",
            PACKED,
            RowFactory.create(packed(1, 2), 0),
            RowFactory.create(packed(1, Float.POSITIVE_INFINITY), 1),
            RowFactory.create(new byte[] {1, 2, 3, 4, 5}, 1),
            RowFactory.create(null, 1),
            RowFactory.create(packed(3, 4), 1));
    FrameReader reader = new FrameReader(2);
    assertThatThrownBy(() -> reader.readParquet(spark, p[0]))
        .isInstanceOf(DataException.class)
        .hasMessage(p[1] + ": record 1: features[1] is infinite" + HINT);
    LabeledData kept = reader.withPolicy(BadRecordPolicy.SKIP).readParquet(spark, p[0]);
    assertThat(kept.examples().features()).containsExactly(1, 2, 3, 4);
    assertThat(kept.skipped().counts())
        .containsEntry(SkippedRecords.NAN, 1L)
        .containsEntry(SkippedRecords.WRONG_VECTOR_SIZE, 1L)
        .containsEntry(SkippedRecords.MISSING_VALUE, 1L);
    String[] size = parquet("packed-size", PACKED, RowFactory.create(packed(1, 2, 3), 0));
    assertThatThrownBy(() -> reader.withShape(2).readParquet(spark, size[0]))
        .hasMessage(
            size[1]
                + ": record 0: column 'features' has 12 bytes, expected 8 (2 little-endian fp32"
                + " values)"
                + HINT);
    String[] ragged = parquet("packed-ragged", PACKED, RowFactory.create(new byte[] {1, 2, 3}, 0));
    assertThatThrownBy(() -> reader.readParquet(spark, ragged[0]))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("holds 3 bytes in its first row, not a whole number of fp32 values");
  }

  @Test
  void aFrameThatIsNotAFileScanNamesPartitionAndRecord() {
    StructType schema =
        new StructType().add("x", DataTypes.DoubleType).add("label", DataTypes.DoubleType);
    Dataset<Row> frame =
        spark.createDataFrame(
            List.of(RowFactory.create(1.0, 0.0), RowFactory.create(2.0, 0.5)), schema);
    assertThatThrownBy(() -> new FrameReader(2).withFeatures("x").read(frame, "memory"))
        .isInstanceOf(DataException.class)
        .hasMessage(
            "memory: partition 0, record 1: label 0.5 is not a whole number in 0..1" + HINT);
  }

  @Test
  void columnsThatCannotBeReadAreNamed() {
    StructType schema =
        new StructType().add("x", DataTypes.DoubleType).add("label", DataTypes.StringType);
    Dataset<Row> frame = spark.createDataFrame(List.of(RowFactory.create(1.0, "cat")), schema);
    assertThatThrownBy(() -> new FrameReader(2).read(frame, "f"))
        .hasMessage(
            "f: label column 'label' is string; it must hold class numbers (index text labels"
                + " with StringIndexer first)");
    assertThatThrownBy(() -> new FrameReader(2).withLabel("y").read(frame, "f"))
        .hasMessage("f: no label column 'y' (columns: x, label)");
    assertThatThrownBy(
            () -> new FrameReader(2).withLabel("x").withFeatures("label").read(frame, "f"))
        .hasMessage(
            "f: feature column 'label' is string; features must be one vector, array or packed"
                + " binary column, or numeric columns");
  }

  @Test
  void unreadableParquetIsADataError() throws IOException {
    Path bogus = dir.resolve("bogus.parquet");
    Files.writeString(bogus, "not parquet at all");
    assertThatThrownBy(() -> new FrameReader(2).readParquet(spark, bogus.toString()))
        .isInstanceOf(DataException.class)
        .hasMessageStartingWith(bogus + ": cannot read: file:" + bogus + " is not a Parquet file.")
        .hasMessageNotContaining("\n");
    assertThatThrownBy(() -> new FrameReader(2).readParquet(spark, dir + "/missing"))
        .isInstanceOf(DataException.class)
        .hasMessage(dir + "/missing: Path does not exist: file:" + dir + "/missing.");
  }

  @Test
  void distributePacksBalancedBlocksOnTheExecutors() throws IOException {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      rows.add(vectorRow(Vectors.dense(i, -i), i == 50 ? 7 : i % 3));
    }
    String out = dir.resolve("many").toString();
    spark.createDataFrame(rows, VECTORS).repartition(4).write().parquet(out);
    DistributedExamples examples =
        new FrameReader(3)
            .withPolicy(BadRecordPolicy.SKIP)
            .distribute(spark.read().parquet(out), out, 3, StorageLevel.MEMORY_ONLY());
    try {
      assertThat(examples.size()).isEqualTo(99);
      assertThat(examples.shape()).containsExactly(2);
      assertThat(examples.skipped().counts()).containsEntry(SkippedRecords.LABEL_OUT_OF_RANGE, 1L);
      List<ExampleBlock> blocks = examples.blocks().collect();
      assertThat(blocks).hasSize(3);
      assertThat(blocks).allSatisfy(b -> assertThat(b.size()).isBetween(30, 36));
      boolean[] seen = new boolean[100];
      for (ExampleBlock b : blocks) {
        for (int i = 0; i < b.size(); i++) {
          int id = (int) b.features()[2 * i];
          assertThat(b.features()[2 * i + 1]).isEqualTo(-id);
          assertThat(b.labels()[i]).isEqualTo(id % 3);
          seen[id] = true;
        }
      }
      assertThat(seen).containsOnlyOnce(false);
      // The blocks feed the normaliser and the cached, normalised training RDD as they are.
      Normaliser n =
          Normaliser.fit(examples.blocks(), Normaliser.Kind.MIN_MAX, true, examples.width());
      List<ExampleBlock> normalised =
          PreparedData.normalised(examples.blocks(), n, StorageLevel.MEMORY_ONLY(), "t").collect();
      for (ExampleBlock b : normalised) {
        for (float v : b.features()) {
          assertThat(v).isBetween(0f, 1f);
        }
      }
    } finally {
      examples.release();
    }
  }

  @Test
  void distributeFailsOnABadRowLikeTheDriverPath() throws IOException {
    String[] p =
        parquet("bad-d", VECTORS, vectorRow(Vectors.dense(1, Double.POSITIVE_INFINITY), 0));
    assertThatThrownBy(
            () ->
                new FrameReader(2)
                    .distribute(spark.read().parquet(p[0]), p[0], 2, StorageLevel.MEMORY_ONLY())
                    .size())
        .isInstanceOf(DataException.class)
        .hasMessage(p[1] + ": record 0: features[1] is infinite" + HINT);
  }
}
