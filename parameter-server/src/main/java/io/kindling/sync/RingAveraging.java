package io.kindling.sync;

import io.kindling.kernels.ExampleBlock;
import io.kindling.kernels.LocalTrainer;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Parameter averaging without the driver in the loop: a round is one Spark barrier stage (by
 * default a whole epoch) whose W tasks connect in a ring ({@link RingStage}) and, every k local
 * steps, all-reduce their {@code [parameters | optimizer state]} and continue from the mean. It
 * computes what {@link ParameterAveraging} computes (bit for bit at W = 2, where the order of a sum
 * of two does not matter), but a synchronisation costs one ring all-reduce between the executors
 * instead of a Spark job, a broadcast and a tree aggregation through the driver.
 *
 * <p>Averages fall every k steps of an epoch, as under {@link ParameterAveraging}, and at the end
 * of each round: with rounds a multiple of k long the two strategies synchronise at the same steps.
 *
 * <p>Needs W free task slots at once (barrier scheduling) and no dynamic allocation. A lost task
 * reruns the whole round from its start; keep rounds short enough for that to be cheap.
 */
public final class RingAveraging implements SyncStrategy {
  private final TrainingPlan plan;
  private final int frequency;
  private final boolean everyOptimizerState;
  private final int lag;
  private final RingStage stage;
  private final float[] initialState;

  /**
   * @param frequency local steps between averages (k)
   * @param everyOptimizerState whether every average includes the optimizer state, as through the
   *     driver; if not, each worker keeps its own between averages, and only a round's last average
   *     includes it: a third of the bytes under Adam, on a state that changes slowly
   * @param lag 0: every average waits for all workers; 1 to k: the averages within a round are
   *     computed in the background while each worker runs on, and land this many steps after they
   *     are taken ({@link OverlappedAverage}); only the round's last average waits. These averages
   *     carry only the parameters: a lag needs {@code everyOptimizerState} false
   * @param timeout how long a connect or transfer may make no progress before the round fails: the
   *     skew between workers over k steps must fit
   * @param attempts how many times a failed round runs in all (at least 1)
   * @param sharedMemory whether workers on one host average through shared memory rather than
   *     loopback TCP
   */
  public RingAveraging(
      JavaSparkContext spark,
      TrainingPlan plan,
      int frequency,
      boolean everyOptimizerState,
      int lag,
      Duration timeout,
      int attempts,
      boolean sharedMemory) {
    if (frequency < 1) {
      throw new IllegalArgumentException(
          "averaging frequency must be at least 1, got " + frequency);
    }
    if (lag < 0 || lag > frequency) {
      throw new IllegalArgumentException(
          "an average's lag must lie in [0, k = " + frequency + "] steps, got " + lag);
    }
    if (lag > 0 && everyOptimizerState) {
      throw new IllegalArgumentException(
          "averages that lag carry only the parameters: they cannot include the optimizer state");
    }
    if (attempts < 1) {
      throw new IllegalArgumentException("ring attempts must be at least 1, got " + attempts);
    }
    this.plan = plan;
    this.frequency = frequency;
    this.everyOptimizerState = everyOptimizerState;
    this.lag = lag;
    this.stage =
        new RingStage(spark, plan, "ring averaging", timeout, attempts, sharedMemory, true);
    this.initialState = plan.initialState();
  }

  @Override
  public String name() {
    return "ring-averaging";
  }

  @Override
  public float[] initialState() {
    return initialState.clone();
  }

  @Override
  public RoundResult run(JavaRDD<ExampleBlock> partitions, Round round, float[] state) {
    TrainingPlan p = plan; // the closure must not hold this strategy (and its Spark context)
    int k = frequency;
    boolean every = everyOptimizerState;
    int lagSteps = lag;
    long averaged = 0; // values the round's averages must move, for the ring optimum
    int end = round.firstStep() + round.steps();
    for (int s = round.firstStep(); s < end; s++) {
      if (averagesAfter(s, k, end)) {
        averaged += every || s == end - 1 ? state.length : plan.network().numParams();
      }
    }
    long values = averaged;
    return stage.run(
        partitions,
        round,
        state,
        (ring, sizes, block, start) ->
            train(p, round, k, every, lagSteps, ring, sizes, block, start),
        workers -> Communication.optimumBytes(workers, values) / Math.max(1, round.steps()));
  }

  /**
   * Whether the workers average after step {@code s} of a round that ends before step {@code end}.
   */
  private static boolean averagesAfter(int s, int frequency, int end) {
    return (s + 1) % frequency == 0 || s == end - 1;
  }

  /** The executor side: the round's local steps, averaging over the ring every k of them. */
  static ShardResult train(
      TrainingPlan plan,
      Round round,
      int frequency,
      boolean everyOptimizerState,
      int lag,
      RingCollective ring,
      int[] partitionSizes,
      ExampleBlock block,
      float[] start)
      throws IOException {
    long began = System.nanoTime();
    int contributors = 0; // empty partitions take no part in the mean, as under ParameterAveraging
    for (int size : partitionSizes) {
      contributors += size > 0 ? 1 : 0;
    }
    int rank = ring.rank();
    int steps = block == null ? 0 : plan.stepsPerEpoch(block.size());
    int[] order =
        block == null
            ? null
            : LocalSteps.epochOrder(block.size(), plan.seed(), round.epoch(), rank);
    int numParams = Math.toIntExact(plan.network().numParams());
    int trainable = Math.toIntExact(plan.network().numTrainableParams());
    float[] state = start; // imported below, then the buffer the averages travel in
    float inverse = 1f / contributors;
    double lossSum = 0;
    long batches = 0;
    long examples = 0;
    long communicationNanos = 0;
    long bytesBefore = ring.bytesSent();
    int end = round.firstStep() + round.steps();
    LocalTrainer trainer = TrainerPool.borrow(plan);
    OverlappedAverage background =
        lag > 0
            ? new OverlappedAverage(ring, trainer.network(), numParams, contributors, block != null)
            : null;
    int landsAfter = -1; // the step after which the average in flight lands
    try {
      trainer.importState(start);
      for (int s = round.firstStep(); s < end; s++) {
        if (s < steps) {
          lossSum += LocalSteps.step(plan, round, rank, trainer, block, order, s);
          batches++;
          examples += plan.rowsInStep(block.size(), s);
        }
        boolean landedNow = s == landsAfter && background.land();
        if (!averagesAfter(s, frequency, end)) {
          continue;
        }
        boolean last = s == end - 1;
        if (background != null) {
          if (!last) {
            background.next(landedNow);
            landsAfter = s + lag;
            continue;
          }
          background.land(); // unless it has
          background.close(); // the round's last average waits, on this thread
        }
        // The parameters lead the state vector: averaging a prefix leaves the optimizer's own.
        int length = everyOptimizerState || last ? state.length : numParams;
        if (block == null) {
          Arrays.fill(state, 0f);
        } else if (length == state.length) {
          trainer.exportState(state);
        } else {
          trainer.network().readParams(state, 0);
        }
        long t = System.nanoTime();
        ring.allReduce(state, 0, length);
        communicationNanos += System.nanoTime() - t;
        for (int i = 0; i < length; i++) {
          state[i] *= inverse;
        }
        if (length == state.length) {
          trainer.importState(state);
        } else {
          trainer.network().writeParams(state, 0);
        }
      }
    } finally {
      if (background != null) {
        background.close();
        communicationNanos += background.waitNanos();
      }
      TrainerPool.release(plan, trainer);
    }
    double communicationSeconds = communicationNanos / 1e9;
    return new ShardResult(
        rank,
        ring.shardStart(trainable),
        ring.shardEnd(trainable),
        rank == 0 ? Arrays.copyOf(state, numParams) : null,
        ShardResult.sliceOptimizerState(
            state,
            numParams,
            trainable,
            plan.optimizer().stateComponents(),
            ring.shardStart(trainable),
            ring.shardEnd(trainable)),
        lossSum,
        batches,
        examples,
        round.steps(),
        (System.nanoTime() - began) / 1e9 - communicationSeconds,
        communicationSeconds,
        ring.bytesSent() - bytesBefore);
  }
}
