package io.kindling.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Softmax cross-entropy on logits; fused so the gradient is the stable (p - t) / n. */
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
    // log softmax = z - max - log(sum(exp(z - max))), computed stably.
    INDArray max = logits.max(true, 1);
    INDArray shifted = logits.subColumnVector(max);
    INDArray logSumExp = Transforms.log(Transforms.exp(shifted, true).sum(true, 1), false);
    INDArray logProbs = shifted.subiColumnVector(logSumExp);
    double loss = -logProbs.mul(target).sumNumber().doubleValue() / n;
    Transforms.exp(logProbs, false); // now probabilities
    gradient.assign(logProbs).subi(target).divi(n);
    return loss;
  }

  @Override
  public INDArray outputTransform(INDArray logits) {
    return Nd4j.exec(new SoftMax(logits, logits.ulike(), 1))[0];
  }
}
