package io.kindling.ml;

/**
 * The defaults of {@link NeuralNetParams}: those of {@code conf/kindling-defaults.conf}, unless
 * said.
 */
final class ParamDefaults {
  private ParamDefaults() {}

  static void set(NeuralNetParams p) {
    p.setDefault(p.network(), "");
    p.setDefault(p.epochs(), 10);
    p.setDefault(p.batchSize(), 128);
    p.setDefault(p.optimizer(), "adam");
    p.setDefault(p.learningRate(), 0.001);
    p.setDefault(p.syncMode(), "averaging");
    p.setDefault(p.averagingFrequency(), 10);
    p.setDefault(p.workers(), 0);
    p.setDefault(p.validationFraction(), 0.1);
    // Spark ML data is often tabular columns of unrelated scales: standardise each on its own.
    p.setDefault(p.normalise(), "standard");
    p.setDefault(p.perFeature(), true);
    p.setDefault(p.seed(), 42L);
    p.setDefault(p.checkpointDir(), "");
    p.setDefault(p.runDir(), "");
  }
}
