package io.kindling.kernels;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The update through ND4J's updaters, their state a view of the flat native buffer. */
final class RuleUpdate extends ParameterUpdate {
  private final UpdateRule rule;

  RuleUpdate(OptimizerSpec optimizer, long length, DataType dataType) {
    super(optimizer, length, dataType);
    this.rule = optimizer.rule(stateSize == 0 ? null : state);
  }

  @Override
  void apply(INDArray params, INDArray grad, double gradientNorm, int iteration, int epoch) {
    double clip = clipScale(gradientNorm);
    if (clip != 1) {
      grad.muli(clip);
    }
    if (optimizer.l2() > 0) {
      grad.addi(params.mul(optimizer.l2()));
    }
    rule.apply(grad, iteration, epoch);
    params.subi(grad);
    double decay = decayFactor(iteration);
    if (decay != 1) {
      params.muli(decay);
    }
  }
}
