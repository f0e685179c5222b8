package io.kindling.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.bp.MeanBp;
import org.nd4j.linalg.factory.Nd4j;

/** The mean over height and width of [batch, C, H, W], or over the sequence of [batch, T, D]. */
final class GlobalAveragePoolingLayer implements Layer {
  private final int[] dimensions;
  private INDArray input;

  GlobalAveragePoolingLayer(int[] inputShape) {
    this.dimensions = inputShape.length == 3 ? new int[] {2, 3} : new int[] {1};
  }

  @Override
  public INDArray forward(INDArray x, boolean training) {
    input = x;
    return x.mean(dimensions);
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    INDArray dx = input.ulike();
    Nd4j.exec(new MeanBp(input, outputGradient, dx, false, dimensions));
    return dx;
  }
}
