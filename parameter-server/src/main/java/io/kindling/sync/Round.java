package io.kindling.sync;

import java.io.Serializable;

/**
 * One synchronisation round: every worker runs {@code steps} local minibatch steps of {@code
 * epoch}, starting at step {@code firstStep} of that epoch.
 *
 * @param iteration the global step number of {@code firstStep}, counted from the start of training
 */
public record Round(int epoch, int index, int firstStep, int steps, long iteration)
    implements Serializable {
  @Override
  public String toString() {
    return "epoch " + (epoch + 1) + ", round " + (index + 1);
  }
}
