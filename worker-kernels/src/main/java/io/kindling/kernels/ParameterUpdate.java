package io.kindling.kernels;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The optimizer applied to a contiguous run of trainable parameters: clip, L2, update rule,
 * decoupled decay, with the rule's state in one flat buffer as long as {@link
 * OptimizerSpec#stateComponents()} times the run. A whole network's update and one shard's update
 * in a sharded all-reduce are the same code on runs of different length.
 */
final class ParameterUpdate {
  private final OptimizerSpec optimizer;
  private final int stateSize;
  private final INDArray state;
  private final UpdateRule rule;

  ParameterUpdate(OptimizerSpec optimizer, long length, DataType dataType) {
    this.optimizer = optimizer;
    this.stateSize = Math.toIntExact(optimizer.stateSize(length));
    this.state = Nd4j.create(dataType, Math.max(1, stateSize));
    this.rule = optimizer.rule(stateSize == 0 ? null : state);
  }

  int stateSize() {
    return stateSize;
  }

  void importState(float[] src, int offset) {
    if (stateSize > 0) {
      HostCopy.toDevice(src, offset, state);
    }
  }

  void exportState(float[] dst, int offset) {
    if (stateSize > 0) {
      HostCopy.toHost(state, dst, offset);
    }
  }

  /** Whether {@link #apply} needs the gradient's norm: only to clip it. */
  boolean needsGradientNorm() {
    return optimizer.clipNorm() > 0;
  }

  /**
   * Updates {@code params} in place from {@code grad}, which becomes the step taken.
   *
   * @param gradientNorm the global L2 norm of the gradient {@code grad} is part of (read only when
   *     {@link #needsGradientNorm()})
   */
  void apply(INDArray params, INDArray grad, double gradientNorm, int iteration, int epoch) {
    if (needsGradientNorm() && gradientNorm > optimizer.clipNorm()) {
      grad.muli(optimizer.clipNorm() / gradientNorm);
    }
    if (optimizer.l2() > 0) {
      grad.addi(params.mul(optimizer.l2()));
    }
    rule.apply(grad, iteration, epoch);
    params.subi(grad);
    if (optimizer.kind() == OptimizerSpec.Kind.ADAMW && optimizer.weightDecay() > 0) {
      params.muli(1.0 - optimizer.learningRate(iteration) * optimizer.weightDecay());
    }
  }

  /** Frees the native state now rather than at the next garbage collection. */
  void close() {
    state.close();
  }
}
