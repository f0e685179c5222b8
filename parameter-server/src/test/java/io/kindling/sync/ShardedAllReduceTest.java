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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/**
 * The all-reduce on local Spark, in barrier stages of 2 and 3 tasks: W workers at batch b train
 * exactly as one worker at batch W x b on the same examples in the same order.
 */
class ShardedAllReduceTest {
  private static final NetworkSpec NETWORK =
      NetworkSpec.input(8).dense(16, Activation.TANH).dense(4).loss(Loss.SOFTMAX_CROSS_ENTROPY);
  private static final int BATCH = 8;

  /** Failures the next tasks of {@link #failing} throw; shared by the tasks of local mode. */
  private static final AtomicInteger FAILURES = new AtomicInteger();

  static final JavaSparkContext spark = LocalSpark.get();

  private static ShardedAllReduce.Settings settings(int attempts) {
    return new ShardedAllReduce.Settings(Duration.ofSeconds(20), attempts, false, 0, true);
  }

  private static TrainingPlan plan(OptimizerSpec optimizer) {
    return new TrainingPlan(NETWORK, optimizer, BATCH, 1, 11);
  }

  static List<ExampleBlock> blocks(int... sizes) {
    Random r = new Random(4);
    List<ExampleBlock> blocks = new ArrayList<>();
    for (int size : sizes) {
      float[] x = new float[size * 8];
      int[] y = new int[size];
      for (int i = 0; i < size; i++) {
        y[i] = r.nextInt(4);
        for (int j = 0; j < 8; j++) {
          x[i * 8 + j] = (float) r.nextGaussian() + (j % 4 == y[i] ? 1 : 0);
        }
      }
      blocks.add(new ExampleBlock(size, 8, x, y));
    }
    return blocks;
  }

  /**
   * One worker at batch W x b, each step on the union of the rows the W workers take that step
   * (each in its partition's epoch order), in rank order.
   */
  private static float[] oneWorker(
      TrainingPlan plan, List<ExampleBlock> blocks, Round round, float[] start) {
    int workers = blocks.size();
    LocalTrainer trainer =
        new LocalTrainer(Network.create(NETWORK, plan.seed()), plan.optimizer(), workers * BATCH);
    trainer.importState(start);
    int[][] orders = new int[workers][];
    for (int w = 0; w < workers; w++) {
      orders[w] = LocalSteps.epochOrder(blocks.get(w).size(), plan.seed(), round.epoch(), w);
    }
    for (int s = round.firstStep(); s < round.firstStep() + round.steps(); s++) {
      float[] x = new float[workers * BATCH * 8];
      int[] y = new int[workers * BATCH];
      int rows = 0;
      for (int w = 0; w < workers; w++) {
        ExampleBlock block = blocks.get(w);
        for (int i = s * BATCH; i < Math.min((s + 1) * BATCH, block.size()); i++) {
          int row = orders[w][i];
          System.arraycopy(block.features(), row * 8, x, rows * 8, 8);
          y[rows++] = block.labels()[row];
        }
      }
      ExampleBlock union =
          new ExampleBlock(rows, 8, Arrays.copyOf(x, rows * 8), Arrays.copyOf(y, rows));
      int[] identity = new int[rows];
      for (int i = 0; i < rows; i++) {
        identity[i] = i;
      }
      int iteration = (int) (round.iteration() + s - round.firstStep());
      trainer.step(union, identity, 0, rows, iteration, round.epoch(), 0);
    }
    float[] state = new float[trainer.stateSize()];
    trainer.exportState(state);
    return state;
  }

  /**
   * Equal to within {@code tolerance} (default 1e-5) of each value, or, for values near zero (where
   * the two sides' different summation orders cancel differently), of a tenth of the largest value
   * of their vector: the parameters, or one vector of the optimizer state.
   */
  private static void assertClose(float[] actual, float[] expected, int numParams, int trainable) {
    assertClose(actual, expected, numParams, trainable, 1e-5);
  }

  private static void assertClose(
      float[] actual, float[] expected, int numParams, int trainable, double tolerance) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int start = 0; start < expected.length; ) {
      int end = start == 0 ? numParams : start + trainable;
      float largest = 0;
      for (int i = start; i < end; i++) {
        largest = Math.max(largest, Math.abs(expected[i]));
      }
      for (int i = start; i < end; i++) {
        double error = Math.abs(actual[i] - expected[i]);
        double relative = error / Math.max(Math.abs(expected[i]), 0.1f * largest);
        assertThat(relative)
            .as("value %d: %s vs %s", i, actual[i], expected[i])
            .isLessThanOrEqualTo(tolerance);
      }
      start = end;
    }
  }

  private static void assertMatchesOneWorker(OptimizerSpec optimizer, Round round, int... sizes) {
    TrainingPlan plan = plan(optimizer);
    List<ExampleBlock> blocks = blocks(sizes);
    ShardedAllReduce allReduce = new ShardedAllReduce(spark, plan, settings(1));
    float[] start = allReduce.initialState();
    RoundResult result = allReduce.run(spark.parallelize(blocks, sizes.length), round, start);
    assertClose(
        result.state(),
        oneWorker(plan, blocks, round, start),
        (int) NETWORK.numParams(),
        (int) NETWORK.numTrainableParams());
    long examples = 0;
    for (int size : sizes) {
      examples +=
          Math.max(0, Math.min(size, (round.firstStep() + round.steps()) * BATCH))
              - Math.min(size, round.firstStep() * BATCH);
    }
    assertThat(result.examples()).isEqualTo(examples);
    assertThat(result.loss()).isFinite();
  }

  @Test
  void twoWorkersWithSgdTrainAsOneWorkerAtTwiceTheBatch() {
    assertMatchesOneWorker(OptimizerSpec.sgd(0.1), new Round(1, 0, 1, 3, 7), 48, 48);
  }

  @Test
  void threeWorkersWithAdamTrainAsOneWorkerAtThriceTheBatch() {
    assertMatchesOneWorker(OptimizerSpec.adam(0.01), new Round(0, 1, 2, 3, 2), 40, 40, 40);
  }

  @Test
  void unevenPartitionsWeightEachWorkerByItsRowsAndClipByTheGlobalNorm() {
    // Per step the workers take 8+8+8, 8+8+1, 8+8+0, 8+3+0, 8+0+0 rows.
    OptimizerSpec adamw = OptimizerSpec.adamw(0.01, 0.1).withClipNorm(0.3).withL2(0.001);
    assertMatchesOneWorker(adamw, new Round(0, 0, 0, 5, 0), 40, 27, 9);
  }

  @Test
  void runningStatisticsAreAveragedOverTheWorkers() {
    NetworkSpec batchNorm =
        NetworkSpec.input(8)
            .dense(16, Activation.TANH)
            .batchNorm()
            .dense(4)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    TrainingPlan plan = new TrainingPlan(batchNorm, OptimizerSpec.adam(0.01), BATCH, 1, 11);
    // Worker 1's rows, taken in its epoch order, are worker 0's in worker 0's order: both train
    // on the same batches, so together they take the steps worker 0 takes alone, and the average
    // of their running statistics is worker 0's own.
    ExampleBlock first = blocks(32).get(0);
    int[] order0 = LocalSteps.epochOrder(32, plan.seed(), 0, 0);
    int[] order1 = LocalSteps.epochOrder(32, plan.seed(), 0, 1);
    float[] x = new float[32 * 8];
    int[] y = new int[32];
    for (int i = 0; i < 32; i++) {
      System.arraycopy(first.features(), order0[i] * 8, x, order1[i] * 8, 8);
      y[order1[i]] = first.labels()[order0[i]];
    }
    ExampleBlock second = new ExampleBlock(32, 8, x, y);
    ShardedAllReduce allReduce = new ShardedAllReduce(spark, plan, settings(1));
    float[] start = allReduce.initialState();
    Round round = new Round(0, 0, 0, 3, 0);
    RoundResult result = allReduce.run(spark.parallelize(List.of(first, second), 2), round, start);

    int numParams = (int) batchNorm.numParams();
    int trainable = (int) batchNorm.numTrainableParams();
    assertClose(
        result.state(), LocalSteps.run(plan, round, 0, first, start).state, numParams, trainable);
    assertThat(Arrays.copyOfRange(result.state(), trainable, numParams))
        .as("running statistics")
        .isNotEqualTo(Arrays.copyOfRange(start, trainable, numParams));
  }

  @Test
  void eachTaskHoldsOneThirdOfTheOptimizerStateAndSendsTheRingOptimum() {
    TrainingPlan plan = plan(OptimizerSpec.adam(0.01));
    ShardedAllReduce allReduce = new ShardedAllReduce(spark, plan, settings(1));
    List<ExampleBlock> blocks = blocks(24, 24, 24);
    float[] start = allReduce.initialState();
    Round round = new Round(0, 0, 0, 3, 0);
    List<ShardResult> shards = allReduce.shards(spark.parallelize(blocks, 3), round, start);
    int trainable = (int) NETWORK.numTrainableParams();
    int fullState = 2 * trainable; // Adam's m and v
    int covered = 0;
    for (ShardResult shard : shards) {
      assertThat(shard.optimizerState.length)
          .as("task %d's optimizer state", shard.rank)
          .isEqualTo(2 * (shard.to - shard.from))
          .isLessThanOrEqualTo(fullState / 3 + 2);
      assertThat(shard.parameters == null).isEqualTo(shard.rank != 0);
      covered += shard.to - shard.from;
    }
    assertThat(covered).isEqualTo(trainable);

    RoundResult result = allReduce.run(spark.parallelize(blocks, 3), round, start);
    Communication c = result.communication();
    assertThat(c.workers()).isEqualTo(3);
    assertThat(c.steps()).isEqualTo(3);
    // Per step each task sends (W - 1) of W chunks twice, one 16-byte header per chunk.
    assertThat(c.optimumBytesPerWorkerPerStep()).isEqualTo(2.0 * 2 / 3 * 4 * trainable);
    assertThat(c.bytesPerWorkerPerStep())
        .isCloseTo(c.optimumBytesPerWorkerPerStep() + 2 * 2 * 16, within(1e-9));
    assertThat(c.seconds()).isPositive();
    assertThat(result.computeSeconds()).isPositive();
  }

  @Test
  void bf16GradientsSendThreeQuartersOfTheBytesAndStayCloseToFp32() {
    TrainingPlan plan = plan(OptimizerSpec.sgd(0.1));
    List<ExampleBlock> blocks = blocks(48, 48);
    Round round = new Round(0, 0, 0, 3, 0);
    ShardedAllReduce fp32 = new ShardedAllReduce(spark, plan, settings(1));
    ShardedAllReduce bf16 =
        new ShardedAllReduce(
            spark, plan, new ShardedAllReduce.Settings(Duration.ofSeconds(20), 1, true, 0, true));
    float[] start = fp32.initialState();
    RoundResult exact = fp32.run(spark.parallelize(blocks, 2), round, start);
    RoundResult rounded = bf16.run(spark.parallelize(blocks, 2), round, start);
    int trainable = (int) NETWORK.numTrainableParams();
    assertClose(rounded.state(), exact.state(), (int) NETWORK.numParams(), trainable, 1e-3);
    Communication c = rounded.communication();
    // 2 of the optimum's 4 bytes per value in the reduce-scatter, 4 in the all-gather.
    assertThat(c.bytesPerWorkerPerStep())
        .isCloseTo(0.75 * c.optimumBytesPerWorkerPerStep() + 2 * 16, within(1e-9));
  }

  @Test
  void topKGradientsSendTheirPairsAndTrainAsFp32WhenKIsEverything() {
    TrainingPlan plan = plan(OptimizerSpec.sgd(0.1));
    List<ExampleBlock> blocks = blocks(48, 48);
    Round round = new Round(0, 0, 0, 3, 0);
    ShardedAllReduce fp32 = new ShardedAllReduce(spark, plan, settings(1));
    float[] start = fp32.initialState();
    RoundResult exact = fp32.run(spark.parallelize(blocks, 2), round, start);
    int trainable = (int) NETWORK.numTrainableParams();
    double gatherBytes = exact.communication().optimumBytesPerWorkerPerStep() / 2 + 16;
    for (double share : new double[] {1.0, 0.1}) {
      ShardedAllReduce topK =
          new ShardedAllReduce(
              spark,
              plan,
              new ShardedAllReduce.Settings(Duration.ofSeconds(20), 1, false, share, true));
      RoundResult sparse = topK.run(spark.parallelize(blocks, 2), round, start);
      int k = (int) Math.ceil(share * trainable);
      // W = 2: each task sends its k (index, value) pairs once, then its half of the parameters.
      assertThat(sparse.communication().bytesPerWorkerPerStep())
          .as("share %s", share)
          .isCloseTo(8.0 * k + 16 + gatherBytes, within(1e-9));
      if (share == 1.0) { // the same sums, in another order
        assertClose(sparse.state(), exact.state(), (int) NETWORK.numParams(), trainable, 1e-5);
      } else {
        assertThat(sparse.state()).isNotEqualTo(exact.state());
        assertThat(sparse.loss()).isFinite();
      }
    }
  }

  @Test
  void theStateIsTheOneParameterAveragingShips() {
    TrainingPlan plan = plan(OptimizerSpec.adam(0.01));
    assertThat(new ShardedAllReduce(spark, plan, ShardedAllReduce.Settings.DEFAULTS).initialState())
        .containsExactly(new ParameterAveraging(spark, plan, 2).initialState());
  }

  private static JavaRDD<ExampleBlock> failing(List<ExampleBlock> blocks) {
    return spark
        .parallelize(blocks, blocks.size())
        .map(
            block -> {
              if (FAILURES.getAndDecrement() > 0) {
                throw new IllegalStateException("executor lost (simulated)");
              }
              return block;
            });
  }

  @Test
  void aFailedRoundIsRerunFromItsStartAndGivesUpAfterTheLastAttempt() {
    TrainingPlan plan = plan(OptimizerSpec.adam(0.01));
    List<ExampleBlock> blocks = blocks(32, 32);
    ShardedAllReduce allReduce = new ShardedAllReduce(spark, plan, settings(2));
    float[] start = allReduce.initialState();
    Round round = new Round(0, 0, 0, 2, 0);
    float[] undisturbed = allReduce.run(spark.parallelize(blocks, 2), round, start).state();

    FAILURES.set(1);
    assertThat(allReduce.run(failing(blocks), round, start).state()).containsExactly(undisturbed);

    FAILURES.set(1000);
    assertThatThrownBy(() -> allReduce.run(failing(blocks), round, start))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("all-reduce epoch 1, round 1 failed 2 times; last error: ")
        .hasMessageContaining("executor lost (simulated)");
    FAILURES.set(0);
  }
}
