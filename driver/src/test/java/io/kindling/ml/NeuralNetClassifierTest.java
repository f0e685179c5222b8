package io.kindling.ml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kindling.data.BadRecordPolicy;
import io.kindling.data.IdxReader;
import io.kindling.data.LabeledData;
import io.kindling.kernels.ExampleBlock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.StandardScaler;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark ML API on real local Spark: a classifier fitted on real Fashion-MNIST rows, its history
 * and evaluation, persistence across sessions, Pipelines and cross-validation.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NeuralNetClassifierTest {
  static final String FASHION_MNIST = "/usr/share/datasets/fashion-mnist";
  static final String MLP =
      "{layers = [{type = dense, units = 128, activation = relu}, {type = dense, units = 10}]}";
  static final int EPOCHS = 3;

  @TempDir static Path dir;

  static SparkSession spark;
  static Dataset<Row> train;
  static Dataset<Row> test;
  static NeuralNetClassificationModel model;

  static SparkSession startSpark() {
    return SparkSession.builder()
        .master("local[2]")
        .appName("NeuralNetClassifierTest")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate();
  }

  @BeforeAll
  static void fitOnFashionMnist() {
    spark = startSpark();
    train = fashionMnist("train", 4000);
    test = fashionMnist("t10k", 1000);
    model =
        new NeuralNetClassifier()
            .setNetwork(MLP)
            .setEpochs(EPOCHS)
            .setBatchSize(64)
            .setWorkers(2)
            .setAveragingFrequency(5)
            .setNormalise("min-max")
            .setPerFeature(false)
            .fit(train);
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  /** The first {@code rows} examples of a Fashion-MNIST file as (features vector, label). */
  static Dataset<Row> fashionMnist(String prefix, int rows) {
    LabeledData data =
        IdxReader.read(
            FASHION_MNIST + "/" + prefix + "-images-idx3-ubyte.gz",
            FASHION_MNIST + "/" + prefix + "-labels-idx1-ubyte.gz",
            10,
            BadRecordPolicy.FAIL,
            new Configuration());
    ExampleBlock examples = data.examples();
    int w = examples.width();
    float[] all = examples.copyRows(0, rows, new float[rows * w]);
    List<Row> list = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      double[] x = new double[w];
      for (int j = 0; j < w; j++) {
        x[j] = all[i * w + j];
      }
      list.add(RowFactory.create(Vectors.dense(x), (double) examples.labels()[i]));
    }
    StructType schema =
        new StructType()
            .add("features", SQLDataTypes.VectorType(), false)
            .add("label", DataTypes.DoubleType, false);
    return spark.createDataFrame(list, schema);
  }

  static double accuracy(Dataset<Row> predictions) {
    return new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(predictions);
  }

  @Test
  @Order(1)
  void transformPredictsHeldOutFashionMnistWell() {
    Dataset<Row> predictions = model.transform(test);
    assertThat(predictions.columns())
        .containsExactly("features", "label", "prediction", "rawPrediction", "probability");
    assertThat(predictions.count()).isEqualTo(1000);
    // 3,600 training rows and 3 epochs: a full run reaches about 0.89.
    assertThat(accuracy(predictions)).isGreaterThan(0.75);
    Row first = predictions.select("probability", "rawPrediction", "prediction").head();
    Vector p = first.getAs(0);
    assertThat(p.size()).isEqualTo(10);
    assertThat(java.util.Arrays.stream(p.toArray()).sum()).isCloseTo(1.0, within(1e-4));
    assertThat(first.getDouble(2)).isEqualTo(p.argmax());
    Vector raw = first.getAs(1);
    assertThat(raw.argmax()).isEqualTo(p.argmax());
    assertThat(model.predictProbability(test.head().getAs(0)).toArray())
        .containsExactly(p.toArray(), within(1e-6));
  }

  @Test
  @Order(2)
  void historyAndEvaluationDescribeTheRun() {
    List<Row> history = model.history().collectAsList();
    assertThat(history).hasSize(EPOCHS);
    assertThat(model.history().columns())
        .startsWith("epoch")
        .contains("train_loss", "examples_per_second", "validation_accuracy");
    assertThat(history.get(0).<Long>getAs("epoch")).isEqualTo(1L);
    double firstLoss = history.get(0).getAs("train_loss");
    double lastLoss = history.get(EPOCHS - 1).getAs("train_loss");
    assertThat(lastLoss).isLessThan(firstLoss);

    // Scored on the validation split: 10% of 4,000 rows, the same rows the epochs validated on.
    Row evaluation = model.evaluation().head();
    assertThat(evaluation.<Long>getAs("examples")).isEqualTo(400L);
    assertThat(evaluation.<Double>getAs("accuracy"))
        .isCloseTo(history.get(EPOCHS - 1).getAs("validation_accuracy"), within(1e-9));
    assertThat(model.evaluation().columns()).contains("macro_f1", "weighted_f1", "log_loss");

    List<Row> classes = model.classMetrics().collectAsList();
    assertThat(classes).hasSize(10);
    assertThat(classes.stream().mapToLong(r -> r.getAs("support")).sum()).isEqualTo(400);
    assertThat(classes.get(1).<Double>getAs("f1")).isBetween(0.0, 1.0);
    List<Row> matrix = model.confusionMatrix().collectAsList();
    assertThat(matrix).hasSize(100);
    assertThat(matrix.stream().mapToLong(r -> r.getAs("count")).sum()).isEqualTo(400);
  }

  @Test
  @Order(3)
  void aBadFeaturesColumnSaysWhatIsWrong() {
    assertThatThrownBy(() -> new NeuralNetClassifier().setFeaturesCol("pixels").fit(train))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no features column 'pixels' (columns: features, label)");
    assertThatThrownBy(
            () -> new NeuralNetClassifier().setFeaturesCol("label").setNetwork(MLP).fit(train))
        .hasMessageContaining("features column 'label' is double, not a vector");
    assertThatThrownBy(() -> new NeuralNetClassifier().setNetwork("{layers = [}").fit(train))
        .hasMessageContaining("network: not valid JSON or HOCON");
    assertThatThrownBy(() -> new NeuralNetClassifier().setEpochs(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("epochs");
  }

  @Test
  @Order(4)
  void paramsCopyAndPersistLikeSparkEstimators() throws Exception {
    NeuralNetClassifier estimator = new NeuralNetClassifier().setEpochs(4).setSyncMode("allreduce");
    NeuralNetClassifier copy = estimator.copy(new ParamMap().put(estimator.learningRate().w(0.01)));
    assertThat(copy.uid()).isEqualTo(estimator.uid());
    assertThat(copy.getEpochs()).isEqualTo(4);
    assertThat(copy.getLearningRate()).isEqualTo(0.01);
    assertThat(estimator.getLearningRate()).isEqualTo(0.001);
    assertThat(estimator.explainParams()).contains("averagingFrequency", "validationFraction");

    String path = dir.resolve("estimator").toString();
    estimator.write().save(path);
    NeuralNetClassifier loaded = NeuralNetClassifier.load(path);
    assertThat(loaded.uid()).isEqualTo(estimator.uid());
    assertThat(loaded.getSyncMode()).isEqualTo("allreduce");
    assertThat(loaded.getEpochs()).isEqualTo(4);
  }

  @Test
  @Order(5)
  void worksInAPipelineAndItsModelPersists() throws Exception {
    Dataset<Row> columns = tabular(3000, 7);
    Pipeline pipeline =
        new Pipeline()
            .setStages(
                new PipelineStage[] {
                  new VectorAssembler()
                      .setInputCols(new String[] {"x1", "x2", "x3"})
                      .setOutputCol("raw"),
                  new StandardScaler().setInputCol("raw").setOutputCol("features"),
                  new NeuralNetClassifier()
                      .setEpochs(5)
                      .setBatchSize(32)
                      .setLearningRate(0.01)
                      .setNormalise("none")
                });
    PipelineModel fitted = pipeline.fit(columns);
    Dataset<Row> check = tabular(1000, 8);
    assertThat(accuracy(fitted.transform(check))).isGreaterThan(0.9);

    String path = dir.resolve("pipeline").toString();
    fitted.write().overwrite().save(path);
    PipelineModel loaded = PipelineModel.load(path);
    assertThat(loaded.stages()[2]).isInstanceOf(NeuralNetClassificationModel.class);
    assertThat(probabilities(loaded.transform(check)))
        .containsExactlyElementsOf(probabilities(fitted.transform(check)));
  }

  /** Three numeric columns and a 3-class label decided by two of them. */
  static Dataset<Row> tabular(int rows, long seed) {
    Random r = new Random(seed);
    List<Row> list = new ArrayList<>();
    for (int i = 0; i < rows; i++) {
      double x1 = r.nextGaussian() * 50 + 100;
      double x2 = r.nextGaussian() * 0.01;
      double x3 = r.nextGaussian();
      double score = (x1 - 100) / 50 + x2 / 0.01;
      double label = score < -0.5 ? 0 : score < 0.5 ? 1 : 2;
      list.add(RowFactory.create(x1, x2, x3, label));
    }
    StructType schema =
        new StructType()
            .add("x1", DataTypes.DoubleType)
            .add("x2", DataTypes.DoubleType)
            .add("x3", DataTypes.DoubleType)
            .add("label", DataTypes.DoubleType);
    return spark.createDataFrame(list, schema);
  }

  static List<Vector> probabilities(Dataset<Row> predictions) {
    return predictions.select("probability").collectAsList().stream()
        .map(r -> r.<Vector>getAs(0))
        .toList();
  }

  @Test
  @Order(6)
  void crossValidationPicksAModel() {
    NeuralNetClassifier estimator = new NeuralNetClassifier().setEpochs(1).setBatchSize(32);
    ParamMap[] grid =
        new ParamGridBuilder()
            .addGrid(estimator.learningRate(), new double[] {0.01, 0.0001})
            .build();
    CrossValidatorModel cv =
        new CrossValidator()
            .setEstimator(
                new Pipeline()
                    .setStages(
                        new PipelineStage[] {
                          new VectorAssembler()
                              .setInputCols(new String[] {"x1", "x2", "x3"})
                              .setOutputCol("features"),
                          estimator
                        }))
            .setEstimatorParamMaps(grid)
            .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy"))
            .setNumFolds(2)
            .setSeed(3)
            .fit(tabular(1200, 9));
    assertThat(cv.avgMetrics()).hasSize(2);
    assertThat(java.util.Arrays.stream(cv.avgMetrics())).allMatch(Double::isFinite);
    PipelineModel best = (PipelineModel) cv.bestModel();
    NeuralNetClassificationModel chosen = (NeuralNetClassificationModel) best.stages()[1];
    assertThat(chosen.getLearningRate())
        .isEqualTo(cv.avgMetrics()[0] >= cv.avgMetrics()[1] ? 0.01 : 0.0001);
  }

  @Test
  @Order(7)
  void aSavedModelPredictsIdenticallyInANewSession() throws Exception {
    List<Vector> before = probabilities(model.transform(test));
    String path = dir.resolve("model").toString();
    model.write().save(path);
    spark.stop();

    spark = startSpark();
    train = fashionMnist("train", 10);
    test = fashionMnist("t10k", 1000);
    NeuralNetClassificationModel loaded = NeuralNetClassificationModel.load(path);
    assertThat(loaded.uid()).isEqualTo(model.uid());
    assertThat(loaded.getEpochs()).isEqualTo(EPOCHS);
    assertThat(loaded.getNetwork()).isEqualTo(MLP);
    assertThat(probabilities(loaded.transform(test))).containsExactlyElementsOf(before);
    assertThat(loaded.history().count()).isEqualTo(EPOCHS);
    assertThat(loaded.evaluation().head().<Double>getAs("accuracy"))
        .isEqualTo(model.evaluation().head().<Double>getAs("accuracy"));
  }

  private static org.assertj.core.data.Offset<Double> within(double offset) {
    return org.assertj.core.data.Offset.offset(offset);
  }
}
