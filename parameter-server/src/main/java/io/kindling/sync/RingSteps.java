package io.kindling.sync;

import io.kindling.kernels.ExampleBlock;
import io.kindling.kernels.MinibatchGradient;
import io.kindling.kernels.Network;
import io.kindling.kernels.OptimizerShard;
import java.io.IOException;
import java.util.Arrays;

/**
 * The executor side of an all-reduce round: synchronous SGD over the ring. Each step every task
 * computes its minibatch's gradient, the ring sums the gradients (densely, or only each task's top
 * k entries with error feedback: {@link TopKSparsifier}; weighted by batch rows, so W workers at
 * batch b take exactly the step of one worker at batch W x b), each task updates only its own shard
 * of the trainable parameters with its own shard of the optimizer state, and the ring gathers the
 * updated shards so every task holds the same parameters again. Running statistics (the
 * non-trainable tail) are averaged once, at the end of the round.
 */
final class RingSteps implements AutoCloseable {
  private final TrainingPlan plan;
  private final Round round;
  private final RingCollective ring;
  private final RingCollective.Wire gradientWire;
  private final TopKSparsifier topK;
  private final int[] partitionSizes;
  private final ExampleBlock block;
  private final int[] order;
  private final MinibatchGradient minibatch;
  private final Network network;
  private final int trainable;
  private final OptimizerShard shard;
  private final float[] parameters;
  private final float[] gradient;
  private final float[] squaredNorms;
  private double lossSum;
  private long batches;
  private long examples;
  private long communicationNanos;

  /**
   * @param settings how the gradients travel
   * @param partitionSizes every task's rows, by rank: each step's weights follow from them
   * @param block this task's rows, or null when its partition is empty
   * @param start the round's {@code [parameters | optimizer state]}
   */
  static ShardResult run(
      TrainingPlan plan,
      Round round,
      RingCollective ring,
      ShardedAllReduce.Settings settings,
      int[] partitionSizes,
      ExampleBlock block,
      float[] start)
      throws IOException {
    long began = System.nanoTime();
    MinibatchGradient minibatch = TrainerPool.borrowGradient(plan);
    try (RingSteps steps =
        new RingSteps(plan, round, ring, settings, partitionSizes, block, minibatch, start)) {
      return steps.train(began);
    } finally {
      TrainerPool.release(plan, minibatch);
    }
  }

  private RingSteps(
      TrainingPlan plan,
      Round round,
      RingCollective ring,
      ShardedAllReduce.Settings settings,
      int[] partitionSizes,
      ExampleBlock block,
      MinibatchGradient minibatch,
      float[] start) {
    this.plan = plan;
    this.round = round;
    this.ring = ring;
    this.gradientWire =
        settings.bf16Gradients() ? RingCollective.Wire.BF16 : RingCollective.Wire.FP32;
    this.partitionSizes = partitionSizes;
    this.block = block;
    this.order =
        block == null
            ? null
            : LocalSteps.epochOrder(block.size(), plan.seed(), round.epoch(), ring.rank());
    this.minibatch = minibatch;
    this.network = minibatch.network();
    this.trainable = network.numTrainableParams();
    int numParams = network.numParams();
    int components = plan.optimizer().stateComponents();
    if (start.length != numParams + components * trainable) {
      throw new IllegalArgumentException(
          "state vector has "
              + start.length
              + " values; this network and optimizer need "
              + (numParams + components * trainable));
    }
    this.parameters = Arrays.copyOf(start, numParams);
    this.gradient = new float[trainable];
    // The residual lives for the round: a round ends where a checkpoint may be taken, so a resumed
    // run holds back exactly what an uninterrupted one does.
    this.topK =
        settings.topKGradients() > 0
            ? new TopKSparsifier(trainable, settings.topKGradients(), ring.size())
            : null;
    this.squaredNorms = new float[ring.size()];
    network.writeParams(parameters, 0);
    int from = ring.shardStart(trainable);
    int to = ring.shardEnd(trainable);
    this.shard = new OptimizerShard(plan.optimizer(), from, to);
    shard.importState(
        ShardResult.sliceOptimizerState(start, numParams, trainable, components, from, to), 0);
  }

  private ShardResult train(long began) throws IOException {
    // Every task runs every step, with no rows once its partition is used up, so that the ring
    // stays whole until the largest partition's epoch ends.
    int stepsInEpoch = 0;
    for (int size : partitionSizes) {
      stepsInEpoch = Math.max(stepsInEpoch, plan.stepsPerEpoch(size));
    }
    int end = Math.min(round.firstStep() + round.steps(), stepsInEpoch);
    long bytesBefore = ring.bytesSent();
    for (int s = round.firstStep(); s < end; s++) {
      step(s);
    }
    long stepBytes = ring.bytesSent() - bytesBefore;
    averageRunningStatistics();
    float[] optimizerState = new float[shard.stateSize()];
    shard.exportState(optimizerState, 0);
    double communicationSeconds = communicationNanos / 1e9;
    return new ShardResult(
        ring.rank(),
        shard.from(),
        shard.to(),
        ring.rank() == 0 ? parameters : null,
        optimizerState,
        lossSum,
        batches,
        examples,
        Math.max(0, end - round.firstStep()),
        (System.nanoTime() - began) / 1e9 - communicationSeconds,
        communicationSeconds,
        stepBytes);
  }

  private void step(int s) throws IOException {
    int rows = plan.rowsInStep(partitionSizes[ring.rank()], s);
    int allRows = 0;
    for (int size : partitionSizes) {
      allRows += plan.rowsInStep(size, s);
    }
    long iteration = round.iteration() + s - round.firstStep();
    if (rows > 0) {
      long seed = LocalSteps.stepSeed(plan, ring.rank(), iteration);
      lossSum += minibatch.compute(block, order, s * plan.batchSize(), rows, seed);
      network.readGradients(gradient, 0);
      // The sum of mean gradients weighted by rows is the mean gradient of the union batch.
      float weight = (float) rows / allRows;
      for (int i = 0; i < trainable; i++) {
        gradient[i] *= weight;
      }
      batches++;
      examples += rows;
    } else {
      Arrays.fill(gradient, 0f);
    }
    if (topK != null) {
      topK.select(gradient, ring.rank()); // local work: not counted as communication
    }
    long t = System.nanoTime();
    if (topK == null) {
      ring.reduceScatter(gradient, 0, trainable, gradientWire);
    } else {
      ring.allGatherPairs(topK.pairs(), topK.pairs().length);
      topK.sum(gradient);
    }
    double norm = plan.optimizer().clipNorm() > 0 ? globalNorm() : 0;
    communicationNanos += System.nanoTime() - t;
    shard.update(parameters, gradient, norm, (int) iteration, round.epoch());
    t = System.nanoTime();
    ring.allGather(parameters, 0, trainable);
    communicationNanos += System.nanoTime() - t;
    network.writeTrainableParams(parameters, 0);
  }

  /** The norm of the whole summed gradient, for clipping: each task holds its shard's part. */
  private double globalNorm() throws IOException {
    double own = 0;
    for (int i = shard.from(); i < shard.to(); i++) {
      own += gradient[i] * gradient[i];
    }
    squaredNorms[ring.rank()] = (float) own;
    ring.allGather(squaredNorms, 0, squaredNorms.length);
    double squares = 0;
    for (float x : squaredNorms) { // in rank order on every task: all clip alike
      squares += x;
    }
    return Math.sqrt(squares);
  }

  private void averageRunningStatistics() throws IOException {
    int numParams = parameters.length;
    if (numParams == trainable) {
      return;
    }
    long t = System.nanoTime();
    network.readParams(parameters, 0);
    ring.allReduce(parameters, trainable, numParams - trainable);
    for (int i = trainable; i < numParams; i++) {
      parameters[i] /= ring.size();
    }
    communicationNanos += System.nanoTime() - t;
  }

  @Override
  public void close() {
    shard.close();
  }
}
