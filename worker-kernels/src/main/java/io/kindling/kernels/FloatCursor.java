package io.kindling.kernels;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A pointer moved to one fp32 array after another, for the loops that read and write native arrays
 * a chunk at a time through heap buffers: it owns no memory, and moving it allocates nothing, where
 * {@code new FloatPointer(x.data().addressPointer())} would build an object a call.
 */
final class FloatCursor extends FloatPointer {
  /**
   * An fp32 array whose values lie in row-major order without gaps, which such loops read and write
   * directly: a whole array, or a reshaped one (flatten's gradient), but not a slice across rows.
   */
  static boolean contiguous(INDArray x) {
    if (x.dataType() != DataType.FLOAT) {
      return false;
    }
    // ND4J's own check refuses some contiguous arrays with a dimension of 1, whose stride is free.
    long[] shape = x.shape();
    long[] stride = x.stride();
    long expected = 1;
    for (int d = shape.length - 1; d >= 0; d--) {
      if (shape[d] != 1 && stride[d] != expected) {
        return false;
      }
      expected *= shape[d];
    }
    return true;
  }

  /** Points at {@code x}'s first element, spanning the whole array. */
  FloatCursor at(INDArray x) {
    address = x.data().address() + x.offset() * Float.BYTES;
    position = 0;
    limit = x.length();
    capacity = x.length();
    return this;
  }
}
