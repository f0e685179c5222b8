package io.kindling.driver;

import static org.assertj.core.api.Assertions.assertThat;

import io.kindling.kernels.ModelFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * The command line end to end on embedded local Spark and the real Fashion-MNIST files: a short
 * training run (a subset, two epochs), then evaluate, predict and inspect on its model, and the
 * errors a user meets first.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KindlingTest {
  static final String HOME = JobConfigTest.HOME.toString();

  @TempDir static Path dir;

  record Result(int status, String out, String err) {}

  static Result kindling(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    List<String> all = new ArrayList<>(List.of("--home", HOME));
    all.addAll(List.of(args));
    int status =
        Kindling.run(
            all.toArray(String[]::new),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(
        status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static final String[] QUICK = {
    "--set",
    "data.limit=12000",
    "--set",
    "train.epochs=2",
    "--set",
    "spark.ui=false",
    "--master",
    "local[2]"
  };

  static Result train(Path runDir, String... extra) {
    List<String> args = new ArrayList<>(List.of("train", "--run-dir", runDir.toString()));
    args.addAll(List.of(QUICK));
    args.addAll(List.of(extra));
    return kindling(args.toArray(String[]::new));
  }

  /** Trains a job file on local Spark into {@code runDir}. */
  /**
   * Early stopping that no epoch satisfies (it would have to gain a whole point of accuracy): a run
   * stops after epoch 2 and keeps epoch 1.
   */
  static final String[] STOP_AFTER_EPOCH_2 = {
    "--set",
    "early-stopping.patience=1",
    "--set",
    "early-stopping.metric=validation-accuracy",
    "--set",
    "early-stopping.min-delta=1.0"
  };

  /** The default job on 6,000 examples for {@code epochs} epochs, with {@code extra} arguments. */
  static Result quickTrain(Path runDir, int epochs, String... extra) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "train",
                "--run-dir",
                runDir.toString(),
                "--master",
                "local[2]",
                "--set",
                "spark.ui=false",
                "--set",
                "data.limit=6000",
                "--set",
                "train.epochs=" + epochs));
    args.addAll(List.of(extra));
    return kindling(args.toArray(String[]::new));
  }

  static Result trainJob(Path job, Path runDir) {
    return kindling(
        "train",
        "--job",
        job.toString(),
        "--run-dir",
        runDir.toString(),
        "--master",
        "local[2]",
        "--set",
        "spark.ui=false");
  }

  static Result firstRun;

  @BeforeAll
  static void trainOnce() {
    firstRun = train(dir.resolve("run"));
  }

  @Test
  @Order(1)
  void trainWritesARunFolderAndReachesAHonestAccuracy() throws Exception {
    assertThat(firstRun.status()).as(firstRun.err()).isZero();
    assertThat(firstRun.out())
        .contains("epoch 1/2", "epoch 2/2", "val acc", "ETA", "test accuracy");
    Path run = dir.resolve("run");
    JsonNode summary = Json.MAPPER.readTree(run.resolve("summary.json").toFile());
    for (String field :
        List.of(
            "job",
            "model",
            "workers",
            "epochs",
            "train_seconds",
            "examples_per_second",
            "test_accuracy",
            "test_macro_f1",
            "sync_seconds",
            "compute_seconds")) {
      assertThat(summary.has(field)).as(field).isTrue();
    }
    assertThat(summary.get("workers").asInt()).isEqualTo(2);
    assertThat(summary.get("sync_mode").asText()).isEqualTo("averaging");
    // 10,800 training examples, two epochs: a short run, so a lower bar than the full job's.
    assertThat(summary.get("test_accuracy").asDouble()).isGreaterThan(0.78);
    assertThat(summary.get("skipped_records").get("label_out_of_range").asLong()).isZero();
    assertThat(Files.readAllLines(run.resolve("metrics.jsonl"))).hasSize(2);
    assertThat(Files.readString(run.resolve("config.conf"))).contains("fashion-mnist-mlp");
    ModelFile model = ModelFile.read(ModelFile.folder(run.resolve("model")));
    assertThat(model.spec().describe())
        .isEqualTo("dense 784-512 dropout 512-512 dense 512-256 dropout 256-256 dense 256-10");
  }

  @Test
  @Order(2)
  void sameSeedGivesTheSameModel() throws Exception {
    Result again = train(dir.resolve("again"));
    assertThat(again.status()).as(again.err()).isZero();
    assertThat(Files.readAllBytes(dir.resolve("again/model/parameters.bin")))
        .isEqualTo(Files.readAllBytes(dir.resolve("run/model/parameters.bin")));
  }

  @Test
  @Order(3)
  void evaluateReportsTheSameTestAccuracy() throws Exception {
    Result r =
        kindling(
            "evaluate",
            dir.resolve("run/model").toString(),
            "--json",
            "--set",
            "data.limit=12000",
            "--master",
            "local[2]",
            "--set",
            "spark.ui=false");
    assertThat(r.status()).as(r.err()).isZero();
    JsonNode metrics = Json.MAPPER.readTree(r.out());
    JsonNode summary = Json.MAPPER.readTree(dir.resolve("run/summary.json").toFile());
    assertThat(metrics.get("accuracy").asDouble())
        .isEqualTo(summary.get("test_accuracy").asDouble());
    assertThat(metrics.get("confusion_matrix")).hasSize(10);
  }

  @Test
  @Order(4)
  void predictWritesClassesAndProbabilities() throws Exception {
    Path out = dir.resolve("predictions");
    Result r =
        kindling(
            "predict",
            dir.resolve("run/model").toString(),
            "--output",
            out.toString(),
            "--master",
            "local[2]",
            "--set",
            "spark.ui=false");
    assertThat(r.status()).as(r.err()).isZero();
    List<String> lines = new ArrayList<>();
    try (var files = Files.list(out)) {
      for (Path p :
          files.filter(p -> p.getFileName().toString().endsWith(".csv")).sorted().toList()) {
        lines.addAll(Files.readAllLines(p));
      }
    }
    assertThat(lines.get(0)).startsWith("index,predicted,probability_0");
    assertThat(lines).hasSize(10_001);
    String[] first = lines.get(1).split(",");
    double sum = 0;
    for (int c = 0; c < 10; c++) {
      sum += Double.parseDouble(first[2 + c]);
    }
    assertThat(sum).isBetween(0.999, 1.001);
  }

  @Test
  @Order(5)
  void inspectPrintsLayersAndParameterCount() {
    Result r = kindling("inspect", dir.resolve("run/model").toString());
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out())
        .contains(
            "dense 784-512 dropout 512-512 dense 512-256 dropout 256-256 dense 256-10",
            "total parameters: 535,818",
            "relu",
            "standard per feature");
  }

  @Test
  @Order(6)
  void benchScalingPrintsTheAgreedJsonFields() throws Exception {
    Result r =
        kindling(
            "bench",
            "scaling",
            "--epochs",
            "1",
            "--json",
            "--runs",
            dir.resolve("bench").toString(),
            "--set",
            "data.limit=3000",
            "--master",
            "local[2]");
    assertThat(r.status()).as(r.err()).isZero();
    List<String> lines = r.out().strip().lines().toList();
    JsonNode json = Json.MAPPER.readTree(lines.get(lines.size() - 1));
    assertThat(json.get("sgemm_gflops").get("1").asDouble()).isPositive();
    assertThat(json.get("sgemm_gflops").get("2").asDouble()).isPositive();
    assertThat(json.get("results")).hasSize(2);
    for (JsonNode result : json.get("results")) {
      for (String field :
          List.of(
              "workers",
              "threads",
              "examples_per_second",
              "test_accuracy",
              "round_seconds",
              "sync_fraction",
              "fraction_of_sgemm")) {
        assertThat(result.has(field)).as(field).isTrue();
      }
      assertThat(result.get("sync_fraction").asDouble()).isBetween(0.0, 1.0);
    }
    assertThat(json.get("results").get(1).get("workers").asInt()).isEqualTo(2);
  }

  @Test
  @Order(7)
  void benchSyncPrintsTheAgreedJsonFields() throws Exception {
    Result r =
        kindling(
            "bench",
            "sync",
            "--epochs",
            "1",
            "--target",
            "0.5",
            "--json",
            "--runs",
            dir.resolve("bench").toString(),
            "--set",
            "data.limit=3000",
            "--master",
            "local[2]");
    assertThat(r.status()).as(r.err()).isZero();
    List<String> lines = r.out().strip().lines().toList();
    JsonNode json = Json.MAPPER.readTree(lines.get(lines.size() - 1));
    assertThat(json.get("workers").asInt()).isEqualTo(2);
    assertThat(json.get("model_bytes").asLong()).isEqualTo(4L * 535_818);
    JsonNode averaging = json.get("results").get(0);
    JsonNode ring = json.get("results").get(1);
    JsonNode allreduce = json.get("results").get(2);
    assertThat(averaging.get("mode").asText()).isEqualTo("averaging");
    assertThat(ring.get("mode").asText()).isEqualTo("ring-averaging");
    assertThat(allreduce.get("mode").asText()).isEqualTo("allreduce");
    for (JsonNode result : json.get("results")) {
      assertThat(result.get("seconds_to_target").asDouble()).isPositive();
      assertThat(result.get("sync_fraction").asDouble()).isBetween(0.0, 1.0);
    }
    // The ring sends its optimum plus a few header bytes per step.
    assertThat(allreduce.get("bytes_vs_ring_optimum").asDouble()).isBetween(1.0, 1.01);
    assertThat(allreduce.get("compression").asText()).isEqualTo("none");
    // Ring averaging sends the whole state every 10 steps, in 2 frames of 16-byte headers each.
    assertThat(ring.get("bytes_vs_ring_optimum").asDouble()).isBetween(1.0, 1.01);
    assertThat(json.get("projection")).hasSize(3);
    assertThat(json.get("projection").get(0).get("efficiency").asDouble()).isBetween(0.0, 1.0);
  }

  @Test
  void generatedParquetTrainsCloseToTheBestPossibleAccuracy() throws Exception {
    Path data = dir.resolve("synthetic");
    // The training split packed (fp32 bytes per row), the test split an array of floats.
    for (String[] split : new String[][] {{"train", "20000", "0"}, {"test", "4000", "20000"}}) {
      List<String> args =
          new ArrayList<>(
              List.of(
                  "generate",
                  "--rows",
                  split[1],
                  "--features",
                  "20",
                  "--classes",
                  "4",
                  "--noise",
                  "0.1",
                  "--seed",
                  "7",
                  "--first-row",
                  split[2],
                  "--partitions",
                  "2",
                  "--output",
                  data.resolve(split[0]).toString(),
                  "--master",
                  "local[2]"));
      if (split[0].equals("train")) {
        args.add("--packed");
      }
      Result g = kindling(args.toArray(new String[0]));
      assertThat(g.status()).as(g.err()).isZero();
      assertThat(g.out()).contains("best possible accuracy 0.9000");
    }
    Path job = dir.resolve("synthetic.conf");
    Files.writeString(
        job,
        String.join(
            "\n",
            "job.name = synthetic",
            "spark.workers = 2",
            "data { format = parquet, path = \""
                + data
                + "\", train = train, test = test, classes = 4, normalise = none }",
            "model { input = [20], layers = [{type = dense, units = 32, activation = relu}, {type = dense, units = 4}] }",
            "train.epochs = 5",
            "optimizer.learning-rate = 0.01",
            ""));
    Path run = dir.resolve("synthetic-run");
    Result r = trainJob(job, run);
    assertThat(r.status()).as(r.err()).isZero();
    // Same seed and teacher, rows the training split never saw; 10% of their labels are flipped.
    assertThat(
            Json.MAPPER
                .readTree(run.resolve("summary.json").toFile())
                .get("test_accuracy")
                .asDouble())
        .isBetween(0.84, 0.92);
  }

  @Test
  void missingDataIsOneClearLine() {
    Result r =
        kindling(
            "train", "--data", "/nonexistent", "--set", "spark.ui=false", "--master", "local[1]");
    assertThat(r.status()).isEqualTo(Kindling.USER_ERROR);
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(r.err()).contains("/nonexistent: data folder not found").contains("--data");
  }

  @Test
  void unknownKeyIsOneClearLineAndVerboseAddsTheStackTrace() throws Exception {
    Path job = dir.resolve("typo.conf");
    Files.writeString(job, "model.layers = [{type = dense, units = 10}]\ntrain.epoch = 3\n");
    Result r = kindling("train", "--job", job.toString());
    assertThat(r.status()).isEqualTo(Kindling.USER_ERROR);
    assertThat(r.err().strip().lines()).hasSize(1);
    assertThat(r.err()).contains("typo.conf:2", "unknown key 'train.epoch'");
    Result verbose = kindling("train", "--job", job.toString(), "--verbose");
    assertThat(verbose.err()).contains("at io.kindling.driver.JobConfig");
  }

  @Test
  void corruptModelIsRefused() throws Exception {
    Path model = dir.resolve("broken-model");
    Files.createDirectories(model);
    Files.writeString(
        model.resolve("model.json"), "{\"format\": \"kindling-model\", \"version\": 1}");
    Result r = kindling("inspect", model.toString());
    assertThat(r.status()).isEqualTo(Kindling.USER_ERROR);
    assertThat(r.err()).startsWith("kindling: ").contains("model.json");
  }
}
