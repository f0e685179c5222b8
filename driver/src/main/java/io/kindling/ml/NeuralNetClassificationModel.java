package io.kindling.ml;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import scala.Tuple3;

/**
 * A trained {@link NeuralNetClassifier}. {@link #transform} adds the predicted class, the class
 * probabilities and, as raw prediction, their natural logs (the logits up to a per-row constant);
 * it predicts a partition's rows in chunks with the normaliser of training applied first.
 */
public final class NeuralNetClassificationModel
    extends ProbabilisticClassificationModel<Vector, NeuralNetClassificationModel>
    implements NeuralNetParams, MLWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final TrainedNetwork network;

  NeuralNetClassificationModel(String uid, TrainedNetwork network) {
    this(PendingUid.hold(uid), network);
  }

  private NeuralNetClassificationModel(PendingUid uid, TrainedNetwork network) {
    this.uid = uid.release();
    this.network = network;
    ParamDefaults.set(this);
  }

  @Override
  public String uid() {
    return uid != null ? uid : PendingUid.current();
  }

  @Override
  public int numClasses() {
    return network.spec().outputSize();
  }

  @Override
  public int numFeatures() {
    return network.spec().inputSize();
  }

  /** The network, as {@code model.json} writes it: the form {@code setNetwork} takes. */
  public String networkJson() {
    return network.spec().toJson().toString();
  }

  @Override
  public StructType transformSchema(StructType schema) {
    FeatureColumn.require(schema, getFeaturesCol(), this);
    return super.transformSchema(schema);
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    StructType in = dataset.schema();
    StructType out = transformSchema(in);
    List<BatchPredictor.Output> outputs = new ArrayList<>();
    for (int i = in.size(); i < out.size(); i++) {
      String name = out.fields()[i].name();
      outputs.add(
          name.equals(getPredictionCol())
              ? BatchPredictor.Output.PREDICTION
              : name.equals(getProbabilityCol())
                  ? BatchPredictor.Output.PROBABILITY
                  : BatchPredictor.Output.RAW_PREDICTION);
    }
    double[] thresholds = isDefined(thresholds()) ? getThresholds() : null;
    if (thresholds != null && thresholds.length != numClasses()) {
      throw new IllegalArgumentException(
          uid
              + ": "
              + thresholds.length
              + " thresholds for "
              + numClasses()
              + " classes; give one per class");
    }
    JavaSparkContext spark =
        JavaSparkContext.fromSparkContext(dataset.sparkSession().sparkContext());
    return dataset
        .toDF()
        .mapPartitions(
            new BatchPredictor(
                spark.broadcast(network.scorer()),
                in.fieldIndex(getFeaturesCol()),
                getFeaturesCol(),
                outputs,
                thresholds),
            Encoders.row(out));
  }

  /** Log probabilities of one example; {@link #transform} predicts many at a time. */
  @Override
  public Vector predictRaw(Vector features) {
    NetworkScorer scorer = network.scorer();
    float[] x = new float[features.size()];
    double[] values = features.toArray();
    for (int j = 0; j < x.length; j++) {
      x[j] = (float) values[j];
    }
    float[] p = scorer.outputs(scorer.network(), x, 1);
    double[] raw = new double[p.length];
    for (int c = 0; c < p.length; c++) {
      raw[c] = BatchPredictor.logProbability(p[c]);
    }
    return Vectors.dense(raw);
  }

  @Override
  public Vector raw2probabilityInPlace(Vector rawPrediction) {
    DenseVector dense = (DenseVector) rawPrediction;
    double[] values = dense.values();
    for (int c = 0; c < values.length; c++) {
      values[c] = Math.exp(values[c]);
    }
    ProbabilisticClassificationModel.normalizeToProbabilitiesInPlace(dense);
    return dense;
  }

  /**
   * One row per epoch: {@code epoch}, {@code train_loss}, {@code examples_per_second}, the
   * validation scores and the other figures of the run's {@code metrics.jsonl}.
   */
  public Dataset<Row> history() {
    return RunFrames.history(network.history());
  }

  /**
   * The final model's scores on the validation split (on the training rows when {@code
   * validationFraction} is 0), one row: examples, accuracy, macro and weighted F1, top-3 accuracy,
   * log loss.
   */
  public Dataset<Row> evaluation() {
    return RunFrames.metrics(network.evaluation());
  }

  /** Per class, on the same rows as {@link #evaluation()}: precision, recall, F1 and support. */
  public Dataset<Row> classMetrics() {
    return RunFrames.classMetrics(network.evaluation());
  }

  /** On the same rows as {@link #evaluation()}: the count of each (actual, predicted) pair. */
  public Dataset<Row> confusionMatrix() {
    return RunFrames.confusionMatrix(network.evaluation());
  }

  @Override
  public NeuralNetClassificationModel copy(ParamMap extra) {
    return copyValues(new NeuralNetClassificationModel(uid, network), extra).setParent(parent());
  }

  @Override
  public MLWriter write() {
    return new ModelFolder.Writer(this, network);
  }

  public static MLReader<NeuralNetClassificationModel> read() {
    return new ModelFolder.Reader<>(
        NeuralNetClassificationModel.class, NeuralNetClassificationModel::new);
  }

  public static NeuralNetClassificationModel load(String path) {
    return read().load(path);
  }

  /**
   * Both of Spark's classification model classes declare this, with tuple types Java cannot tell
   * apart; the probabilistic one is the one that applies.
   */
  @Override
  @SuppressWarnings({"rawtypes", "unchecked"})
  public Tuple3 findSummaryModel() {
    return super.findSummaryModel();
  }

  @Override
  public String toString() {
    return "NeuralNetClassificationModel: uid="
        + uid
        + ", network="
        + network.spec().describe()
        + ", numClasses="
        + numClasses()
        + ", numFeatures="
        + numFeatures()
        + (isDefined(thresholds()) ? ", thresholds=" + Arrays.toString(getThresholds()) : "");
  }
}
