package io.kindling.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.kindling.kernels.Activation;
import io.kindling.kernels.ExampleBlock;
import io.kindling.kernels.LocalTrainer;
import io.kindling.kernels.Loss;
import io.kindling.kernels.Network;
import io.kindling.kernels.NetworkSpec;
import io.kindling.kernels.OptimizerSpec;
import java.time.Duration;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Ring averaging on local Spark against parameter averaging through the driver: one barrier stage
 * of several averaging periods computes what a round per period computes.
 */
class RingAveragingTest {
  private static final NetworkSpec NETWORK =
      NetworkSpec.input(8).dense(16, Activation.TANH).dense(4).loss(Loss.SOFTMAX_CROSS_ENTROPY);
  private static final int K = 2;

  static final JavaSparkContext spark = LocalSpark.get();

  private static TrainingPlan plan() {
    return new TrainingPlan(NETWORK, OptimizerSpec.adamw(0.01, 0.01).withClipNorm(1), 8, 1, 3);
  }

  /**
   * Rounds of k steps through the driver, from step {@code first} (a multiple of k, where the
   * trainer starts rounds) to {@code end} of epoch 1.
   */
  private static RoundResult[] throughTheDriver(
      JavaRDD<ExampleBlock> data, float[] start, int first, int end) {
    ParameterAveraging averaging = new ParameterAveraging(spark, plan(), 2);
    float[] state = start;
    RoundResult[] rounds = new RoundResult[(end - first + K - 1) / K];
    for (int r = 0; r < rounds.length; r++) {
      int from = first + r * K;
      rounds[r] =
          averaging.run(data, new Round(1, r, from, Math.min(K, end - from), 20 + from), state);
      state = rounds[r].state();
    }
    return rounds;
  }

  private static RoundResult inTheRing(
      JavaRDD<ExampleBlock> data, float[] start, int first, int end, boolean sharedMemory) {
    RingAveraging ring =
        new RingAveraging(spark, plan(), K, true, 0, Duration.ofSeconds(20), 1, sharedMemory);
    return ring.run(data, new Round(1, 0, first, end - first, 20 + first), start);
  }

  /** Over TCP and through shared memory alike (the tasks of local Spark share one host). */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void twoWorkersAverageExactlyAsThroughTheDriver(boolean sharedMemory) {
    JavaRDD<ExampleBlock> data = spark.parallelize(ShardedAllReduceTest.blocks(48, 41), 2);
    float[] start =
        new RingAveraging(spark, plan(), K, true, 0, Duration.ofSeconds(20), 1, true)
            .initialState();
    // Six steps in one stage, averaged after steps 2, 4 and 6; worker 1's last batch holds 1 row.
    RoundResult[] driver = throughTheDriver(data, start, 0, 6);
    RoundResult ring = inTheRing(data, start, 0, 6, sharedMemory);

    assertThat(ring.state()).containsExactly(driver[2].state(), within(0f));
    assertThat(ring.state()).isNotEqualTo(start);
    assertThat(ring.examples()).isEqualTo(48 + 41);
    // Each round through the driver took 4 batches.
    assertThat(ring.loss())
        .isCloseTo((driver[0].loss() + driver[1].loss() + driver[2].loss()) / 3, within(1e-9));

    Communication c = ring.communication();
    int n = start.length;
    assertThat(c.workers()).isEqualTo(2);
    assertThat(c.steps()).isEqualTo(6);
    assertThat(c.optimumBytesPerWorkerPerStep()).isEqualTo(2.0 * 1 / 2 * 4 * n / K);
    // 3 averages of n floats sent per worker (half in the reduce-scatter, half in the all-gather),
    // each half a frame with a 16-byte header, over 6 steps.
    assertThat(c.bytesPerWorkerPerStep()).isEqualTo(3 * (4.0 * n + 2 * 16) / 6);
  }

  @Test
  void anEmptyPartitionTakesNoPartInTheMean() {
    // Three tasks, two blocks: the first partition is empty.
    JavaRDD<ExampleBlock> data = spark.parallelize(ShardedAllReduceTest.blocks(40, 27), 3);
    assertThat(data.glom().map(List::size).collect()).containsExactly(0, 1, 1);
    float[] start =
        new RingAveraging(spark, plan(), K, true, 0, Duration.ofSeconds(20), 1, true)
            .initialState();
    RoundResult[] driver = throughTheDriver(data, start, 2, 6);
    RoundResult ring = inTheRing(data, start, 2, 6, true);
    assertThat(ring.state()).containsExactly(driver[1].state(), within(0f));
  }

  @Test
  void threeUnevenWorkersMatchTheDriverToRounding() {
    JavaRDD<ExampleBlock> data = spark.parallelize(ShardedAllReduceTest.blocks(40, 27, 9), 3);
    float[] start =
        new RingAveraging(spark, plan(), K, true, 0, Duration.ofSeconds(20), 1, true)
            .initialState();
    // The ring sums three in another order than the driver: equal to rounding, not bit for bit.
    RoundResult[] driver = throughTheDriver(data, start, 0, 5);
    RoundResult ring = inTheRing(data, start, 0, 5, true);
    float[] expected = driver[2].state();
    for (int i = 0; i < expected.length; i++) {
      assertThat(ring.state()[i])
          .as("value %d", i)
          .isCloseTo(expected[i], within(1e-5f * Math.max(1, Math.abs(expected[i]))));
    }
    assertThat(ring.examples()).isEqualTo(40 + 27 + 9);
  }

  @Test
  void withoutTheOptimizerStateAveragesWithinARoundSendOnlyTheParameters() {
    List<ExampleBlock> blocks = ShardedAllReduceTest.blocks(48, 48);
    TrainingPlan plan = plan();
    RingAveraging ring =
        new RingAveraging(spark, plan, K, false, 0, Duration.ofSeconds(20), 1, true);
    float[] start = ring.initialState();
    Round round = new Round(0, 0, 0, 2 * K, 0);
    RoundResult result = ring.run(spark.parallelize(blocks, 2), round, start);

    // By hand: K steps each, the parameters' mean, K more steps, the whole state's mean.
    ByHand byHand = new ByHand(plan, round, blocks, start);
    LocalTrainer[] trainers = byHand.trainers;
    int numParams = (int) NETWORK.numParams();
    for (int s = 0; s < 2 * K; s++) {
      byHand.step(s);
      if (s == K - 1) {
        float[][] params = new float[2][numParams];
        trainers[0].network().readParams(params[0], 0);
        trainers[1].network().readParams(params[1], 0);
        for (int i = 0; i < numParams; i++) {
          params[0][i] = (params[0][i] + params[1][i]) * 0.5f;
        }
        trainers[0].network().writeParams(params[0], 0);
        trainers[1].network().writeParams(params[0], 0);
      }
    }
    assertThat(result.state()).containsExactly(byHand.stateMean(), within(0f));
    assertThat(result.communication().optimumBytesPerWorkerPerStep())
        .isEqualTo((4.0 * numParams + 4.0 * start.length) / (2 * K));
    // One parameters-only average and one whole one over 2K steps.
    assertThat(result.communication().bytesPerWorkerPerStep())
        .isEqualTo((4.0 * numParams + 32 + 4.0 * start.length + 32) / (2 * K));
  }

  /**
   * Averages that lag, by hand: each is taken from the parameters at its step and lands {@code lag}
   * steps later as {@code x += mean - snapshot}; the round's last average is the whole state's.
   */
  @ParameterizedTest
  @CsvSource({"1, false", "1, true", "2, true"})
  void laggingAveragesLandLateAndKeepTheProgressMadeMeanwhile(int lag, boolean sharedMemory) {
    List<ExampleBlock> blocks = ShardedAllReduceTest.blocks(48, 41);
    TrainingPlan plan = plan();
    RingAveraging ring =
        new RingAveraging(spark, plan, K, false, lag, Duration.ofSeconds(20), 1, sharedMemory);
    float[] start = ring.initialState();
    // Six steps: averages taken after steps 2 and 4 land lag steps later; after step 6, the
    // round's last, the whole state's mean is taken. Worker 1's last batch holds 1 row.
    int steps = 3 * K;
    Round round = new Round(0, 0, 0, steps, 0);
    RoundResult result = ring.run(spark.parallelize(blocks, 2), round, start);
    RoundResult again = ring.run(spark.parallelize(blocks, 2), round, start);

    ByHand byHand = new ByHand(plan, round, blocks, start);
    LocalTrainer[] trainers = byHand.trainers;
    int numParams = (int) NETWORK.numParams();
    float[][] snapshots = new float[2][numParams];
    int landsAfter = -1;
    for (int s = 0; s < steps - 1; s++) {
      byHand.step(s);
      if (s == landsAfter) {
        land(trainers, snapshots);
      }
      if ((s + 1) % K == 0) {
        for (int w = 0; w < 2; w++) {
          trainers[w].network().readParams(snapshots[w], 0);
        }
        landsAfter = s + lag;
      }
    }
    byHand.step(steps - 1);
    if (landsAfter == steps - 1) {
      land(trainers, snapshots);
    }
    float[] mean = byHand.stateMean();
    assertThat(result.state()).containsExactly(mean, within(0f));
    assertThat(again.state()).containsExactly(mean, within(0f));
    assertThat(result.examples()).isEqualTo(48 + 41);
    // Two parameters-only averages and one whole one over 6 steps.
    assertThat(result.communication().bytesPerWorkerPerStep())
        .isEqualTo((2 * (4.0 * numParams + 32) + 4.0 * start.length + 32) / steps);
  }

  /**
   * A worker that fails with an average in flight fails the round at once, not after the ring's
   * timeout, and leaves no background thread behind; the next round runs.
   */
  @Test
  void aWorkerFailingWithAnAverageInFlightFailsTheRoundAndLeavesNoThreadBehind() {
    List<ExampleBlock> blocks = ShardedAllReduceTest.blocks(48, 41);
    TrainingPlan plan = plan();
    // Worker 1's third batch (step 3, after the first average was handed over) has a bad label.
    int[] order = LocalSteps.epochOrder(41, plan.seed(), 0, 1);
    int[] labels = blocks.get(1).labels().clone();
    labels[order[2 * 8]] = 99;
    ExampleBlock bad = new ExampleBlock(41, 8, blocks.get(1).features(), labels);
    RingAveraging ring =
        new RingAveraging(spark, plan, K, false, K, Duration.ofSeconds(60), 1, true);
    float[] start = ring.initialState();
    Round round = new Round(0, 0, 0, 3 * K, 0);

    long began = System.nanoTime();
    assertThatThrownBy(
            () -> ring.run(spark.parallelize(List.of(blocks.get(0), bad), 2), round, start))
        // Spark reports whichever task's failure reaches it first: the bad row's, or the ring's
        // end seen by the other worker.
        .hasMessageMatching(
            "(?s).*(row " + order[2 * 8] + " has label 99|task 1 at \\S+ closed the connection).*");
    assertThat((System.nanoTime() - began) / 1e9).as("seconds to fail").isLessThan(30);
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(t -> t.getName().startsWith("kindling-ring-average-") && t.isAlive());

    RoundResult result = ring.run(spark.parallelize(blocks, 2), round, start);
    assertThat(result.examples()).isEqualTo(48 + 41);
  }

  /** Two workers' local steps with no averaging, to average by hand. */
  private static final class ByHand {
    final LocalTrainer[] trainers = new LocalTrainer[2];
    private final int[][] orders = new int[2][];
    private final TrainingPlan plan;
    private final Round round;
    private final List<ExampleBlock> blocks;

    ByHand(TrainingPlan plan, Round round, List<ExampleBlock> blocks, float[] start) {
      this.plan = plan;
      this.round = round;
      this.blocks = blocks;
      for (int w = 0; w < 2; w++) {
        trainers[w] = new LocalTrainer(Network.create(NETWORK, plan.seed()), plan.optimizer(), 8);
        trainers[w].importState(start);
        orders[w] = LocalSteps.epochOrder(blocks.get(w).size(), plan.seed(), round.epoch(), w);
      }
    }

    void step(int s) {
      for (int w = 0; w < 2; w++) {
        LocalSteps.step(plan, round, w, trainers[w], blocks.get(w), orders[w], s);
      }
    }

    /** The mean of the two workers' whole states. */
    float[] stateMean() {
      float[][] states = new float[2][trainers[0].stateSize()];
      trainers[0].exportState(states[0]);
      trainers[1].exportState(states[1]);
      float[] mean = new float[states[0].length];
      for (int i = 0; i < mean.length; i++) {
        mean[i] = (states[0][i] + states[1][i]) * 0.5f;
      }
      return mean;
    }
  }

  /** {@code x += mean - snapshot} on each of two workers. */
  private static void land(LocalTrainer[] trainers, float[][] snapshots) {
    int n = snapshots[0].length;
    float[][] now = new float[2][n];
    for (int w = 0; w < 2; w++) {
      trainers[w].network().readParams(now[w], 0);
    }
    for (int i = 0; i < n; i++) {
      float mean = (snapshots[0][i] + snapshots[1][i]) * 0.5f;
      now[0][i] += mean - snapshots[0][i];
      now[1][i] += mean - snapshots[1][i];
    }
    for (int w = 0; w < 2; w++) {
      trainers[w].network().writeParams(now[w], 0);
    }
  }

  @Test
  void aLagNeedsAveragesOfTheParametersAloneThatLandWithinAPeriod() {
    assertThatThrownBy(
            () -> new RingAveraging(spark, plan(), K, true, 1, Duration.ofSeconds(20), 1, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("only the parameters");
    assertThatThrownBy(
            () ->
                new RingAveraging(spark, plan(), K, false, K + 1, Duration.ofSeconds(20), 1, true))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lag must lie in [0, k = 2]");
  }
}
