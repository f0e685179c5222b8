package io.kindling.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;

/** Checkpoint and resume, early stopping and the divergence guard, on short real runs. */
class TrainingControlTest {
  @TempDir Path dir;

  private static KindlingTest.Result train(Path run, String... extra) {
    return KindlingTest.quickTrain(run, 2, extra);
  }

  private static JsonNode summary(Path run) throws Exception {
    return Json.MAPPER.readTree(run.resolve("summary.json").toFile());
  }

  private static List<Path> checkpoints(Path run) throws Exception {
    try (var s = Files.list(run.resolve("checkpoints"))) {
      return s.filter(p -> p.getFileName().toString().startsWith("round-"))
          .sorted(Comparator.comparing(Path::toString))
          .toList();
    }
  }

  @Test
  void resumedRunEndsWhereAnUninterruptedRunEnds() throws Exception {
    Path full = dir.resolve("full");
    KindlingTest.Result r =
        train(full, "--set", "checkpoint.every-rounds=1", "--set", "checkpoint.keep=100");
    assertThat(r.status()).as(r.err()).isZero();
    List<Path> saved = checkpoints(full);
    assertThat(saved.size()).isGreaterThan(4);

    // A run that died after its third checkpoint (mid-epoch 1): copy what it had left on disk.
    Path crashed = dir.resolve("crashed");
    Files.createDirectories(crashed.resolve("checkpoints"));
    for (int i = 0; i < 3; i++) {
      copyTree(saved.get(i), crashed.resolve("checkpoints").resolve(saved.get(i).getFileName()));
    }
    // ... and whose newest checkpoint was cut short while the disk filled up.
    try (RandomAccessFile f =
        new RandomAccessFile(
            crashed
                .resolve("checkpoints")
                .resolve(saved.get(2).getFileName())
                .resolve("parameters.bin")
                .toFile(),
            "rw")) {
      f.setLength(f.length() / 2);
    }
    KindlingTest.Result resumed =
        train(
            crashed,
            "--resume",
            "--set",
            "checkpoint.every-rounds=1",
            "--set",
            "checkpoint.keep=100");
    assertThat(resumed.status()).as(resumed.err()).isZero();
    assertThat(resumed.out())
        .contains("warning: checkpoint")
        .contains("falling back to " + saved.get(1).getFileName());
    assertThat(resumed.out()).contains("resuming from");
    assertThat(Files.readAllBytes(crashed.resolve("model/parameters.bin")))
        .isEqualTo(Files.readAllBytes(full.resolve("model/parameters.bin")));
    assertThat(summary(crashed).get("rounds").asLong())
        .isEqualTo(summary(full).get("rounds").asLong());
    assertThat(Files.readAllLines(crashed.resolve("metrics.jsonl"))).hasSize(2);

    KindlingTest.Result again = train(crashed, "--resume");
    assertThat(again.status()).isZero();
    assertThat(again.out()).contains("has already finished");
  }

  @Test
  void allReduceTrainsTheDefaultJobAndResumesFromAnAveragingCheckpoint() throws Exception {
    Path run = dir.resolve("allreduce");
    KindlingTest.Result r = train(run, "--set", "train.sync=allreduce");
    assertThat(r.status()).as(r.err()).isZero();
    JsonNode summary = summary(run);
    assertThat(summary.get("sync_mode").asText()).isEqualTo("allreduce");
    assertThat(summary.get("test_accuracy").asDouble()).isGreaterThan(0.75);

    // Checkpoints share one layout: a run checkpointed under averaging continues under all-reduce.
    Path mixed = dir.resolve("mixed");
    assertThat(train(mixed, "--set", "train.epochs=1").status()).isZero();
    Files.delete(mixed.resolve("summary.json"));
    KindlingTest.Result resumed = train(mixed, "--resume", "--set", "train.sync=allreduce");
    assertThat(resumed.status()).as(resumed.err()).isZero();
    assertThat(resumed.out()).contains("resuming from");
    assertThat(summary(mixed).get("rounds_this_run").asLong())
        .isLessThan(summary(mixed).get("rounds").asLong());
  }

  @Test
  void ringAveragingTrainsTheModelThatAveragingThroughTheDriverTrains() throws Exception {
    Path driver = dir.resolve("through-the-driver");
    Path ring = dir.resolve("ring-averaging");
    assertThat(train(driver).status()).isZero();
    KindlingTest.Result r = train(ring, "--set", "train.sync=ring-averaging");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(summary(ring).get("sync_mode").asText()).isEqualTo("ring-averaging");
    // Two workers: the ring's sums of two are the driver's, bit for bit.
    assertThat(Files.readAllBytes(ring.resolve("model/parameters.bin")))
        .isEqualTo(Files.readAllBytes(driver.resolve("model/parameters.bin")));
    assertThat(summary(ring).get("test_accuracy").asDouble())
        .isEqualTo(summary(driver).get("test_accuracy").asDouble())
        .isGreaterThan(0.75);
    // One barrier stage per epoch instead of a Spark job per 10 steps.
    assertThat(summary(ring).get("rounds").asLong()).isEqualTo(2);
  }

  @Test
  void allReduceWithTopTenPercentOfTheGradientsLearnsAsDenseDoes() throws Exception {
    Path run = dir.resolve("topk");
    KindlingTest.Result r =
        train(run, "--set", "train.sync=allreduce", "--set", "train.allreduce-topk=0.1");
    assertThat(r.status()).as(r.err()).isZero();
    JsonNode summary = summary(run);
    assertThat(summary.get("test_accuracy").asDouble()).isGreaterThan(0.75);
    // The dense all-reduce's bar above. W = 2: 10% of the gradient as 8-byte pairs (0.2 of the ring
    // optimum) plus the dense parameter all-gather (0.5 of it).
    assertThat(summary.get("bytes_vs_ring_optimum").asDouble()).isBetween(0.7, 0.71);
  }

  @Test
  void topKAndBf16GradientsAreRefusedTogether() {
    KindlingTest.Result r =
        train(
            dir.resolve("topk-bf16"),
            "--set",
            "train.allreduce-topk=0.01",
            "--set",
            "train.allreduce-bf16=true");
    assertThat(r.status()).isEqualTo(Kindling.USER_ERROR);
    assertThat(r.err()).contains("train.allreduce-topk sends fp32 (index, value) pairs");
  }

  @Test
  void allReduceRefusesMoreWorkersThanTaskSlots() {
    KindlingTest.Result r =
        train(dir.resolve("too-many"), "--set", "train.sync=allreduce", "--set", "spark.workers=3");
    assertThat(r.status()).isEqualTo(Kindling.USER_ERROR);
    assertThat(r.err())
        .contains("needs all 3 workers running at once but the cluster has 2 task slots");
  }

  @Test
  void earlyStoppingStopsAndKeepsTheBestEpoch() throws Exception {
    Path run = dir.resolve("early");
    KindlingTest.Result r = KindlingTest.quickTrain(run, 6, KindlingTest.STOP_AFTER_EPOCH_2);
    assertThat(r.status()).as(r.err()).isZero();
    JsonNode summary = summary(run);
    assertThat(summary.get("epochs").asInt()).isEqualTo(2);
    assertThat(summary.get("stopped_early").asText())
        .contains("early stopping")
        .contains("keeping epoch 1");
    JsonNode epoch1 = Json.MAPPER.readTree(Files.readAllLines(run.resolve("metrics.jsonl")).get(0));
    assertThat(summary.get("validation_accuracy").asDouble())
        .isEqualTo(epoch1.get("validation_accuracy").asDouble());
  }

  @Test
  void divergenceGuardStopsOnTheLastGoodParameters() throws Exception {
    Path run = dir.resolve("diverged");
    KindlingTest.Result r =
        train(run, "--set", "optimizer.kind=sgd", "--set", "optimizer.learning-rate=1e4");
    assertThat(r.status()).as(r.err()).isZero();
    assertThat(r.out()).contains("training diverged in epoch 1, round");
    assertThat(summary(run).get("stopped_early").asText()).contains("diverged");
    float[] params =
        io.kindling.kernels.ModelFile.read(
                io.kindling.kernels.ModelFile.folder(run.resolve("model")))
            .parameters();
    for (float p : params) {
      assertThat(Float.isFinite(p)).isTrue();
    }
  }

  private static void copyTree(Path from, Path to) throws Exception {
    try (var s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
