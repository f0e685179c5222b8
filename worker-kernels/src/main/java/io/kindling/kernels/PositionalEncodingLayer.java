package io.kindling.kernels;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Adds a learned [seqLen, dim] table to every example of [batch, seqLen, dim]. */
final class PositionalEncodingLayer implements Layer {
  /** Standard deviation of the initial table, small next to unit-scale embeddings. */
  static final double INIT_STD = 0.02;

  private final long size;
  private INDArray table;
  private INDArray tableGradient;

  PositionalEncodingLayer(int[] inputShape) {
    this.size = (long) inputShape[0] * inputShape[1];
  }

  @Override
  public long numParams() {
    return size;
  }

  @Override
  public void bind(INDArray params, INDArray gradients) {
    table = params.reshape('c', 1, size);
    tableGradient = gradients.reshape('c', 1, size);
  }

  @Override
  public void initialise(Random random) {
    Init.gaussian(table, INIT_STD, random);
  }

  @Override
  public INDArray forward(INDArray x, boolean training) {
    return x.reshape('c', x.size(0), size).addRowVector(table).reshape('c', x.shape());
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    tableGradient.assign(outputGradient.reshape('c', outputGradient.size(0), size).sum(true, 0));
    return outputGradient;
  }
}
