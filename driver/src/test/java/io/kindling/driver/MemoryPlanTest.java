package io.kindling.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kindling.kernels.Activation;
import io.kindling.kernels.LayerSpec;
import io.kindling.kernels.Loss;
import io.kindling.kernels.NetworkSpec;
import io.kindling.kernels.OptimizerSpec;
import io.kindling.sync.Communication;
import io.kindling.sync.TrainingPlan;
import java.util.List;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class MemoryPlanTest {
  private static final TrainingPlan BIG =
      new TrainingPlan(
          NetworkSpec.input(4096)
              .dense(8192, Activation.RELU)
              .dense(8192, Activation.RELU)
              .dense(10)
              .loss(Loss.SOFTMAX_CROSS_ENTROPY),
          OptimizerSpec.adam(1e-3),
          256,
          1,
          1);

  private static SparkConf cluster(String memory, String overhead) {
    SparkConf conf =
        new SparkConf(false)
            .set("spark.master", "spark://127.0.0.1:7077")
            .set("spark.executor.memory", memory);
    return overhead == null ? conf : conf.set("spark.executor.memoryOverhead", overhead);
  }

  @Test
  void tooLittleOverheadStopsWithTheSettingThatWouldWork() {
    // ~100M parameters: 0.4 GB each for parameters, gradients and Adam's two moments.
    assertThatThrownBy(
            () ->
                MemoryPlan.check(
                    cluster("4g", "512m"), BIG, 1_000_000L, 2, MemoryPlan.Sync.AVERAGING))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("memory preflight: each executor needs about")
        .hasMessageContaining("spark.executor.memoryOverhead gives 512 MiB")
        .hasMessageContaining("set --conf spark.executor.memoryOverhead=");
  }

  @Test
  void tooLittleHeapForTheCachedDataSaysSo() {
    assertThatThrownBy(
            () ->
                MemoryPlan.check(
                    cluster("1g", "8g"), BIG, 500_000_000L, 2, MemoryPlan.Sync.AVERAGING))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cached training data")
        .hasMessageContaining("set --conf spark.executor.memory=");
  }

  @Test
  void shardingTheOptimizerStateFitsWhereAveragingIsRefused() {
    // ~100M parameters: averaging needs about 1.9 GiB per task, the all-reduce over 8 workers 1.3
    // GiB.
    SparkConf conf = cluster("8g", "1600m");
    assertThatThrownBy(() -> MemoryPlan.check(conf, BIG, 1_000_000L, 8, MemoryPlan.Sync.AVERAGING))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("spark.executor.memoryOverhead gives 1600 MiB")
        .hasMessageContaining("or --set train.sync=allreduce, which shards the optimizer state");
    assertThatCode(() -> MemoryPlan.check(conf, BIG, 1_000_000L, 8, MemoryPlan.Sync.ALLREDUCE))
        .doesNotThrowAnyException();
  }

  @Test
  void allReduceIsNotSuggestedWhereShardingSavesTooLittle() {
    // Over 2 workers each task's half of Adam's state comes with half-sized copies of the
    // parameters and gradients: no saving.
    assertThatThrownBy(
            () ->
                MemoryPlan.check(
                    cluster("8g", "1600m"), BIG, 1_000_000L, 2, MemoryPlan.Sync.AVERAGING))
        .isInstanceOf(ConfigException.class)
        .hasMessageNotContaining("allreduce");
  }

  @Test
  void javaCppsCapOnResidentMemoryMustHoldTheHeapAndTheOffHeapNeed() {
    SparkConf conf =
        cluster("16g", "4g")
            .set(
                "spark.executor.extraJavaOptions",
                "-XX:+UseG1GC -Dorg.bytedeco.javacpp.maxPhysicalBytes=17g");
    assertThatThrownBy(() -> MemoryPlan.check(conf, BIG, 1_000_000L, 2, MemoryPlan.Sync.AVERAGING))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("caps it at 17408 MiB")
        .hasMessageContaining("set it to ");
    conf.set("spark.executor.extraJavaOptions", "-Dorg.bytedeco.javacpp.maxphysicalbytes=20g");
    assertThatCode(() -> MemoryPlan.check(conf, BIG, 1_000_000L, 2, MemoryPlan.Sync.AVERAGING))
        .doesNotThrowAnyException();
  }

  @Test
  void everyExecutorHoldsTheBroadcastStateOnItsHeapInEitherMode() {
    // ~100M parameters and Adam: a 1.2 GB state, held twice, besides each task's copies and its
    // result (three times its size while serialised).
    long params = 4L * BIG.network().numParams();
    long state = 3 * params;
    assertThat(MemoryPlan.stateHeapBytes(BIG, MemoryPlan.Sync.AVERAGING, 2, 1))
        .isEqualTo(2 * state + state + 3 * state);
    long adamHalf = params;
    long frame = 4L * Communication.FRAME_FLOATS; // the ring's received values
    assertThat(MemoryPlan.stateHeapBytes(BIG, MemoryPlan.Sync.ALLREDUCE, 2, 1))
        .isEqualTo(2 * state + (2 * params + adamHalf + frame) + 3 * (params + adamHalf));
    for (MemoryPlan.Sync sync : List.of(MemoryPlan.Sync.AVERAGING, MemoryPlan.Sync.ALLREDUCE)) {
      assertThatThrownBy(() -> MemoryPlan.check(cluster("3g", "8g"), BIG, 1000L, 8, sync))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("model state")
          .hasMessageContaining("set --conf spark.executor.memory=");
    }
  }

  @Test
  void aFirstConvolutionHoldsItsIm2colMatrixFromForwardToBackward() {
    NetworkSpec conv =
        NetworkSpec.input(3, 32, 32)
            .conv2d(8, 5, 1, LayerSpec.Padding.SAME, Activation.RELU)
            .flatten()
            .dense(10)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    long columns = 3 * 5 * 5 * 32 * 32;
    assertThat(MemoryPlan.firstLayerColumns(conv)).isEqualTo(columns);
    TrainingPlan plan = new TrainingPlan(conv, OptimizerSpec.adam(1e-3), 64, 1, 1);
    assertThat(MemoryPlan.nativeBytesPerTask(plan, MemoryPlan.Sync.AVERAGING, 1))
        .isGreaterThan(4L * 64 * columns);
    // After a layer with parameters the convolution computes its input gradient through conv2d_bp.
    NetworkSpec second =
        NetworkSpec.input(3, 32, 32)
            .batchNorm()
            .conv2d(8, 5, 1, LayerSpec.Padding.SAME, Activation.RELU)
            .flatten()
            .dense(10)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertThat(MemoryPlan.firstLayerColumns(second)).isZero();
    NetworkSpec patches =
        NetworkSpec.input(1, 28, 28)
            .patchEmbedding(7, 16)
            .globalAveragePooling()
            .dense(10)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertThat(MemoryPlan.firstLayerColumns(patches)).isEqualTo(1 * 7 * 7 * 4 * 4);
    assertThat(MemoryPlan.firstLayerColumns(BIG.network())).isZero();
  }

  @Test
  void threadsSharingAMinibatchEachHoldParametersAndGradients() {
    TrainingPlan twoThreads =
        new TrainingPlan(BIG.network(), BIG.optimizer(), BIG.batchSize(), 2, BIG.seed());
    long params = 4L * BIG.network().numParams(); // all trainable
    assertThat(MemoryPlan.nativeBytesPerTask(twoThreads, MemoryPlan.Sync.AVERAGING, 2))
        .isEqualTo(MemoryPlan.nativeBytesPerTask(BIG, MemoryPlan.Sync.AVERAGING, 2) + 2 * params);
  }

  @Test
  void ringTasksHoldTheirFramesAndTopKItsResidualAndPairs() {
    MemoryPlan.Sync ring = new MemoryPlan.Sync("ring-averaging", 0, false);
    long frame = 4L * Communication.FRAME_FLOATS;
    assertThat(MemoryPlan.stateHeapBytes(BIG, ring, 2, 1))
        .isEqualTo(MemoryPlan.stateHeapBytes(BIG, MemoryPlan.Sync.AVERAGING, 2, 1) + frame);
    assertThat(MemoryPlan.nativeBytesPerTask(BIG, ring, 2))
        .isEqualTo(
            MemoryPlan.nativeBytesPerTask(BIG, MemoryPlan.Sync.AVERAGING, 2) + 2 * (frame + 16));
    // Averages that lag: a snapshot of the parameters and their sum in flight.
    assertThat(MemoryPlan.stateHeapBytes(BIG, new MemoryPlan.Sync("ring-averaging", 0, true), 2, 1))
        .isEqualTo(MemoryPlan.stateHeapBytes(BIG, ring, 2, 1) + 2 * 4L * BIG.network().numParams());

    long n = BIG.network().numTrainableParams();
    long k = (long) Math.ceil(0.1 * n);
    assertThat(MemoryPlan.stateHeapBytes(BIG, new MemoryPlan.Sync("allreduce", 0.1, false), 2, 1))
        .isEqualTo(
            MemoryPlan.stateHeapBytes(BIG, MemoryPlan.Sync.ALLREDUCE, 2, 1)
                + 4 * (2 * n + 2 * k * 2));
  }

  @Test
  void enoughMemoryPasses() {
    assertThatCode(
            () ->
                MemoryPlan.check(
                    cluster("16g", "4g"), BIG, 1_000_000L, 2, MemoryPlan.Sync.AVERAGING))
        .doesNotThrowAnyException();
  }
}
