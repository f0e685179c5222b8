package io.kindling.sync;

import io.kindling.kernels.ExampleBlock;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.BarrierTaskInfo;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Function1;
import scala.collection.Iterator;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag$;

/**
 * Synchronous SGD by a sharded all-reduce among gang-scheduled tasks: each round is one Spark
 * barrier stage whose W tasks find each other through the barrier context, connect in a ring and,
 * every step, reduce-scatter the gradients, update their own 1/W of the parameters with their own
 * 1/W of the optimizer state (ZeRO stage 1) and all-gather the parameters (see {@link RingSteps}).
 * With W workers at batch b this trains exactly as one worker at batch W x b.
 *
 * <p>The state vector is the one {@link ParameterAveraging} ships, assembled from the tasks'
 * shards, so checkpoints of either strategy resume in the other.
 *
 * <p>Failure: a lost task fails the barrier stage and with it the job (Spark does not retry a
 * failed barrier result stage); the round is then rerun from the state it was given (training is
 * deterministic, so a rerun changes nothing), up to {@link Settings#attempts()} times in all, after
 * which it fails with the last error.
 *
 * <p>Security: tasks authenticate each other with a secret drawn per strategy instance (per job)
 * and shipped in the task closure; each task listens only on its executor's address. The closure
 * travels over Spark's RPC: enable {@code spark.authenticate} and {@code
 * spark.network.crypto.enabled} where the cluster network is not trusted.
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
      Duration timeout, int attempts, boolean bf16Gradients, double topKGradients)
      implements Serializable {
    /** Two minutes (Spark's own network timeout), three attempts, dense fp32 gradients. */
    public static final Settings DEFAULTS = new Settings(Duration.ofMinutes(2), 3, false, 0);

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

  private static final Logger LOG = LoggerFactory.getLogger(ShardedAllReduce.class);
  private static final String INTERRUPT_ON_CANCEL = "spark.job.interruptOnCancel";

  private final JavaSparkContext spark;
  private final TrainingPlan plan;
  private final Settings settings;
  private final byte[] secret;
  private final float[] initialState;
  private final int numParams;
  private final int trainable;

  public ShardedAllReduce(JavaSparkContext spark, TrainingPlan plan, Settings settings) {
    this.spark = spark;
    this.plan = plan;
    this.settings = settings;
    this.secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    this.initialState = plan.initialState();
    this.numParams = Math.toIntExact(plan.network().numParams());
    this.trainable = Math.toIntExact(plan.network().numTrainableParams());
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
    if (state.length != initialState.length) {
      throw new IllegalArgumentException(
          "state vector has " + state.length + " values; this plan needs " + initialState.length);
    }
    long began = System.nanoTime();
    Broadcast<float[]> start = spark.broadcast(state);
    try {
      List<ShardResult> shards = runWithRetries(partitions, round, start);
      return combine(shards, (System.nanoTime() - began) / 1e9);
    } finally {
      start.destroy();
    }
  }

  /** Runs the round's barrier stage until it succeeds or has run {@code attempts} times. */
  List<ShardResult> runWithRetries(
      JavaRDD<ExampleBlock> partitions, Round round, Broadcast<float[]> start) {
    // When one task fails Spark kills the others; interrupted, they stop waiting for their peers
    // at once instead of holding their slots until the timeout.
    String interrupt = spark.getLocalProperty(INTERRUPT_ON_CANCEL);
    spark.setLocalProperty(INTERRUPT_ON_CANCEL, "true");
    try {
      for (int attempt = 1; ; attempt++) {
        try {
          return partitions
              .rdd()
              .barrier()
              .mapPartitions(
                  new RingTask(plan, round, start, secret, settings),
                  false,
                  ClassTag$.MODULE$.apply(ShardResult.class))
              .toJavaRDD()
              .collect();
        } catch (Exception e) { // Spark's job failures are checked SparkExceptions, undeclared
          String reason = reason(e);
          if (attempt == settings.attempts()) {
            throw new IllegalStateException(
                "all-reduce " + round + " failed " + attempt + " times; last error: " + reason, e);
          }
          LOG.warn(
              "all-reduce {} failed (attempt {} of {}); rerunning it from its start: {}",
              round,
              attempt,
              settings.attempts(),
              reason);
        }
      }
    } finally {
      spark.setLocalProperty(INTERRUPT_ON_CANCEL, interrupt);
    }
  }

  private RoundResult combine(List<ShardResult> shards, double roundSeconds) {
    float[] state = new float[initialState.length];
    double lossSum = 0;
    long batches = 0;
    long examples = 0;
    long stepBytes = 0;
    double computeSeconds = 0;
    double communicationSeconds = 0;
    for (ShardResult shard : shards) {
      if (shard.rank == 0) {
        System.arraycopy(shard.parameters, 0, state, 0, numParams);
      }
      shard.placeOptimizerState(state, numParams, trainable);
      lossSum += shard.lossSum;
      batches += shard.batches;
      examples += shard.examples;
      stepBytes += shard.stepBytes;
      computeSeconds = Math.max(computeSeconds, shard.computeSeconds);
      communicationSeconds = Math.max(communicationSeconds, shard.communicationSeconds);
    }
    int workers = shards.size();
    int steps = shards.get(0).steps;
    Communication communication =
        new Communication(
            workers,
            steps,
            communicationSeconds,
            steps == 0 ? 0 : (double) stepBytes / workers / steps,
            Communication.optimumBytes(workers, trainable));
    return new RoundResult(
        state,
        batches == 0 ? Double.NaN : lossSum / batches,
        examples,
        computeSeconds,
        roundSeconds,
        communication);
  }

  /** Spark's job-failure message without the task's stack trace: the task's error stays in it. */
  private static String reason(Throwable e) {
    StringBuilder reason = new StringBuilder();
    for (String line : String.valueOf(e.getMessage()).split("\n")) {
      if (line.startsWith("\tat ") || line.isBlank()) {
        break;
      }
      reason.append(reason.length() == 0 ? "" : " ").append(line.strip());
    }
    return reason.toString();
  }

  /**
   * One task of the barrier stage: listens on its executor's address, trades ports and partition
   * sizes with the others through the barrier context, joins the ring and runs the round.
   */
  private static final class RingTask
      implements Function1<Iterator<ExampleBlock>, Iterator<ShardResult>>, Serializable {
    private static final long serialVersionUID = 1L;

    private final TrainingPlan plan;
    private final Round round;
    private final Broadcast<float[]> start;
    private final byte[] secret;
    private final Settings settings;

    RingTask(
        TrainingPlan plan,
        Round round,
        Broadcast<float[]> start,
        byte[] secret,
        Settings settings) {
      this.plan = plan;
      this.round = round;
      this.start = start;
      this.secret = secret;
      this.settings = settings;
    }

    @Override
    public Iterator<ShardResult> apply(Iterator<ExampleBlock> blocks) {
      BarrierTaskContext context = BarrierTaskContext.get();
      int rank = context.partitionId();
      ExampleBlock block = blocks.hasNext() ? blocks.next() : null;
      if (blocks.hasNext()) {
        throw new IllegalStateException("partition " + rank + " holds more than one block");
      }
      BarrierTaskInfo[] tasks = context.getTaskInfos();
      try (ServerSocketChannel listener =
          RingCollective.listen(InetAddress.getByName(host(tasks[rank].address())))) {
        int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
        String[] joined = context.allGather(port + " " + (block == null ? 0 : block.size()));
        List<InetSocketAddress> peers = new ArrayList<>();
        int[] sizes = new int[joined.length];
        for (int r = 0; r < joined.length; r++) {
          String[] portAndSize = joined[r].split(" ");
          peers.add(
              new InetSocketAddress(host(tasks[r].address()), Integer.parseInt(portAndSize[0])));
          sizes[r] = Integer.parseInt(portAndSize[1]);
        }
        try (RingCollective ring =
            RingCollective.connect(rank, peers, listener, secret, settings.timeout())) {
          ShardResult result =
              RingSteps.run(plan, round, ring, settings, sizes, block, start.value());
          return CollectionConverters.asScala(List.of(result).iterator());
        }
      } catch (IOException e) {
        throw new UncheckedIOException(
            "all-reduce " + round + ", task " + rank + ": " + e.getMessage(), e);
      }
    }

    /** The host of Spark's {@code host:port} executor address (IPv6 in brackets). */
    private static String host(String address) {
      String host = address.substring(0, address.lastIndexOf(':'));
      return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    }
  }
}
