package io.kindling.kernels;

/** A network declaration whose layer shapes do not fit together. The message names the layer. */
public final class ShapeException extends IllegalArgumentException {
  public ShapeException(String message) {
    super(message);
  }
}
