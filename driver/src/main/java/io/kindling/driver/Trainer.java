package io.kindling.driver;

import io.kindling.data.PreparedData;
import io.kindling.kernels.ConfusionMatrix;
import io.kindling.kernels.NetworkSpec;
import io.kindling.sync.Round;
import io.kindling.sync.RoundResult;
import io.kindling.sync.SyncStrategy;
import io.kindling.sync.TrainingPlan;
import java.io.PrintStream;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * The training loop over epochs and rounds. Each round is one call to the {@link SyncStrategy};
 * everything else that happens around rounds (progress, metrics, Spark UI) is a listener.
 */
final class Trainer {
  private final JavaSparkContext spark;
  private final SyncStrategy sync;
  private final TrainingPlan plan;
  private final PreparedData data;
  private final int epochs;
  private final int averagingFrequency;
  private final int stepsPerEpoch;
  private final int classes;
  private final List<TrainingListener> listeners;
  private final PrintStream console;

  Trainer(
      JavaSparkContext spark,
      SyncStrategy sync,
      TrainingPlan plan,
      PreparedData data,
      int workers,
      int epochs,
      int averagingFrequency,
      int classes,
      List<TrainingListener> listeners,
      PrintStream console) {
    this.spark = spark;
    this.sync = sync;
    this.plan = plan;
    this.data = data;
    this.epochs = epochs;
    this.averagingFrequency = averagingFrequency;
    this.stepsPerEpoch = plan.stepsPerEpoch(data.largestPartition(workers));
    this.classes = classes;
    this.listeners = listeners;
    this.console = console;
  }

  private int roundsPerEpoch() {
    return (stepsPerEpoch + averagingFrequency - 1) / averagingFrequency;
  }

  /** What training produced. */
  record Outcome(
      float[] state,
      int epochsRun,
      double trainSeconds,
      double computeSeconds,
      double syncSeconds,
      long examples,
      boolean diverged) {}

  Outcome train(float[] initialState) {
    float[] state = initialState;
    long started = System.nanoTime();
    double compute = 0;
    double synchronisation = 0;
    long examples = 0;
    long iteration = 0;
    int epochsRun = 0;
    for (int epoch = 0; epoch < epochs; epoch++) {
      long epochStarted = System.nanoTime();
      double epochCompute = 0;
      double epochSync = 0;
      double lossSum = 0;
      long epochExamples = 0;
      int rounds = roundsPerEpoch();
      for (int r = 0; r < rounds; r++) {
        int first = r * averagingFrequency;
        Round round =
            new Round(
                epoch, r, first, Math.min(averagingFrequency, stepsPerEpoch - first), iteration);
        listeners.forEach(l -> l.onRoundStart(round));
        RoundResult result = sync.run(data.train(), round, state);
        if (!Double.isFinite(result.loss())) {
          // Divergence guard: keep the last good parameters and stop, saying so.
          console.printf(
              "training diverged in %s (loss %s): stopping and keeping the parameters from before that round%n",
              round, result.loss());
          return new Outcome(
              state, epochsRun, seconds(started), compute, synchronisation, examples, true);
        }
        state = result.state();
        iteration += round.steps();
        lossSum += result.loss();
        epochExamples += result.examples();
        epochCompute += result.computeSeconds();
        epochSync += result.syncSeconds();
        listeners.forEach(l -> l.onRoundEnd(round, result));
      }
      compute += epochCompute;
      synchronisation += epochSync;
      examples += epochExamples;
      epochsRun++;
      double epochSeconds = seconds(epochStarted);
      ConfusionMatrix validation =
          data.validation() == null
              ? null
              : Evaluator.evaluate(spark, data.validation(), network(), state, classes);
      EpochReport report =
          new EpochReport(
              epoch + 1,
              epochs,
              rounds,
              lossSum / rounds,
              epochExamples,
              epochSeconds,
              epochCompute,
              epochSync,
              validation,
              seconds(started));
      listeners.forEach(l -> l.onEpoch(report));
    }
    return new Outcome(
        state, epochsRun, seconds(started), compute, synchronisation, examples, false);
  }

  private NetworkSpec network() {
    return plan.network();
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
