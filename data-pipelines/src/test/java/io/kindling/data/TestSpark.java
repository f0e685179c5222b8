package io.kindling.data;

import org.apache.spark.sql.SparkSession;

/** The local Spark session the Spark tests share, started once per test class. */
final class TestSpark {
  private TestSpark() {}

  static SparkSession start() {
    return SparkSession.builder()
        .master("local[2]")
        .appName("test")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate();
  }
}
