package io.kindling.driver;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kindling.kernels.Activation;
import io.kindling.kernels.Loss;
import io.kindling.kernels.NetworkSpec;
import io.kindling.kernels.OptimizerSpec;
import io.kindling.sync.TrainingPlan;
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
    assertThatThrownBy(() -> MemoryPlan.check(cluster("4g", "512m"), BIG, 1_000_000L, 2, false))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("memory preflight: each executor needs about")
        .hasMessageContaining("spark.executor.memoryOverhead gives 512 MiB")
        .hasMessageContaining("set --conf spark.executor.memoryOverhead=");
  }

  @Test
  void tooLittleHeapForTheCachedDataSaysSo() {
    assertThatThrownBy(() -> MemoryPlan.check(cluster("1g", "8g"), BIG, 500_000_000L, 2, false))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("caches about")
        .hasMessageContaining("set --conf spark.executor.memory=");
  }

  @Test
  void shardingTheOptimizerStateFitsWhereAveragingIsRefused() {
    // ~100M parameters: averaging needs about 1.9 GiB per task, the all-reduce over 8 workers 1.3
    // GiB.
    SparkConf conf = cluster("8g", "1600m");
    assertThatThrownBy(() -> MemoryPlan.check(conf, BIG, 1_000_000L, 8, false))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("spark.executor.memoryOverhead gives 1600 MiB");
    assertThatCode(() -> MemoryPlan.check(conf, BIG, 1_000_000L, 8, true))
        .doesNotThrowAnyException();
  }

  @Test
  void enoughMemoryPasses() {
    assertThatCode(() -> MemoryPlan.check(cluster("8g", "4g"), BIG, 1_000_000L, 2, false))
        .doesNotThrowAnyException();
  }
}
