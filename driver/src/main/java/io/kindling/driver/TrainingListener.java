package io.kindling.driver;

import io.kindling.sync.Round;
import io.kindling.sync.RoundResult;

/**
 * Hooks the training loop calls; each concern (console, metrics file, Spark UI) is one listener.
 */
interface TrainingListener {
  default void onRoundStart(Round round) {}

  default void onRoundEnd(Round round, RoundResult result) {}

  default void onEpoch(EpochReport report) {}
}
