package io.kindling.kernels;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LogSoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Softmax cross-entropy on logits; fused so the gradient is the stable (p - t) / n. One libnd4j
 * log-softmax (stable: it subtracts each row's maximum) and a few element-wise ops, since every op
 * call costs more than the arithmetic on a [batch, classes] array.
 *
 * <p>libnd4j's log-softmax is the log of the softmax: a class more than about 104 below a row's
 * largest logit underflows to a probability of 0 and a log-probability of minus infinity, and
 * {@code 0 * -inf} made the whole batch's loss NaN while the gradient stayed finite (a 2-worker
 * overlapped run hit it at one step of the first epoch). Log-probabilities are floored at the log
 * of the smallest positive value of their type, where the underflow begins: classes with no target
 * weight then add exactly 0, and a target class that far below costs the floor.
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
    Transforms.max(logProbs, logFloor(logits.dataType()), false);
    double loss = -logProbs.muli(target).sumNumber().doubleValue() / n;
    gradient.subi(target).divi(n);
    return loss;
  }

  @Override
  public INDArray outputTransform(INDArray logits) {
    return Nd4j.exec(new SoftMax(logits, logits.ulike(), 1))[0];
  }

  /** The log of the smallest positive value of {@code type}: below it a probability is 0. */
  private static double logFloor(DataType type) {
    return type == DataType.DOUBLE ? Math.log(Double.MIN_VALUE) : Math.log(Float.MIN_VALUE);
  }
}
