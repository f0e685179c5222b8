package io.kindling.driver;

/**
 * When something happens during training (a checkpoint, say): asked after every round and after
 * every epoch. Triggers compose with {@link #or}, so "every 50 rounds or every epoch" is one object
 * rather than flags scattered through the loop.
 */
@FunctionalInterface
interface Trigger {
  boolean fires(Progress progress);

  default Trigger or(Trigger other) {
    return p -> fires(p) || other.fires(p);
  }

  static Trigger never() {
    return p -> false;
  }

  /** After every {@code n}-th round (counted over the whole run). */
  static Trigger everyRounds(int n) {
    return n <= 0 ? never() : p -> !p.epochEnd() && p.roundsCompleted() % n == 0;
  }

  /** At the end of every {@code n}-th epoch. */
  static Trigger everyEpochs(int n) {
    return n <= 0 ? never() : p -> p.epochEnd() && p.epochsCompleted() % n == 0;
  }

  /**
   * Where training stands when a trigger is asked.
   *
   * @param epochEnd true when asked after an epoch (and its validation), false after a round
   */
  record Progress(int epochsCompleted, long roundsCompleted, boolean epochEnd) {}
}
