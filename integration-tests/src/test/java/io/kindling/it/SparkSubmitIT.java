package io.kindling.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The job jar submitted through Spark's own spark-submit entry point ({@code SparkSubmit}) in a
 * separate JVM, as a user would run it: the configuration comes from the jar, Spark from the
 * provided class path.
 */
class SparkSubmitIT {
  @TempDir Path dir;

  private Process submit(Path runDir, Path log, String... jobArgs) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx3g");
    cmd.addAll(Arrays.asList(System.getProperty("kindling.javaOpens").trim().split("\\s+")));
    cmd.add("-Dlog4j2.configurationFile=" + System.getProperty("kindling.log4j"));
    cmd.add("-cp");
    cmd.add(Files.readString(Path.of(System.getProperty("kindling.sparkClasspath"))).trim());
    cmd.addAll(
        List.of(
            "org.apache.spark.deploy.SparkSubmit",
            "--master",
            "local[2]",
            "--class",
            "io.kindling.driver.Kindling",
            "--conf",
            "spark.ui.enabled=false",
            System.getProperty("kindling.jobJar"),
            "train",
            "--run-dir",
            runDir.toString()));
    cmd.addAll(List.of(jobArgs));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  @Test
  void defaultJobTrainsUnderSparkSubmit() throws Exception {
    Path run = dir.resolve("run");
    Path log = dir.resolve("submit.log");
    Process p = submit(run, log, "--set", "data.limit=12000", "--set", "train.epochs=2");
    assertThat(p.waitFor(10, TimeUnit.MINUTES)).as("spark-submit finished").isTrue();
    String output = Files.readString(log);
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("epoch 2/2", "test accuracy");
    JsonNode summary = new ObjectMapper().readTree(run.resolve("summary.json").toFile());
    assertThat(summary.get("job").asText()).isEqualTo("fashion-mnist-mlp");
    assertThat(summary.get("workers").asInt()).isEqualTo(2);
    assertThat(summary.get("test_accuracy").asDouble()).isGreaterThan(0.78);
    assertThat(new File(run.toFile(), "model/parameters.bin")).exists();
  }

  @Test
  void badInputExitsNonZeroWithOneLine() throws Exception {
    Path log = dir.resolve("bad.log");
    Process p = submit(dir.resolve("bad-run"), log, "--data", "/nonexistent");
    assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
    String output = Files.readString(log);
    assertThat(p.exitValue()).as(output).isEqualTo(2);
    assertThat(output).contains("kindling: /nonexistent: data folder not found");
  }
}
