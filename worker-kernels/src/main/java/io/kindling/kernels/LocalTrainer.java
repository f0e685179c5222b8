package io.kindling.kernels;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The local training step: one minibatch forward, backward and update, on one network and one
 * optimizer whose state sits in a flat buffer beside the parameters. Input buffers are sized once
 * for the batch size and every temporary lives in a workspace, so a warm step allocates nothing.
 * The update touches only the network's trainable parameters; running statistics change only
 * through the forward pass.
 *
 * <p>{@link #exportState}/{@link #importState} move parameters and optimizer state as one vector
 * {@code [parameters | optimizer state]}: what synchronisation averages and checkpoints save.
 *
 * <p>A step's randomness (dropout) comes from a per-step seed, so the same inputs and seed give a
 * bit-identical step: a retried task recomputes exactly what the lost one did.
 */
public final class LocalTrainer {
  private final Network network;
  private final OptimizerSpec optimizer;
  private final int batchSize;
  private final int classes;
  private final long seed;
  private final INDArray optimizerState;
  private final int optimizerStateSize;
  private final UpdateRule rule;
  private final INDArray input;
  private final INDArray targets;
  private final float[] staging;
  private final float[] targetStaging;

  public LocalTrainer(Network network, OptimizerSpec optimizer, int batchSize) {
    this(network, optimizer, batchSize, 0);
  }

  /**
   * @param seed the trainer seed from which {@link #step(ExampleBlock, int[], int, int, int, int)}
   *     derives each step's seed
   */
  public LocalTrainer(Network network, OptimizerSpec optimizer, int batchSize, long seed) {
    if (network.trainable().length() == 0) {
      throw new IllegalArgumentException(
          "network " + network.spec().describe() + " has no trainable parameters");
    }
    this.network = network;
    this.optimizer = optimizer;
    this.batchSize = batchSize;
    this.seed = seed;
    this.classes = network.spec().outputSize();
    INDArray params = network.params();
    long trainable = network.trainable().length();
    this.optimizerStateSize = Math.toIntExact(optimizer.stateSize(trainable));
    this.optimizerState = Nd4j.create(params.dataType(), Math.max(1, optimizerStateSize));
    this.rule = optimizer.rule(optimizerStateSize == 0 ? null : optimizerState);
    int width = network.spec().inputSize();
    this.input = Nd4j.create(params.dataType(), batchSize, width);
    this.targets = Nd4j.create(params.dataType(), batchSize, classes);
    this.staging = new float[batchSize * width];
    this.targetStaging = new float[batchSize * classes];
  }

  public Network network() {
    return network;
  }

  public int batchSize() {
    return batchSize;
  }

  /** Length of the vector {@code [parameters | optimizer state]}. */
  public int stateSize() {
    return network.numParams() + optimizerStateSize;
  }

  public void exportState(float[] dst) {
    network.readParams(dst, 0);
    if (optimizerStateSize > 0) {
      HostCopy.toHost(optimizerState, dst, network.numParams());
    }
  }

  public void importState(float[] src) {
    if (src.length != stateSize()) {
      throw new IllegalArgumentException(
          "state vector has " + src.length + " values; this trainer needs " + stateSize());
    }
    network.writeParams(src, 0);
    if (optimizerStateSize > 0) {
      HostCopy.toDevice(src, network.numParams(), optimizerState);
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
    if (count <= 0 || count > batchSize) {
      throw new IllegalArgumentException("batch of " + count + " rows; batch size is " + batchSize);
    }
    block.gather(order, from, count, staging);
    HostCopy.toDevice(staging, 0, input);
    Arrays.fill(targetStaging, 0, count * classes, 0f);
    int[] labels = block.labels();
    for (int i = 0; i < count; i++) {
      int label = labels[order[from + i]];
      if (label < 0 || label >= classes) {
        throw new IllegalArgumentException(
            "row "
                + order[from + i]
                + " has label "
                + label
                + "; the network has "
                + classes
                + " classes");
      }
      targetStaging[i * classes + label] = 1f;
    }
    HostCopy.toDevice(targetStaging, 0, targets);
    double loss;
    try (var ws = Workspaces.training()) {
      INDArray x = count == batchSize ? input : input.get(NDArrayIndex.interval(0, count));
      INDArray y = count == batchSize ? targets : targets.get(NDArrayIndex.interval(0, count));
      loss = network.computeGradient(x, y, stepSeed);
      update(iteration, epoch);
    }
    return loss;
  }

  /** Clip, L2, update rule, decoupled decay: on the trainable parameters only. */
  private void update(int iteration, int epoch) {
    INDArray params = network.trainable();
    INDArray grad = network.gradients();
    if (optimizer.clipNorm() > 0) {
      double norm = grad.norm2Number().doubleValue();
      if (norm > optimizer.clipNorm()) {
        grad.muli(optimizer.clipNorm() / norm);
      }
    }
    if (optimizer.l2() > 0) {
      grad.addi(params.mul(optimizer.l2()));
    }
    rule.apply(grad, iteration, epoch);
    params.subi(grad);
    if (optimizer.kind() == OptimizerSpec.Kind.ADAMW && optimizer.weightDecay() > 0) {
      params.muli(1.0 - optimizer.learningRate(iteration) * optimizer.weightDecay());
    }
  }
}
