package io.kindling.ml;

import io.kindling.kernels.NetworkSpec;
import org.apache.spark.ml.classification.ProbabilisticClassifier;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.types.StructType;

/**
 * Trains a neural network classifier with Kindling's distributed trainer: the examples of a vector
 * column and class numbers 0..k-1 in a label column, split across {@code workers} Spark tasks and
 * combined by parameter averaging or all-reduce, exactly as {@code kindling train} would with the
 * same settings.
 *
 * <pre>{@code
 * NeuralNetClassificationModel model = new NeuralNetClassifier()
 *     .setNetwork("{layers = [{type = dense, units = 256, activation = relu}, {type = dense, units = 10}]}")
 *     .setEpochs(5)
 *     .fit(train);
 * model.transform(test).select("prediction", "probability");
 * }</pre>
 */
public final class NeuralNetClassifier
    extends ProbabilisticClassifier<Vector, NeuralNetClassifier, NeuralNetClassificationModel>
    implements NeuralNetSetters<NeuralNetClassifier>, DefaultParamsWritable {
  private static final long serialVersionUID = 1L;

  /** The most classes the default network infers from the labels. */
  static final int MAX_CLASSES = 1000;

  private final String uid;

  public NeuralNetClassifier() {
    this(Identifiable.randomUID("nnClassifier"));
  }

  public NeuralNetClassifier(String uid) {
    this(PendingUid.hold(uid));
  }

  private NeuralNetClassifier(PendingUid uid) {
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
  public NeuralNetClassificationModel train(Dataset<?> dataset) {
    String features = getFeaturesCol();
    NetworkDeclaration network =
        NetworkDeclaration.resolve(
            getNetwork(),
            () -> NetworkFit.featureWidth(dataset, features),
            () -> getNumClasses(dataset, MAX_CLASSES),
            "softmax-cross-entropy");
    NetworkSpec spec = network.spec();
    if (!spec.loss().isClassification()) {
      throw new IllegalArgumentException(
          "network: loss "
              + spec.loss().configName()
              + " is for regression; a classifier needs softmax-cross-entropy (or use"
              + " NeuralNetRegressor)");
    }
    return new NeuralNetClassificationModel(
        uid, NetworkFit.run(this, dataset, features, getLabelCol(), network, spec.outputSize()));
  }

  @Override
  public NeuralNetClassifier copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  public static MLReader<NeuralNetClassifier> read() {
    return new DefaultParamsReader<>();
  }

  public static NeuralNetClassifier load(String path) {
    return read().load(path);
  }
}
