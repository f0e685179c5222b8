package io.kindling.driver;

import io.kindling.kernels.Evaluation;
import io.kindling.kernels.ExampleBlock;
import io.kindling.kernels.Network;
import io.kindling.kernels.NetworkSpec;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.BiConsumer;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * One distributed pass that scores a model on cached blocks: each partition predicts its examples
 * in chunks and fills a confusion matrix (with log loss and top-k hits); the matrices are summed.
 */
final class Evaluator {
  static final int TOP_K = 3;
  private static final int CHUNK = 1024;

  private Evaluator() {}

  /**
   * Scores the model on the blocks: a {@link io.kindling.kernels.ConfusionMatrix} over {@code
   * classes} classes, or {@link io.kindling.kernels.RegressionMetrics} when {@code classes} is 0.
   *
   * @param parameters the parameters, or a state vector that starts with them
   */
  static Evaluation evaluate(
      JavaSparkContext spark,
      JavaRDD<ExampleBlock> data,
      NetworkSpec spec,
      float[] parameters,
      int classes) {
    // A training state also holds the optimizer's: ship only the parameters (a third of it, Adam).
    int numParams = Math.toIntExact(spec.numParams());
    Broadcast<float[]> params =
        spark.broadcast(
            parameters.length > numParams ? Arrays.copyOf(parameters, numParams) : parameters);
    try {
      return data.mapPartitions(blocks -> score(spec, params.value(), classes, blocks))
          .treeAggregate(Evaluation.of(classes, TOP_K), Evaluation::merge, Evaluation::merge);
    } finally {
      params.destroy();
    }
  }

  private static Iterator<Evaluation> score(
      NetworkSpec spec, float[] params, int classes, Iterator<ExampleBlock> blocks) {
    Evaluation scores = Evaluation.of(classes, TOP_K);
    Network network = Network.withParameters(spec, params);
    while (blocks.hasNext()) {
      ExampleBlock block = blocks.next();
      predictInChunks(
          network,
          block,
          (from, outputs) -> scores.add(block, from, outputs, outputs.length / spec.outputSize()));
    }
    return List.of(scores).iterator();
  }

  /**
   * Predicts a block {@value #CHUNK} rows at a time, handing each chunk's outputs on. The chunks'
   * inputs share one buffer: one per chunk allocated 3 MB per 1,024 rows of 784 features, beyond
   * G1's limit for a regular allocation.
   */
  static void predictInChunks(
      Network network, ExampleBlock block, BiConsumer<Integer, float[]> sink) {
    int w = block.width();
    float[] x = new float[Math.min(CHUNK, block.size()) * w];
    for (int from = 0; from < block.size(); from += CHUNK) {
      int n = Math.min(CHUNK, block.size() - from);
      sink.accept(from, network.predict(block.copyRows(from, n, x), n));
    }
  }
}
