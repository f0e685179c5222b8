package io.kindling.sync;

import io.kindling.kernels.ExampleBlock;
import io.kindling.kernels.LocalTrainer;
import java.util.Random;

/**
 * The executor side of a round: k minibatch steps over a partition's block, in an order that
 * depends only on the seed, the epoch and the partition, so any retry repeats them exactly.
 */
final class LocalSteps {
  private LocalSteps() {}

  static Contribution run(
      TrainingPlan plan, Round round, int partition, ExampleBlock block, float[] start) {
    long began = System.nanoTime();
    LocalTrainer trainer = TrainerPool.borrow(plan);
    try {
      trainer.importState(start);
      int[] order = epochOrder(block.size(), plan.seed(), round.epoch(), partition);
      Contribution c = new Contribution(new float[start.length]);
      int steps = plan.stepsPerEpoch(block.size());
      for (int s = round.firstStep(); s < round.firstStep() + round.steps() && s < steps; s++) {
        c.lossSum += step(plan, round, partition, trainer, block, order, s);
        c.batches++;
        c.examples += plan.rowsInStep(block.size(), s);
      }
      trainer.exportState(c.state);
      c.workers = 1;
      c.computeSeconds = (System.nanoTime() - began) / 1e9;
      return c;
    } finally {
      TrainerPool.release(plan, trainer);
    }
  }

  /**
   * Step {@code s} of the round's epoch on a partition's block: the minibatch at {@code s x batch}
   * in the partition's epoch order. Returns the minibatch's loss.
   */
  static double step(
      TrainingPlan plan,
      Round round,
      int partition,
      LocalTrainer trainer,
      ExampleBlock block,
      int[] order,
      int s) {
    long iteration = round.iteration() + s - round.firstStep();
    return trainer.step(
        block,
        order,
        s * plan.batchSize(),
        plan.rowsInStep(block.size(), s),
        (int) iteration,
        round.epoch(),
        stepSeed(plan, partition, iteration));
  }

  /** Each partition draws its own dropout masks, the same ones on every retry. */
  static long stepSeed(TrainingPlan plan, int partition, long iteration) {
    return LocalTrainer.stepSeed(plan.seed() * 1_000_003L + partition, iteration);
  }

  /** The seeded permutation of a partition's rows for one epoch. */
  static int[] epochOrder(int n, long seed, int epoch, int partition) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    Random r = new Random(seed * 0x9E3779B97F4A7C15L + epoch * 1_000_003L + partition);
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
