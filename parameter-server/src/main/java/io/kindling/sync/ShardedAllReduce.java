package io.kindling.sync;

import io.kindling.kernels.ExampleBlock;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Synchronous SGD by a sharded all-reduce among gang-scheduled tasks: each round is one Spark
 * barrier stage whose W tasks connect in a ring ({@link RingStage}: authentication, failures and
 * reruns) and, every step, reduce-scatter the gradients, update their own 1/W of the parameters
 * with their own 1/W of the optimizer state (ZeRO stage 1) and all-gather the parameters (see
 * {@link RingSteps}). With W workers at batch b this trains exactly as one worker at batch W x b.
 *
 * <p>The state vector is the one {@link ParameterAveraging} ships, assembled from the tasks'
 * shards, so checkpoints of either strategy resume in the other.
 *
 * <p>Needs W free task slots at once (barrier scheduling) and no dynamic allocation.
 */
public final class ShardedAllReduce implements SyncStrategy {
  /**
   * How the all-reduce runs.
   *
   * @param timeout how long a connect or a transfer may make no progress before the round fails:
   *     the compute skew between workers within one step must fit
   * @param attempts how many times a failed round runs in all (at least 1)
   * @param bf16Gradients whether the gradients' reduce-scatter travels as bfloat16 (3/4 of the fp32
   *     bytes per step; partial sums rounded to 8 significant bits on each hop); parameters always
   *     travel as fp32
   * @param topKGradients the share of gradient entries each task sends per step, largest first,
   *     holding back the rest for later steps (error feedback, see {@link TopKSparsifier}); 0 sends
   *     dense gradients. Parameters still travel dense, as fp32
   */
  public record Settings(
      Duration timeout,
      int attempts,
      boolean bf16Gradients,
      double topKGradients,
      boolean sharedMemory)
      implements Serializable {
    /**
     * Two minutes (Spark's own network timeout), three attempts, dense fp32 gradients, shared
     * memory between tasks on one host.
     */
    public static final Settings DEFAULTS = new Settings(Duration.ofMinutes(2), 3, false, 0, true);

    public Settings {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("all-reduce timeout must be positive, got " + timeout);
      }
      if (attempts < 1) {
        throw new IllegalArgumentException(
            "all-reduce attempts must be at least 1, got " + attempts);
      }
      if (!(topKGradients >= 0 && topKGradients <= 1)) {
        throw new IllegalArgumentException(
            "all-reduce top-k share must be in [0, 1] (0 = off), got " + topKGradients);
      }
      if (topKGradients > 0 && bf16Gradients) {
        throw new IllegalArgumentException(
            "all-reduce top-k gradients travel as fp32 pairs: turn off bf16 gradients or top-k");
      }
    }
  }

  private final TrainingPlan plan;
  private final Settings settings;
  private final RingStage stage;
  private final float[] initialState;
  private final long trainable;

  public ShardedAllReduce(JavaSparkContext spark, TrainingPlan plan, Settings settings) {
    this.plan = plan;
    this.settings = settings;
    this.stage =
        new RingStage(
            spark,
            plan,
            "all-reduce",
            settings.timeout(),
            settings.attempts(),
            settings.sharedMemory(),
            false);
    this.initialState = plan.initialState();
    this.trainable = plan.network().numTrainableParams();
  }

  @Override
  public String name() {
    return "allreduce";
  }

  @Override
  public float[] initialState() {
    return initialState.clone();
  }

  @Override
  public RoundResult run(JavaRDD<ExampleBlock> partitions, Round round, float[] state) {
    return stage.run(
        partitions,
        round,
        state,
        work(round),
        workers -> Communication.optimumBytes(workers, trainable));
  }

  /** Each task's shard of a round, for tests that look at the shards. */
  List<ShardResult> shards(JavaRDD<ExampleBlock> partitions, Round round, float[] start) {
    return stage.runWithRetries(partitions, round, start, work(round));
  }

  private RingStage.Work work(Round round) {
    TrainingPlan p = plan; // the closure must not hold this strategy (and its Spark context)
    Settings s = settings;
    return (ring, sizes, block, start) -> RingSteps.run(p, round, ring, s, sizes, block, start);
  }
}
