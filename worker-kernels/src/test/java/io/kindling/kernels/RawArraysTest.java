package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RawArraysTest {
  @Test
  void floatsAndIntsRoundTripBitForBitAcrossBufferBoundaries() throws Exception {
    Random random = new Random(7);
    float[] floats = new float[40_003]; // two and a half 64 KB buffers
    for (int i = 0; i < floats.length; i++) {
      floats[i] = (float) random.nextGaussian();
    }
    floats[5] = Float.NaN;
    floats[6] = -0f;
    int[] ints = random.ints(20_000).toArray();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      RawArrays.writeFloats(out, floats, 3, floats.length - 3);
      RawArrays.writeInts(out, ints, 0, ints.length);
    }
    byte[] written = bytes.toByteArray();
    assertThat(written).hasSize(4 * (floats.length - 3 + ints.length));
    // Little-endian raw values, as the Javadoc promises.
    assertThat(ByteBuffer.wrap(written).order(ByteOrder.LITTLE_ENDIAN).getFloat(0))
        .isEqualTo(floats[3]);

    float[] floatsBack = new float[floats.length];
    int[] intsBack = new int[ints.length];
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(written))) {
      RawArrays.readFloats(in, floatsBack, 3, floats.length - 3);
      RawArrays.readInts(in, intsBack, 0, ints.length);
    }
    for (int i = 3; i < floats.length; i++) {
      assertThat(Float.floatToRawIntBits(floatsBack[i]))
          .as("value %d", i)
          .isEqualTo(Float.floatToRawIntBits(floats[i]));
    }
    assertThat(Arrays.copyOf(floatsBack, 3)).containsOnly(0f);
    assertThat(intsBack).containsExactly(ints);
  }

  @Test
  void aTruncatedStreamFailsInsteadOfLeavingZeros() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      RawArrays.writeFloats(out, new float[20_000], 0, 20_000);
    }
    byte[] cut = Arrays.copyOf(bytes.toByteArray(), 4 * 20_000 - 2);
    assertThatThrownBy(
            () ->
                RawArrays.readFloats(
                    new DataInputStream(new ByteArrayInputStream(cut)),
                    new float[20_000],
                    0,
                    20_000))
        .isInstanceOf(EOFException.class);
  }
}
