package io.kindling.kernels;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The update through ND4J's updaters, their state in one flat native buffer. */
final class RuleUpdate extends ParameterUpdate {
  private final int stateSize;
  private final INDArray state;
  private final UpdateRule rule;

  RuleUpdate(OptimizerSpec optimizer, long length, DataType dataType) {
    super(optimizer);
    this.stateSize = Math.toIntExact(optimizer.stateSize(length));
    this.state = Nd4j.create(dataType, Math.max(1, stateSize));
    this.rule = optimizer.rule(stateSize == 0 ? null : state);
  }

  @Override
  int stateSize() {
    return stateSize;
  }

  @Override
  void importState(float[] src, int offset) {
    if (stateSize > 0) {
      HostCopy.toDevice(src, offset, state);
    }
  }

  @Override
  void exportState(float[] dst, int offset) {
    if (stateSize > 0) {
      HostCopy.toHost(state, dst, offset);
    }
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

  @Override
  void close() {
    state.close();
  }
}
