package io.kindling.kernels;

import org.bytedeco.javacpp.IntPointer;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * An activation applied to a layer's pre-activation, remembering what the backward pass needs:
 * nothing for the identity; for ReLU its output, which is positive exactly where the pre-activation
 * is (so no copy is kept), which is why callers must not modify a ReLU's result in place; for the
 * others a copy of the pre-activation.
 *
 * <p>ReLU on a contiguous fp32 array runs here, on the values' bits, a chunk at a time through heap
 * buffers: 13-19 us for 64 x 256 values backward, where libnd4j's step and product took 50-70 us
 * and its {@code relu_bp} 80-90 us, nearly all of it per-op overhead; a dense layer's step does two
 * of these per thread. Other arrays (fp64, as the gradient checks use, or strided views) go through
 * libnd4j, which computes the same values.
 */
final class AppliedActivation {
  /** Values per chunk: both chunks stay in the L1 cache. */
  private static final int CHUNK = 2048;

  private final Activation activation;
  private final IActivation function;
  private INDArray saved;
  private int[] values;
  private int[] gradients;
  private final Chunks chunks = new Chunks();

  AppliedActivation(Activation activation) {
    this.activation = activation;
    this.function = activation.function();
  }

  /** Applies the activation to {@code z}, in place where the function allows. */
  INDArray forward(INDArray z, boolean training) {
    return switch (activation) {
      case IDENTITY -> {
        saved = null;
        yield z;
      }
      case RELU -> {
        saved = FloatCursor.contiguous(z) ? reluInPlace(z) : Transforms.relu(z, false);
        yield saved;
      }
      default -> {
        saved = z.dup();
        yield function.getActivation(z, training);
      }
    };
  }

  /** Whether this is ReLU, which a layer may compute in its own loops (see {@link #rectified}). */
  boolean rectifies() {
    return activation == Activation.RELU;
  }

  /**
   * Records {@code output}, max(z, 0) computed by the caller, as this ReLU's result: what {@link
   * #backward} reads.
   */
  INDArray rectified(INDArray output) {
    saved = output;
    return output;
  }

  /** dLoss/dPreActivation from dLoss/dActivation. */
  INDArray backward(INDArray outputGradient) {
    return switch (activation) {
      case IDENTITY -> outputGradient;
      case RELU ->
          FloatCursor.contiguous(saved) && FloatCursor.contiguous(outputGradient)
              ? reluGradient(outputGradient)
              : Transforms.step(saved, true).muli(outputGradient);
      default -> function.backprop(saved, outputGradient).getFirst();
    };
  }

  /**
   * max(z, 0) in place, on the values' raw bits: a negative value (minus zero included) has its
   * sign bit set, and {@code b & ~(b >> 31)} turns exactly those into +0's bits. Integer
   * arithmetic, which HotSpot vectorises.
   */
  private INDArray reluInPlace(INDArray z) {
    int[] v = buffers();
    IntPointer p = chunks.first.at(z);
    long length = z.length();
    for (long from = 0; from < length; from += CHUNK) {
      int count = (int) Math.min(CHUNK, length - from);
      p.position(from).get(v, 0, count);
      for (int i = 0; i < count; i++) {
        v[i] &= ~(v[i] >> 31);
      }
      p.position(from).put(v, 0, count);
    }
    return z;
  }

  /** The output gradient where the ReLU's output is positive, else 0, in a new array. */
  private INDArray reluGradient(INDArray outputGradient) {
    if (saved.length() != outputGradient.length()) {
      throw new IllegalArgumentException(
          "ReLU gradient of " + outputGradient.length() + " values for " + saved.length());
    }
    INDArray result = outputGradient.ulike();
    int[] v = buffers();
    int[] g = gradients;
    IntPointer out = chunks.first.at(saved);
    IntPointer in = chunks.second.at(outputGradient);
    IntPointer res = chunks.third.at(result);
    long length = saved.length();
    for (long from = 0; from < length; from += CHUNK) {
      int count = (int) Math.min(CHUNK, length - from);
      out.position(from).get(v, 0, count);
      in.position(from).get(g, 0, count);
      for (int i = 0; i < count; i++) {
        // The output is +0 or positive: its bits, as an int, are 0 or positive, and the mask keeps
        // the gradient's bits exactly where they are positive. A float comparison here became a
        // branch that mispredicts on every other value.
        g[i] &= -v[i] >> 31;
      }
      res.position(from).put(g, 0, count);
    }
    return result;
  }

  private int[] buffers() {
    if (values == null) {
      values = new int[CHUNK];
      gradients = new int[CHUNK];
    }
    return values;
  }

  /** Pointers moved to each array in turn; they own no memory. */
  private static final class Chunks {
    final BitsCursor first = new BitsCursor();
    final BitsCursor second = new BitsCursor();
    final BitsCursor third = new BitsCursor();
  }
}
