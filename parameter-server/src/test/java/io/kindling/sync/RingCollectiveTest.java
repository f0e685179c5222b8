package io.kindling.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The ring on threads of one JVM over 127.0.0.1, its links over TCP, shared memory or both: sums,
 * authentication and timeouts.
 */
class RingCollectiveTest {
  private static final byte[] SECRET = "this job's secret".getBytes(StandardCharsets.US_ASCII);
  private static final Duration TIMEOUT = Duration.ofSeconds(1);

  /** What one task of a test ring does once it has joined. */
  interface Work<T> {
    T run(RingCollective ring) throws Exception;
  }

  /** How the tasks of a test ring move data to each other. */
  enum Links {
    /** Every link over TCP. */
    TCP,
    /** Every link through shared memory: all tasks on one address. */
    SHARED,
    /**
     * The last task on another loopback address, so that its two links use TCP and the others
     * shared memory.
     */
    MIXED,
    /**
     * All tasks on one address, but only task 0 may share memory: its offer is refused and its
     * neighbours offer none, so every link falls back to TCP.
     */
    REFUSED;

    boolean sharedMemory(int rank) {
      return this == REFUSED ? rank == 0 : this != TCP;
    }

    InetAddress host(int rank, int workers) throws IOException {
      return this == MIXED && workers > 1 && rank == workers - 1
          ? InetAddress.getByName("127.0.0.2")
          : InetAddress.getLoopbackAddress();
    }

    /** How many of task {@code rank}'s links share memory. */
    int shared(int rank, int workers) {
      if (this == TCP || this == REFUSED || workers == 1) {
        return 0;
      }
      if (this == SHARED) {
        return 2;
      }
      // Links 0 -> 1 -> ... -> W-2 share memory; W-2 -> W-1 and W-1 -> 0 do not.
      return workers == 2
          ? 0
          : (rank == 0 || rank == workers - 2 ? 1 : rank == workers - 1 ? 0 : 2);
    }
  }

  /** Joins W threads into a TCP ring (task r holding {@code secrets[r]}); runs work on each. */
  private static <T> List<Future<T>> ring(byte[][] secrets, Duration timeout, Work<T> work)
      throws IOException {
    return ring(Links.TCP, secrets, timeout, work);
  }

  /** Joins W threads into a ring linked as {@code links} says and runs work on each. */
  private static <T> List<Future<T>> ring(
      Links links, byte[][] secrets, Duration timeout, Work<T> work) throws IOException {
    int workers = secrets.length;
    List<ServerSocketChannel> listeners = new ArrayList<>();
    List<InetSocketAddress> peers = new ArrayList<>();
    for (int r = 0; r < workers; r++) {
      ServerSocketChannel listener = RingCollective.listen(links.host(r, workers));
      listeners.add(listener);
      peers.add((InetSocketAddress) listener.getLocalAddress());
    }
    ExecutorService threads = Executors.newFixedThreadPool(workers);
    List<Future<T>> results = new ArrayList<>();
    for (int r = 0; r < workers; r++) {
      int rank = r;
      results.add(
          threads.submit(
              () -> {
                try (ServerSocketChannel listener = listeners.get(rank);
                    RingCollective ring =
                        RingCollective.connect(
                            rank,
                            peers,
                            listener,
                            secrets[rank],
                            timeout,
                            links.sharedMemory(rank))) {
                  assertThat(ring.sharedLinks())
                      .as("task %d's shared memory links", rank)
                      .isEqualTo(links.shared(rank, workers));
                  return work.run(ring);
                }
              }));
    }
    threads.shutdown();
    return results;
  }

  private static byte[][] sameSecret(int workers) {
    byte[][] secrets = new byte[workers][];
    Arrays.fill(secrets, SECRET);
    return secrets;
  }

  /** Integer-valued floats, so that every summation order gives the exact sum. */
  private static float[] values(int length, long seed) {
    Random r = new Random(seed);
    float[] v = new float[length];
    for (int i = 0; i < length; i++) {
      v[i] = r.nextInt(2001) - 1000;
    }
    return v;
  }

  private static float[] serialSum(int workers, int length) {
    float[] sum = new float[length];
    for (int r = 0; r < workers; r++) {
      float[] v = values(length, r);
      for (int i = 0; i < length; i++) {
        sum[i] += v[i];
      }
    }
    return sum;
  }

  /**
   * Every collective on a buffer surrounded by guard values, at an offset; returns the failures.
   */
  private static List<String> collectives(RingCollective ring, int length) throws IOException {
    int w = ring.size();
    int r = ring.rank();
    int offset = 3;
    float[] sum = serialSum(w, length);
    float[] buffer = new float[offset + length + 2];
    Arrays.fill(buffer, -7f);
    List<String> failures = new ArrayList<>();

    System.arraycopy(values(length, r), 0, buffer, offset, length);
    ring.reduceScatter(buffer, offset, length, RingCollective.Wire.FP32);
    int from = ring.shardStart(length);
    int to = ring.shardEnd(length);
    if (!Arrays.equals(buffer, offset + from, offset + to, sum, from, to)) {
      failures.add("reduce-scatter: task " + r + "'s shard is not the sum");
    }

    Arrays.fill(buffer, offset, offset + length, Float.NaN); // only the own shard is sent
    System.arraycopy(sum, from, buffer, offset + from, to - from);
    ring.allGather(buffer, offset, length);
    if (!Arrays.equals(buffer, offset, offset + length, sum, 0, length)) {
      failures.add("all-gather: task " + r + " did not get every shard");
    }

    System.arraycopy(values(length, r), 0, buffer, offset, length);
    ring.allReduce(buffer, offset, length);
    if (!Arrays.equals(buffer, offset, offset + length, sum, 0, length)) {
      failures.add("all-reduce: task " + r + " did not get the sum");
    }
    for (int i : new int[] {0, 1, 2, offset + length, offset + length + 1}) {
      if (buffer[i] != -7f) {
        failures.add("task " + r + " wrote outside the range, at " + i);
      }
    }
    return failures;
  }

  @ParameterizedTest
  @EnumSource(Links.class)
  void sumsEqualTheSerialSumForOneToEightWorkersAndAnyLength(Links links) throws Exception {
    for (int workers = 1; workers <= 8; workers++) {
      int w = workers;
      // Empty, shorter than the ring, one short of it, and not divisible by it.
      int[] lengths = {0, 1, Math.max(1, w - 1), w + 1, 1000 * w + 3};
      for (Future<List<String>> task :
          ring(
              links,
              sameSecret(w),
              Duration.ofSeconds(10),
              ring -> {
                List<String> failures = new ArrayList<>();
                for (int length : lengths) {
                  for (String f : collectives(ring, length)) {
                    failures.add("W=" + w + ", length " + length + ": " + f);
                  }
                }
                return failures;
              })) {
        assertThat(task.get()).isEmpty();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Links.class)
  void chunksLongerThanAFrameTravelInSeveralFrames(Links links) throws Exception {
    // Chunks of 2 TCP frames; of 16 shared memory frames, twice round its slots.
    int length = 3 * RingCollective.FRAME_FLOATS + 5;
    assertThat(length / 3 / RingCollective.SHARED_FRAME_FLOATS)
        .isGreaterThanOrEqualTo(2 * SharedRing.SLOTS);
    for (Future<List<String>> task :
        ring(links, sameSecret(3), Duration.ofSeconds(10), ring -> collectives(ring, length))) {
      assertThat(task.get()).isEmpty();
    }
    try (var left = Files.list(Path.of("/dev/shm"))) {
      assertThat(left.map(Path::toString)).noneMatch(f -> f.contains("kindling-ring-"));
    }
  }

  @ParameterizedTest
  @EnumSource(Links.class)
  void bf16ReduceScatterSendsHalfTheBytesAndRoundsToNearestEven(Links links) throws Exception {
    int length = 3001;
    for (Future<List<String>> task :
        ring(
            links,
            sameSecret(3),
            Duration.ofSeconds(10),
            ring -> {
              // Small integers: every partial sum is exact in bfloat16's 8 significant bits.
              float[] buffer = new float[length];
              float[] sum = new float[length];
              for (int r = 0; r < 3; r++) {
                Random random = new Random(r);
                for (int i = 0; i < length; i++) {
                  float v = random.nextInt(33) - 16;
                  sum[i] += v;
                  if (r == ring.rank()) {
                    buffer[i] = v;
                  }
                }
              }
              ring.reduceScatter(buffer, 0, length, RingCollective.Wire.BF16);
              List<String> failures = new ArrayList<>();
              int from = ring.shardStart(length);
              int to = ring.shardEnd(length);
              if (!Arrays.equals(buffer, from, to, sum, from, to)) {
                failures.add("task " + ring.rank() + "'s shard is not the sum");
              }
              long bytes = 0;
              for (int t = 0; t < 2; t++) {
                int chunk = Math.floorMod(ring.rank() - t - 1, 3);
                int values =
                    RingCollective.chunkStart(chunk + 1, length, 3)
                        - RingCollective.chunkStart(chunk, length, 3);
                bytes += 16 + 2L * values;
              }
              if (ring.bytesSent() != bytes) {
                failures.add("task " + ring.rank() + " sent " + ring.bytesSent() + " bytes");
              }
              return failures;
            })) {
      assertThat(task.get()).isEmpty();
    }
    float halfway = 1f + 0x1p-8f; // between 1 and 1 + 2^-7, whose last bit is odd
    assertThat(RingCollective.fromBf16(RingCollective.toBf16(halfway))).isEqualTo(1f);
    float odd = 1f + 3 * 0x1p-8f; // between 1 + 2^-7 and 1 + 2^-6, whose last bit is even
    assertThat(RingCollective.fromBf16(RingCollective.toBf16(odd))).isEqualTo(1f + 0x1p-6f);
    assertThat(RingCollective.fromBf16(RingCollective.toBf16(-3.1f))).isEqualTo(-3.09375f);
    assertThat(RingCollective.fromBf16(RingCollective.toBf16(Float.NaN))).isNaN();
    assertThat(RingCollective.fromBf16(RingCollective.toBf16(Float.NEGATIVE_INFINITY)))
        .isEqualTo(Float.NEGATIVE_INFINITY);
  }

  @ParameterizedTest
  @EnumSource(Links.class)
  void topKPairsSumToTheSerialSumOfTheSparsifiedGradientsForOneToFourWorkers(Links links)
      throws Exception {
    int length = 2003;
    for (int workers = 1; workers <= 4; workers++) {
      int w = workers;
      float[] expected = new float[length];
      for (int r = 0; r < w; r++) {
        TopKSparsifier alone = new TopKSparsifier(length, 0.1, 1);
        float[] sparse = values(length, r);
        alone.select(sparse, 0);
        alone.sum(sparse);
        for (int i = 0; i < length; i++) {
          expected[i] += sparse[i]; // integer values: any order sums exactly
        }
      }
      for (Future<float[]> task :
          ring(
              links,
              sameSecret(w),
              Duration.ofSeconds(10),
              ring -> {
                TopKSparsifier topK = new TopKSparsifier(length, 0.1, ring.size());
                float[] gradient = values(length, ring.rank());
                topK.select(gradient, ring.rank());
                long before = ring.bytesSent();
                ring.allGatherPairs(topK.pairs(), topK.pairs().length);
                // (W-1) blocks of k = 201 (index, value) pairs, one frame each.
                assertThat(ring.bytesSent() - before).isEqualTo((w - 1) * (201 * 8 + 16L));
                topK.sum(gradient);
                return gradient;
              })) {
        assertThat(task.get()).as("W=%d", w).containsExactly(expected);
      }
    }
  }

  @Test
  void aPeerWithTheWrongSecretIsRefused() throws Exception {
    byte[][] secrets = {SECRET, SECRET, "another job".getBytes(StandardCharsets.US_ASCII)};
    List<Future<Object>> tasks =
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> ring(secrets, TIMEOUT, r -> r));
    // Task 0 listens for task 2, refuses its proof and goes on waiting for the real one.
    assertThatThrownBy(tasks.get(0)::get)
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(SocketTimeoutException.class)
        .hasMessageContaining("no authenticated connection from task 2 at 127.0.0.1:")
        .hasMessageContaining("refused 127.0.0.1:")
        .hasMessageContaining("wrong job secret");
    // Task 1 connects to task 2, whose answer proves a different secret.
    assertThatThrownBy(tasks.get(1)::get)
        .cause()
        .hasMessageStartingWith("authentication with task 2 at 127.0.0.1:")
        .hasMessageContaining("different job secrets");
    assertThatThrownBy(tasks.get(2)::get).cause().hasMessageContaining("different job secrets");
  }

  @ParameterizedTest
  @EnumSource(
      value = Links.class,
      names = {"TCP", "SHARED"})
  void aSilentPeerTimesOutNamingIt(Links links) throws Exception {
    List<Future<Object>> tasks =
        ring(
            links,
            sameSecret(2),
            TIMEOUT,
            ring -> {
              if (ring.rank() == 0) {
                ring.allReduce(new float[100], 0, 100);
              } else {
                Thread.sleep(3 * TIMEOUT.toMillis()); // joined, then never sends
              }
              return null;
            });
    long began = System.nanoTime();
    assertThatThrownBy(tasks.get(0)::get)
        .cause()
        .isInstanceOf(SocketTimeoutException.class)
        .hasMessageMatching("no data from task 1 at 127\\.0\\.0\\.1:\\d+ for 1 s .*");
    assertThat((System.nanoTime() - began) / 1e9).isLessThan(2.5);
  }

  @Test
  void aPeerThatNeverJoinsTimesOutNamingIt() throws Exception {
    // Task 1 listens (so task 0's connection is taken by the system) but never answers.
    try (ServerSocketChannel absent = RingCollective.listen(InetAddress.getLoopbackAddress());
        ServerSocketChannel listener = RingCollective.listen(InetAddress.getLoopbackAddress())) {
      List<InetSocketAddress> peers =
          List.of(
              (InetSocketAddress) listener.getLocalAddress(),
              (InetSocketAddress) absent.getLocalAddress());
      assertTimeoutPreemptively(
          Duration.ofSeconds(5),
          () ->
              assertThatThrownBy(
                      () -> RingCollective.connect(0, peers, listener, SECRET, TIMEOUT, true))
                  .isInstanceOf(SocketTimeoutException.class)
                  .hasMessageStartingWith("no authenticated connection from task 1 at 127.0.0.1:")
                  .hasMessageContaining("within 1 s"));
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = Links.class,
      names = {"TCP", "SHARED"})
  void aPeerThatDiesMidwayEndsTheCollectiveAtOnce(Links links) throws Exception {
    List<Future<Object>> tasks =
        ring(
            links,
            sameSecret(2),
            Duration.ofSeconds(30),
            ring -> {
              if (ring.rank() == 0) {
                ring.allReduce(new float[100], 0, 100);
              }
              return null; // task 1 leaves: its connections close
            });
    assertTimeoutPreemptively(
        Duration.ofSeconds(5),
        () ->
            assertThatThrownBy(tasks.get(0)::get)
                .cause()
                .hasMessageMatching(
                    "(lost the connection to )?task 1 at 127\\.0\\.0\\.1:\\d+"
                        + "( closed the connection .*|: .*)"));
  }
}
