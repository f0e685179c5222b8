package io.kindling.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.evaluation.RegressionEvaluator;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The regressor on real local Spark: it learns a noisy linear target, and its model persists. */
class NeuralNetRegressorTest {
  @TempDir static Path dir;

  static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("NeuralNetRegressorTest")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  /** y = 3 x1 - 2 x2 + 0.5 x3 + 10 + noise (sd 0.1), the features on different scales. */
  static Dataset<Row> linear(int rows, long seed) {
    Random r = new Random(seed);
    List<Row> list = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      double x1 = r.nextGaussian();
      double x2 = r.nextGaussian() * 10;
      double x3 = r.nextDouble() * 100;
      double y = 3 * x1 - 2 * x2 / 10 + 0.5 * x3 / 100 + 10 + r.nextGaussian() * 0.1;
      list.add(RowFactory.create(Vectors.dense(x1, x2, x3), y));
    }
    StructType schema =
        new StructType()
            .add("features", SQLDataTypes.VectorType(), false)
            .add("label", DataTypes.DoubleType, false);
    return spark.createDataFrame(list, schema);
  }

  @Test
  void learnsALinearTargetAndItsModelPersists() throws Exception {
    NeuralNetRegressionModel model =
        new NeuralNetRegressor()
            .setEpochs(8)
            .setBatchSize(32)
            .setLearningRate(0.01)
            .setWorkers(2)
            .fit(linear(3000, 1));
    Dataset<Row> check = linear(1000, 2);
    Dataset<Row> predictions = model.transform(check);
    double r2 = new RegressionEvaluator().setMetricName("r2").evaluate(predictions);
    // The noise leaves about 0.998 of the variance explainable.
    assertThat(r2).isGreaterThan(0.95);

    Row evaluation = model.evaluation().head();
    assertThat(model.evaluation().columns()).contains("mse", "mae", "r2");
    assertThat(evaluation.<Double>getAs("r2")).isGreaterThan(0.95);
    assertThat(model.history().count()).isEqualTo(8);

    Row first = predictions.head();
    assertThat(model.predict(first.<Vector>getAs("features")))
        .isCloseTo(first.getAs("prediction"), org.assertj.core.data.Offset.offset(1e-5));

    String path = dir.resolve("regressor").toString();
    model.write().save(path);
    NeuralNetRegressionModel loaded = NeuralNetRegressionModel.load(path);
    assertThat(loaded.transform(check).select("prediction").collectAsList())
        .isEqualTo(predictions.select("prediction").collectAsList());
  }

  @Test
  void aClassificationNetworkIsRefused() {
    assertThatThrownBy(
            () ->
                new NeuralNetRegressor()
                    .setNetwork("{layers = [{type = dense, units = 2}]}")
                    .fit(linear(50, 3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("a regressor needs one output and a regression loss");
  }
}
