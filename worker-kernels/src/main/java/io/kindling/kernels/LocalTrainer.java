package io.kindling.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The local training step: one minibatch forward and backward ({@link MinibatchGradient}), then the
 * update of the whole network by an optimizer whose state sits in a flat buffer beside the
 * parameters. Every temporary lives in a workspace, so a warm step allocates nothing. The update
 * touches only the network's trainable parameters; running statistics change only through the
 * forward pass.
 *
 * <p>{@link #exportState}/{@link #importState} move parameters and optimizer state as one vector
 * {@code [parameters | optimizer state]}: what synchronisation averages and checkpoints save.
 *
 * <p>A step's randomness (dropout) comes from a per-step seed, so the same inputs and seed give a
 * bit-identical step: a retried task recomputes exactly what the lost one did.
 */
public final class LocalTrainer {
  private final Network network;
  private final MinibatchGradient gradient;
  private final ParameterUpdate update;
  private final long seed;

  public LocalTrainer(Network network, OptimizerSpec optimizer, int batchSize) {
    this(network, optimizer, batchSize, 0);
  }

  /**
   * @param seed the trainer seed from which {@link #step(ExampleBlock, int[], int, int, int, int)}
   *     derives each step's seed
   */
  public LocalTrainer(Network network, OptimizerSpec optimizer, int batchSize, long seed) {
    this(network, optimizer, batchSize, seed, 1);
  }

  /**
   * @param threads how many threads share each minibatch (see {@link MinibatchGradient})
   */
  public LocalTrainer(
      Network network, OptimizerSpec optimizer, int batchSize, long seed, int threads) {
    if (network.trainable().length() == 0) {
      throw new IllegalArgumentException(
          "network " + network.spec().describe() + " has no trainable parameters");
    }
    this.network = network;
    this.gradient = new MinibatchGradient(network, batchSize, threads);
    this.update =
        ParameterUpdate.create(
            optimizer, network.trainable().length(), network.params().dataType());
    this.seed = seed;
  }

  public Network network() {
    return network;
  }

  public int batchSize() {
    return gradient.batchSize();
  }

  /** Length of the vector {@code [parameters | optimizer state]}. */
  public int stateSize() {
    return network.numParams() + update.stateSize();
  }

  public void exportState(float[] dst) {
    network.readParams(dst, 0);
    update.exportState(dst, network.numParams());
  }

  public void importState(float[] src) {
    if (src.length != stateSize()) {
      throw new IllegalArgumentException(
          "state vector has " + src.length + " values; this trainer needs " + stateSize());
    }
    network.writeParams(src, 0);
    update.importState(src, network.numParams());
  }

  /** The seed of step {@code iteration} of a trainer seeded with {@code seed}. */
  public static long stepSeed(long seed, long iteration) {
    // SplitMix64's finaliser: neighbouring steps get unrelated seeds.
    long z = seed * 0x9E3779B97F4A7C15L + iteration + 0x632BE59BD9B4E019L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /**
   * Trains on rows {@code order[from, from + count)} of the block, with the step seed derived from
   * this trainer's seed and {@code iteration} (see {@link #stepSeed}).
   *
   * @param iteration the global step number (0-based): Adam's bias correction and the learning-rate
   *     schedule depend on it
   * @return the mean loss of the batch before the update
   */
  public double step(
      ExampleBlock block, int[] order, int from, int count, int iteration, int epoch) {
    return step(block, order, from, count, iteration, epoch, stepSeed(seed, iteration));
  }

  /**
   * Trains on rows {@code order[from, from + count)} of the block, drawing the step's randomness
   * (dropout masks) from {@code stepSeed} alone.
   *
   * @return the mean loss of the batch before the update
   */
  public double step(
      ExampleBlock block,
      int[] order,
      int from,
      int count,
      int iteration,
      int epoch,
      long stepSeed) {
    try (var ws = Workspaces.training()) {
      double loss = gradient.computeInWorkspace(block, order, from, count, stepSeed);
      INDArray grad = network.gradients();
      double norm = update.needsGradientNorm() ? grad.norm2Number().doubleValue() : 0;
      update.apply(network.trainable(), grad, norm, iteration, epoch);
      return loss;
    }
  }
}
