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
    requireWhole(dst);
    long n = dst.length();
    switch (dst.dataType()) {
      case FLOAT -> ((FloatPointer) dst.data().addressPointer()).put(src, offset, (int) n);
      case DOUBLE -> {
        DoublePointer p = (DoublePointer) dst.data().addressPointer();
        for (int i = 0; i < n; i++) {
          p.put(i, src[offset + i]);
        }
      }
      default -> throw new IllegalStateException("unsupported data type " + dst.dataType());
    }
  }

  static void toHost(INDArray src, float[] dst, int offset) {
    requireWhole(src);
    long n = src.length();
    switch (src.dataType()) {
      case FLOAT -> ((FloatPointer) src.data().addressPointer()).get(dst, offset, (int) n);
      case DOUBLE -> {
        DoublePointer p = (DoublePointer) src.data().addressPointer();
        for (int i = 0; i < n; i++) {
          dst[offset + i] = (float) p.get(i);
        }
      }
      default -> throw new IllegalStateException("unsupported data type " + src.dataType());
    }
  }

  private static void requireWhole(INDArray a) {
    if (a.isView() || a.ordering() != 'c') {
      throw new IllegalArgumentException("bulk copy needs a whole row-major array");
    }
  }
}
