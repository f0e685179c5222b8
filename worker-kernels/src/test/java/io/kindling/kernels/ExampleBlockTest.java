package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import org.junit.jupiter.api.Test;

/** Blocks built row by row hold their rows in chunks; every way of reading them sees one block. */
class ExampleBlockTest {
  /** Wide rows, so that a few hundred rows span several chunks. */
  private static final int WIDTH = ExampleBlock.CHUNK_VALUES / 100 + 1;

  /** Row r holds r * 1000 + j at position j; its label is r mod 10. */
  private static ExampleBlock numbered(int rows, int expected) {
    ExampleBlock.Builder b = new ExampleBlock.Builder(WIDTH, false, expected);
    float[] row = new float[WIDTH];
    for (int r = 0; r < rows; r++) {
      for (int j = 0; j < WIDTH; j++) {
        row[j] = r * 1000f + j;
      }
      b.add(row, 0, r % 10);
    }
    return b.build();
  }

  private static void assertNumbered(ExampleBlock block, int rows) {
    assertThat(block.size()).isEqualTo(rows);
    float[] all = block.features();
    for (int r = 0; r < rows; r++) {
      assertThat(all[r * WIDTH]).isEqualTo(r * 1000f);
      assertThat(all[r * WIDTH + WIDTH - 1]).isEqualTo(r * 1000f + WIDTH - 1);
      assertThat(block.labels()[r]).isEqualTo(r % 10);
    }
  }

  @Test
  void rowsBuiltOneByOneSpanChunksOfAtMostTheChunkSize() {
    for (int expected : new int[] {0, 250, 100, 1000}) {
      ExampleBlock block = numbered(250, expected);
      assertThat(block.chunkRows()).isEqualTo(99);
      assertThat(block.chunkCount()).isEqualTo(3);
      for (int c = 0; c < block.chunkCount(); c++) {
        assertThat(block.chunk(c).length).isLessThanOrEqualTo(ExampleBlock.CHUNK_VALUES);
      }
      assertThat(block.chunk(2).length).isEqualTo((250 - 2 * 99) * WIDTH);
      assertNumbered(block, 250);
    }
  }

  @Test
  void copyRowsGatherAndRowsReadAcrossChunkBoundaries() {
    ExampleBlock block = numbered(250, 0);
    float[] x = block.copyRows(97, 5, new float[5 * WIDTH]);
    for (int i = 0; i < 5; i++) {
      assertThat(x[i * WIDTH + 3]).isEqualTo((97 + i) * 1000f + 3);
    }
    int[] order = {249, 0, 98, 99, 198};
    float[] g = new float[order.length * WIDTH];
    block.gather(order, 0, order.length, g);
    ExampleBlock picked = block.rows(order);
    for (int i = 0; i < order.length; i++) {
      assertThat(g[i * WIDTH + 1]).isEqualTo(order[i] * 1000f + 1);
      assertThat(picked.features()[i * WIDTH + 1]).isEqualTo(order[i] * 1000f + 1);
      assertThat(picked.labels()[i]).isEqualTo(order[i] % 10);
    }
  }

  private static byte[] serialised(ExampleBlock block) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(block);
    }
    return bytes.toByteArray();
  }

  private static ExampleBlock deserialised(byte[] bytes) throws Exception {
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes))) {
      return (ExampleBlock) in.readObject();
    }
  }

  @Test
  void aChunkedBlockSurvivesSerialisationAndNewChunksKeepItsAnswers() throws Exception {
    ExampleBlock back = deserialised(serialised(numbered(250, 0)));
    assertNumbered(back, 250);
    float[][] zeros = new float[back.chunkCount()][];
    for (int c = 0; c < zeros.length; c++) {
      zeros[c] = new float[back.chunk(c).length];
    }
    ExampleBlock replaced = back.withChunks(zeros);
    assertThat(replaced.labels()).isEqualTo(back.labels());
    assertThat(replaced.features()).containsOnly(0f);
    float[][] oneRowShort = zeros.clone();
    oneRowShort[1] = new float[WIDTH];
    assertThatThrownBy(() -> back.withChunks(oneRowShort))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("chunk 1");
  }

  @Test
  void targetsSurviveSerialisationAndATruncatedBlockIsRefused() throws Exception {
    ExampleBlock regression =
        ExampleBlock.ofTargets(3, 2, new float[] {1, 2, 3, 4, 5, -0f}, new float[] {0.5f, -1, 7});
    ExampleBlock back = deserialised(serialised(regression));
    assertThat(back.features()).containsExactly(1, 2, 3, 4, 5, -0f);
    assertThat(back.targets()).containsExactly(0.5f, -1, 7);
    byte[] whole = serialised(numbered(250, 0));
    byte[] truncated = java.util.Arrays.copyOf(whole, whole.length - 100);
    assertThatThrownBy(() -> deserialised(truncated)).isInstanceOf(java.io.IOException.class);
  }

  @Test
  void emptyAndOneArrayBlocksAreOneChunk() {
    ExampleBlock empty = new ExampleBlock.Builder(3, true, 10).build();
    assertThat(empty.size()).isZero();
    assertThat(empty.features()).isEmpty();
    assertThat(empty.targets()).isEmpty();
    ExampleBlock flat = new ExampleBlock(2, 2, new float[] {1, 2, 3, 4}, new int[] {0, 1});
    assertThat(flat.chunkCount()).isEqualTo(1);
    assertThat(flat.copyRows(1, 1, new float[2])).containsExactly(3, 4);
  }
}
