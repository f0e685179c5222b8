package io.kindling.kernels;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The gradient of one minibatch: forward and backward through a network into its flat gradient
 * buffer, leaving the trainable parameters as they are (running statistics move with the forward
 * pass). {@link LocalTrainer} follows it with the update of the whole network; a sharded all-reduce
 * first sums it over the workers. Input buffers are sized once for the batch size and every
 * temporary lives in the training workspace, so a warm call allocates nothing.
 */
public final class MinibatchGradient {
  private final Network network;
  private final int batchSize;
  private final int classes;
  private final INDArray input;
  private final INDArray targets;
  private final float[] staging;
  private final float[] targetStaging;

  public MinibatchGradient(Network network, int batchSize) {
    this.network = network;
    this.batchSize = batchSize;
    this.classes = network.spec().outputSize();
    int width = network.spec().inputSize();
    this.input = Nd4j.create(network.params().dataType(), batchSize, width);
    this.targets = Nd4j.create(network.params().dataType(), batchSize, classes);
    this.staging = new float[batchSize * width];
    this.targetStaging = new float[batchSize * classes];
  }

  public Network network() {
    return network;
  }

  public int batchSize() {
    return batchSize;
  }

  /**
   * Fills the network's gradient buffer (see {@link Network#readGradients}) with the gradient of
   * the mean loss over rows {@code order[from, from + count)} of the block, drawing the step's
   * randomness (dropout masks) from {@code stepSeed} alone.
   *
   * @return the mean loss of the batch
   */
  public double compute(ExampleBlock block, int[] order, int from, int count, long stepSeed) {
    try (var ws = Workspaces.training()) {
      return computeInWorkspace(block, order, from, count, stepSeed);
    }
  }

  /** {@link #compute} for a caller that holds the training workspace open for more work. */
  double computeInWorkspace(ExampleBlock block, int[] order, int from, int count, long stepSeed) {
    if (count <= 0 || count > batchSize) {
      throw new IllegalArgumentException("batch of " + count + " rows; batch size is " + batchSize);
    }
    block.gather(order, from, count, staging);
    HostCopy.toDevice(staging, 0, input);
    if (block.isRegression()) {
      stageTargets(block.targets(), order, from, count);
    } else {
      stageOneHot(block.labels(), order, from, count);
    }
    HostCopy.toDevice(targetStaging, 0, targets);
    INDArray x = count == batchSize ? input : input.get(NDArrayIndex.interval(0, count));
    INDArray y = count == batchSize ? targets : targets.get(NDArrayIndex.interval(0, count));
    return network.computeGradient(x, y, stepSeed);
  }

  private void stageTargets(float[] values, int[] order, int from, int count) {
    if (classes != 1) {
      throw new IllegalArgumentException(
          "regression targets are one value per example; the network has "
              + classes
              + " outputs (end it with a dense layer of 1 unit)");
    }
    for (int i = 0; i < count; i++) {
      targetStaging[i] = values[order[from + i]];
    }
  }

  private void stageOneHot(int[] labels, int[] order, int from, int count) {
    Arrays.fill(targetStaging, 0, count * classes, 0f);
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
  }
}
