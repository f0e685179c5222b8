package io.kindling.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

  /**
   * Synchronous SGD over 2 workers at batch 64 against one worker at batch 128: not the same
   * batches (each worker shuffles its own partition), so not the same model, but the same accuracy
   * to within 0.3 points. The standalone-cluster drill repeats this on two executors.
   */
  @Test
  void allReduceOnTwoWorkersTrainsAsOneWorkerAtTwiceTheBatch() throws Exception {
    JsonNode allReduce =
        shortRun("allreduce-2x64", "--set", "train.sync=allreduce", "--set", "train.batch-size=64");
    JsonNode oneWorker =
        shortRun("one-worker-128", "--set", "spark.workers=1", "--set", "train.batch-size=128");
    assertThat(allReduce.get("steps").asLong()).isEqualTo(oneWorker.get("steps").asLong());
    double a = allReduce.get("test_accuracy").asDouble();
    double o = oneWorker.get("test_accuracy").asDouble();
    System.out.printf(
        "local[2]: test accuracy all-reduce 2 x 64 %.4f, one worker x 128 %.4f%n", a, o);
    assertThat(a).isCloseTo(o, within(0.003));
  }

  /** The default job on local[2], shortened: 12,000 examples, 3 epochs. */
  private JsonNode shortRun(String name, String... sets) throws Exception {
    Path run = dir.resolve(name);
    Path log = dir.resolve(name + ".log");
    List<String> args = new ArrayList<>(List.of("train", "--run-dir", run.toString()));
    args.addAll(List.of(sets));
    args.addAll(List.of("--set", "data.limit=12000", "--set", "train.epochs=3"));
    int status =
        Submit.withMavenClasspath()
            .spark("--master", "local[2]", "--conf", "spark.ui.enabled=false")
            .job(args.toArray(String[]::new))
            .run(log, 10);
    assertThat(status).as(Files.readString(log)).isZero();
    return Submit.summary(run);
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
