package io.kindling.driver;

import static io.kindling.driver.KindlingTest.kindling;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;

/** A regression job from CSV files with real-valued labels, end to end through the command. */
class RegressionJobTest {
  @TempDir Path dir;

  /** y = 3 a - 2 b + c^2 + noise: learnable by a small network, not by a constant. */
  private static void writeCsv(Path file, int rows, long seed) throws Exception {
    Random r = new Random(seed);
    StringBuilder sb = new StringBuilder("a,b,c,y\n");
    for (int i = 0; i < rows; i++) {
      double a = r.nextGaussian();
      double b = r.nextGaussian();
      double c = r.nextGaussian();
      double y = 3 * a - 2 * b + c * c + 0.05 * r.nextGaussian();
      sb.append(String.format(Locale.ROOT, "%.5f,%.5f,%.5f,%.5f%n", a, b, c, y));
    }
    Files.writeString(file, sb);
  }

  @Test
  void aCsvRegressionJobReportsMseMaeAndR2() throws Exception {
    writeCsv(dir.resolve("train.csv"), 4000, 1);
    writeCsv(dir.resolve("test.csv"), 1000, 2);
    Path job = dir.resolve("regression.conf");
    Files.writeString(
        job,
        String.join(
            "\n",
            "job.name = regression",
            "data { format = csv, path = \"" + dir + "\", train = train.csv, test = test.csv",
            "  label-column = y, classes = 0, normalise = standard }",
            "model { input = [3], loss = mean-squared-error, layers = [",
            "  {type = dense, units = 32, activation = tanh}",
            "  {type = dense, units = 1} ] }",
            "optimizer { kind = adam, learning-rate = 0.01 }",
            "train { epochs = 8, batch-size = 32 }",
            "early-stopping { metric = validation-loss, patience = 3 }",
            ""));
    Path run = dir.resolve("run");
    KindlingTest.Result r = KindlingTest.trainJob(job, run);
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).contains("val mse").contains("test set: 1,000 examples");

    JsonNode summary = Json.MAPPER.readTree(run.resolve("summary.json").toFile());
    assertThat(summary.path("test_r2").asDouble()).as("test R^2").isGreaterThan(0.9);
    assertThat(summary.path("test_mse").asDouble()).isGreaterThan(0).isLessThan(2);
    assertThat(summary.path("test_mae").asDouble()).isGreaterThan(0).isLessThan(1);
    assertThat(summary.has("test_accuracy")).isFalse();
    List<String> epochs = Files.readAllLines(run.resolve("metrics.jsonl"));
    JsonNode last = Json.MAPPER.readTree(epochs.get(epochs.size() - 1));
    assertThat(last.path("validation_r2").asDouble()).isGreaterThan(0.9);
    assertThat(last.has("validation_mse")).isTrue();
    assertThat(Files.readString(run.resolve("report.html")))
        .contains("R² per epoch", "mean squared error")
        .doesNotContain("confusion matrix");

    KindlingTest.Result evaluated =
        kindling(
            "evaluate",
            run.resolve("model").toString(),
            "--job",
            job.toString(),
            "--master",
            "local[2]",
            "--set",
            "spark.ui=false",
            "--json");
    assertThat(evaluated.status()).as(evaluated.err()).isZero();
    JsonNode scores = Json.MAPPER.readTree(evaluated.out());
    assertThat(scores.path("r2").asDouble())
        .isCloseTo(summary.path("test_r2").asDouble(), org.assertj.core.data.Offset.offset(1e-6));
  }

  @Test
  void realValuedLabelsNeedATabularFormat() {
    KindlingTest.Result r = kindling("train", "--set", "data.classes=0", "--set", "spark.ui=false");
    assertThat(r.status()).isEqualTo(2);
    assertThat(r.err())
        .contains("data.classes = 0 (real-valued labels) needs csv, libsvm or parquet");
  }
}
