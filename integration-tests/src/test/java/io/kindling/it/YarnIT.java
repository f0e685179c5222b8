package io.kindling.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.apache.hadoop.yarn.api.records.YarnApplicationState;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * The job jar on a real YARN (a ResourceManager and two NodeManagers, HDFS as fs.defaultFS) in
 * client deploy mode: Kindling's driver runs in the spark-submit JVM, its executors in YARN
 * containers; data and run folder are on HDFS.
 */
class YarnIT {
  static final Path SPARK_HOME = Path.of(System.getProperty("kindling.sparkHome"));

  // A failed drill keeps its folder (mini-cluster, container and spark-submit logs) to read.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  static Path dir;

  static MiniClusterProcess cluster;
  static String data;

  @BeforeAll
  static void startYarn() throws Exception {
    cluster = MiniClusterProcess.start(dir.resolve("minicluster"), 2);
    data = cluster.putFashionMnist();
  }

  @AfterAll
  static void stopYarn() throws Exception {
    if (cluster != null) {
      cluster.stop();
    }
  }

  @Test
  void trainsOnTwoExecutorContainersInClientMode() throws Exception {
    String run = cluster.hdfs() + "/runs/yarn-client";
    Path log = dir.resolve("submit.log");
    int status =
        Submit.withSparkHome(SPARK_HOME)
            .hadoopConf(cluster.confDir())
            .spark(
                "--master",
                "yarn",
                "--deploy-mode",
                "client",
                "--num-executors",
                "2",
                "--executor-cores",
                "1",
                "--executor-memory",
                "1g",
                "--conf",
                "spark.executor.memoryOverhead=1g",
                "--conf",
                "spark.yarn.am.memory=512m",
                // The containers use Spark's jars where they lie instead of an upload per submit.
                "--conf",
                "spark.yarn.jars=local:" + SPARK_HOME.toAbsolutePath() + "/jars/*",
                // A failed job should fail the test, not run a second time.
                "--conf",
                "spark.yarn.maxAppAttempts=1",
                // Containers bind to loopback like the driver, not to whatever eth0 is.
                "--conf",
                "spark.yarn.appMasterEnv.SPARK_LOCAL_IP=127.0.0.1",
                "--conf",
                "spark.executorEnv.SPARK_LOCAL_IP=127.0.0.1",
                "--conf",
                "spark.ui.enabled=false")
            .job(
                "train",
                "--data",
                data,
                "--run-dir",
                run,
                "--set",
                "data.limit=12000",
                "--set",
                "train.epochs=2")
            .run(log, 10);
    String output = Files.readString(log);
    assertThat(status).as(output).isZero();
    assertThat(output).contains("epoch 2/2", "test accuracy");
    JsonNode summary = cluster.summary(run);
    assertThat(summary.get("workers").asInt()).isEqualTo(2);
    assertThat(summary.get("test_accuracy").asDouble()).isGreaterThan(0.78);
    assertThat(cluster.list(run + "/model")).contains("model.json", "parameters.bin");

    ApplicationReport app = onlyApplication();
    assertThat(app.getApplicationType()).isEqualTo("SPARK");
    assertThat(app.getYarnApplicationState()).isEqualTo(YarnApplicationState.FINISHED);
    assertThat(app.getFinalApplicationStatus()).isEqualTo(FinalApplicationStatus.SUCCEEDED);
    assertThat(containersThatRanTasks(app)).as("executor containers that ran tasks").isEqualTo(2);
  }

  /** How many of the application's containers logged Spark tasks, read from their stderr. */
  private static long containersThatRanTasks(ApplicationReport app) throws IOException {
    String appId = app.getApplicationId().toString();
    try (Stream<Path> files = Files.walk(cluster.yarnDir())) {
      List<Path> logs =
          files
              .filter(p -> p.getFileName().toString().equals("stderr"))
              .filter(p -> p.getParent().getParent().getFileName().toString().equals(appId))
              .toList();
      long count = 0;
      for (Path log : logs) {
        if (Files.readString(log).contains("Running task")) {
          count++;
        }
      }
      return count;
    }
  }

  /** The one application the ResourceManager has seen, as it reports it. */
  private static ApplicationReport onlyApplication() throws Exception {
    YarnConfiguration conf = new YarnConfiguration();
    conf.addResource(
        new org.apache.hadoop.fs.Path(cluster.confDir().resolve("yarn-site.xml").toUri()));
    YarnClient yarn = YarnClient.createYarnClient();
    yarn.init(conf);
    yarn.start();
    try {
      List<ApplicationReport> apps = yarn.getApplications();
      assertThat(apps).hasSize(1);
      return apps.get(0);
    } finally {
      yarn.stop();
    }
  }
}
