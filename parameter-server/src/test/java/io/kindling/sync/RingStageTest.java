package io.kindling.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.kindling.kernels.Activation;
import io.kindling.kernels.ExampleBlock;
import io.kindling.kernels.Loss;
import io.kindling.kernels.NetworkSpec;
import io.kindling.kernels.OptimizerSpec;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

/**
 * How the tasks of a ring stage find each other: a meeting stage before the first round, the same
 * listeners in later rounds, and the barrier's all-gather when the gang runs elsewhere.
 */
class RingStageTest {
  private static final TrainingPlan PLAN =
      new TrainingPlan(
          NetworkSpec.input(8).dense(16, Activation.TANH).dense(4).loss(Loss.SOFTMAX_CROSS_ENTROPY),
          OptimizerSpec.adam(0.01),
          8,
          1,
          3);

  /** Failures the next tasks throw; shared by the tasks of local mode. */
  private static final AtomicInteger FAILURES = new AtomicInteger();

  static final JavaSparkContext spark = LocalSpark.get();

  private static RoundResult round(RingStage stage, JavaRDD<ExampleBlock> data, int r, float[] s) {
    Round round = new Round(0, r, 2 * r, 2, 2 * r);
    return stage.run(
        data,
        round,
        s,
        (ring, sizes, block, start) ->
            RingAveraging.train(PLAN, round, 2, true, 0, ring, sizes, block, start),
        workers -> 0);
  }

  @Test
  void roundsAfterTheMeetingNeedNoAllGatherNorNewConnectionsUnlessTheGangMoves() {
    JavaRDD<ExampleBlock> data = spark.parallelize(ShardedAllReduceTest.blocks(48, 48), 2);
    RingStage stage =
        new RingStage(spark, PLAN, "ring averaging", Duration.ofSeconds(20), 1, true, true);
    float[] state = PLAN.initialState();
    float[] shipped = PLAN.initialState(); // a fresh stage each round: the state shipped
    for (int r = 0; r < 3; r++) {
      shipped = round(fresh(), data, r, shipped).state();
    }
    int before = RingStage.RENDEZVOUS.get();
    int connects = RingStage.CONNECTS.get();
    int resumed = RingStage.RESUMED.get();
    for (int r = 0; r < 3; r++) {
      state = round(stage, data, r, state).state();
    }
    assertThat(RingStage.RENDEZVOUS.get()).isEqualTo(before);
    // The first round connects both tasks and ships them the state; the next two rejoin its ring
    // and start from the state they kept.
    assertThat(RingStage.CONNECTS.get()).isEqualTo(connects + 2);
    assertThat(RingStage.RESUMED.get()).isEqualTo(resumed + 4);
    assertThat(state).containsExactly(shipped);

    stage.misplace();
    float[] moved = round(stage, data, 3, state).state();
    assertThat(RingStage.RENDEZVOUS.get()).isEqualTo(before + 2);
    assertThat(RingStage.CONNECTS.get()).isEqualTo(connects + 4);
    // Where the tasks met changes nothing in what they compute.
    assertThat(moved).containsExactly(round(fresh(), data, 3, state).state());
  }

  private static RingStage fresh() {
    return new RingStage(spark, PLAN, "ring averaging", Duration.ofSeconds(20), 1, true, true);
  }

  @Test
  void aStateOtherThanTheLastRoundEndedWithIsShipped() {
    JavaRDD<ExampleBlock> data = spark.parallelize(ShardedAllReduceTest.blocks(48, 48), 2);
    RingStage stage = fresh();
    float[] ended = round(stage, data, 0, PLAN.initialState()).state();
    float[] restored = ended.clone(); // as the divergence guard or a resumed run would hand it
    restored[0] += 1f;
    int resumed = RingStage.RESUMED.get();
    float[] next = round(stage, data, 1, restored).state();
    assertThat(RingStage.RESUMED.get()).isEqualTo(resumed);
    assertThat(next).containsExactly(round(fresh(), data, 1, restored).state());
    // The copy of the state the round ended with is that state: the tasks start from theirs.
    round(stage, data, 2, next.clone());
    assertThat(RingStage.RESUMED.get()).isEqualTo(resumed + 2);
  }

  @Test
  void aRoundThatFailsMeetsAfreshOnItsRerun() {
    JavaRDD<ExampleBlock> blocks = spark.parallelize(ShardedAllReduceTest.blocks(48, 48), 2);
    JavaRDD<ExampleBlock> failing =
        blocks.map(
            block -> {
              if (FAILURES.getAndDecrement() > 0) {
                throw new IllegalStateException("executor lost (simulated)");
              }
              return block;
            });
    RingStage stage =
        new RingStage(spark, PLAN, "ring averaging", Duration.ofSeconds(20), 2, true, true);
    float[] start = PLAN.initialState();
    float[] undisturbed =
        round(
                new RingStage(spark, PLAN, "ring averaging", Duration.ofSeconds(20), 1, true, true),
                blocks,
                0,
                start)
            .state();
    FAILURES.set(0);
    round(stage, failing, 0, start);
    FAILURES.set(1); // the next round's first task fails; its rerun meets again and succeeds
    assertThat(round(stage, failing, 0, start).state()).containsExactly(undisturbed);
    FAILURES.set(0);
  }
}
