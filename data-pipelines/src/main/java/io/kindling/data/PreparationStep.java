package io.kindling.data;

import java.util.function.Supplier;
import org.apache.spark.SparkContext;

/**
 * Names the Spark jobs of one step of preparing data ("read, validate and count ...", "deal the
 * training split ..."), in job group {@link PreparedData#JOB_GROUP}, so the Spark UI and {@code
 * bench data} show where preparation spends its time. The caller's job group comes back after.
 */
final class PreparationStep {
  private static final String GROUP = "spark.jobGroup.id";
  private static final String DESCRIPTION = "spark.job.description";

  private PreparationStep() {}

  static <T> T run(SparkContext spark, String description, Supplier<T> action) {
    String group = spark.getLocalProperty(GROUP);
    String was = spark.getLocalProperty(DESCRIPTION);
    spark.setJobGroup(PreparedData.JOB_GROUP, description, false);
    try {
      return action.get();
    } finally {
      spark.setLocalProperty(GROUP, group);
      spark.setLocalProperty(DESCRIPTION, was);
    }
  }
}
