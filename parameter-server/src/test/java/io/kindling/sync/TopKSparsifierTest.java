package io.kindling.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Top-k selection and error feedback on one task (W = 1: the pairs it sends are its own sum). */
class TopKSparsifierTest {
  private static float[] gaussian(int length, Random r) {
    float[] g = new float[length];
    for (int i = 0; i < length; i++) {
      g[i] = (float) r.nextGaussian();
    }
    return g;
  }

  @Test
  void sendsExactlyTheKEntriesOfLargestMagnitude() throws IOException {
    int length = 1000;
    TopKSparsifier topK = new TopKSparsifier(length, 0.05, 1);
    float[] original = gaussian(length, new Random(1));
    float[] gradient = original.clone();
    topK.select(gradient, 0);
    topK.sum(gradient);

    float[] sorted = original.clone();
    for (int i = 0; i < length; i++) {
      sorted[i] = Math.abs(sorted[i]);
    }
    Arrays.sort(sorted);
    float threshold = sorted[length - 50];
    assertThat(topK.k()).isEqualTo(50);
    for (int i = 0; i < length; i++) {
      float expected = Math.abs(original[i]) >= threshold ? original[i] : 0f;
      assertThat(gradient[i]).as("entry %d", i).isEqualTo(expected);
    }
  }

  @Test
  void tiesAreBrokenInIndexOrderSoExactlyKAreSent() throws IOException {
    TopKSparsifier topK = new TopKSparsifier(10, 0.3, 1);
    float[] gradient = {1, -1, 1, 0, 1, 0, 0, 0, 0, 0};
    topK.select(gradient, 0);
    topK.sum(gradient);
    assertThat(gradient).containsExactly(1, -1, 1, 0, 0, 0, 0, 0, 0, 0);
  }

  @Test
  void errorFeedbackLosesNothing() throws IOException {
    int length = 500;
    TopKSparsifier topK = new TopKSparsifier(length, 0.02, 1); // 10 entries a step
    Random r = new Random(2);
    double[] original = new double[length];
    double[] sent = new double[length];
    float[] gradient = new float[length];
    for (int step = 0; step < 30; step++) {
      float[] g = gaussian(length, r);
      for (int i = 0; i < length; i++) {
        original[i] += g[i];
      }
      System.arraycopy(g, 0, gradient, 0, length);
      topK.select(gradient, 0);
      topK.sum(gradient);
      assertThat(nonZero(gradient)).as("step %d", step).isEqualTo(10);
      add(sent, gradient);
    }
    // Zero gradients drain the residual, k entries a step: afterwards all has been sent.
    for (int step = 0; step < length / 10; step++) {
      Arrays.fill(gradient, 0f);
      topK.select(gradient, 0);
      topK.sum(gradient);
      add(sent, gradient);
    }
    for (int i = 0; i < length; i++) {
      assertThat(sent[i]).as("entry %d", i).isCloseTo(original[i], within(1e-4));
    }
  }

  @Test
  void aPeerSendingAnIndexOutsideTheGradientIsNamed() {
    TopKSparsifier topK = new TopKSparsifier(10, 0.1, 2);
    topK.pairs()[2] = Float.intBitsToFloat(10);
    assertThatThrownBy(() -> topK.sum(new float[10]))
        .isInstanceOf(IOException.class)
        .hasMessageStartingWith("task 1 sent gradient index 10 outside 0..9");
  }

  @Test
  void kthLargestMatchesSorting() {
    Random r = new Random(3);
    for (int trial = 0; trial < 200; trial++) {
      int length = 1 + r.nextInt(300);
      float[] values = new float[length];
      for (int i = 0; i < length; i++) {
        values[i] = r.nextInt(trial % 2 == 0 ? 5 : 100_000); // with and without many ties
      }
      float[] sorted = values.clone();
      Arrays.sort(sorted);
      int k = 1 + r.nextInt(length);
      assertThat(TopKSparsifier.kthLargest(values, k)).isEqualTo(sorted[length - k]);
    }
  }

  private static int nonZero(float[] values) {
    int n = 0;
    for (float v : values) {
      n += v != 0 ? 1 : 0;
    }
    return n;
  }

  private static void add(double[] sum, float[] values) {
    for (int i = 0; i < values.length; i++) {
      sum[i] += values[i];
    }
  }
}
