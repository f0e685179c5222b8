package io.kindling.driver;

import io.kindling.sync.ParameterAveraging;
import io.kindling.sync.RingAveraging;
import io.kindling.sync.ShardedAllReduce;
import io.kindling.sync.SyncStrategy;
import io.kindling.sync.TrainingPlan;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The one place configuration chooses how workers synchronise; the trainer only sees the interface.
 */
final class SyncStrategies {
  static final List<String> NAMES = List.of("averaging", "ring-averaging", "allreduce");

  private SyncStrategies() {}

  static SyncStrategy create(
      JavaSparkContext spark, TrainingPlan plan, JobConfig.Train train, int workers) {
    return switch (train.sync()) {
      case "averaging" -> new ParameterAveraging(spark, plan, train.aggregationDepth());
      case "ring-averaging" -> {
        requireGang(spark, workers, train.sync());
        yield new RingAveraging(
            spark,
            plan,
            train.averagingFrequency(),
            train.averageOptimizerState(),
            train.averageLag(),
            train.allreduceTimeout(),
            train.allreduceAttempts(),
            train.ringSharedMemory());
      }
      case "allreduce" -> {
        requireGang(spark, workers, train.sync());
        yield new ShardedAllReduce(
            spark,
            plan,
            new ShardedAllReduce.Settings(
                train.allreduceTimeout(),
                train.allreduceAttempts(),
                train.allreduceBf16(),
                train.allreduceTopk(),
                train.ringSharedMemory()));
      }
      default ->
          throw new ConfigException(
              "train.sync '" + train.sync() + "' is not available; use one of " + NAMES);
    };
  }

  /** A barrier stage runs all its tasks at once, or waits for slots that never come. */
  private static void requireGang(JavaSparkContext spark, int workers, String sync) {
    if (spark.getConf().getBoolean("spark.dynamicAllocation.enabled", false)) {
      throw new ConfigException(
          "train.sync = "
              + sync
              + " runs barrier stages, which Spark refuses with dynamic allocation: set spark.dynamicAllocation.enabled=false");
    }
    int slots = spark.defaultParallelism();
    if (workers > slots) {
      throw new ConfigException(
          "train.sync = "
              + sync
              + " needs all "
              + workers
              + " workers running at once but the cluster has "
              + slots
              + " task slots: set spark.workers to at most "
              + slots
              + " or add executors");
    }
  }
}
