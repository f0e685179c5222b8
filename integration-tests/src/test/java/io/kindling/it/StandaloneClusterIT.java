package io.kindling.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Drills on a real Spark standalone cluster (a Master and two Workers, each its own JVM, executors
 * in JVMs of their own) that {@code bin/spark-cluster} starts: the default job in client and
 * cluster deploy modes, an executor killed mid-training, a driver killed mid-training and run
 * again, the all-reduce against one worker at the same total batch, and a model too big for
 * parameter averaging that the sharded all-reduce trains inside the same executor limits.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterIT {
  static final Path HOME =
      Path.of(System.getProperty("kindling.home")).toAbsolutePath().normalize();
  static final Path SPARK_HOME = Path.of(System.getProperty("kindling.sparkHome"));
  static final Map<String, String> CLUSTER_ENV =
      Map.of(
          "KINDLING_CLUSTER_DIR", System.getProperty("kindling.clusterDir"),
          "SPARK_HOME", SPARK_HOME.toString(),
          "MASTER_PORT", "17077",
          "MASTER_UI_PORT", "18080",
          "WORKER_CORES", "2");
  static final String MASTER = "spark://127.0.0.1:17077";

  // Kept when a drill fails: its submit logs are the evidence.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  static Path dir;

  static boolean startedHere;
  static JsonNode undisturbed;

  static int cluster(String command) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(HOME.resolve("bin/spark-cluster").toString(), command).inheritIO();
    pb.environment().putAll(CLUSTER_ENV);
    Process p = pb.start();
    assertThat(p.waitFor(3, TimeUnit.MINUTES)).isTrue();
    return p.exitValue();
  }

  @BeforeAll
  static void startCluster() throws Exception {
    if (cluster("status") != 0) {
      assertThat(cluster("start")).isZero();
      startedHere = true;
    }
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (startedHere) {
      cluster("stop");
    }
  }

  /** The default job on the cluster: two executors of one core each, client mode. */
  static Submit clientJob(Path run, String... extra) {
    return clientJob(
        List.of("spark.executor.memory=1g", "spark.executor.cores=1", "spark.cores.max=2"),
        run,
        extra);
  }

  /** A job in client mode on executors configured by {@code executorConf} ({@code key=value}). */
  static Submit clientJob(List<String> executorConf, Path run, String... extra) {
    Submit submit =
        Submit.withSparkHome(SPARK_HOME)
            .spark("--master", MASTER, "--deploy-mode", "client")
            .spark("--conf", "spark.ui.enabled=false");
    executorConf.forEach(c -> submit.spark("--conf", c));
    return submit.job("train", "--run-dir", run.toString()).job(extra);
  }

  @Test
  @Order(1)
  void defaultJobOnTwoExecutorsReachesTheAccuracyBar() throws Exception {
    Path run = dir.resolve("undisturbed");
    Path log = dir.resolve("undisturbed.log");
    int status = clientJob(run).run(log, 20);
    String output = Files.readString(log);
    assertThat(status).as(output).isZero();
    undisturbed = Submit.summary(run);
    assertThat(undisturbed.get("workers").asInt()).isEqualTo(2);
    assertThat(undisturbed.get("test_accuracy").asDouble()).isGreaterThanOrEqualTo(0.88);
  }

  @Test
  @Order(2)
  void losingAnExecutorMidTrainingChangesNothing() throws Exception {
    Path run = dir.resolve("executor-killed");
    Path log = dir.resolve("executor-killed.log");
    Process submit = clientJob(run).start(log);
    Submit.awaitLog(log, submit, text -> text.contains("epoch 2/"), 600);
    ProcessHandle executor = executors().get(0);
    executor.destroyForcibly();
    assertThat(submit.waitFor(20, TimeUnit.MINUTES)).isTrue();
    String output = Files.readString(log);
    assertThat(submit.exitValue()).as(output).isZero();
    assertThat(output).contains("kindling: lost executor");
    assertThat(Submit.summary(run).get("test_accuracy").asDouble())
        .isCloseTo(undisturbed.get("test_accuracy").asDouble(), within(0.005));
  }

  @Test
  @Order(3)
  void aKilledDriverRunAgainResumesFromItsCheckpoint() throws Exception {
    Path run = dir.resolve("driver-killed");
    Path log = dir.resolve("driver-killed.log");
    Process first = clientJob(run, "--resume").start(log);
    Submit.awaitLog(log, first, text -> text.contains("epoch 4/"), 900);
    first.destroyForcibly();
    first.waitFor(1, TimeUnit.MINUTES);
    // The disk filled up while the newest checkpoint was written: cut it short.
    List<Path> checkpoints;
    try (var s = Files.list(run.resolve("checkpoints"))) {
      checkpoints =
          s.filter(p -> p.getFileName().toString().startsWith("round-"))
              .sorted(Comparator.comparing(Path::toString))
              .toList();
    }
    assertThat(checkpoints).hasSizeGreaterThanOrEqualTo(2);
    Path newest = checkpoints.get(checkpoints.size() - 1);
    try (RandomAccessFile f =
        new RandomAccessFile(newest.resolve("parameters.bin").toFile(), "rw")) {
      f.setLength(f.length() / 3);
    }
    Path again = dir.resolve("driver-rerun.log");
    int status = clientJob(run, "--resume").run(again, 20);
    String output = Files.readString(again);
    assertThat(status).as(output).isZero();
    assertThat(output)
        .contains("warning: checkpoint")
        .contains("falling back to")
        .contains("resuming from");
    JsonNode summary = Submit.summary(run);
    assertThat(summary.get("rounds_this_run").asLong()).isLessThan(summary.get("rounds").asLong());
    assertThat(summary.get("test_accuracy").asDouble())
        .isCloseTo(undisturbed.get("test_accuracy").asDouble(), within(0.005));
  }

  @Test
  @Order(4)
  void clusterDeployModeRunsTheDriverOnAWorker() throws Exception {
    Path run = dir.resolve("cluster-mode");
    Path log = dir.resolve("cluster-mode.log");
    int status =
        Submit.withSparkHome(SPARK_HOME)
            .spark(
                "--master",
                MASTER,
                "--deploy-mode",
                "cluster",
                "--conf",
                "spark.standalone.submit.waitAppCompletion=true",
                "--conf",
                "spark.driver.memory=1g",
                "--conf",
                "spark.driver.cores=1",
                "--conf",
                "spark.driver.extraJavaOptions=" + String.join(" ", Submit.javaOpens()),
                "--conf",
                "spark.executor.memory=1g",
                "--conf",
                "spark.executor.cores=1",
                "--conf",
                "spark.cores.max=2",
                "--conf",
                "spark.ui.enabled=false")
            .job(
                "train",
                "--run-dir",
                run.toString(),
                "--set",
                "data.limit=12000",
                "--set",
                "train.epochs=2")
            .run(log, 15);
    String output = Files.readString(log);
    // Standalone cluster mode's spark-submit exits 0 even when the driver fails: read its verdict.
    assertThat(status).as(output).isZero();
    assertThat(output).as(output).contains("is FINISHED");
    assertThat(Submit.summary(run).get("test_accuracy").asDouble()).isGreaterThan(0.78);
  }

  @Test
  @Order(5)
  void allReduceOnTwoExecutorsTrainsAsOneWorkerAtTwiceTheBatch() throws Exception {
    JsonNode allReduce =
        shortRun("allreduce-2x64", "--set", "train.sync=allreduce", "--set", "train.batch-size=64");
    JsonNode oneWorker =
        shortRun("one-worker-128", "--set", "spark.workers=1", "--set", "train.batch-size=128");
    assertThat(allReduce.get("workers").asInt()).isEqualTo(2);
    assertThat(oneWorker.get("workers").asInt()).isEqualTo(1);
    // The same steps at the same total batch, so the same learning-rate schedule.
    assertThat(allReduce.get("steps").asLong()).isEqualTo(oneWorker.get("steps").asLong());
    double a = allReduce.get("test_accuracy").asDouble();
    double o = oneWorker.get("test_accuracy").asDouble();
    System.out.printf(
        "standalone: test accuracy all-reduce 2 x 64 %.4f, one worker x 128 %.4f%n", a, o);
    assertThat(a).isCloseTo(o, within(0.003));
  }

  /** The default job, shortened: 12,000 examples, 3 epochs. */
  private static JsonNode shortRun(String name, String... sets) throws Exception {
    Path run = dir.resolve(name);
    Path log = dir.resolve(name + ".log");
    List<String> args = new ArrayList<>(List.of(sets));
    args.addAll(List.of("--set", "data.limit=12000", "--set", "train.epochs=3"));
    int status = clientJob(run, args.toArray(String[]::new)).run(log, 10);
    assertThat(status).as(Files.readString(log)).isZero();
    return Submit.summary(run);
  }

  /**
   * A dense network of 7.9M parameters with Adam on 2 executors of 2 tasks: averaging holds the
   * parameters, gradients and both Adam moments in every task (123 MiB; 567 MiB an executor with
   * ND4J's runtime), over the 540 MiB overhead; the all-reduce over the 4 tasks holds a quarter of
   * the moments, with quarter-sized copies of parameters and gradients (93 MiB; 507 MiB). JavaCPP
   * caps each executor's resident memory at heap plus overhead, as a container would, so the
   * all-reduce run shows that the footprint fits, not just the preflight's sums.
   */
  @Test
  @Order(6)
  void aModelTooBigToAverageTrainsShardedWithinTheSameExecutorLimits() throws Exception {
    Path job = dir.resolve("model-size.conf");
    Files.writeString(
        job,
        String.join(
            "\n",
            "job.name = model-size-drill",
            "spark.workers = 4",
            "data.limit = 1000",
            "model {",
            "  input = [784]",
            "  layers = [",
            "    {type = dense, units = 2048, activation = relu}",
            "    {type = dense, units = 3072, activation = relu}",
            "    {type = dense, units = 10}",
            "  ]",
            "  loss = softmax-cross-entropy",
            "}",
            "optimizer.kind = adam",
            "train {epochs = 2, batch-size = 32}",
            "checkpoint.every-epochs = 0"));
    List<String> executors =
        List.of(
            "spark.executor.memory=1536m",
            "spark.executor.cores=2",
            "spark.cores.max=4",
            "spark.executor.memoryOverhead=540m",
            "spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.maxphysicalbytes=2076m");

    Path refusedLog = dir.resolve("model-size-averaging.log");
    int refused =
        clientJob(executors, dir.resolve("model-size-averaging"), "--job", job.toString())
            .run(refusedLog, 10);
    String refusal = Files.readString(refusedLog);
    assertThat(refused).as(refusal).isEqualTo(2);
    assertThat(refusal)
        .contains("kindling: memory preflight: each executor needs about")
        .contains("spark.executor.memoryOverhead gives 540 MiB")
        .contains("or --set train.sync=allreduce, which shards the optimizer state over the 4")
        .doesNotContain("epoch 1/");

    Path run = dir.resolve("model-size-allreduce");
    Path log = dir.resolve("model-size-allreduce.log");
    int status =
        clientJob(executors, run, "--job", job.toString(), "--set", "train.sync=allreduce")
            .run(log, 10);
    String output = Files.readString(log);
    assertThat(status).as(output).isZero();
    // No executor ran out of memory on the way (a rerun round would still end well).
    assertThat(output).doesNotContain("kindling: lost executor", "failed (attempt");
    JsonNode summary = Submit.summary(run);
    assertThat(summary.get("parameters").asLong()).isEqualTo(7_932_938L);
    assertThat(summary.get("workers").asInt()).isEqualTo(4);
    assertThat(summary.get("sync_mode").asText()).isEqualTo("allreduce");
    assertThat(summary.get("test_log_loss").asDouble()).isFinite();
    for (String epoch : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      assertThat(new ObjectMapper().readTree(epoch).get("train_loss").asDouble()).isFinite();
    }
  }

  /** The executor JVMs of the cluster: the Workers' child processes. */
  private static List<ProcessHandle> executors() throws IOException {
    Path runDir = Path.of(System.getProperty("kindling.clusterDir"), "run");
    List<ProcessHandle> found;
    try (var s = Files.list(runDir)) {
      found =
          s.filter(p -> p.getFileName().toString().startsWith("worker"))
              .flatMap(p -> ProcessHandle.of(Long.parseLong(readPid(p))).stream())
              .flatMap(ProcessHandle::children)
              .filter(
                  h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
              .toList();
    }
    assertThat(found).as("running executors").isNotEmpty();
    return found;
  }

  private static String readPid(Path p) {
    try {
      return Files.readString(p).trim();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
