package io.kindling.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;

/** Mean over rows of the summed squared error; the gradient is 2 (y' - y) / n. */
final class SquaredErrorFunction implements LossFunction {
  @Override
  public double lossAndGradient(INDArray output, INDArray targets, INDArray gradient) {
    long n = output.size(0);
    gradient.assign(output).subi(targets);
    double loss = gradient.mul(gradient).sumNumber().doubleValue() / n;
    gradient.muli(2.0 / n);
    return loss;
  }

  @Override
  public INDArray outputTransform(INDArray output) {
    return output;
  }
}
