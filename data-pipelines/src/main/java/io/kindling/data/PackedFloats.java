package io.kindling.data;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The packed feature layout: an example's fp32 values as little-endian bytes in one binary value,
 * written by {@link SyntheticData#withPackedFeatures()} and read by {@link FrameReader}.
 */
final class PackedFloats {
  /**
   * Whether this machine's floats are already laid out as packed bytes, to be copied as they are.
   */
  static final boolean NATIVE_ORDER = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

  private PackedFloats() {}

  static byte[] pack(float[] values) {
    ByteBuffer bytes =
        ByteBuffer.allocate(Float.BYTES * values.length).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    return bytes.array();
  }

  /** Reads the {@code bytes.length / 4} values of {@code bytes} into the start of {@code dst}. */
  static void unpack(byte[] bytes, float[] dst) {
    ByteBuffer.wrap(bytes)
        .order(ByteOrder.LITTLE_ENDIAN)
        .asFloatBuffer()
        .get(dst, 0, bytes.length / Float.BYTES);
  }
}
