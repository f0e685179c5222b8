package io.kindling.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Huber loss summed over outputs, mean over rows. With r = y' - y and c = clip(r, -delta, delta),
 * the loss {@code c (r - c / 2)} is r^2 / 2 inside the band and delta (|r| - delta / 2) outside,
 * and its gradient is c / n.
 */
final class HuberFunction implements LossFunction {
  private final double delta;

  HuberFunction(double delta) {
    this.delta = delta;
  }

  @Override
  public double lossAndGradient(INDArray output, INDArray targets, INDArray gradient) {
    long n = output.size(0);
    INDArray residual = output.sub(targets);
    INDArray clipped = Transforms.min(Transforms.max(residual, -delta, true), delta, false);
    double loss = residual.subi(clipped.mul(0.5)).muli(clipped).sumNumber().doubleValue() / n;
    gradient.assign(clipped).divi(n);
    return loss;
  }

  @Override
  public INDArray outputTransform(INDArray output) {
    return output;
  }
}
