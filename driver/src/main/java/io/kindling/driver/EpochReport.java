package io.kindling.driver;

import io.kindling.kernels.Evaluation;

/**
 * What one epoch did.
 *
 * @param epoch 1-based
 * @param validation the validation scores, or null without a validation split
 * @param trainSample the scores on a fixed sample of the training split ({@link TrainingSample})
 * @param elapsedSeconds since training started
 */
record EpochReport(
    int epoch,
    int epochs,
    int rounds,
    double loss,
    long examples,
    double epochSeconds,
    double computeSeconds,
    double syncSeconds,
    Evaluation validation,
    Evaluation trainSample,
    double elapsedSeconds) {

  double examplesPerSecond() {
    return examples / epochSeconds;
  }

  double etaSeconds() {
    return elapsedSeconds / epoch * (epochs - epoch);
  }
}
