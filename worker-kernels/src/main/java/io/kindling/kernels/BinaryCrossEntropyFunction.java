package io.kindling.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Binary cross-entropy on logits z: {@code max(z, 0) - z y + log(1 + exp(-|z|))} never overflows,
 * and its gradient is {@code (sigmoid(z) - y) / n}.
 */
final class BinaryCrossEntropyFunction implements LossFunction {
  @Override
  public double lossAndGradient(INDArray logits, INDArray targets, INDArray gradient) {
    long n = logits.size(0);
    INDArray softplus =
        Transforms.log1p(Transforms.exp(Transforms.abs(logits, true).negi(), false), false);
    INDArray perValue = Transforms.relu(logits, true).subi(logits.mul(targets)).addi(softplus);
    double loss = perValue.sumNumber().doubleValue() / n;
    gradient.assign(Transforms.sigmoid(logits, true)).subi(targets).divi(n);
    return loss;
  }

  @Override
  public INDArray outputTransform(INDArray logits) {
    return Transforms.sigmoid(logits, true);
  }
}
