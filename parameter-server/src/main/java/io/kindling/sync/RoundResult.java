package io.kindling.sync;

/**
 * What a round produced.
 *
 * @param state the synchronised {@code [parameters | optimizer state]}
 * @param loss mean training loss over the round's minibatches
 * @param examples examples trained on, over all workers
 * @param computeSeconds the slowest worker's time in local steps
 * @param roundSeconds wall time of the round as the driver saw it
 */
public record RoundResult(
    float[] state, double loss, long examples, double computeSeconds, double roundSeconds) {
  /** Time not spent computing: shipping state, scheduling and combining. */
  public double syncSeconds() {
    return Math.max(0, roundSeconds - computeSeconds);
  }
}
