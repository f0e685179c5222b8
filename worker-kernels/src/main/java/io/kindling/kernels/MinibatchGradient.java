package io.kindling.kernels;

import java.util.Arrays;
import java.util.function.IntConsumer;
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
 * own copy of the network in its own thread (one BLAS/OpenMP thread each). Each part draws its own
 * dropout masks from the step seed, and batch normalisation normalises each part by the part's own
 * statistics, as data-parallel training on several devices does. Then each thread combines one
 * range of the trainable parameters' gradients (weighted by the parts' rows) and goes on to the
 * work that follows on that range, the optimizer's update: on two threads a step's update cost a
 * fifth of the step when one thread did it all. At the matrix sizes of a minibatch this beats the
 * same threads inside each operation, where every parallel region waits for its threads to wake:
 * the dense network 784-256-128-10 at batch 128 trained slower on 2 threads that way than on 1.
 */
public final class MinibatchGradient {
  /** Range boundaries fall on multiples of this many values: 64 bytes, one cache line. */
  private static final int RANGE_ALIGNMENT = 16;

  /**
   * Work on the combined gradient that splits into the ranges of {@link #rangeBounds()}: thread t
   * does range t as soon as that range is combined.
   */
  interface RangeWork {
    /** Whether {@link #apply} reads the norm of the whole combined gradient. */
    boolean needsGradientNorm();

    /** The work on range {@code range} of the trainable parameters and their gradient. */
    void apply(int range, double gradientNorm);
  }

  private final Network network;

  /** Parts 1, 2, ... of each minibatch, on copies of the network; part 0 is this one's. */
  private final MinibatchGradient[] parts;

  /** Range t of the trainable parameters is {@code [bounds[t], bounds[t + 1])}. */
  private final long[] bounds;

  /** {@code gradientRanges[n][t]}: range t of part n's gradient (part 0: this network's). */
  private final INDArray[][] gradientRanges;

  /** Part n's running statistics (the non-trainable tail of its parameters), or null if none. */
  private final INDArray[] statistics;

  /** The step's rows and losses by part, and squared gradient norms by range. */
  private final int[] rows;

  private final double[] losses;
  private final double[] squares;

  /** The threads of the parts; their idle threads end after a minute, so nothing needs closing. */
  private final StepThreads team;

  /** What {@link #team} runs each step: one part of it. */
  private final IntConsumer part = this::computeAsPart;

  /** The step {@link #team} is running: set before it, cleared after it. */
  private ExampleBlock stepBlock;

  private int[] stepOrder;
  private int stepFrom;
  private int stepCount;
  private long seedOfStep;
  private RangeWork stepWork;

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
    long trainable = network.trainable().length();
    this.bounds = new long[threads + 1];
    for (int t = 1; t < threads; t++) {
      bounds[t] = trainable * t / threads / RANGE_ALIGNMENT * RANGE_ALIGNMENT;
    }
    bounds[threads] = trainable;
    this.gradientRanges = new INDArray[threads][threads];
    this.statistics = new INDArray[threads];
    for (int n = 0; n < threads; n++) {
      Network copy = n == 0 ? network : parts[n - 1].network;
      statistics[n] = runningStatistics(copy);
      INDArray gradient = copy.gradients();
      for (int t = 0; t < threads; t++) {
        gradientRanges[n][t] =
            bounds[t] == bounds[t + 1]
                ? null
                : gradient.get(NDArrayIndex.interval(bounds[t], bounds[t + 1]));
      }
    }
    this.rows = new int[threads];
    this.losses = new double[threads];
    this.squares = new double[threads];
    this.team = new StepThreads(threads);
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
   * Where the trainable parameters split among the threads: range t is {@code [bounds[t], bounds[t
   * + 1])}, possibly empty.
   */
  long[] rangeBounds() {
    return bounds.clone();
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
      return computeInWorkspace(block, order, from, count, stepSeed, null);
    }
  }

  /**
   * {@link #compute} followed by {@code work} on the combined gradient (when not null), for a
   * caller that holds the training workspace open.
   */
  double computeInWorkspace(
      ExampleBlock block, int[] order, int from, int count, long stepSeed, RangeWork work) {
    if (count <= 0 || count > batchSize) {
      throw new IllegalArgumentException("batch of " + count + " rows; batch size is " + batchSize);
    }
    if (parts.length == 0) {
      double loss = computePart(block, order, from, count, stepSeed);
      if (work != null) {
        work.apply(
            0, work.needsGradientNorm() ? network.gradients().norm2Number().doubleValue() : 0);
      }
      return loss;
    }
    int threads = rows.length;
    for (int t = 0; t < threads; t++) {
      rows[t] = count / threads + (t < count % threads ? 1 : 0);
      losses[t] = 0;
      // Here, not on the part's thread: this network's forward pass moves its statistics.
      if (t > 0 && statistics[0] != null) {
        statistics[t].assign(statistics[0]);
      }
    }
    stepBlock = block;
    stepOrder = order;
    stepFrom = from;
    stepCount = count;
    seedOfStep = stepSeed;
    stepWork = work;
    try {
      team.run(part);
    } finally {
      stepBlock = null; // pins nothing between steps
      stepOrder = null;
      stepWork = null;
    }
    double loss = 0;
    for (int t = 0; t < threads; t++) {
      loss += losses[t] * rows[t] / count;
    }
    return loss;
  }

  /** Part {@code t} of the step, on thread {@code t} of the team. */
  private void computeAsPart(int t) {
    int from = stepFrom;
    for (int p = 0; p < t; p++) {
      from += rows[p];
    }
    if (t == 0) {
      losses[0] = computePart(stepBlock, stepOrder, from, rows[0], seedOfStep);
      afterGradients(0);
      return;
    }
    ComputeThreads.applyToCurrentThread();
    try (var ws = Workspaces.training()) {
      MinibatchGradient copy = parts[t - 1];
      if (rows[t] > 0) {
        copy.network.trainable().assign(network.trainable());
        losses[t] =
            copy.computePart(
                stepBlock, stepOrder, from, rows[t], LocalTrainer.stepSeed(seedOfStep, t));
      }
      afterGradients(t);
    }
  }

  /**
   * Thread {@code t}'s share once every part has its gradient: combine range t (thread 0 also the
   * running statistics), then the step's work on it.
   */
  private void afterGradients(int t) {
    team.await();
    int count = stepCount;
    INDArray gradient = gradientRanges[0][t];
    if (gradient != null) {
      gradient.muli((double) rows[0] / count);
      for (int n = 1; n < rows.length; n++) {
        if (rows[n] > 0) {
          Nd4j.getBlasWrapper()
              .level1()
              .axpy(gradient.length(), (double) rows[n] / count, gradientRanges[n][t], gradient);
        }
      }
    }
    if (t == 0) {
      combineRunningStatistics(count);
    }
    RangeWork work = stepWork;
    if (work == null) {
      return;
    }
    double norm = 0;
    if (work.needsGradientNorm()) {
      double own = gradient == null ? 0 : gradient.norm2Number().doubleValue();
      squares[t] = own * own;
      team.await();
      for (double s : squares) { // in range order on every thread: all clip alike
        norm += s;
      }
      norm = Math.sqrt(norm);
    }
    if (gradient != null) {
      work.apply(t, norm);
    }
  }

  /** Puts the row-weighted mean of the parts' running statistics in this network's buffer. */
  private void combineRunningStatistics(int count) {
    INDArray combined = statistics[0];
    if (combined == null) {
      return;
    }
    combined.muli((double) rows[0] / count);
    for (int n = 1; n < rows.length; n++) {
      if (rows[n] > 0) {
        Nd4j.getBlasWrapper()
            .level1()
            .axpy(combined.length(), (double) rows[n] / count, statistics[n], combined);
      }
    }
  }

  /** The non-trainable tail of the parameters (batch normalisation's running statistics). */
  private static INDArray runningStatistics(Network network) {
    long trainable = network.trainable().length();
    long all = network.params().length();
    return trainable == all ? null : network.params().get(NDArrayIndex.interval(trainable, all));
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
