package io.kindling.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * Data, checkpoints and run folder on a real HDFS through hdfs:// URLs. The job runs under
 * spark-submit with local[2]: the driver does all the reading and writing of files, so local mode
 * exercises every HDFS path of the job without a cluster's start-up time; YarnIT covers executors
 * in containers.
 */
class HdfsIT {
  // A failed drill keeps its folder (mini-cluster and spark-submit logs) to read.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  static Path dir;

  static MiniClusterProcess cluster;
  static String data;

  @BeforeAll
  static void startHdfs() throws Exception {
    cluster = MiniClusterProcess.start(dir.resolve("minicluster"), 0);
    data = cluster.putFashionMnist();
  }

  @AfterAll
  static void stopHdfs() throws Exception {
    if (cluster != null) {
      cluster.stop();
    }
  }

  /** What a scheduled pipeline runs again and again: start, or continue from a checkpoint. */
  static Submit resumableJob(String runDir) throws IOException {
    return Submit.withMavenClasspath()
        .hadoopConf(cluster.confDir())
        .spark("--master", "local[2]", "--conf", "spark.ui.enabled=false")
        .job(
            "train",
            "--resume",
            "--data",
            data,
            "--run-dir",
            runDir,
            "--set",
            "data.limit=12000",
            "--set",
            "train.epochs=3");
  }

  @Test
  void aRunKilledMidTrainingResumesFromItsHdfsCheckpoint() throws Exception {
    String run = cluster.hdfs() + "/runs/mlp";
    Path firstLog = dir.resolve("first.log");
    Process first = resumableJob(run).start(firstLog);
    Submit.awaitLog(firstLog, first, text -> text.contains("epoch 2/3"), 300);
    first.destroyForcibly();
    assertThat(first.waitFor(1, TimeUnit.MINUTES)).isTrue();
    assertThat(Files.readString(firstLog)).contains("no checkpoint in " + run);
    assertThat(cluster.list(run + "/checkpoints")).anyMatch(name -> name.startsWith("round-"));
    assertThat(cluster.exists(run + "/summary.json"))
        .as("the killed run wrote no summary")
        .isFalse();

    Path againLog = dir.resolve("again.log");
    int status = resumableJob(run).run(againLog, 10);
    String output = Files.readString(againLog);
    assertThat(status).as(output).isZero();
    assertThat(output).contains("resuming from " + run + "/checkpoints/round-", "epoch 3/3");
    JsonNode summary = cluster.summary(run);
    assertThat(summary.get("rounds_this_run").asLong()).isLessThan(summary.get("rounds").asLong());
    assertThat(summary.get("test_accuracy").asDouble()).isGreaterThan(0.78);
    assertThat(cluster.list(run + "/model")).contains("model.json", "parameters.bin");
    assertThat(cluster.read(run + "/metrics.jsonl").lines()).hasSize(3);
    assertThat(cluster.read(run + "/config.conf")).contains(data);
  }
}
