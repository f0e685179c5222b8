package io.kindling.sync;

import io.kindling.kernels.ExampleBlock;
import org.apache.spark.api.java.JavaRDD;

/**
 * How the workers' local training is synchronised: the trainer calls {@link #run} once a round and
 * never cares whether parameters are averaged through the driver or gradients all-reduced among the
 * workers. Implementations are chosen by configuration.
 */
public interface SyncStrategy {
  /** Configuration name, e.g. {@code averaging}. */
  String name();

  /**
   * Runs one round on the cached partitions (one block each) from {@code state} and returns the
   * synchronised result. Deterministic: the same inputs give the same state, so a retried task
   * changes nothing.
   */
  RoundResult run(JavaRDD<ExampleBlock> partitions, Round round, float[] state);

  /** The state a fresh run starts from: parameters initialised from the plan's seed. */
  float[] initialState();
}
