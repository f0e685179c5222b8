package io.kindling.sync;

/**
 * What a round produced.
 *
 * @param state the synchronised {@code [parameters | optimizer state]}
 * @param loss mean training loss over the round's minibatches
 * @param examples examples trained on, over all workers
 * @param computeSeconds the slowest worker's time in local computation
 * @param roundSeconds wall time of the round as the driver saw it
 * @param communication what the workers sent each other, for strategies that measure it (the
 *     sharded all-reduce); null for parameter averaging, whose traffic goes through Spark
 */
public record RoundResult(
    float[] state,
    double loss,
    long examples,
    double computeSeconds,
    double roundSeconds,
    Communication communication) {

  /** A round whose traffic is not measured. */
  public RoundResult(
      float[] state, double loss, long examples, double computeSeconds, double roundSeconds) {
    this(state, loss, examples, computeSeconds, roundSeconds, null);
  }

  /** Time not spent computing: shipping state, scheduling and combining. */
  public double syncSeconds() {
    return Math.max(0, roundSeconds - computeSeconds);
  }
}
