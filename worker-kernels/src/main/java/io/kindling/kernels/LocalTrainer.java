package io.kindling.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The local training step: one minibatch forward and backward ({@link MinibatchGradient}), then the
 * update of the whole network by an optimizer whose state sits in a flat buffer beside the
 * parameters. Every temporary lives in a workspace, so a warm step allocates nothing. The update
 * touches only the network's trainable parameters; running statistics change only through the
 * forward pass. With several threads each updates its own range of the parameters (see {@link
 * MinibatchGradient}), with its own share of the optimizer state: every rule is element-wise, so
 * the update is the same however many ranges it is cut into.
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
  private final long seed;

  /** The update of range t of the trainable parameters; null for an empty range. */
  private final ParameterUpdate[] updates;

  private final long[] bounds;
  private final INDArray[] parameterRanges;
  private final INDArray[] gradientRanges;

  private final boolean clips;

  /** The step's update, handed to {@link MinibatchGradient} to run on every thread. */
  private final Update step = new Update();

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
    this.seed = seed;
    this.clips = optimizer.clipNorm() > 0;
    this.bounds = gradient.rangeBounds();
    int ranges = bounds.length - 1;
    this.updates = new ParameterUpdate[ranges];
    this.parameterRanges = new INDArray[ranges];
    this.gradientRanges = new INDArray[ranges];
    for (int t = 0; t < ranges; t++) {
      if (bounds[t] < bounds[t + 1]) {
        updates[t] =
            ParameterUpdate.create(
                optimizer, bounds[t + 1] - bounds[t], network.params().dataType());
        parameterRanges[t] = range(network.trainable(), t);
        gradientRanges[t] = range(network.gradients(), t);
      }
    }
  }

  /** Range t of a vector as long as the trainable parameters; the vector itself when whole. */
  private INDArray range(INDArray vector, int t) {
    return bounds[t] == 0 && bounds[t + 1] == vector.length()
        ? vector
        : vector.get(NDArrayIndex.interval(bounds[t], bounds[t + 1]));
  }

  public Network network() {
    return network;
  }

  public int batchSize() {
    return gradient.batchSize();
  }

  /** Length of the vector {@code [parameters | optimizer state]}. */
  public int stateSize() {
    int size = network.numParams();
    for (ParameterUpdate update : updates) {
      size += update == null ? 0 : update.stateSize();
    }
    return size;
  }

  public void exportState(float[] dst) {
    network.readParams(dst, 0);
    for (int t = 0; t < updates.length; t++) {
      if (updates[t] != null) {
        updates[t].exportState(dst, stateOffset(t), network.numTrainableParams());
      }
    }
  }

  /** Where range t's optimizer state starts in the state vector (its first component's place). */
  private int stateOffset(int t) {
    return network.numParams() + Math.toIntExact(bounds[t]);
  }

  public void importState(float[] src) {
    if (src.length != stateSize()) {
      throw new IllegalArgumentException(
          "state vector has " + src.length + " values; this trainer needs " + stateSize());
    }
    network.writeParams(src, 0);
    for (int t = 0; t < updates.length; t++) {
      if (updates[t] != null) {
        updates[t].importState(src, stateOffset(t), network.numTrainableParams());
      }
    }
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
    step.iteration = iteration;
    step.epoch = epoch;
    try (var ws = Workspaces.training()) {
      return gradient.computeInWorkspace(block, order, from, count, stepSeed, step);
    }
  }

  /** The optimizer's update of one range, on the thread that combined its gradient. */
  private final class Update implements MinibatchGradient.RangeWork {
    private int iteration;
    private int epoch;

    @Override
    public boolean needsGradientNorm() {
      return clips;
    }

    @Override
    public void apply(int range, double gradientNorm) {
      updates[range].apply(
          parameterRanges[range], gradientRanges[range], gradientNorm, iteration, epoch);
    }
  }
}
