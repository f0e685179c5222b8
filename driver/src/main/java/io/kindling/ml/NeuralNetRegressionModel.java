package io.kindling.ml;

import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.regression.RegressionModel;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A trained {@link NeuralNetRegressor}. {@link #transform} adds the predicted value, predicting a
 * partition's rows in chunks with the normaliser of training applied first.
 */
public final class NeuralNetRegressionModel
    extends RegressionModel<Vector, NeuralNetRegressionModel>
    implements NeuralNetParams, MLWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;
  private final TrainedNetwork network;

  NeuralNetRegressionModel(String uid, TrainedNetwork network) {
    this(PendingUid.hold(uid), network);
  }

  private NeuralNetRegressionModel(PendingUid uid, TrainedNetwork network) {
    this.uid = uid.release();
    this.network = network;
    ParamDefaults.set(this);
  }

  @Override
  public String uid() {
    return uid != null ? uid : PendingUid.current();
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
    if (out.size() == in.size()) {
      return dataset.toDF(); // predictionCol is empty: nothing to add
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
                List.of(BatchPredictor.Output.PREDICTION),
                null),
            Encoders.row(out));
  }

  /** The value for one example; {@link #transform} predicts many at a time. */
  @Override
  public double predict(Vector features) {
    NetworkScorer scorer = network.scorer();
    double[] values = features.toArray();
    float[] x = new float[values.length];
    for (int j = 0; j < x.length; j++) {
      x[j] = (float) values[j];
    }
    return scorer.outputs(scorer.network(), x, 1)[0];
  }

  /** One row per epoch, as {@link NeuralNetClassificationModel#history()}. */
  public Dataset<Row> history() {
    return RunFrames.history(network.history());
  }

  /**
   * The final model's scores on the validation split (on the training rows when {@code
   * validationFraction} is 0), one row: examples, mse, rmse, mae, r2.
   */
  public Dataset<Row> evaluation() {
    return RunFrames.metrics(network.evaluation());
  }

  @Override
  public NeuralNetRegressionModel copy(ParamMap extra) {
    return copyValues(new NeuralNetRegressionModel(uid, network), extra).setParent(parent());
  }

  @Override
  public MLWriter write() {
    return new ModelFolder.Writer(this, network);
  }

  public static MLReader<NeuralNetRegressionModel> read() {
    return new ModelFolder.Reader<>(NeuralNetRegressionModel.class, NeuralNetRegressionModel::new);
  }

  public static NeuralNetRegressionModel load(String path) {
    return read().load(path);
  }

  @Override
  public String toString() {
    return "NeuralNetRegressionModel: uid="
        + uid
        + ", network="
        + network.spec().describe()
        + ", numFeatures="
        + numFeatures();
  }
}
