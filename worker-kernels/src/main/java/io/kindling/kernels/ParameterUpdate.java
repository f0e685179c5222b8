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
abstract sealed class ParameterUpdate permits AdamUpdate, RuleUpdate {
  final OptimizerSpec optimizer;
  final int stateSize;

  /** The rule's state, native: what the memory preflight counts off the heap. */
  final INDArray state;

  ParameterUpdate(OptimizerSpec optimizer, long length, DataType dataType) {
    this.optimizer = optimizer;
    this.stateSize = Math.toIntExact(optimizer.stateSize(length));
    this.state = Nd4j.create(dataType, Math.max(1, stateSize));
  }

  /**
   * The update for {@code length} parameters of {@code dataType}: Adam and AdamW on fp32 in one
   * fused pass ({@link AdamUpdate}), everything else through ND4J's updaters ({@link RuleUpdate}).
   */
  static ParameterUpdate create(OptimizerSpec optimizer, long length, DataType dataType) {
    boolean adam =
        optimizer.kind() == OptimizerSpec.Kind.ADAM || optimizer.kind() == OptimizerSpec.Kind.ADAMW;
    return adam && dataType == DataType.FLOAT
        ? new AdamUpdate(optimizer, Math.toIntExact(length))
        : new RuleUpdate(optimizer, length, dataType);
  }

  final int stateSize() {
    return stateSize;
  }

  /**
   * Replaces the state: component c (e.g. Adam's m, then v) from {@code src[offset + c * stride,
   * ... + length)}. The stride is the length of the vector the state belongs to: this run's own
   * length, or the whole network's when this run is one range of it.
   */
  final void importState(float[] src, int offset, int stride) {
    int length = componentLength();
    for (int c = 0; c * length < stateSize; c++) {
      HostCopy.toDevice(src, offset + c * stride, state, (long) c * length, length);
    }
  }

  /** Writes the state where {@link #importState} reads it. */
  final void exportState(float[] dst, int offset, int stride) {
    int length = componentLength();
    for (int c = 0; c * length < stateSize; c++) {
      HostCopy.toHost(state, (long) c * length, dst, offset + c * stride, length);
    }
  }

  private int componentLength() {
    return stateSize == 0 ? 0 : stateSize / optimizer.stateComponents();
  }

  /** Whether {@link #apply} needs the gradient's norm: only to clip it. */
  final boolean needsGradientNorm() {
    return optimizer.clipNorm() > 0;
  }

  /** What the gradient is multiplied by to clip it to the global norm: 1 when it is within. */
  final double clipScale(double gradientNorm) {
    return needsGradientNorm() && gradientNorm > optimizer.clipNorm()
        ? optimizer.clipNorm() / gradientNorm
        : 1;
  }

  /** AdamW's decoupled decay at step {@code iteration}: the weights are multiplied by it. */
  final double decayFactor(int iteration) {
    return optimizer.kind() == OptimizerSpec.Kind.ADAMW && optimizer.weightDecay() > 0
        ? 1.0 - optimizer.learningRate(iteration) * optimizer.weightDecay()
        : 1;
  }

  /**
   * Updates {@code params} in place from {@code grad}, whose contents are undefined afterwards.
   *
   * @param gradientNorm the global L2 norm of the gradient {@code grad} is part of (read only when
   *     {@link #needsGradientNorm()})
   */
  abstract void apply(
      INDArray params, INDArray grad, double gradientNorm, int iteration, int epoch);

  /** Frees the native state now rather than at the next garbage collection. */
  final void close() {
    state.close();
  }
}
