package io.kindling.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;

/** [batch, ...] to [batch, features]: a reshape view of the row-major input, and back. */
final class FlattenLayer implements Layer {
  private long[] inputShape;

  @Override
  public INDArray forward(INDArray x, boolean training) {
    inputShape = x.shape();
    return x.reshape('c', x.size(0), x.length() / x.size(0));
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    return outputGradient.reshape('c', inputShape);
  }
}
