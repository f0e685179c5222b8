package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The fp32 max pooling loops against libnd4j's {@code maxpool2d} and its backward op. */
class Pooling2dLayerTest {
  private static LayerSpec.Pooling2d spec(int kernel, int stride, boolean same) {
    return new LayerSpec.Pooling2d(
        LayerSpec.Pooling.MAX,
        kernel,
        kernel,
        stride,
        stride,
        same ? LayerSpec.Padding.SAME : LayerSpec.Padding.VALID);
  }

  private static Pooling2dLayer layer(int[] in, LayerSpec.Pooling2d spec) {
    return layer(in, spec, false);
  }

  private static Pooling2dLayer layer(int[] in, LayerSpec.Pooling2d spec, boolean rectify) {
    return new Pooling2dLayer(in, spec.outputShape(0, in), spec, rectify);
  }

  /** Distinct values, so that every window has one maximum. */
  private static float[] distinct(int n, long seed) {
    float[] v = new float[n];
    Random random = new Random(seed);
    for (int i = 0; i < n; i++) {
      v[i] = i - n / 2f;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      float t = v[i];
      v[i] = v[j];
      v[j] = t;
    }
    return v;
  }

  /** With and without a ReLU after the pooling (libnd4j's path applies it as an activation). */
  @ParameterizedTest(name = "{0}x{1}x{2}x{3}, kernel {4}, stride {5}, same {6}")
  @CsvSource({
    "5, 16, 28, 28, 2, 2, false", // more planes than one chunk holds
    "3, 2, 7, 9, 3, 2, true", // windows overlap and hang over the padding
    "2, 3, 8, 8, 3, 3, true",
    "2, 2, 6, 5, 2, 1, false",
    "2, 3, 7, 9, 2, 2, false", // a row and a column no window covers
    "1, 1, 150, 150, 2, 2, true" // a plane larger than a chunk
  })
  void fp32MatchesLibnd4jForwardAndBackward(
      int batch, int channels, int height, int width, int kernel, int stride, boolean same) {
    int[] in = {channels, height, width};
    LayerSpec.Pooling2d spec = spec(kernel, stride, same);
    int[] out = spec.outputShape(0, in);
    long[] inShape = {batch, channels, height, width};
    long[] outShape = {batch, out[0], out[1], out[2]};
    INDArray x = Nd4j.create(distinct(batch * channels * height * width, 1), inShape, 'c');
    INDArray g = Nd4j.create(distinct(batch * out[0] * out[1] * out[2], 2), outShape, 'c').divi(7);
    assertThat(x.dataType()).isEqualTo(DataType.FLOAT);

    for (boolean rectify : new boolean[] {false, true}) {
      // With the ReLU, four fifths of the values negative: many windows are all negative.
      INDArray xs = rectify ? x.sub(0.3 * x.length()) : x;
      Pooling2dLayer java = layer(in, spec, rectify);
      Pooling2dLayer libnd4j = layer(in, spec, rectify);
      INDArray z = java.forward(xs, true);
      INDArray dx = java.backward(g);
      INDArray expectedZ = libnd4j.forward(xs.castTo(DataType.DOUBLE), true);
      INDArray expectedDx = libnd4j.backward(g.castTo(DataType.DOUBLE));

      assertThat(z.shape()).containsExactly(outShape);
      assertThat(dx.shape()).containsExactly(inShape);
      double[] outputs = expectedZ.ravel().toDoubleVector();
      assertClose(z, outputs, 0);
      // Overlapping windows add in a different order: fp32 against fp64.
      assertClose(dx, expectedDx.ravel().toDoubleVector(), 1e-4);
      // Every output gradient arrives, bar those a ReLU stops.
      double passed = 0;
      double[] gradient = g.ravel().toDoubleVector();
      for (int i = 0; i < gradient.length; i++) {
        passed += rectify && outputs[i] <= 0 ? 0 : gradient[i];
      }
      assertThat(dx.castTo(DataType.DOUBLE).sumNumber().doubleValue())
          .isCloseTo(passed, within(1e-3));
      if (rectify) {
        assertThat(outputs).contains(0.0).doesNotContain(-1.0);
      }
    }
  }

  /**
   * Value by value, naming the first that differs (AssertJ's element-wise comparison of arrays this
   * large takes minutes to report a failure).
   */
  private static void assertClose(INDArray actual, double[] expected, double tolerance) {
    double[] values = actual.ravel().toDoubleVector();
    assertThat(values).hasSameSizeAs(expected);
    for (int i = 0; i < values.length; i++) {
      assertThat(values[i]).as("value %d", i).isCloseTo(expected[i], within(tolerance));
    }
  }

  @Test
  void aReluAfterThePoolingPassesGradientOnlyFromPositiveMaxima() {
    // 2x2 windows whose maxima are +0, -0, negative, the smallest positive float and 2.
    INDArray x =
        Nd4j.create(
            new float[] {
              -1,
              0,
              -3,
              -0f,
              -4,
              -2,
              Float.MIN_VALUE,
              -1,
              2,
              -5, //
              -2,
              -3,
              -1,
              -2,
              -5,
              -6,
              -7,
              0,
              1,
              2
            },
            new long[] {1, 1, 2, 10},
            'c');
    INDArray g = Nd4j.create(new float[] {10, 20, 30, 40, 50}, new long[] {1, 1, 1, 5}, 'c');
    Pooling2dLayer layer = layer(new int[] {1, 2, 10}, spec(2, 2, false), true);

    assertThat(layer.forward(x, true).ravel().toFloatVector())
        .containsExactly(0, 0, 0, Float.MIN_VALUE, 2);
    assertThat(layer.backward(g).ravel().toFloatVector())
        .containsExactly(0, 0, 0, 0, 0, 0, 40, 0, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  @Test
  void aTieSendsTheGradientToTheWindowsFirstMaximum() {
    // Two 2x2 windows: all four equal; the maximum twice, at the second and fourth positions.
    INDArray x = Nd4j.create(new float[] {3, 3, 1, 5, 3, 3, 2, 5}, new long[] {1, 1, 2, 4}, 'c');
    INDArray g = Nd4j.create(new float[] {10, 20}, new long[] {1, 1, 1, 2}, 'c');
    Pooling2dLayer layer = layer(new int[] {1, 2, 4}, spec(2, 2, false));

    assertThat(layer.forward(x, true).ravel().toFloatVector()).containsExactly(3, 5);
    assertThat(layer.backward(g).ravel().toFloatVector()).containsExactly(10, 0, 0, 20, 0, 0, 0, 0);
  }

  @Test
  void aNaNBesidePaddingIsAWindowsMaximumAndTakesItsGradient() {
    // A 3x3 window with same padding puts a border all around this 1x1 image, so the window starts
    // on it; the NaN with every bit set has the lowest key a value can have.
    INDArray x = Nd4j.create(new float[] {Float.intBitsToFloat(-1)}, new long[] {1, 1, 1, 1}, 'c');
    Pooling2dLayer layer =
        new Pooling2dLayer(
            new int[] {1, 1, 1},
            new int[] {1, 1, 1},
            new LayerSpec.Pooling2d(LayerSpec.Pooling.MAX, 3, 3, 1, 1, LayerSpec.Padding.SAME),
            false);

    assertThat(layer.forward(x, true).getFloat(0)).isNaN();
    INDArray dx = layer.backward(Nd4j.create(new float[] {5}, new long[] {1, 1, 1, 1}, 'c'));
    assertThat(dx.getFloat(0)).isEqualTo(5f);
  }

  @Test
  void aBackwardPassAfterAnInferencePassIsRefused() {
    Pooling2dLayer layer = layer(new int[] {1, 4, 4}, spec(2, 2, false));
    INDArray x = Nd4j.create(distinct(32, 3), new long[] {2, 1, 4, 4}, 'c');
    layer.forward(x, true);
    layer.forward(x, false);

    assertThatThrownBy(() -> layer.backward(Nd4j.ones(DataType.FLOAT, 2, 1, 2, 2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("without its training forward pass");
  }
}
