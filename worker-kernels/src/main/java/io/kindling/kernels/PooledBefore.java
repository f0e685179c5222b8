package io.kindling.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A max pooling that the convolution before it computes ({@link Conv2dLayer}): its values pass
 * through both ways. It keeps the pooling's place among the network's layers, whose positions seed
 * their initialisers.
 */
final class PooledBefore implements Layer {
  @Override
  public INDArray forward(INDArray x, boolean training) {
    return x;
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    return outputGradient;
  }
}
