package io.kindling.kernels;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Bulk copies between Java float arrays and whole, contiguous native arrays: one memcpy instead of
 * an element-by-element JNI call or a temporary array.
 */
final class HostCopy {
  private HostCopy() {}

  static void toDevice(float[] src, int offset, INDArray dst) {
    toDevice(src, offset, dst, 0, Math.toIntExact(dst.length()));
  }

  static void toHost(INDArray src, float[] dst, int offset) {
    toHost(src, 0, dst, offset, Math.toIntExact(src.length()));
  }

  /**
   * Copies {@code src[offset, offset + count)} to elements {@code [position, position + count)}.
   */
  static void toDevice(float[] src, int offset, INDArray dst, long position, int count) {
    requireRange(dst, position, count);
    switch (dst.dataType()) {
      case FLOAT ->
          new FloatPointer(dst.data().addressPointer()).position(position).put(src, offset, count);
      case DOUBLE -> {
        DoublePointer p = (DoublePointer) dst.data().addressPointer();
        for (int i = 0; i < count; i++) {
          p.put(position + i, src[offset + i]);
        }
      }
      default -> throw new IllegalStateException("unsupported data type " + dst.dataType());
    }
  }

  /**
   * Copies elements {@code [position, position + count)} to {@code dst[offset, offset + count)}.
   */
  static void toHost(INDArray src, long position, float[] dst, int offset, int count) {
    requireRange(src, position, count);
    switch (src.dataType()) {
      case FLOAT ->
          new FloatPointer(src.data().addressPointer()).position(position).get(dst, offset, count);
      case DOUBLE -> {
        DoublePointer p = (DoublePointer) src.data().addressPointer();
        for (int i = 0; i < count; i++) {
          dst[offset + i] = (float) p.get(position + i);
        }
      }
      default -> throw new IllegalStateException("unsupported data type " + src.dataType());
    }
  }

  private static void requireRange(INDArray a, long position, int count) {
    if (a.isView() || a.ordering() != 'c') {
      throw new IllegalArgumentException("bulk copy needs a whole row-major array");
    }
    if (position < 0 || count < 0 || position + count > a.length()) {
      throw new IndexOutOfBoundsException(
          "elements [" + position + ", " + (position + count) + ") of " + a.length());
    }
  }
}
