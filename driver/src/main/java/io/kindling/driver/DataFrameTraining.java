package io.kindling.driver;

import io.kindling.data.FrameReader;
import io.kindling.data.LabeledData;
import io.kindling.data.Partitions;
import java.io.IOException;
import java.io.PrintStream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Trains on a Spark DataFrame through the same job as {@code kindling train}: the door the Spark ML
 * API uses into the driver.
 */
public final class DataFrameTraining {
  static final String SOURCE = "training DataFrame";

  private DataFrameTraining() {}

  /**
   * Trains the configured network on the frame's examples (read into the driver once and checked
   * row by row, as {@code data.format = parquet} is). A fit has no test data of its own: the final
   * evaluation scores the validation split, i.e. the same seeded hold-out of {@code
   * data.validation-fraction} that validates every epoch, or the whole frame when that fraction is
   * 0.
   *
   * @param features a vector or array column, as {@link FrameReader#withFeatures} takes
   * @param label class numbers 0..{@code data.classes}-1, or real values when it is 0
   */
  public static TrainingResult train(
      JobConfig config, Dataset<Row> frame, String features, String label, PrintStream out)
      throws IOException {
    JobConfig.Data data = config.data();
    LabeledData examples =
        new FrameReader(data.classes())
            .withLabel(label)
            .withFeatures(features)
            .withPolicy(data.badRecords())
            .read(frame, SOURCE);
    // PreparedData holds out validation with these same arguments, so the rows are the same.
    LabeledData heldOut =
        data.validationFraction() > 0
            ? Partitions.holdOut(examples, data.validationFraction(), config.seed(), "validation")[
                1]
            : examples;
    ExampleSource source =
        new ExampleSource() {
          @Override
          public LabeledData train() {
            return examples;
          }

          @Override
          public LabeledData test() {
            return heldOut;
          }

          @Override
          public String describe() {
            return SOURCE;
          }
        };
    JavaSparkContext spark = JavaSparkContext.fromSparkContext(frame.sparkSession().sparkContext());
    try {
      return new TrainingJob(config, spark, out, false, source).train();
    } finally {
      // The job names its Spark jobs; the caller's later jobs are not part of it.
      spark.clearJobGroup();
    }
  }
}
