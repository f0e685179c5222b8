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
 *
 * <p>libnd4j's log-softmax is the log of the softmax: a class more than about 104 below a row's
 * largest logit underflows to a probability of 0 and a log-probability of minus infinity, and
 * {@code 0 * -inf} made the whole batch's loss NaN while the gradient stayed finite (a 2-worker run
 * hit it at one step of its first epoch). When that happens the loss is computed again from the
 * logits as {@code x - logsumexp(x)}, with each row's log-sum-exp taken where its log-probability
 * is finite: the exact loss, however large, so the divergence guard still sees a model that has
 * truly blown up.
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
    if (!Double.isFinite(loss)) {
      // Rare, so the log-probabilities are computed again rather than kept on every step. x - log p
      // is the row's log-sum-exp where p is finite and +inf where it underflowed.
      logProbs = Nd4j.exec(new LogSoftMax(logits, logits.ulike()))[0];
      INDArray logSumExp = logits.sub(logProbs).min(true, 1);
      loss = -logits.subColumnVector(logSumExp).muli(target).sumNumber().doubleValue() / n;
    }
    gradient.subi(target).divi(n);
    return loss;
  }

  @Override
  public INDArray outputTransform(INDArray logits) {
    return Nd4j.exec(new SoftMax(logits, logits.ulike(), 1))[0];
  }
}
