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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntToDoubleFunction;
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
 * A round as one Spark barrier stage whose W tasks find each other through the barrier context,
 * connect in an authenticated ring and run their part of the round; the communication of both ring
 * strategies ({@link ShardedAllReduce}, {@link RingAveraging}) lives here and in {@link
 * RingCollective}.
 *
 * <p>Failure: a lost task fails the barrier stage and with it the job (Spark does not retry a
 * failed barrier result stage); the round is then rerun from the state it was given (training is
 * deterministic, so a rerun changes nothing), up to {@code attempts} times in all, after which it
 * fails with the last error.
 *
 * <p>Security: tasks authenticate each other with a secret drawn per instance (per job) and shipped
 * in the task closure; each task listens only on its executor's address. The closure travels over
 * Spark's RPC: enable {@code spark.authenticate} and {@code spark.network.crypto.enabled} where the
 * cluster network is not trusted.
 */
final class RingStage {
  /** What each task runs once it has joined the ring. */
  @FunctionalInterface
  interface Work extends Serializable {
    /**
     * @param partitionSizes every task's rows, by rank
     * @param block this task's rows, or null when its partition is empty
     * @param start the round's {@code [parameters | optimizer state]}; where the stage keeps state,
     *     this task's own copy, in which the work leaves the state the round ended with; else
     *     shared with the executor's other tasks, to be read only
     * @return this task's shard of the result: the parameters from rank 0 alone, and the shard
     *     {@code [ring.shardStart(trainable), ring.shardEnd(trainable))} of the optimizer state
     */
    ShardResult run(RingCollective ring, int[] partitionSizes, ExampleBlock block, float[] start)
        throws IOException;
  }

  private static final Logger LOG = LoggerFactory.getLogger(RingStage.class);

  /** Tasks in this JVM that met their peers through the barrier's all-gather, for tests. */
  static final AtomicInteger RENDEZVOUS = new AtomicInteger();

  /** Tasks in this JVM that connected a ring rather than rejoining the last round's, for tests. */
  static final AtomicInteger CONNECTS = new AtomicInteger();

  /** Tasks in this JVM that started from the state they kept, not a broadcast, for tests. */
  static final AtomicInteger RESUMED = new AtomicInteger();

  private static final String INTERRUPT_ON_CANCEL = "spark.job.interruptOnCancel";

  private final JavaSparkContext spark;
  private final String name;
  private final Duration timeout;
  private final int attempts;
  private final boolean sharedMemory;
  private final boolean keepState;
  private final byte[] secret;
  private final String id;
  private final int numParams;
  private final int trainable;
  private final int stateLength;

  /** Where the last successful round's tasks listened; null after a failure. */
  private Layout layout;

  /** The last round run here, successful or not: each round's tasks keep their state under it. */
  private long rounds;

  /** The round whose end state the tasks hold, with a fingerprint of that state; null if none. */
  private Ended ended;

  private record Ended(long round, long fingerprint) {}

  /**
   * @param name the strategy, for errors ("all-reduce epoch 1, round 2 failed ...")
   * @param timeout how long a connect or a transfer may make no progress before the round fails
   * @param attempts how many times a failed round runs in all
   * @param sharedMemory whether tasks on one host move data through shared memory ({@link
   *     SharedRing}) rather than loopback TCP
   * @param keepState whether each task keeps the state its round ended with, for a next round that
   *     starts from it on the same tasks, instead of a broadcast; the work must then leave that
   *     state in the array it is given. Not for work that holds only a shard of the optimizer
   *     state: a whole copy per task would undo the sharding
   */
  RingStage(
      JavaSparkContext spark,
      TrainingPlan plan,
      String name,
      Duration timeout,
      int attempts,
      boolean sharedMemory,
      boolean keepState) {
    this.spark = spark;
    this.name = name;
    this.timeout = timeout;
    this.attempts = attempts;
    this.sharedMemory = sharedMemory;
    this.keepState = keepState;
    this.secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    this.id = UUID.randomUUID().toString();
    this.numParams = Math.toIntExact(plan.network().numParams());
    this.trainable = Math.toIntExact(plan.network().numTrainableParams());
    this.stateLength = numParams + plan.optimizer().stateComponents() * trainable;
  }

  /**
   * Runs {@code work} on every partition from {@code state} and assembles the tasks' shards.
   *
   * @param optimumBytesPerStep the ring optimum a worker sends per step at W workers, for {@link
   *     Communication}
   */
  RoundResult run(
      JavaRDD<ExampleBlock> partitions,
      Round round,
      float[] state,
      Work work,
      IntToDoubleFunction optimumBytesPerStep) {
    if (state.length != stateLength) {
      throw new IllegalArgumentException(
          "state vector has " + state.length + " values; this plan needs " + stateLength);
    }
    long began = System.nanoTime();
    List<ShardResult> shards = runWithRetries(partitions, round, state, work);
    long finished = rounds;
    RoundResult result =
        combine(shards, state.length, optimumBytesPerStep, (System.nanoTime() - began) / 1e9);
    if (keepState) {
      ended = new Ended(finished, fingerprint(result.state()));
    }
    return result;
  }

  /**
   * Runs the round's barrier stage until it succeeds or has failed {@code attempts} times. Where
   * the round starts from the state the round before ended with, on the same tasks, the tasks start
   * from the state they kept instead of a broadcast: shipping a 6 MB state costs 15-25 ms a round
   * on two cores, and allocates what makes the collector pause.
   */
  List<ShardResult> runWithRetries(
      JavaRDD<ExampleBlock> partitions, Round round, float[] state, Work work) {
    // When one task fails Spark kills the others; interrupted, they stop waiting for their peers
    // at once instead of holding their slots until the timeout.
    String interrupt = spark.getLocalProperty(INTERRUPT_ON_CANCEL);
    spark.setLocalProperty(INTERRUPT_ON_CANCEL, "true");
    boolean resumable =
        keepState
            && ended != null
            && ended.round == rounds
            && ended.fingerprint == fingerprint(state);
    try {
      for (int attempt = 1; ; attempt++) {
        boolean resume = resumable && layout != null && layout.rdd == partitions.id();
        long resumeFrom = rounds;
        long token = ++rounds;
        Broadcast<float[]> start = resume ? null : spark.broadcast(state);
        try {
          Layout known =
              layout != null && layout.rdd == partitions.id() ? layout : meet(partitions);
          List<Placed> placed =
              partitions
                  .rdd()
                  .barrier()
                  .mapPartitions(
                      new RingTask(
                          name,
                          round,
                          start,
                          resume ? resumeFrom : -1,
                          token,
                          secret,
                          id,
                          known,
                          timeout,
                          sharedMemory,
                          keepState,
                          work),
                      false,
                      ClassTag$.MODULE$.apply(Placed.class))
                  .toJavaRDD()
                  .collect();
          layout = Layout.of(partitions.id(), placed);
          List<ShardResult> shards = new ArrayList<>();
          placed.forEach(p -> shards.add(p.shard));
          return shards;
        } catch (Exception e) { // Spark's job failures are checked SparkExceptions, undeclared
          layout = null; // a lost executor's replacement listens elsewhere: meet afresh
          resumable = false; // and whatever the tasks kept is gone: ship the state
          String reason = reason(e);
          if (resume) {
            attempt--; // a task that could not resume is no failure of the round's
            LOG.info("{} {}: rerunning it with its state shipped: {}", name, round, reason);
            continue;
          }
          if (attempt == attempts) {
            throw new IllegalStateException(
                name + " " + round + " failed " + attempt + " times; last error: " + reason, e);
          }
          LOG.warn(
              "{} {} failed (attempt {} of {}); rerunning it from its start: {}",
              name,
              round,
              attempt,
              attempts,
              reason);
        } finally {
          if (start != null) {
            start.destroy();
          }
        }
      }
    } finally {
      spark.setLocalProperty(INTERRUPT_ON_CANCEL, interrupt);
    }
  }

  /** A 64-bit fingerprint of a state vector's bits: equal states, equal fingerprints. */
  private static long fingerprint(float[] state) {
    long h = state.length;
    for (float v : state) {
      h = (h ^ Float.floatToRawIntBits(v)) * 0x9E3779B97F4A7C15L;
    }
    return h;
  }

  /**
   * Makes the next round find its tasks on other executors than the round before, as when Spark
   * places a gang elsewhere: for tests of the fallback.
   */
  void misplace() {
    if (layout != null) {
      String[] elsewhere = new String[layout.executors.length];
      Arrays.fill(elsewhere, "elsewhere:0");
      layout = new Layout(layout.rdd, elsewhere, layout.ports, layout.sizes);
    }
  }

  /**
   * Opens every task's listener in a short barrier stage of its own and learns where each listens,
   * so the round's tasks can connect at once.
   */
  private Layout meet(JavaRDD<ExampleBlock> partitions) {
    List<Placed> placed =
        partitions
            .rdd()
            .barrier()
            .mapPartitions(new Meet(id), false, ClassTag$.MODULE$.apply(Placed.class))
            .toJavaRDD()
            .collect();
    return Layout.of(partitions.id(), placed);
  }

  private RoundResult combine(
      List<ShardResult> shards,
      int stateLength,
      IntToDoubleFunction optimumBytesPerStep,
      double roundSeconds) {
    float[] state = new float[stateLength];
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
            optimumBytesPerStep.applyAsDouble(workers));
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

  /** The host of Spark's {@code host:port} executor address (IPv6 in brackets). */
  private static String host(String address) {
    String host = address.substring(0, address.lastIndexOf(':'));
    return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
  }

  /** A task's shard with where it listened: the next round's tasks connect there directly. */
  private record Placed(ShardResult shard, String executor, int port, int partitionSize)
      implements Serializable {}

  /**
   * Every task's executor, listening port and partition size from a round of the stage on RDD
   * {@code rdd}, by rank. Spark 4.0's barrier all-gather, the other way to learn them, polls once a
   * second, which would cost up to a second a round.
   */
  private record Layout(int rdd, String[] executors, int[] ports, int[] sizes)
      implements Serializable {
    static Layout of(int rdd, List<Placed> placed) {
      int workers = placed.size();
      String[] executors = new String[workers];
      int[] ports = new int[workers];
      int[] sizes = new int[workers];
      for (int r = 0; r < workers; r++) {
        Placed p = placed.get(r);
        executors[r] = p.executor;
        ports[r] = p.port;
        sizes[r] = p.partitionSize;
      }
      return new Layout(rdd, executors, ports, sizes);
    }

    /** Whether the tasks run on the same executors, rank for rank, as in the round before. */
    boolean fits(BarrierTaskInfo[] tasks) {
      if (tasks.length != executors.length) {
        return false;
      }
      for (int r = 0; r < tasks.length; r++) {
        if (!tasks[r].address().equals(executors[r])) {
          return false;
        }
      }
      return true;
    }
  }

  /** A task of the meeting stage: opens its listener and says where it is. */
  private static final class Meet
      implements Function1<Iterator<ExampleBlock>, Iterator<Placed>>, Serializable {
    private static final long serialVersionUID = 1L;

    private final String stage;

    Meet(String stage) {
      this.stage = stage;
    }

    @Override
    public Iterator<Placed> apply(Iterator<ExampleBlock> blocks) {
      BarrierTaskContext context = BarrierTaskContext.get();
      int rank = context.partitionId();
      int size = blocks.hasNext() ? blocks.next().size() : 0;
      String executor = context.getTaskInfos()[rank].address();
      try {
        int port = Listeners.open(stage + "/" + rank, executor);
        return CollectionConverters.asScala(
            List.of(new Placed(null, executor, port, size)).iterator());
      } catch (IOException e) {
        throw new UncheckedIOException("task " + rank + ": " + e.getMessage(), e);
      }
    }
  }

  /**
   * One task of the barrier stage: joins the ring at the addresses of the round before when its
   * gang runs where that one did, else listens afresh on its executor's address and trades ports
   * and partition sizes with the others through the barrier context; then runs its work. Its
   * listener stays open for the next round.
   */
  private static final class RingTask
      implements Function1<Iterator<ExampleBlock>, Iterator<Placed>>, Serializable {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final Round round;
    private final Broadcast<float[]> start;
    private final long resumeFrom;
    private final long token;
    private final byte[] secret;
    private final String stage;
    private final Layout layout;
    private final Duration timeout;
    private final boolean sharedMemory;
    private final boolean keepState;
    private final Work work;

    RingTask(
        String name,
        Round round,
        Broadcast<float[]> start,
        long resumeFrom,
        long token,
        byte[] secret,
        String stage,
        Layout layout,
        Duration timeout,
        boolean sharedMemory,
        boolean keepState,
        Work work) {
      this.name = name;
      this.round = round;
      this.start = start;
      this.resumeFrom = resumeFrom;
      this.token = token;
      this.secret = secret;
      this.stage = stage;
      this.layout = layout;
      this.timeout = timeout;
      this.sharedMemory = sharedMemory;
      this.keepState = keepState;
      this.work = work;
    }

    @Override
    public Iterator<Placed> apply(Iterator<ExampleBlock> blocks) {
      BarrierTaskContext context = BarrierTaskContext.get();
      int rank = context.partitionId();
      ExampleBlock block = blocks.hasNext() ? blocks.next() : null;
      if (blocks.hasNext()) {
        throw new IllegalStateException("partition " + rank + " holds more than one block");
      }
      int size = block == null ? 0 : block.size();
      BarrierTaskInfo[] tasks = context.getTaskInfos();
      String key = stage + "/" + rank;
      try {
        int[] sizes;
        int[] ports = new int[tasks.length];
        ServerSocketChannel listener;
        // Every task sees the same task infos and layout, so all take the same branch.
        boolean rejoin = layout != null && layout.fits(tasks);
        if (rejoin) {
          listener = Listeners.reuse(key, layout.ports[rank]);
          if (listener == null || layout.sizes[rank] != size) {
            throw new IllegalStateException(
                "task "
                    + rank
                    + " cannot rejoin the ring where the round before left it (executor"
                    + " restarted?); the round reruns with a fresh rendezvous");
          }
          sizes = layout.sizes;
          ports = layout.ports;
        } else {
          int port = Listeners.open(key, tasks[rank].address());
          listener = Listeners.reuse(key, port);
          RENDEZVOUS.incrementAndGet();
          String[] joined = context.allGather(port + " " + size);
          sizes = new int[joined.length];
          for (int r = 0; r < joined.length; r++) {
            String[] portAndSize = joined[r].split(" ");
            ports[r] = Integer.parseInt(portAndSize[0]);
            sizes[r] = Integer.parseInt(portAndSize[1]);
          }
        }
        List<InetSocketAddress> peers = new ArrayList<>();
        for (int r = 0; r < tasks.length; r++) {
          peers.add(new InetSocketAddress(host(tasks[r].address()), ports[r]));
        }
        // A gang where the last one ran still holds that round's connections (set-up, with
        // authentication and shared memory, costs about 20 ms a round on two cores) and the state
        // it ended with.
        Kept kept = rejoin ? Listeners.take(key) : null;
        if (kept != null && !kept.peers.equals(peers)) {
          kept.close();
          kept = null;
        }
        float[] own;
        if (start != null) {
          own = keepState ? start.value().clone() : start.value();
        } else if (kept != null && kept.round == resumeFrom) {
          own = kept.state;
          RESUMED.incrementAndGet();
        } else {
          if (kept != null) {
            kept.close();
          }
          throw new IllegalStateException(
              "task "
                  + rank
                  + " does not hold the state the round before ended with (executor restarted?);"
                  + " the round reruns with the state shipped");
        }
        RingCollective ring = kept != null ? kept.ring : null;
        if (ring == null) {
          ring = RingCollective.connect(rank, peers, listener, secret, timeout, sharedMemory);
          CONNECTS.incrementAndGet();
        }
        boolean keeping = false;
        try {
          ShardResult result = work.run(ring, sizes, block, own);
          Listeners.keep(key, new Kept(ring, List.copyOf(peers), keepState ? own : null, token));
          keeping = true;
          Placed placed = new Placed(result, tasks[rank].address(), ports[rank], size);
          return CollectionConverters.asScala(List.of(placed).iterator());
        } finally {
          if (!keeping) {
            ring.close();
          }
        }
      } catch (IOException e) {
        Listeners.close(key); // the ring may be out of step: the next round meets afresh
        throw new UncheckedIOException(
            name + " " + round + ", task " + rank + ": " + e.getMessage(), e);
      } catch (RuntimeException e) {
        Listeners.close(key);
        throw e;
      }
    }
  }

  /** What a task leaves for the next round of its gang: its ring, joined, and its end state. */
  private record Kept(
      RingCollective ring, List<InetSocketAddress> peers, float[] state, long round) {
    void close() {
      Listeners.closeQuietly(ring);
    }
  }

  /**
   * This executor JVM's ring listeners, kept open between rounds under their stage's id and rank,
   * with what the last round that succeeded there left. Each listener authenticates whoever
   * connects, as in any round; one idle for ten minutes (its job is over or moved elsewhere) is
   * closed, with what was kept, when a task next opens one.
   */
  private static final class Listeners {
    /** A listener, and what its task kept (null while a round uses it, or none). */
    private record Open(ServerSocketChannel channel, Kept kept, long lastUsed) {
      /** Closes the listener and whatever its task kept. */
      void close() {
        closeQuietly(channel);
        if (kept != null) {
          kept.close();
        }
      }
    }

    private static final Map<String, Open> OPEN = new ConcurrentHashMap<>();
    private static final long IDLE_NANOS = TimeUnit.MINUTES.toNanos(10);

    /** The listener kept under {@code key}, if it is still open on {@code port}; else null. */
    static ServerSocketChannel reuse(String key, int port) throws IOException {
      Open open = OPEN.get(key);
      if (open == null
          || !open.channel.isOpen()
          || ((InetSocketAddress) open.channel.getLocalAddress()).getPort() != port) {
        return null;
      }
      OPEN.put(key, new Open(open.channel, open.kept, System.nanoTime()));
      return open.channel;
    }

    /**
     * What the last round under {@code key} left, taken out of the keeping (so that a failed round
     * cannot hand it on); null if nothing.
     */
    static Kept take(String key) {
      Open open = OPEN.get(key);
      if (open == null || open.kept == null) {
        return null;
      }
      OPEN.put(key, new Open(open.channel, null, System.nanoTime()));
      return open.kept;
    }

    /** Keeps what a round left, whole and in step, for the next round of the same gang. */
    static void keep(String key, Kept kept) {
      Open open = OPEN.get(key);
      if (open == null) {
        kept.close(); // the listener is gone (idle too long): the next round meets afresh
        return;
      }
      OPEN.put(key, new Open(open.channel, kept, System.nanoTime()));
    }

    /** Listens afresh on the executor's {@code host:port} address; returns the new port. */
    static int open(String key, String executor) throws IOException {
      ServerSocketChannel channel = RingCollective.listen(InetAddress.getByName(host(executor)));
      keep(key, channel);
      return ((InetSocketAddress) channel.getLocalAddress()).getPort();
    }

    private static void keep(String key, ServerSocketChannel channel) {
      long now = System.nanoTime();
      OPEN.forEach(
          (k, open) -> {
            if (now - open.lastUsed > IDLE_NANOS) {
              close(k);
            }
          });
      Open replaced = OPEN.put(key, new Open(channel, null, now));
      if (replaced != null) {
        replaced.close();
      }
    }

    static void close(String key) {
      Open open = OPEN.remove(key);
      if (open != null) {
        open.close();
      }
    }

    static void closeQuietly(AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception ignored) {
        // nothing left to do with it
      }
    }
  }
}
