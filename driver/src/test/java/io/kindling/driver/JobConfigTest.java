package io.kindling.driver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kindling.kernels.OptimizerSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobConfigTest {
  static final Path HOME = Path.of(System.getProperty("kindling.home", ".."));

  @TempDir Path dir;

  private static JobConfig defaultJobWith(String... sets) {
    return JobConfig.load("fashion-mnist-mlp", HOME, Map.of(), List.of(sets));
  }

  private Path job(String text) throws IOException {
    Path p = dir.resolve("job.conf");
    Files.writeString(p, text);
    return p;
  }

  @Test
  void defaultJobLoadsWithItsModel() {
    JobConfig c = JobConfig.load("fashion-mnist-mlp", HOME, Map.of(), List.of());
    assertThat(c.jobName()).isEqualTo("fashion-mnist-mlp");
    assertThat(c.workers()).isEqualTo(2);
    assertThat(c.model().describe())
        .isEqualTo("dense 784-512 dropout 512-512 dense 512-256 dropout 256-256 dense 256-10");
    assertThat(c.optimizer(100, 1).kind()).isEqualTo(OptimizerSpec.Kind.ADAM);
    assertThat(c.train().averagingFrequency()).isEqualTo(10);
  }

  @Test
  void setBeatsEnvironmentBeatsJobFile() throws IOException {
    Path p =
        job(
            "job.name = from-file\ntrain.epochs = 3\ntrain.batch-size = 64\nmodel.layers = [{type = dense, units = 10}]\n");
    JobConfig c =
        JobConfig.load(
            p.toString(),
            HOME,
            Map.of("KINDLING_CONF_TRAIN_EPOCHS", "4", "KINDLING_CONF_TRAIN_BATCH__SIZE", "32"),
            List.of("train.epochs=5", "job.name=my run"));
    assertThat(c.train().epochs()).isEqualTo(5);
    assertThat(c.train().batchSize()).isEqualTo(32);
    assertThat(c.jobName()).isEqualTo("my run");
  }

  @Test
  void unknownKeyNamesTheKeyTheFileAndTheLine() throws IOException {
    Path p = job("job.name = x\n\ntrain {\n  epoch = 3\n}\n");
    assertThatThrownBy(() -> JobConfig.load(p.toString(), HOME, Map.of(), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(p + ":4")
        .hasMessageContaining("unknown key 'train.epoch'")
        .hasMessageContaining("did you mean 'train.epochs'");
  }

  @Test
  void unknownKeyFromSetNamesTheFlag() {
    assertThatThrownBy(
            () ->
                JobConfig.load("fashion-mnist-mlp", HOME, Map.of(), List.of("optimiser.kind=sgd")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--set optimiser.kind=sgd")
        .hasMessageContaining("unknown key 'optimiser.kind'");
  }

  @Test
  void wrongTypeNamesTheKeyAndTheFile() throws IOException {
    Path p = job("model.layers = [{type = dense, units = 10}]\ntrain.epochs = many\n");
    assertThatThrownBy(() -> JobConfig.load(p.toString(), HOME, Map.of(), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("job.conf: 2")
        .hasMessageContaining("train.epochs");
  }

  @Test
  void badLayerIsReportedWithItsIndex() throws IOException {
    Path p =
        job(
            "model.layers = [{type = dense, units = 10}, {type = dense, units = 3, activation = rleu}]\n");
    assertThatThrownBy(() -> JobConfig.load(p.toString(), HOME, Map.of(), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("model.layers[1]")
        .hasMessageContaining("unknown activation 'rleu'");
  }

  @Test
  void averagingRunsKStepsPerRoundExceptForOneWorkerWhichRunsAnEpoch() {
    JobConfig.Train averaging = defaultJobWith().train();
    assertThat(averaging.roundSteps(2)).isEqualTo(10);
    assertThat(averaging.roundSteps(1)).isEqualTo(Integer.MAX_VALUE);
    assertThat(defaultJobWith("train.allreduce-round-steps=50").train().roundSteps(1))
        .isEqualTo(50);
  }

  @Test
  void ringAveragingRunsAnEpochPerRoundAndMayKeepTheOptimizerStateLocal() {
    JobConfig.Train ring =
        defaultJobWith("train.sync=ring-averaging", "train.average-optimizer-state=false").train();
    assertThat(ring.roundSteps(2)).isEqualTo(Integer.MAX_VALUE);
    assertThat(ring.averagingFrequency()).isEqualTo(10);
    assertThat(ring.averageOptimizerState()).isFalse();

    assertThatThrownBy(() -> defaultJobWith("train.average-optimizer-state=false").train())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--set train.average-optimizer-state=false")
        .hasMessageContaining("needs train.sync = ring-averaging");
  }

  @Test
  void laggingAveragesNeedRingAveragingOfTheParametersAloneAndLandWithinAPeriod() {
    assertThat(defaultJobWith("train.sync=ring-averaging").train().averageLag()).isZero();
    JobConfig.Train lagging =
        defaultJobWith(
                "train.sync=ring-averaging",
                "train.average-optimizer-state=false",
                "train.average-lag=2")
            .train();
    assertThat(lagging.averageLag()).isEqualTo(2);

    assertThatThrownBy(
            () -> defaultJobWith("train.sync=ring-averaging", "train.average-lag=1").train())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("--set train.average-lag=1")
        .hasMessageContaining("train.average-optimizer-state = false");
    assertThatThrownBy(() -> defaultJobWith("train.average-lag=1").train())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("needs train.sync = ring-averaging");
    assertThatThrownBy(
            () ->
                defaultJobWith(
                        "train.sync=ring-averaging",
                        "train.average-optimizer-state=false",
                        "train.average-lag=11")
                    .train())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("more than train.averaging-frequency = 10");
  }

  @Test
  void missingJobListsTheAvailableOnes() {
    assertThatThrownBy(() -> JobConfig.load("no-such-job", HOME, Map.of(), List.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("job 'no-such-job' not found")
        .hasMessageContaining("fashion-mnist-mlp");
  }

  @Test
  void scheduleWithoutStepsSpansTheWholeRun() {
    JobConfig c =
        JobConfig.load(
            "fashion-mnist-mlp",
            HOME,
            Map.of(),
            List.of(
                "optimizer.schedule=cosine", "optimizer.warmup-steps=10", "optimizer.clip-norm=2"));
    OptimizerSpec o = c.optimizer(1000, 1);
    // The warm-up, then the cosine over the rest of the run, ending at the floor on its last step.
    assertThat(o.schedule().steps()).isEqualTo(990);
    assertThat(o.schedule().warmupSteps()).isEqualTo(10);
    assertThat(o.clipNorm()).isEqualTo(2.0);
    assertThat(o.learningRate(10)).isCloseTo(0.001, org.assertj.core.api.Assertions.within(1e-12));
    assertThat(o.learningRate(999)).isLessThan(1e-7);
  }

  @Test
  void storageLevelIsReadByItsSparkName() {
    JobConfig c = defaultJobWith("data.storage-level=MEMORY_AND_DISK");
    assertThat(c.data().storageLevel())
        .isEqualTo(org.apache.spark.storage.StorageLevel.MEMORY_AND_DISK());
    assertThatThrownBy(() -> defaultJobWith("data.storage-level=IN_THE_CLOUD"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("data.storage-level");
  }

  @Test
  void environmentKeysMapUnderscoresToDotsAndDashes() {
    assertThat(JobConfig.envKey("TRAIN_AVERAGING__FREQUENCY"))
        .isEqualTo("train.averaging-frequency");
  }
}
