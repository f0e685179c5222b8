package io.kindling.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** A round's results travel to the driver by Java serialisation, with their arrays in bulk. */
class ShardResultTest {
  private static byte[] serialise(ShardResult result) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(result);
    }
    return bytes.toByteArray();
  }

  private static ShardResult read(byte[] bytes) throws Exception {
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
      return (ShardResult) in.readObject();
    }
  }

  @Test
  void itsArraysAndFiguresSurviveTheTripBitForBit() throws Exception {
    float[] parameters = new float[50_001];
    float[] optimizer = new float[30_000];
    for (int i = 0; i < parameters.length; i++) {
      parameters[i] = (float) Math.sin(i);
    }
    Arrays.fill(optimizer, 0.25f);
    ShardResult result =
        new ShardResult(0, 10, 15_010, parameters, optimizer, 1.5, 7, 896, 7, 2.5, 0.25, 12_345);
    ShardResult back = read(serialise(result));
    assertThat(back.parameters).containsExactly(parameters);
    assertThat(back.optimizerState).containsExactly(optimizer);
    assertThat(back.from).isEqualTo(10);
    assertThat(back.to).isEqualTo(15_010);
    assertThat(back.lossSum).isEqualTo(1.5);
    assertThat(back.examples).isEqualTo(896);
    assertThat(back.stepBytes).isEqualTo(12_345);

    ShardResult noParameters =
        read(serialise(new ShardResult(1, 0, 1, null, new float[2], 0, 0, 0, 0, 0, 0, 0)));
    assertThat(noParameters.parameters).isNull();
    assertThat(noParameters.optimizerState).containsExactly(0f, 0f);
  }

  @Test
  void aTruncatedResultIsRefused() throws Exception {
    byte[] bytes =
        serialise(new ShardResult(0, 0, 1, new float[1000], new float[2], 0, 0, 0, 0, 0, 0, 0));
    byte[] cut = Arrays.copyOf(bytes, bytes.length - 100);
    assertThatThrownBy(() -> read(cut)).isInstanceOf(IOException.class);
  }
}
