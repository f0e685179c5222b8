package io.kindling.kernels;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Float and int arrays as raw little-endian bytes in a serialization stream, copied 64 KB at a
 * time. Java's own form of a primitive array converts one value at a time, several times slower
 * than the disk or the network it goes to; blocks Spark caches and the state a round returns go
 * this way instead.
 */
public final class RawArrays {
  private static final int BUFFER_BYTES = 1 << 16;
  private static final int PER_BUFFER = BUFFER_BYTES / 4; // floats and ints are both 4 bytes

  /** Moves {@code n} values from index {@code at} between an array and a buffer's start. */
  @FunctionalInterface
  private interface Move {
    void apply(ByteBuffer buffer, int at, int n);
  }

  private RawArrays() {}

  public static void writeFloats(DataOutput out, float[] values, int from, int count)
      throws IOException {
    write(out, from, count, (buffer, at, n) -> buffer.asFloatBuffer().put(values, at, n));
  }

  /** Reads {@code count} values written by {@link #writeFloats} into {@code values[from..]}. */
  public static void readFloats(DataInput in, float[] values, int from, int count)
      throws IOException {
    read(in, from, count, (buffer, at, n) -> buffer.asFloatBuffer().get(values, at, n));
  }

  public static void writeInts(DataOutput out, int[] values, int from, int count)
      throws IOException {
    write(out, from, count, (buffer, at, n) -> buffer.asIntBuffer().put(values, at, n));
  }

  /** Reads {@code count} values written by {@link #writeInts} into {@code values[from..]}. */
  public static void readInts(DataInput in, int[] values, int from, int count) throws IOException {
    read(in, from, count, (buffer, at, n) -> buffer.asIntBuffer().get(values, at, n));
  }

  private static void write(DataOutput out, int from, int count, Move put) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (int at = from, end = from + count; at < end; at += PER_BUFFER) {
      int n = Math.min(end - at, PER_BUFFER);
      put.apply(buffer.clear(), at, n);
      out.write(buffer.array(), 0, 4 * n);
    }
  }

  private static void read(DataInput in, int from, int count, Move get) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (int at = from, end = from + count; at < end; at += PER_BUFFER) {
      int n = Math.min(end - at, PER_BUFFER);
      in.readFully(buffer.array(), 0, 4 * n);
      get.apply(buffer.clear(), at, n);
    }
  }
}
