package io.kindling.kernels;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.BaseActivationFunction;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * GELU as defined, {@code x * Phi(x)} with the Gaussian CDF from erf. ND4J's own GELU uses an
 * approximation whose derivative does not match its forward pass closely enough for a gradient
 * check.
 */
final class ExactGelu extends BaseActivationFunction {
  private static final double INV_SQRT2 = 1 / Math.sqrt(2);
  private static final double INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

  @Override
  public INDArray getActivation(INDArray in, boolean training) {
    INDArray cdf = cdf(in);
    return in.muli(cdf);
  }

  @Override
  public Pair<INDArray, INDArray> backprop(INDArray in, INDArray epsilon) {
    INDArray cdf = cdf(in);
    // d/dx [x Phi(x)] = Phi(x) + x phi(x)
    INDArray pdf = Transforms.exp(in.mul(in).muli(-0.5), false).muli(INV_SQRT_2PI);
    in.muli(pdf).addi(cdf).muli(epsilon);
    return new Pair<>(in, null);
  }

  private static INDArray cdf(INDArray x) {
    INDArray scaled = x.mul(INV_SQRT2);
    return Nd4j.exec(new Erf(scaled, scaled)).addi(1).muli(0.5);
  }

  @Override
  public String toString() {
    return "gelu";
  }
}
