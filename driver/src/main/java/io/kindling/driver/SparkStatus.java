package io.kindling.driver;

import io.kindling.sync.Round;
import org.apache.spark.api.java.JavaSparkContext;

/** Names each round's Spark jobs ("epoch 3/10, round 17"), so the Spark UI shows progress. */
final class SparkStatus implements TrainingListener {
  private final JavaSparkContext spark;
  private final int epochs;

  SparkStatus(JavaSparkContext spark, int epochs) {
    this.spark = spark;
    this.epochs = epochs;
  }

  @Override
  public void onRoundStart(Round round) {
    spark.setJobGroup(
        "kindling-training",
        "epoch " + (round.epoch() + 1) + "/" + epochs + ", round " + (round.index() + 1),
        false);
  }
}
