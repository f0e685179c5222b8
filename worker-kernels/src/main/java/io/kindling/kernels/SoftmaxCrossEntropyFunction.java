package io.kindling.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LogSoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Softmax cross-entropy on logits; fused so the gradient is the stable (p - t) / n. One libnd4j
 * log-softmax (stable: it subtracts each row's maximum) and a few element-wise ops, since every op
 * call costs more than the arithmetic on a [batch, classes] array.
 */
final class SoftmaxCrossEntropyFunction implements LossFunction {
  private final double labelSmoothing;

  SoftmaxCrossEntropyFunction(double labelSmoothing) {
    this.labelSmoothing = labelSmoothing;
  }

  @Override
  public double lossAndGradient(INDArray logits, INDArray oneHot, INDArray gradient) {
    long n = logits.size(0);
    INDArray target =
        labelSmoothing == 0
            ? oneHot
            : oneHot.mul(1 - labelSmoothing).addi(labelSmoothing / logits.size(1));
    INDArray logProbs = Nd4j.exec(new LogSoftMax(logits, logits.ulike()))[0];
    Nd4j.getExecutioner().exec(new Exp(logProbs, gradient)); // probabilities
    double loss = -logProbs.muli(target).sumNumber().doubleValue() / n;
    gradient.subi(target).divi(n);
    return loss;
  }

  @Override
  public INDArray outputTransform(INDArray logits) {
    return Nd4j.exec(new SoftMax(logits, logits.ulike(), 1))[0];
  }
}
