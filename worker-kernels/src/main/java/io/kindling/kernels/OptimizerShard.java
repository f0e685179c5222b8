package io.kindling.kernels;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The optimizer for one shard {@code [from, to)} of a network's trainable parameters, holding only
 * that shard's optimizer state (ZeRO stage 1): in a sharded all-reduce each of W workers updates
 * its own shard from the summed gradient, so optimizer state costs each worker 1/W. The step is the
 * one {@link LocalTrainer} takes (clip, L2, update rule, decoupled decay), restricted to the shard.
 *
 * <p>State layout: {@link OptimizerSpec#stateComponents()} vectors (e.g. Adam's m and v), each as
 * long as the shard, one after the other; the whole network's optimizer state is the same with
 * vectors as long as all trainable parameters, so the shard's state is {@code [from, to)} of each.
 */
public final class OptimizerShard implements AutoCloseable {
  private final int from;
  private final int to;
  // All null for an empty shard (more workers than parameters): native arrays cannot be empty.
  private final ParameterUpdate update;
  private final INDArray parameters;
  private final INDArray gradient;

  public OptimizerShard(OptimizerSpec optimizer, int from, int to) {
    if (from < 0 || to < from) {
      throw new IllegalArgumentException("shard [" + from + ", " + to + ") is not a range");
    }
    this.from = from;
    this.to = to;
    boolean empty = to == from;
    this.update = empty ? null : ParameterUpdate.create(optimizer, to - from, DataType.FLOAT);
    this.parameters = empty ? null : Nd4j.create(DataType.FLOAT, to - from);
    this.gradient = empty ? null : Nd4j.create(DataType.FLOAT, to - from);
  }

  public int from() {
    return from;
  }

  public int to() {
    return to;
  }

  /** Length of this shard's optimizer state: {@code stateComponents() * (to - from)}. */
  public int stateSize() {
    return update == null ? 0 : update.stateSize();
  }

  /** Replaces the shard's optimizer state with {@code src[offset, offset + stateSize())}. */
  public void importState(float[] src, int offset) {
    if (update != null) {
      update.importState(src, offset, to - from);
    }
  }

  public void exportState(float[] dst, int offset) {
    if (update != null) {
      update.exportState(dst, offset, to - from);
    }
  }

  /**
   * Updates {@code parameters[from, to)} in place from {@code gradient[from, to)}; both arrays
   * index the whole trainable vector.
   *
   * @param gradientNorm the L2 norm of the whole gradient, for clipping by global norm (read only
   *     when the optimizer clips)
   */
  public void update(
      float[] parameters, float[] gradient, double gradientNorm, int iteration, int epoch) {
    if (update == null) {
      return;
    }
    ComputeThreads.applyToCurrentThread();
    HostCopy.toDevice(parameters, from, this.parameters);
    HostCopy.toDevice(gradient, from, this.gradient);
    try (var ws = Workspaces.training()) {
      update.apply(this.parameters, this.gradient, gradientNorm, iteration, epoch);
    }
    HostCopy.toHost(this.parameters, parameters, from);
  }

  /** Frees the native buffers now: a shard lives for one round. */
  @Override
  public void close() {
    if (update != null) {
      update.close();
      parameters.close();
      gradient.close();
    }
  }
}
