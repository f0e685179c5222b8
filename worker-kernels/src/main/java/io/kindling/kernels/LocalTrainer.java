package io.kindling.kernels;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.GradientUpdater;

/**
 * The local training step: one minibatch forward, backward and update, on one network and one
 * optimizer whose state sits in a flat buffer beside the parameters. Input buffers are sized once
 * for the batch size and every temporary lives in a workspace, so a warm step allocates nothing.
 *
 * <p>{@link #exportState}/{@link #importState} move parameters and optimizer state as one vector
 * {@code [parameters | optimizer state]}: what synchronisation averages and checkpoints save.
 */
public final class LocalTrainer {
  private final Network network;
  private final OptimizerSpec optimizer;
  private final int batchSize;
  private final int classes;
  private final INDArray optimizerState;
  private final GradientUpdater<?> updater;
  private final INDArray input;
  private final INDArray targets;
  private final float[] staging;
  private final float[] targetStaging;

  public LocalTrainer(Network network, OptimizerSpec optimizer, int batchSize) {
    this.network = network;
    this.optimizer = optimizer;
    this.batchSize = batchSize;
    this.classes = network.spec().outputSize();
    var config = optimizer.updater();
    long stateSize = config.stateSize(network.numParams());
    INDArray params = network.params();
    this.optimizerState = Nd4j.create(params.dataType(), Math.max(1, stateSize));
    // Stateless rules (plain SGD) refuse a view; the others keep theirs in the flat buffer.
    this.updater =
        config.instantiate(stateSize == 0 ? null : optimizerState.reshape(1, stateSize), true);
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
    return network.numParams() + optimizerStateSize();
  }

  private int optimizerStateSize() {
    return Math.toIntExact(optimizer.updater().stateSize(network.numParams()));
  }

  public void exportState(float[] dst) {
    network.readParams(dst, 0);
    if (optimizerStateSize() > 0) {
      HostCopy.toHost(optimizerState, dst, network.numParams());
    }
  }

  public void importState(float[] src) {
    if (src.length != stateSize()) {
      throw new IllegalArgumentException(
          "state vector has " + src.length + " values; this trainer needs " + stateSize());
    }
    network.writeParams(src, 0);
    if (optimizerStateSize() > 0) {
      HostCopy.toDevice(src, network.numParams(), optimizerState);
    }
  }

  /**
   * Trains on rows {@code order[from, from + count)} of the block.
   *
   * @param iteration the global step number (0-based): Adam's bias correction depends on it
   * @return the mean loss of the batch before the update
   */
  public double step(
      ExampleBlock block, int[] order, int from, int count, int iteration, int epoch) {
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
      loss = network.computeGradient(x, y);
      INDArray params = network.params();
      INDArray grad = network.gradients();
      if (optimizer.l2() > 0) {
        grad.addi(params.mul(optimizer.l2()));
      }
      updater.applyUpdater(grad, iteration, epoch);
      params.subi(grad);
      if (optimizer.kind() == OptimizerSpec.Kind.ADAMW && optimizer.weightDecay() > 0) {
        params.muli(1.0 - optimizer.learningRate() * optimizer.weightDecay());
      }
    }
    return loss;
  }
}
