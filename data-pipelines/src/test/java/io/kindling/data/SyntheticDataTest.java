package io.kindling.data;

import static org.apache.spark.ml.functions.array_to_vector;
import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticDataTest {
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

  private static final SyntheticData DATA =
      new SyntheticData(4000, 6, 3).withLabelNoise(0.2).withSeed(7);

  @Test
  void theTeacherIsRightAsOftenAsTheKnownBestAccuracy() {
    String out = dir.resolve("s").toString();
    double best = DATA.withPartitions(3).write(spark, out);
    assertThat(best).isEqualTo(0.8);
    LabeledData data = new FrameReader(3).readParquet(spark, out);
    assertThat(data.size()).isEqualTo(4000);
    assertThat(data.shape()).containsExactly(6);
    int agree = 0;
    int[] perClass = new int[3];
    for (int i = 0; i < data.size(); i++) {
      double[] x = new double[6];
      for (int j = 0; j < 6; j++) {
        x[j] = data.examples().features()[i * 6 + j];
      }
      int teacher = DATA.teacherClass(x);
      perClass[teacher]++;
      agree += teacher == data.examples().labels()[i] ? 1 : 0;
    }
    // Five standard deviations of a binomial proportion over 4000 rows.
    assertThat(agree / 4000.0).isCloseTo(0.8, within(0.032));
    assertThat(java.util.Arrays.stream(perClass).min().getAsInt()).isGreaterThan(600);
  }

  @Test
  void rowsDependOnTheSeedNotOnThePartitions() {
    assertThat(rows(DATA.withPartitions(2), "a")).isEqualTo(rows(DATA.withPartitions(5), "b"));
    assertThat(rows(DATA.withSeed(8), "c")).isNotEqualTo(rows(DATA, "d"));
  }

  private List<String> rows(SyntheticData data, String name) {
    String out = dir.resolve(name).toString();
    data.write(spark, out);
    List<String> rows = new ArrayList<>();
    for (Row r : spark.read().parquet(out).collectAsList()) {
      rows.add(r.get(0) + " " + r.getInt(1));
    }
    rows.sort(null);
    return rows;
  }

  @Test
  void aLinearModelLearnsItToNearTheBestAccuracy() {
    String out = dir.resolve("learn").toString();
    double best = DATA.write(spark, out);
    // The features are an array of floats; Spark ML's estimators want a vector.
    Dataset<Row> frame =
        spark.read().parquet(out).withColumn("features", array_to_vector(col("features")));
    Dataset<Row> predicted = new LogisticRegression().setMaxIter(30).fit(frame).transform(frame);
    double accuracy =
        new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(predicted);
    assertThat(accuracy).isGreaterThan(best - 0.04).isLessThan(best + 0.04);
  }

  @Test
  void labelNoiseMustLeaveTheTeacherTheLikeliestLabel() {
    assertThatThrownBy(() -> new SyntheticData(10, 2, 2).withLabelNoise(0.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("label noise must be in [0, 0.5), got 0.5");
  }
}
