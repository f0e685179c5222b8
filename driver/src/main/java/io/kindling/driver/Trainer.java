package io.kindling.driver;

import io.kindling.data.PreparedData;
import io.kindling.kernels.Evaluation;
import io.kindling.kernels.ExampleBlock;
import io.kindling.sync.Round;
import io.kindling.sync.RoundResult;
import io.kindling.sync.SyncStrategy;
import io.kindling.sync.TrainingPlan;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * The training loop over epochs and rounds. Each round is one call to the {@link SyncStrategy};
 * what happens around rounds is delegated: listeners report, a {@link Trigger} decides when to
 * checkpoint, {@link EarlyStopping} and the {@link DivergenceGuard} decide when to stop.
 */
final class Trainer {
  private final JavaSparkContext spark;
  private final SyncStrategy sync;
  private final TrainingPlan plan;
  private final PreparedData data;
  private final JavaRDD<ExampleBlock> trainSample;
  private final int workers;
  private final int epochs;
  private final int roundSteps;
  private final int stepsPerEpoch;
  private final int classes;
  private final List<TrainingListener> listeners;
  private final CheckpointStore checkpoints;
  private final Trigger checkpointWhen;
  private final PrintStream console;

  Trainer(
      JavaSparkContext spark,
      SyncStrategy sync,
      TrainingPlan plan,
      PreparedData data,
      int workers,
      JobConfig.Train train,
      int classes,
      List<TrainingListener> listeners,
      CheckpointStore checkpoints,
      Trigger checkpointWhen,
      PrintStream console) {
    this.spark = spark;
    this.sync = sync;
    this.plan = plan;
    this.data = data;
    this.trainSample = TrainingSample.of(data.train());
    this.workers = workers;
    this.epochs = train.epochs();
    this.roundSteps = train.roundSteps(workers);
    this.stepsPerEpoch = plan.stepsPerEpoch(data.largestPartition(workers));
    this.classes = classes;
    this.listeners = listeners;
    this.checkpoints = checkpoints;
    this.checkpointWhen = checkpointWhen;
    this.console = console;
  }

  /**
   * What training produced.
   *
   * @param state the parameters and optimizer state to keep (the best epoch's, when early stopping
   *     restored them)
   * @param stopReason why training ended before its last epoch, or null
   */
  record Outcome(float[] state, Position position, String stopReason) {}

  Outcome train(float[] startState, Position position, EarlyStopping early, DivergenceGuard guard) {
    float[] state = startState;
    while (position.epoch < epochs) {
      // The cursor is the step count, so a run may resume with another round length (mode).
      long epochStart = (long) position.epoch * stepsPerEpoch;
      while (position.iteration - epochStart < stepsPerEpoch) {
        int first = (int) (position.iteration - epochStart);
        Round round =
            new Round(
                position.epoch,
                position.nextRound,
                first,
                Math.min(roundSteps, stepsPerEpoch - first),
                position.iteration);
        listeners.forEach(l -> l.onRoundStart(round));
        RoundResult result = sync.run(data.train(), round, state);
        String divergence = guard.check(result.loss());
        if (divergence != null) {
          String reason =
              "training diverged in "
                  + round
                  + " ("
                  + divergence
                  + "); kept the parameters from before that round";
          console.println("kindling: " + reason);
          return new Outcome(state, position, reason);
        }
        state = result.state();
        position.addRound(
            round.steps(),
            result.loss(),
            result.examples(),
            result.roundSeconds(),
            result.computeSeconds(),
            result.syncSeconds());
        listeners.forEach(l -> l.onRoundEnd(round, result));
        checkpointIf(
            new Trigger.Progress(position.epochsCompleted, position.roundsCompleted, false),
            state,
            position,
            early,
            guard);
      }
      Evaluation validation =
          data.validation() == null
              ? null
              : Evaluator.evaluate(spark, data.validation(), plan.network(), state, classes);
      Evaluation trainScores =
          Evaluator.evaluate(spark, trainSample, plan.network(), state, classes);
      EpochReport report =
          new EpochReport(
              position.epoch + 1,
              epochs,
              position.epochRounds,
              position.epochLossSum / Math.max(1, position.epochRounds),
              position.epochExamples,
              position.epochSeconds,
              position.epochComputeSeconds,
              position.epochSyncSeconds,
              validation,
              trainScores,
              position.trainSeconds);
      listeners.forEach(l -> l.onEpoch(report));
      boolean stop = early.update(position.epoch + 1, validation, state);
      position.finishEpoch();
      position.startEpoch();
      checkpointIf(
          new Trigger.Progress(position.epochsCompleted, position.roundsCompleted, true),
          state,
          position,
          early,
          guard);
      if (stop) {
        String reason = "early stopping: " + early.describe();
        console.println("kindling: " + reason);
        return new Outcome(early.bestState(), position, reason);
      }
    }
    return new Outcome(state, position, null);
  }

  private void checkpointIf(
      Trigger.Progress progress,
      float[] state,
      Position position,
      EarlyStopping early,
      DivergenceGuard guard) {
    if (checkpoints == null || !checkpointWhen.fires(progress)) {
      return;
    }
    ObjectNode meta = Json.object();
    meta.set("position", position.toJson());
    meta.set("early_stopping", early.toJson());
    meta.put("lowest_round_loss", guard.lowest());
    meta.put("workers", workers);
    meta.put("seed", plan.seed());
    try {
      checkpoints.save(plan.network(), state, meta, early.bestState(), position.roundsCompleted);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write a checkpoint: " + e.getMessage(), e);
    }
  }
}
