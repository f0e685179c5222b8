package io.kindling.sync;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The local Spark, 4 task slots, that this module's tests share: started by the first test class
 * that asks, stopped when the test JVM exits (Spark's own shutdown hook).
 */
final class LocalSpark {
  private static JavaSparkContext spark;

  private LocalSpark() {}

  static synchronized JavaSparkContext get() {
    if (spark == null) {
      spark =
          new JavaSparkContext(
              new SparkConf()
                  .setMaster("local[4]")
                  .setAppName("parameter-server tests")
                  .set("spark.ui.enabled", "false"));
    }
    return spark;
  }
}
