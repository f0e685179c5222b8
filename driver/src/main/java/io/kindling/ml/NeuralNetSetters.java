package io.kindling.ml;

/**
 * The setters of {@link NeuralNetParams}, each returning the estimator itself, shared by {@link
 * NeuralNetClassifier} and {@link NeuralNetRegressor}.
 *
 * @param <E> the estimator
 */
public interface NeuralNetSetters<E extends NeuralNetSetters<E>> extends NeuralNetParams {

  @SuppressWarnings("unchecked")
  private E with(org.apache.spark.ml.param.Param<?> param, Object value) {
    set(param.name(), value);
    return (E) this;
  }

  default E setNetwork(String value) {
    return with(network(), value);
  }

  default E setEpochs(int value) {
    return with(epochs(), value);
  }

  default E setBatchSize(int value) {
    return with(batchSize(), value);
  }

  default E setOptimizer(String value) {
    return with(optimizer(), value);
  }

  default E setLearningRate(double value) {
    return with(learningRate(), value);
  }

  default E setSyncMode(String value) {
    return with(syncMode(), value);
  }

  default E setAveragingFrequency(int value) {
    return with(averagingFrequency(), value);
  }

  default E setWorkers(int value) {
    return with(workers(), value);
  }

  default E setValidationFraction(double value) {
    return with(validationFraction(), value);
  }

  default E setNormalise(String value) {
    return with(normalise(), value);
  }

  default E setPerFeature(boolean value) {
    return with(perFeature(), value);
  }

  default E setSeed(long value) {
    return with(seed(), value);
  }

  default E setCheckpointDir(String value) {
    return with(checkpointDir(), value);
  }

  default E setRunDir(String value) {
    return with(runDir(), value);
  }
}
