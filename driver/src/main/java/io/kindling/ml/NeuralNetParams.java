package io.kindling.ml;

import java.util.List;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.Params;

/**
 * The training parameters {@link NeuralNetClassifier} and {@link NeuralNetRegressor} share, and
 * their models carry. Each maps to one key of a Kindling job configuration, so a fit trains exactly
 * as {@code kindling train} would with those settings.
 *
 * <p>A {@link Param} is a value, equal to another with the same owner and name, so each accessor
 * here makes its own: Java interfaces hold no fields.
 */
public interface NeuralNetParams extends Params {
  /** The optimizers {@link #optimizer()} accepts. */
  List<String> OPTIMIZERS =
      List.of("sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop", "adagrad");

  /** The synchronisation modes {@link #syncMode()} accepts. */
  List<String> SYNC_MODES = List.of("averaging", "ring-averaging", "allreduce");

  /** The normalisations {@link #normalise()} accepts. */
  List<String> NORMALISATIONS = List.of("none", "standard", "min-max", "minmax");

  /** Param for the network declaration. */
  default Param<String> network() {
    return new Param<>(
        this,
        "network",
        "the network as JSON or HOCON, as model.json's \"network\" and a job file's model section"
            + " write it: {input = [784], layers = [{type = dense, units = 10}], loss ="
            + " softmax-cross-entropy}; input may be left out (it is then the features' size);"
            + " empty: one dense ReLU layer of 128 units and a dense output layer");
  }

  /** Param for the number of passes over the training data. */
  default IntParam epochs() {
    return new IntParam(
        this, "epochs", "passes over the training data (> 0)", ParamValidators.gt(0));
  }

  /** Param for the examples per local step, per worker. */
  default IntParam batchSize() {
    return new IntParam(
        this, "batchSize", "examples per local step, per worker (> 0)", ParamValidators.gt(0));
  }

  /** Param for the optimizer. */
  default Param<String> optimizer() {
    return new Param<>(
        this,
        "optimizer",
        "the optimizer: " + String.join(", ", OPTIMIZERS),
        ParamValidators.inArray(OPTIMIZERS));
  }

  /** Param for the optimizer's step size. */
  default DoubleParam learningRate() {
    return new DoubleParam(
        this, "learningRate", "the optimizer's step size (> 0)", ParamValidators.gt(0));
  }

  /** Param for how workers combine their work. */
  default Param<String> syncMode() {
    return new Param<>(
        this,
        "syncMode",
        "how workers combine their work: averaging (parameters averaged through the driver every"
            + " averagingFrequency steps), ring-averaging (the same averages computed among the"
            + " workers in one barrier stage per epoch: faster; needs all workers at once) or"
            + " allreduce (gradients summed among the workers every step)",
        ParamValidators.inArray(SYNC_MODES));
  }

  /** Param for the local steps between two parameter averagings. */
  default IntParam averagingFrequency() {
    return new IntParam(
        this,
        "averagingFrequency",
        "local steps between two parameter averagings (> 0)",
        ParamValidators.gt(0));
  }

  /** Param for the number of training partitions. */
  default IntParam workers() {
    return new IntParam(
        this,
        "workers",
        "training partitions, one per worker task; 0 = the cluster's task slots",
        ParamValidators.gtEq(0));
  }

  /** Param for the fraction of the data held out to validate every epoch. */
  default DoubleParam validationFraction() {
    return new DoubleParam(
        this,
        "validationFraction",
        "fraction of the rows held out (seeded) to validate every epoch and to score the final"
            + " model; 0 = none, the final model is then scored on the training rows",
        ParamValidators.inRange(0, 1, true, false));
  }

  /** Param for how features are rescaled before the network. */
  default Param<String> normalise() {
    return new Param<>(
        this,
        "normalise",
        "how features are rescaled before the network, fitted on the training rows and saved with"
            + " the model: none, standard (zero mean, unit variance) or min-max (to 0..1)",
        ParamValidators.inArray(NORMALISATIONS));
  }

  /** Param for one shift and scale per feature, or one for all. */
  default BooleanParam perFeature() {
    return new BooleanParam(
        this,
        "perFeature",
        "normalise each feature on its own (true), or all features with one shift and scale");
  }

  /** Param for the seed every random choice derives from. */
  default LongParam seed() {
    return new LongParam(
        this,
        "seed",
        "every random choice (initialisation, split, partitioning, shuffles) derives from it");
  }

  /** Param for the checkpoint folder. */
  default Param<String> checkpointDir() {
    return new Param<>(
        this,
        "checkpointDir",
        "folder for a checkpoint after every epoch, any Hadoop path; empty = no checkpoints");
  }

  /** Param for the run folder. */
  default Param<String> runDir() {
    return new Param<>(
        this,
        "runDir",
        "run folder (config.conf, metrics.jsonl, model/, summary.json), any Hadoop path; empty ="
            + " a temporary folder, deleted when the fit ends");
  }

  default String getNetwork() {
    return getOrDefault(network());
  }

  default int getEpochs() {
    return (Integer) getOrDefault(epochs());
  }

  default int getBatchSize() {
    return (Integer) getOrDefault(batchSize());
  }

  default String getOptimizer() {
    return getOrDefault(optimizer());
  }

  default double getLearningRate() {
    return (Double) getOrDefault(learningRate());
  }

  default String getSyncMode() {
    return getOrDefault(syncMode());
  }

  default int getAveragingFrequency() {
    return (Integer) getOrDefault(averagingFrequency());
  }

  default int getWorkers() {
    return (Integer) getOrDefault(workers());
  }

  default double getValidationFraction() {
    return (Double) getOrDefault(validationFraction());
  }

  default String getNormalise() {
    return getOrDefault(normalise());
  }

  default boolean getPerFeature() {
    return (Boolean) getOrDefault(perFeature());
  }

  default long getSeed() {
    return (Long) getOrDefault(seed());
  }

  default String getCheckpointDir() {
    return getOrDefault(checkpointDir());
  }

  default String getRunDir() {
    return getOrDefault(runDir());
  }
}
