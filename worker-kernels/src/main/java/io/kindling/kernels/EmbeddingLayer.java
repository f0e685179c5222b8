package io.kindling.kernels;

import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Token ids [batch, seqLen] (floats holding integers) to vectors [batch, seqLen, dim] by libnd4j's
 * {@code gather}; the table's gradient is a {@code scatter_add} of the output gradient.
 */
final class EmbeddingLayer implements Layer {
  private final int index;
  private final int vocabulary;
  private final int dim;
  private INDArray table;
  private INDArray tableGradient;
  private INDArray ids;

  EmbeddingLayer(int index, LayerSpec.Embedding spec) {
    this.index = index;
    this.vocabulary = spec.vocabulary();
    this.dim = spec.dim();
  }

  @Override
  public long numParams() {
    return (long) vocabulary * dim;
  }

  @Override
  public void bind(INDArray params, INDArray gradients) {
    table = params.reshape('c', vocabulary, dim);
    tableGradient = gradients.reshape('c', vocabulary, dim);
  }

  @Override
  public void initialise(Random random) {
    Init.gaussian(table, 1.0, random);
  }

  @Override
  public INDArray forward(INDArray x, boolean training) {
    double min = x.minNumber().doubleValue();
    double max = x.maxNumber().doubleValue();
    if (min < 0 || max >= vocabulary) {
      throw new IllegalArgumentException(
          "layer "
              + index
              + " (embedding): token id "
              + (min < 0 ? min : max)
              + " is outside the vocabulary [0, "
              + vocabulary
              + ")");
    }
    ids = x.castTo(DataType.INT32).reshape(x.length());
    INDArray out = Nd4j.createUninitialized(table.dataType(), x.length(), dim);
    Nd4j.exec(
        DynamicCustomOp.builder("gather")
            .addInputs(table, ids)
            .addOutputs(out)
            .addIntegerArguments(0)
            .build());
    return out.reshape('c', x.size(0), x.size(1), dim);
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    tableGradient.assign(0);
    // Locked: repeated ids must add up one after another, never race.
    Nd4j.exec(
        DynamicCustomOp.builder("scatter_add")
            .addInputs(tableGradient, ids, outputGradient.reshape('c', ids.length(), dim))
            .addOutputs(tableGradient)
            .addBooleanArguments(true)
            .callInplace(true)
            .build());
    return null;
  }
}
