package io.kindling.data;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
import static org.assertj.core.api.Assertions.assertThat;

import io.kindling.kernels.ExampleBlock;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.apache.spark.Dependency;
import org.apache.spark.ShuffleDependency;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Examples read on the executors, split, normalised and dealt into balanced worker blocks by their
 * counts: every row lands in exactly one split, sizes differ by at most one, and no shuffle moves
 * the data.
 */
class DistributedPreparationTest {
  static SparkSession spark;
  @TempDir static Path dir;

  @BeforeAll
  static void start() {
    spark = TestSpark.start();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /**
   * Rows 0..n-1 as Parquet in uneven files (most rows in the first): features [id, -id] as an array
   * of floats, label id % 3.
   */
  private static String parquet(String name, long n) {
    String out = dir.resolve(name).toString();
    spark
        .range(n)
        .select(
            array(
                    col("id").cast(DataTypes.FloatType),
                    col("id").cast(DataTypes.FloatType).multiply(-1))
                .as("features"),
            col("id").mod(3).cast(DataTypes.IntegerType).as("label"),
            when(col("id").lt(n * 2 / 3), lit(0)).otherwise(col("id").mod(4)).as("file"))
        .repartition(col("file"))
        .drop("file")
        .write()
        .parquet(out);
    return out;
  }

  private static DistributedExamples read(String path, int workers) {
    return new FrameReader(3)
        .distribute(spark.read().parquet(path), path, workers, StorageLevel.MEMORY_ONLY());
  }

  @Test
  void blocksAreBalancedByCountsWithoutAShuffle() {
    String path = parquet("uneven", 1001);
    DistributedExamples examples = read(path, 4);
    try {
      JavaRDD<ExampleBlock> blocks = examples.blocks();
      assertThat(shuffles(blocks.rdd())).isZero();
      List<ExampleBlock> parts = blocks.collect();
      assertThat(parts).extracting(ExampleBlock::size).containsExactly(251, 250, 250, 250);
      assertThat(ids(parts)).hasSize(1001).doesNotHaveDuplicates();
      for (ExampleBlock b : parts) {
        for (int i = 0; i < b.size(); i++) {
          int id = (int) b.features()[2 * i];
          assertThat(b.features()[2 * i + 1]).isEqualTo(-id);
          assertThat(b.labels()[i]).isEqualTo(id % 3);
        }
      }
    } finally {
      examples.release();
    }
  }

  @Test
  void prepareSplitsNormalisesAndDealsEverySplit() {
    String trainPath = parquet("train", 2000);
    String testPath = parquet("test", 300);
    int before =
        spark.sparkContext().statusTracker().getJobIdsForGroup(PreparedData.JOB_GROUP).length;
    spark.sparkContext().setJobGroup("caller", "the caller's jobs", false);
    PreparedData data =
        PreparedData.prepare(
            read(trainPath, 3),
            read(testPath, 3),
            0.1,
            Normaliser.Kind.MIN_MAX,
            false,
            3,
            7,
            StorageLevel.MEMORY_ONLY());
    try {
      // Five named steps: read train (fitting the normaliser), read test, deal each split; then
      // the caller's job group is back.
      assertThat(preparationJobs() - before).isEqualTo(5);
      assertThat(spark.sparkContext().getLocalProperty("spark.jobGroup.id")).isEqualTo("caller");
      spark.sparkContext().clearJobGroup();
      assertThat(data.trainSize() + data.validationSize()).isEqualTo(2000);
      assertThat(data.validationSize()).isBetween(190, 210);
      assertThat(data.testSize()).isEqualTo(300);
      List<ExampleBlock> train = data.train().collect();
      List<ExampleBlock> validation = data.validation().collect();
      assertThat(train).hasSize(3);
      int smallest = train.stream().mapToInt(ExampleBlock::size).min().orElseThrow();
      assertThat(train).allSatisfy(b -> assertThat(b.size()).isBetween(smallest, smallest + 1));
      assertThat(train.stream().mapToInt(ExampleBlock::size).sum()).isEqualTo(data.trainSize());
      assertThat(shuffles(data.train().rdd())).isZero();

      // Min-max over the training split alone: features (id and -id) map to 0..1, and every
      // training and validation row appears once.
      List<Float> seen = new java.util.ArrayList<>();
      for (ExampleBlock b : concat(train, validation)) {
        for (int i = 0; i < b.size(); i++) {
          float x = b.features()[2 * i];
          float y = b.features()[2 * i + 1];
          assertThat(x + y).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-5f));
          seen.add(x);
        }
      }
      assertThat(seen).hasSize(2000).doesNotHaveDuplicates();

      // The same seed holds out the same rows.
      PreparedData again =
          PreparedData.prepare(
              read(trainPath, 3),
              read(testPath, 3),
              0.1,
              Normaliser.Kind.MIN_MAX,
              false,
              3,
              7,
              StorageLevel.MEMORY_ONLY());
      try {
        assertThat(ids(again.validation().collect())).isEqualTo(ids(validation));
        assertThat(again.normaliser()).isEqualTo(data.normaliser());
      } finally {
        again.release();
      }
    } finally {
      data.release();
    }
  }

  @Test
  void oneFirstPassCountsFitsAndCachesTheHeldOutRows() {
    String path = parquet("fit", 999);
    RowSelection train = RowSelection.holdOut(0.2, 3, false);
    RowSelection held = RowSelection.holdOut(0.2, 3, true);
    DistributedExamples examples = read(path, 2);
    try {
      int before = preparationJobs();
      DistributedExamples.Pass first = examples.pass(train, held, StorageLevel.MEMORY_ONLY());
      assertThat(examples.size()).isEqualTo(999);
      // Reading, validating, counting, summing moments and caching took one Spark job.
      assertThat(preparationJobs() - before).isEqualTo(1);
      assertThat(first.cached().getStorageLevel()).isEqualTo(StorageLevel.MEMORY_ONLY());
      List<ExampleBlock> heldOut = first.kept().collect();
      assertThat(heldOut.stream().mapToInt(ExampleBlock::size).sum())
          .isEqualTo((int) java.util.Arrays.stream(first.keptCounts()).sum())
          .isEqualTo((int) java.util.Arrays.stream(examples.counts(held)).sum())
          .isBetween(190, 210);

      // The moments are the training rows': fitting on those rows, cached apart by a second
      // pass, gives the same normaliser.
      DistributedExamples.Pass again = examples.pass(null, train, StorageLevel.MEMORY_ONLY());
      Normaliser inFirstPass =
          Normaliser.fit(first.moments(), Normaliser.Kind.STANDARD, true, examples.width());
      Normaliser overTrainingRows =
          Normaliser.fit(again.kept(), Normaliser.Kind.STANDARD, true, examples.width());
      assertThat(values(inFirstPass, "shift"))
          .containsExactly(
              values(overTrainingRows, "shift"), org.assertj.core.data.Offset.offset(1e-3));
      assertThat(values(inFirstPass, "scale"))
          .containsExactly(
              values(overTrainingRows, "scale"), org.assertj.core.data.Offset.offset(1e-6));
      // Held-out rows were left out: the mean of ids 0..998 over all rows would be 499.
      assertThat(values(inFirstPass, "shift")[0])
          .isNotCloseTo(499, org.assertj.core.data.Offset.offset(1e-3));
      first.release();
      again.release();
    } finally {
      examples.release();
    }
  }

  private static int preparationJobs() {
    return spark.sparkContext().statusTracker().getJobIdsForGroup(PreparedData.JOB_GROUP).length;
  }

  private static double[] values(Normaliser n, String field) {
    org.nd4j.shade.jackson.databind.JsonNode node = n.toJson().get(field);
    double[] out = new double[node.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = node.get(i).asDouble();
    }
    return out;
  }

  private static List<ExampleBlock> concat(List<ExampleBlock> a, List<ExampleBlock> b) {
    List<ExampleBlock> all = new java.util.ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /** The first feature of every row, in order. */
  private static List<Float> ids(List<ExampleBlock> blocks) {
    List<Float> ids = new java.util.ArrayList<>();
    for (ExampleBlock b : blocks) {
      for (int i = 0; i < b.size(); i++) {
        ids.add(b.features()[i * b.width()]);
      }
    }
    return ids;
  }

  /** The shuffle dependencies in an RDD's lineage. */
  private static int shuffles(RDD<?> rdd) {
    int count = 0;
    Deque<RDD<?>> todo = new ArrayDeque<>(List.of(rdd));
    while (!todo.isEmpty()) {
      for (Dependency<?> d : CollectionConverters.asJava(todo.pop().dependencies())) {
        if (d instanceof ShuffleDependency<?, ?, ?>) {
          count++;
        }
        todo.push(d.rdd());
      }
    }
    return count;
  }
}
