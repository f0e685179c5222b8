package io.kindling.sync;

import io.kindling.kernels.LocalTrainer;
import io.kindling.kernels.Network;
import io.kindling.kernels.NetworkSpec;
import io.kindling.kernels.OptimizerSpec;
import java.io.Serializable;

/**
 * What every worker needs to train: the network, the optimizer, the batch size, its BLAS threads
 * and the seed from which every shuffle derives.
 */
public record TrainingPlan(
    NetworkSpec network, OptimizerSpec optimizer, int batchSize, int threadsPerWorker, long seed)
    implements Serializable {

  public TrainingPlan {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
    }
    if (threadsPerWorker <= 0) {
      throw new IllegalArgumentException(
          "threads per worker must be positive, got " + threadsPerWorker);
    }
  }

  /**
   * The state {@code [parameters | optimizer state]} a fresh run starts from, whatever the
   * strategy: parameters initialised from the seed, optimizer state zero.
   */
  float[] initialState() {
    LocalTrainer trainer = new LocalTrainer(Network.create(network, seed), optimizer, 1);
    float[] state = new float[trainer.stateSize()];
    trainer.exportState(state);
    return state;
  }

  /** Minibatch steps in one pass over a partition of the given size. */
  public int stepsPerEpoch(int partitionSize) {
    return stepsPerEpoch(partitionSize, batchSize);
  }

  /**
   * Rows a partition of {@code partitionSize} rows trains on in step {@code step} of an epoch: a
   * whole batch but for the epoch's last step, none after it.
   */
  int rowsInStep(int partitionSize, int step) {
    return Math.max(0, Math.min(batchSize, partitionSize - step * batchSize));
  }

  /** Minibatch steps in one pass over {@code partitionSize} examples at {@code batchSize}. */
  public static int stepsPerEpoch(int partitionSize, int batchSize) {
    return (partitionSize + batchSize - 1) / batchSize;
  }
}
