package io.kindling.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * The job jar under spark-submit with embedded local Spark, as a user would run it: the
 * configuration comes from the jar, Spark from the provided class path.
 */
class SparkSubmitIT {
  @TempDir Path dir;

  @Test
  void defaultJobTrainsUnderSparkSubmit() throws Exception {
    Path run = dir.resolve("run");
    Path log = dir.resolve("submit.log");
    int status =
        Submit.withMavenClasspath()
            .spark("--master", "local[2]", "--conf", "spark.ui.enabled=false")
            .job(
                "train",
                "--run-dir",
                run.toString(),
                "--set",
                "data.limit=12000",
                "--set",
                "train.epochs=2")
            .run(log, 10);
    String output = Files.readString(log);
    assertThat(status).as(output).isZero();
    assertThat(output).contains("epoch 2/2", "test accuracy");
    JsonNode summary = Submit.summary(run);
    assertThat(summary.get("job").asText()).isEqualTo("fashion-mnist-mlp");
    assertThat(summary.get("workers").asInt()).isEqualTo(2);
    assertThat(summary.get("test_accuracy").asDouble()).isGreaterThan(0.78);
    assertThat(run.resolve("model/parameters.bin")).exists();
  }

  @Test
  void badInputExitsNonZeroWithOneLine() throws Exception {
    Path log = dir.resolve("bad.log");
    int status =
        Submit.withMavenClasspath()
            .spark("--master", "local[2]", "--conf", "spark.ui.enabled=false")
            .job("train", "--run-dir", dir.resolve("bad-run").toString(), "--data", "/nonexistent")
            .run(log, 5);
    String output = Files.readString(log);
    assertThat(status).as(output).isEqualTo(2);
    assertThat(output).contains("kindling: /nonexistent: data folder not found");
  }
}
