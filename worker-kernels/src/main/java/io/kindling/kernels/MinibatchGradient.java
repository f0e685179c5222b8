package io.kindling.kernels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The gradient of one minibatch: forward and backward through a network into its flat gradient
 * buffer, leaving the trainable parameters as they are (running statistics move with the forward
 * pass). {@link LocalTrainer} follows it with the update of the whole network; a sharded all-reduce
 * first sums it over the workers. Input buffers are sized once for the batch size and every
 * temporary lives in the training workspace, so a warm call allocates no native memory.
 *
 * <p>With several threads the minibatch's rows are split into that many parts, each computed on its
 * own copy of the network in its own thread (one BLAS/OpenMP thread each), and the parts' gradients
 * and running statistics are combined weighted by their rows. Each part draws its own dropout masks
 * from the step seed, and batch normalisation normalises each part by the part's own statistics, as
 * data-parallel training on several devices does. At the matrix sizes of a minibatch this beats the
 * same threads inside each operation, where every parallel region waits for its threads to wake:
 * the dense network 784-256-128-10 at batch 128 trained slower on 2 threads that way than on 1.
 */
public final class MinibatchGradient {
  /** The parts' threads; idle ones end after a minute, so trainers need no closing. */
  private static final ExecutorService PART_THREADS =
      Executors.newCachedThreadPool(
          task -> {
            Thread t = new Thread(task, "kindling-minibatch-part");
            t.setDaemon(true);
            return t;
          });

  private final Network network;

  /** Parts 1, 2, ... of each minibatch, on copies of the network; part 0 is this one's. */
  private final MinibatchGradient[] parts;

  private final int batchSize;
  private final int classes;
  private final INDArray input;
  private final INDArray targets;
  private final float[] staging;
  private final float[] targetStaging;

  public MinibatchGradient(Network network, int batchSize) {
    this(network, batchSize, 1);
  }

  /**
   * @param threads how many threads share each minibatch, each on a part of its rows
   */
  public MinibatchGradient(Network network, int batchSize, int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be at least 1, got " + threads);
    }
    this.network = network;
    this.parts = new MinibatchGradient[threads - 1];
    for (int t = 0; t < parts.length; t++) {
      parts[t] =
          new MinibatchGradient(
              Network.create(network.spec(), 0), (batchSize + threads - 1) / threads, 1);
    }
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
    if (parts.length == 0) {
      return computePart(block, order, from, count, stepSeed);
    }
    int threads = parts.length + 1;
    int[] rows = new int[threads];
    for (int t = 0; t < threads; t++) {
      rows[t] = count / threads + (t < count % threads ? 1 : 0);
    }
    double[] losses = new double[threads];
    List<Future<?>> running = new ArrayList<>(parts.length);
    int start = from + rows[0];
    for (int t = 1; t < threads && rows[t] > 0; t++) {
      MinibatchGradient part = parts[t - 1];
      part.network.params().assign(network.params());
      int at = start;
      int index = t;
      running.add(
          PART_THREADS.submit(
              () -> {
                losses[index] =
                    part.compute(
                        block, order, at, rows[index], LocalTrainer.stepSeed(stepSeed, index));
              }));
      start += rows[t];
    }
    losses[0] = computePart(block, order, from, rows[0], stepSeed);
    for (Future<?> f : running) {
      await(f);
    }
    return combine(rows, losses, count);
  }

  /**
   * Puts the row-weighted mean of the parts' gradients (and running statistics) in this network's
   * buffers; returns the row-weighted mean loss.
   */
  private double combine(int[] rows, double[] losses, int count) {
    INDArray gradient = network.gradients();
    INDArray statistics = runningStatistics(network);
    double loss = losses[0] * rows[0] / count;
    gradient.muli((double) rows[0] / count);
    if (statistics != null) {
      statistics.muli((double) rows[0] / count);
    }
    for (int t = 1; t < rows.length && rows[t] > 0; t++) {
      double weight = (double) rows[t] / count;
      Network part = parts[t - 1].network;
      Nd4j.getBlasWrapper().level1().axpy(gradient.length(), weight, part.gradients(), gradient);
      if (statistics != null) {
        Nd4j.getBlasWrapper()
            .level1()
            .axpy(statistics.length(), weight, runningStatistics(part), statistics);
      }
      loss += losses[t] * weight;
    }
    return loss;
  }

  /** The non-trainable tail of the parameters (batch normalisation's running statistics). */
  private static INDArray runningStatistics(Network network) {
    long trainable = network.trainable().length();
    long all = network.params().length();
    return trainable == all ? null : network.params().get(NDArrayIndex.interval(trainable, all));
  }

  private static void await(Future<?> f) {
    try {
      f.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("a minibatch part failed: " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while computing a minibatch", e);
    }
  }

  /** One part's rows on this gradient's own network, on the calling thread. */
  private double computePart(ExampleBlock block, int[] order, int from, int count, long stepSeed) {
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
