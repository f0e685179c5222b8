package io.kindling.driver;

import io.kindling.sync.TrainingPlan;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;

/**
 * Kindling's memory preflight, {@link MemoryPlan} (package-private in the driver), for tests that
 * check deployment settings without a cluster: the rule a job applies before its first round.
 */
public final class Preflight {
  private Preflight() {}

  /**
   * Checks executors configured by {@code sparkConf} for {@code job} with {@code sets} applied,
   * over a training set of {@code trainingValues} values.
   *
   * @throws ConfigException naming the settings to raise when an executor has too little memory
   */
  public static void check(
      Map<String, String> sparkConf, String job, List<String> sets, long trainingValues) {
    JobConfig config = JobConfig.load(job, null, Map.of(), sets);
    if (config.workers() <= 0) {
      throw new IllegalArgumentException(
          "set spark.workers: the preflight needs the number of training partitions");
    }
    TrainingPlan plan =
        new TrainingPlan(
            config.model(),
            config.optimizer(1, 1),
            config.train().batchSize(),
            config.threadsPerWorker(),
            config.seed());
    SparkConf conf = new SparkConf(false);
    sparkConf.forEach(conf::set);
    MemoryPlan.check(
        conf, plan, trainingValues, config.workers(), MemoryPlan.Sync.of(config.train()));
  }
}
