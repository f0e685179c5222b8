package io.kindling.sync;

import io.kindling.kernels.ExampleBlock;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * Synchronous parameter averaging through the driver: each round the current state (parameters and
 * optimizer state) is broadcast, every partition trains k local steps from it, and the results are
 * summed in place by a tree aggregation and divided by the worker count.
 */
public final class ParameterAveraging implements SyncStrategy {
  private final JavaSparkContext spark;
  private final TrainingPlan plan;
  private final float[] initialState;
  private final int aggregationDepth;
  private final LongAccumulator examples;
  private final DoubleAccumulator lossSum;

  public ParameterAveraging(JavaSparkContext spark, TrainingPlan plan, int aggregationDepth) {
    this.spark = spark;
    this.plan = plan;
    this.aggregationDepth = aggregationDepth;
    this.initialState = plan.initialState();
    // Named, so the Spark UI's stages show how much each round trained and at what loss.
    this.examples = spark.sc().longAccumulator("kindling: examples trained");
    this.lossSum = spark.sc().doubleAccumulator("kindling: minibatch loss sum");
  }

  @Override
  public String name() {
    return "averaging";
  }

  @Override
  public float[] initialState() {
    return initialState.clone();
  }

  @Override
  public RoundResult run(JavaRDD<ExampleBlock> partitions, Round round, float[] state) {
    long began = System.nanoTime();
    Broadcast<float[]> current = spark.broadcast(state);
    TrainingPlan p = plan;
    LongAccumulator trained = examples;
    DoubleAccumulator losses = lossSum;
    try {
      Contribution sum =
          partitions
              .mapPartitionsWithIndex(
                  (index, blocks) ->
                      train(p, round, index, blocks, current.value(), trained, losses),
                  true)
              .treeAggregate(
                  new Contribution(), Contribution::add, Contribution::add, aggregationDepth);
      if (sum.workers == 0) {
        throw new IllegalStateException("no partition took part in " + round);
      }
      float inverse = 1f / sum.workers;
      for (int i = 0; i < sum.state.length; i++) {
        sum.state[i] *= inverse;
      }
      double loss = sum.batches == 0 ? Double.NaN : sum.lossSum / sum.batches;
      return new RoundResult(
          sum.state, loss, sum.examples, sum.computeSeconds, (System.nanoTime() - began) / 1e9);
    } finally {
      current.destroy();
    }
  }

  private static Iterator<Contribution> train(
      TrainingPlan plan,
      Round round,
      int index,
      Iterator<ExampleBlock> blocks,
      float[] start,
      LongAccumulator trained,
      DoubleAccumulator losses) {
    if (!blocks.hasNext()) {
      return List.<Contribution>of().iterator();
    }
    ExampleBlock block = blocks.next();
    if (blocks.hasNext()) {
      throw new IllegalStateException("partition " + index + " holds more than one block");
    }
    Contribution c = LocalSteps.run(plan, round, index, block, start);
    trained.add(c.examples);
    losses.add(c.lossSum);
    return List.of(c).iterator();
  }
}
