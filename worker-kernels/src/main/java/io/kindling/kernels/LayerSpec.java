package io.kindling.kernels;

import java.util.Arrays;

/**
 * The declaration of one layer: what a user writes, in Java or in a job's configuration. A spec
 * knows its output shape for a given input shape, so a network's shapes are checked before any
 * memory is allocated.
 */
public sealed interface LayerSpec extends java.io.Serializable permits LayerSpec.Dense {

  /** The configuration name of the layer type, e.g. {@code dense}. */
  String type();

  /** The output shape for one example of the given shape; throws {@link ShapeException}. */
  int[] outputShape(int index, int[] inputShape);

  /** Number of trainable parameters for the given input shape. */
  long numParams(int[] inputShape);

  /** A fully connected layer: {@code activation(x W + b)}. Input must be a vector. */
  record Dense(int units, Activation activation) implements LayerSpec {
    public Dense {
      if (units <= 0) {
        throw new IllegalArgumentException("dense layer: units must be positive, got " + units);
      }
    }

    @Override
    public String type() {
      return "dense";
    }

    @Override
    public int[] outputShape(int index, int[] inputShape) {
      if (inputShape.length != 1) {
        throw new ShapeException(
            "layer "
                + index
                + " (dense) needs a vector input but gets shape "
                + Arrays.toString(inputShape)
                + "; put a flatten layer before it");
      }
      return new int[] {units};
    }

    @Override
    public long numParams(int[] inputShape) {
      return (long) inputShape[0] * units + units;
    }
  }
}
