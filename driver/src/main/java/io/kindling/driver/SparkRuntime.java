package io.kindling.driver;

import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Starts Spark or joins the one spark-submit started. Inside spark-submit the master comes from
 * Spark's own configuration; otherwise from {@code --master}, else the job's {@code spark.master}
 * (embedded local Spark by default).
 */
final class SparkRuntime {
  private SparkRuntime() {}

  static JavaSparkContext start(String appName, String masterFlag, JobConfig config) {
    SparkConf conf = new SparkConf(true);
    if (masterFlag != null) {
      conf.setMaster(masterFlag);
    } else if (!conf.contains("spark.master")) {
      conf.setMaster(config.master());
    }
    conf.setIfMissing("spark.app.name", appName);
    conf.setIfMissing("spark.ui.enabled", Boolean.toString(config.sparkUi()));
    conf.setIfMissing("spark.ui.showConsoleProgress", "false");
    // A worker's result is the whole state vector: return it with the task instead of through
    // the block manager (the limit stays below spark.rpc.message.maxSize's default of 128m).
    conf.setIfMissing("spark.task.maxDirectResultSize", "96m");
    // libnd4j's idle OpenMP threads spin by default and steal the cores BLAS and the other tasks
    // need; the library reads this when it loads, so executors get it in their environment.
    conf.setIfMissing("spark.executorEnv.OMP_WAIT_POLICY", "PASSIVE");
    return JavaSparkContext.fromSparkContext(SparkContext.getOrCreate(conf));
  }

  /** Training partitions: as configured, or one per task slot of the cluster. */
  static int workers(JavaSparkContext spark, JobConfig config) {
    return config.workers() > 0 ? config.workers() : spark.defaultParallelism();
  }
}
