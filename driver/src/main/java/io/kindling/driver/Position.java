package io.kindling.driver;

import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * Where a run stands and what it has done so far: the cursor into the data (epoch, round,
 * iteration; every shuffle derives from the seed and these, so they are the whole RNG state), the
 * run's totals and the tally of the epoch in progress. A checkpoint stores exactly this, so a
 * resumed run continues where the interrupted one stopped and reports the same totals.
 */
final class Position {
  int epoch;
  int nextRound;
  long iteration;
  long roundsCompleted;
  int epochsCompleted;
  double trainSeconds;
  double computeSeconds;
  double syncSeconds;
  long examples;
  double epochLossSum;
  int epochRounds;
  long epochExamples;
  double epochSeconds;
  double epochComputeSeconds;
  double epochSyncSeconds;

  void startEpoch() {
    epochLossSum = 0;
    epochRounds = 0;
    epochExamples = 0;
    epochSeconds = 0;
    epochComputeSeconds = 0;
    epochSyncSeconds = 0;
  }

  void addRound(
      int steps, double loss, long roundExamples, double seconds, double compute, double sync) {
    nextRound++;
    iteration += steps;
    roundsCompleted++;
    epochLossSum += loss;
    epochRounds++;
    epochExamples += roundExamples;
    epochSeconds += seconds;
    epochComputeSeconds += compute;
    epochSyncSeconds += sync;
    trainSeconds += seconds;
    computeSeconds += compute;
    syncSeconds += sync;
    examples += roundExamples;
  }

  void finishEpoch() {
    epochsCompleted++;
    epoch++;
    nextRound = 0;
  }

  ObjectNode toJson() {
    ObjectNode n = Json.object();
    n.put("epoch", epoch);
    n.put("next_round", nextRound);
    n.put("iteration", iteration);
    n.put("rounds_completed", roundsCompleted);
    n.put("epochs_completed", epochsCompleted);
    n.put("train_seconds", trainSeconds);
    n.put("compute_seconds", computeSeconds);
    n.put("sync_seconds", syncSeconds);
    n.put("examples", examples);
    n.put("epoch_loss_sum", epochLossSum);
    n.put("epoch_rounds", epochRounds);
    n.put("epoch_examples", epochExamples);
    n.put("epoch_seconds", epochSeconds);
    n.put("epoch_compute_seconds", epochComputeSeconds);
    n.put("epoch_sync_seconds", epochSyncSeconds);
    return n;
  }

  static Position fromJson(JsonNode n) {
    Position p = new Position();
    p.epoch = n.path("epoch").asInt();
    p.nextRound = n.path("next_round").asInt();
    p.iteration = n.path("iteration").asLong();
    p.roundsCompleted = n.path("rounds_completed").asLong();
    p.epochsCompleted = n.path("epochs_completed").asInt();
    p.trainSeconds = n.path("train_seconds").asDouble();
    p.computeSeconds = n.path("compute_seconds").asDouble();
    p.syncSeconds = n.path("sync_seconds").asDouble();
    p.examples = n.path("examples").asLong();
    p.epochLossSum = n.path("epoch_loss_sum").asDouble();
    p.epochRounds = n.path("epoch_rounds").asInt();
    p.epochExamples = n.path("epoch_examples").asLong();
    p.epochSeconds = n.path("epoch_seconds").asDouble();
    p.epochComputeSeconds = n.path("epoch_compute_seconds").asDouble();
    p.epochSyncSeconds = n.path("epoch_sync_seconds").asDouble();
    return p;
  }
}
