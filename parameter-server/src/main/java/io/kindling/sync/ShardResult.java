package io.kindling.sync;

import io.kindling.kernels.RawArrays;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;

/**
 * One all-reduce task's result for a round: its shard of the optimizer state and, from task 0
 * alone, the parameters (identical on every task), with its share of the round's figures.
 *
 * <p>Optimizer-state layout (see {@link io.kindling.kernels.OptimizerShard}): the full state is
 * {@code components} vectors as long as the trainable parameters, one after the other; a shard
 * {@code [from, to)} holds {@code [from, to)} of each, one after the other.
 *
 * <p>Its arrays travel as raw bytes ({@link RawArrays}): Java's own form of a float array made
 * returning a round's 6 MB state take 50-60 ms on two cores.
 */
final class ShardResult implements Serializable {
  private static final long serialVersionUID = 1L;

  final int rank;
  final int from;
  final int to;
  // Not final only so that readObject can set them.
  transient float[] parameters;
  transient float[] optimizerState;
  final double lossSum;
  final long batches;
  final long examples;
  final int steps;
  final double computeSeconds;
  final double communicationSeconds;
  final long stepBytes;

  ShardResult(
      int rank,
      int from,
      int to,
      float[] parameters,
      float[] optimizerState,
      double lossSum,
      long batches,
      long examples,
      int steps,
      double computeSeconds,
      double communicationSeconds,
      long stepBytes) {
    this.rank = rank;
    this.from = from;
    this.to = to;
    this.parameters = parameters;
    this.optimizerState = optimizerState;
    this.lossSum = lossSum;
    this.batches = batches;
    this.examples = examples;
    this.steps = steps;
    this.computeSeconds = computeSeconds;
    this.communicationSeconds = communicationSeconds;
    this.stepBytes = stepBytes;
  }

  private void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
    writeArray(out, parameters);
    writeArray(out, optimizerState);
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    parameters = readArray(in);
    optimizerState = readArray(in);
  }

  private static void writeArray(ObjectOutputStream out, float[] values) throws IOException {
    out.writeInt(values == null ? -1 : values.length);
    if (values != null) {
      RawArrays.writeFloats(out, values, 0, values.length);
    }
  }

  private static float[] readArray(ObjectInputStream in) throws IOException {
    int length = in.readInt();
    if (length < -1) {
      throw new InvalidObjectException("corrupt shard result: an array of " + length + " values");
    }
    if (length == -1) {
      return null;
    }
    float[] values = new float[length];
    RawArrays.readFloats(in, values, 0, length);
    return values;
  }

  /**
   * Shard {@code [from, to)} of the optimizer state held in {@code state} (a {@code [parameters |
   * optimizer state]} vector with {@code numParams} parameters, {@code trainable} of them
   * trainable).
   */
  static float[] sliceOptimizerState(
      float[] state, int numParams, int trainable, int components, int from, int to) {
    int length = to - from;
    float[] shard = new float[components * length];
    for (int c = 0; c < components; c++) {
      System.arraycopy(state, numParams + c * trainable + from, shard, c * length, length);
    }
    return shard;
  }

  /** Writes this shard's optimizer state into its place in a {@code [parameters | ...]} vector. */
  void placeOptimizerState(float[] state, int numParams, int trainable) {
    int length = to - from;
    for (int c = 0; c * length < optimizerState.length; c++) {
      System.arraycopy(optimizerState, c * length, state, numParams + c * trainable + from, length);
    }
  }
}
