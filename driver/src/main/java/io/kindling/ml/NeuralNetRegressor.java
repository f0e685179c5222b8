package io.kindling.ml;

import io.kindling.kernels.NetworkSpec;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.regression.Regressor;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.types.StructType;

/**
 * Trains a neural network on a real-valued label with Kindling's distributed trainer, exactly as
 * {@code kindling train} would with {@code data.classes = 0}. The network ends in one output; the
 * default network's loss is mean squared error.
 */
public final class NeuralNetRegressor
    extends Regressor<Vector, NeuralNetRegressor, NeuralNetRegressionModel>
    implements NeuralNetSetters<NeuralNetRegressor>, DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  private final String uid;

  public NeuralNetRegressor() {
    this(Identifiable.randomUID("nnRegressor"));
  }

  public NeuralNetRegressor(String uid) {
    this(PendingUid.hold(uid));
  }

  private NeuralNetRegressor(PendingUid uid) {
    this.uid = uid.release();
    ParamDefaults.set(this);
  }

  @Override
  public String uid() {
    return uid != null ? uid : PendingUid.current();
  }

  @Override
  public StructType transformSchema(StructType schema) {
    FeatureColumn.require(schema, getFeaturesCol(), this);
    return super.transformSchema(schema);
  }

  @Override
  public NeuralNetRegressionModel train(Dataset<?> dataset) {
    String features = getFeaturesCol();
    NetworkDeclaration network =
        NetworkDeclaration.resolve(
            getNetwork(),
            () -> NetworkFit.featureWidth(dataset, features),
            () -> 1,
            "mean-squared-error");
    NetworkSpec spec = network.spec();
    if (spec.loss().isClassification() || spec.outputSize() != 1) {
      throw new IllegalArgumentException(
          "network: a regressor needs one output and a regression loss (mean-squared-error or"
              + " huber), got "
              + spec.outputSize()
              + " outputs and "
              + spec.loss().configName());
    }
    return new NeuralNetRegressionModel(
        uid, NetworkFit.run(this, dataset, features, getLabelCol(), network, 0));
  }

  @Override
  public NeuralNetRegressor copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  public static MLReader<NeuralNetRegressor> read() {
    return new DefaultParamsReader<>();
  }

  public static NeuralNetRegressor load(String path) {
    return read().load(path);
  }
}
