package io.kindling.driver;

import io.kindling.data.DataException;
import io.kindling.data.LabeledData;
import io.kindling.data.PreparedData;
import io.kindling.kernels.ConfusionMatrix;
import io.kindling.kernels.Evaluation;
import io.kindling.kernels.ModelFile;
import io.kindling.kernels.NetworkSpec;
import io.kindling.sync.SyncStrategy;
import io.kindling.sync.TrainingPlan;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/** {@code kindling train}: data, training (or its continuation), evaluation, model and summary. */
final class TrainingJob {
  private final JobConfig config;
  private final JavaSparkContext spark;
  private final PrintStream out;
  private final boolean resume;
  private final ExampleSource source;

  TrainingJob(JobConfig config, JavaSparkContext spark, PrintStream out, boolean resume) {
    this(config, spark, out, resume, DataSets.files(config.data(), spark));
  }

  TrainingJob(
      JobConfig config,
      JavaSparkContext spark,
      PrintStream out,
      boolean resume,
      ExampleSource source) {
    this.config = config;
    this.spark = spark;
    this.out = out;
    this.resume = resume;
    this.source = source;
  }

  /** Runs the job and returns its summary (with the run folder in {@code run_dir}). */
  ObjectNode run() throws IOException {
    return train().summary();
  }

  /** Runs the job and returns what it trained, with its summary. */
  TrainingResult train() throws IOException {
    Configuration hadoop = spark.hadoopConfiguration();
    if (resume && config.runDir().isEmpty()) {
      throw new ConfigException(
          "--resume needs --run-dir (or output.run-dir) naming the run to continue");
    }
    String root =
        config.runDir().isEmpty() ? RunStore.defaultRoot(config.jobName()) : config.runDir();
    RunStore store = new RunStore(root, hadoop);
    if (resume && store.finished()) {
      out.println(
          "kindling: run "
              + store.root()
              + " has already finished (summary.json exists); nothing to do");
      return TrainingResult.alreadyFinished((ObjectNode) Json.MAPPER.readTree(store.readSummary()));
    }
    JobConfig.Data dataConfig = config.data();
    JobConfig.Train train = config.train();
    NetworkSpec network = config.model();
    int workers = SparkRuntime.workers(spark, config);
    JobConfig.Checkpoint checkpointConfig = config.checkpoint();
    CheckpointStore checkpoints =
        new CheckpointStore(
            checkpointConfig.dir().isEmpty()
                ? new Path(store.root(), "checkpoints").toString()
                : checkpointConfig.dir(),
            hadoop,
            checkpointConfig.keep());

    LabeledData trainFile = source.train();
    LabeledData testFile = source.test();
    requireMatchingShape(network, trainFile);
    PreparedData data =
        PreparedData.prepare(
            spark,
            trainFile,
            testFile,
            dataConfig.validationFraction(),
            dataConfig.normalise(),
            dataConfig.perFeature(),
            workers,
            config.seed(),
            dataConfig.storageLevel());
    int stepsPerEpoch =
        TrainingPlan.stepsPerEpoch(data.largestPartition(workers), train.batchSize());
    TrainingPlan plan =
        new TrainingPlan(
            network,
            config.optimizer((long) stepsPerEpoch * train.epochs(), workers),
            train.batchSize(),
            config.threadsPerWorker(),
            config.seed());
    MemoryPlan.check(
        spark.getConf(),
        plan,
        trainFile.size() * (long) trainFile.width(),
        workers,
        MemoryPlan.Sync.of(train));
    SyncStrategy sync = SyncStrategies.create(spark, plan, train, workers);

    JobConfig.EarlyStop earlyConfig = config.earlyStopping();
    EarlyStopping early =
        new EarlyStopping(earlyConfig.metric(), earlyConfig.patience(), earlyConfig.minDelta());
    DivergenceGuard guard = new DivergenceGuard(train.maxLossRatio());
    Position position = new Position();
    float[] state = sync.initialState();
    TrainingHistory history = new TrainingHistory();
    Optional<CheckpointStore.Checkpoint> checkpoint =
        resume ? checkpoints.newestValid(network, out) : Optional.empty();
    if (checkpoint.isPresent()) {
      CheckpointStore.Checkpoint c = checkpoint.get();
      int savedWorkers = c.position().path("workers").asInt();
      if (savedWorkers != workers) {
        throw new ConfigException(
            c.location()
                + " was written with "
                + savedWorkers
                + " workers; resume with --set spark.workers="
                + savedWorkers);
      }
      if (c.state().length != state.length) {
        throw new ConfigException(
            c.location()
                + " holds a different optimizer state; resume with the optimizer it was written with");
      }
      state = c.state();
      position = Position.fromJson(c.position().path("position"));
      early.restore(c.position().path("early_stopping"), c.bestState());
      guard.restore(c.position().path("lowest_round_loss").asDouble(Double.POSITIVE_INFINITY));
      history.restore(store.keepMetrics(position.epochsCompleted));
      out.printf(
          Locale.ROOT,
          "kindling: resuming from %s (epoch %d, round %d)%n",
          c.location(),
          position.epoch + 1,
          position.nextRound + 1);
    } else if (resume) {
      out.println("kindling: no checkpoint in " + store.root() + "; starting from the beginning");
    }
    long startRounds = position.roundsCompleted;
    store.writeConfig(config.render());

    out.printf(
        Locale.ROOT,
        "kindling: %s: %s (%,d parameters), %s at %s, %d workers x %d thread(s), %s%n",
        config.jobName(),
        network.describe(),
        network.numParams(),
        plan.optimizer().kind().configName(),
        learningRate(plan.optimizer().learningRate(), train.learningRateScale(workers)),
        workers,
        config.threadsPerWorker(),
        switch (train.sync()) {
          case "allreduce" -> "gradients all-reduced every step";
          case "ring-averaging" -> "ring averaging every " + train.averagingFrequency() + " steps";
          default -> "averaging every " + train.averagingFrequency() + " steps";
        });
    out.printf(
        Locale.ROOT,
        "kindling: data %s: %,d train / %,d validation / %,d test examples, normalised %s%n",
        source.describe(),
        data.trainSize(),
        data.validationSize(),
        data.testSize(),
        data.normaliser());
    if (data.skipped().total() > 0) {
      out.println("kindling: skipped bad records: " + data.skipped());
    }

    ExecutorWatch executorWatch = new ExecutorWatch(out);
    spark.sc().addSparkListener(executorWatch);
    RoundTimes roundTimes = new RoundTimes();
    List<TrainingListener> listeners =
        List.of(
            new SparkStatus(spark, train.epochs()),
            new ConsoleProgress(out),
            new MetricsLog(store),
            roundTimes,
            history);
    Trigger checkpointWhen =
        Trigger.everyRounds(checkpointConfig.everyRounds())
            .or(Trigger.everyEpochs(checkpointConfig.everyEpochs()));
    Trainer trainer =
        new Trainer(
            spark,
            sync,
            plan,
            data,
            workers,
            train,
            dataConfig.classes(),
            listeners,
            checkpoints,
            checkpointWhen,
            out);
    Trainer.Outcome outcome;
    try {
      outcome = trainer.train(state, position, early, guard);
    } finally {
      store.close();
      spark.sc().removeSparkListener(executorWatch);
    }

    spark.setJobGroup("kindling-evaluation", "final evaluation", false);
    float[] parameters = Arrays.copyOf(outcome.state(), (int) network.numParams());
    Evaluation test =
        Evaluator.evaluate(spark, data.test(), network, parameters, dataConfig.classes());
    Evaluation validation =
        data.validation() == null
            ? null
            : Evaluator.evaluate(
                spark, data.validation(), network, parameters, dataConfig.classes());
    Evaluation trainScores =
        Evaluator.evaluate(spark, data.train(), network, parameters, dataConfig.classes());
    Position done = outcome.position();

    ObjectNode metadata = Json.object();
    metadata.put("job", config.jobName());
    metadata.put("epochs", done.epochsCompleted);
    metadata.put("classes", dataConfig.classes());
    Reports.putScores(metadata, "test_", test);
    ModelFile model =
        new ModelFile(network, parameters, null, data.normaliser().toJson(), metadata);
    HadoopStore.writeAtomically(model, store.modelDir(), hadoop);

    ObjectNode summary = Json.object();
    summary.put("job", config.jobName());
    summary.put("model", network.describe());
    summary.put("parameters", network.numParams());
    summary.put("workers", workers);
    summary.put("threads_per_worker", config.threadsPerWorker());
    summary.put("sync_mode", sync.name());
    summary.put("averaging_frequency", train.averagingFrequency());
    summary.put("batch_size", train.batchSize());
    summary.put("epochs", done.epochsCompleted);
    summary.put("rounds", done.roundsCompleted);
    summary.put("rounds_this_run", done.roundsCompleted - startRounds);
    summary.put("steps", done.iteration);
    summary.put("stopped_early", outcome.stopReason());
    summary.put("train_seconds", done.trainSeconds);
    summary.put("compute_seconds", done.computeSeconds);
    summary.put("sync_seconds", done.syncSeconds);
    summary.put("examples_per_second", done.examples / done.trainSeconds);
    summary.put("round_seconds", roundTimes.medianRoundSeconds());
    summary.put("sync_fraction", roundTimes.medianSyncFraction());
    roundTimes.writeCommunication(summary);
    Reports.putScores(summary, "test_", test);
    if (test instanceof ConfusionMatrix cm) {
      summary.put("test_weighted_f1", cm.weightedF1());
      summary.put("test_top3_accuracy", cm.topKAccuracy());
      summary.set("test_confusion_matrix", Reports.confusionJson(cm));
    }
    if (validation != null) {
      Reports.putScores(summary, "validation_", validation);
    }
    Reports.putScores(summary, "train_", trainScores);
    ObjectNode skipped = summary.putObject("skipped_records");
    data.skipped().counts().forEach(skipped::put);
    summary.put("run_dir", store.root());
    store.writeReport(
        new RunReport(summary, history.epochs(), test, roundTimes, config.render()).html());
    store.writeSummary(Json.pretty(summary));
    data.release();

    out.println();
    out.print(Reports.metricsTable(test, "test"));
    out.printf(
        Locale.ROOT,
        "kindling: test %s after %d epochs in %s; run folder %s%n",
        test instanceof ConfusionMatrix cm
            ? String.format(
                Locale.ROOT, "accuracy %.4f, macro F1 %.4f", cm.accuracy(), cm.macroF1())
            : Reports.headline(test),
        done.epochsCompleted,
        ConsoleProgress.duration(done.trainSeconds),
        store.root());
    return new TrainingResult(
        summary, model, data.normaliser(), Reports.evaluationJson(test), metricsLines(store));
  }

  /** The lines of {@code metrics.jsonl}, one per epoch (a resumed run's earlier ones too). */
  private static List<ObjectNode> metricsLines(RunStore store) throws IOException {
    List<ObjectNode> epochs = new ArrayList<>();
    for (String line : store.readMetrics()) {
      epochs.add((ObjectNode) Json.MAPPER.readTree(line));
    }
    return epochs;
  }

  private static void requireMatchingShape(NetworkSpec network, LabeledData data) {
    if (network.inputSize() != data.width()) {
      throw new DataException(
          data.source()
              + ": examples have "
              + data.width()
              + " values (shape "
              + Arrays.toString(data.shape())
              + ") but the model's input "
              + Arrays.toString(network.inputShape())
              + " takes "
              + network.inputSize());
    }
  }

  /** "learning rate 0.002 (0.001 x 2 for the workers: ...)" when scaled, else the rate alone. */
  private static String learningRate(double rate, double scale) {
    if (scale == 1) {
      return "learning rate " + brief(rate);
    }
    return "learning rate "
        + brief(rate)
        + " ("
        + brief(rate / scale)
        + " x "
        + brief(scale)
        + " for the workers: train.learning-rate-scaling)";
  }

  private static String brief(double x) {
    return BigDecimal.valueOf(x).round(new MathContext(4)).stripTrailingZeros().toPlainString();
  }
}
