package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A first convolution's fp32 training step, computed directly in Java at stride 1 (with a ReLU in
 * the same passes) and through a column matrix at larger strides, against libnd4j's {@code conv2d}
 * and {@code conv2d_bp} in fp64 on the same values.
 */
class DirectConvolutionTest {
  @ParameterizedTest(name = "{0}x{1}x{2}, {3} filters of {4}x{5}, stride {6}x{7}, same {8}, {9}")
  @CsvSource({
    "1, 28, 28, 16, 3, 3, 1, 1, true, RELU", // the CNN job's first layer
    "1, 28, 28, 16, 3, 3, 1, 1, true, IDENTITY",
    "2, 7, 6, 3, 3, 3, 2, 2, true, RELU",
    "2, 7, 6, 2, 3, 3, 1, 1, false, IDENTITY",
    "2, 7, 6, 2, 2, 3, 1, 2, true, TANH",
    "3, 9, 8, 4, 2, 3, 3, 1, true, IDENTITY",
    "3, 5, 5, 2, 5, 5, 1, 1, false, RELU" // one output
  })
  void matchesLibnd4j(
      int channels,
      int height,
      int width,
      int filters,
      int kernelHeight,
      int kernelWidth,
      int strideHeight,
      int strideWidth,
      boolean same,
      Activation activation) {
    LayerSpec.Conv2d spec =
        new LayerSpec.Conv2d(
            filters,
            kernelHeight,
            kernelWidth,
            strideHeight,
            strideWidth,
            same ? LayerSpec.Padding.SAME : LayerSpec.Padding.VALID,
            activation,
            Init.HE_UNIFORM);
    int[] in = {channels, height, width};
    int[] out = spec.outputShape(0, in);
    int batch = 5; // a whole group of four examples in the backward pass, and part of one
    Random random = new Random(7);
    INDArray x = gaussian(random, batch, channels, height, width);
    INDArray dz = gaussian(random, batch, out[0], out[1], out[2]);

    Conv2dLayer direct = new Conv2dLayer(in, out, spec, true);
    INDArray directGradients = bind(direct, DataType.FLOAT);
    Conv2dLayer libnd4j = new Conv2dLayer(in, out, spec, false);
    INDArray libnd4jGradients = bind(libnd4j, DataType.DOUBLE);

    INDArray z = direct.forward(x, true).dup();
    direct.backwardParameters(dz);
    INDArray expectedZ = libnd4j.forward(x.castTo(DataType.DOUBLE), true);
    libnd4j.backward(dz.castTo(DataType.DOUBLE));

    if (activation == Activation.RELU) { // a test that masks nothing would prove little
      double zeros = z.eq(0).castTo(DataType.DOUBLE).meanNumber().doubleValue();
      assertThat(zeros).isBetween(0.1, 0.9);
    }

    assertThat(z.shape()).containsExactly(expectedZ.shape());
    assertClose(z, expectedZ);
    assertClose(directGradients, libnd4jGradients);
  }

  @Test
  void reluSlopeIsZeroAtZeroAndOneAtEveryPositiveOutput() {
    assertThat(DirectConvolution.slope(0f)).isZero();
    for (float positive :
        new float[] {Float.MIN_VALUE, 3 * Float.MIN_VALUE, Float.MIN_NORMAL, 1e-30f, 1f, 3e38f}) {
      assertThat(DirectConvolution.slope(positive)).as("%s", positive).isEqualTo(1f);
    }
    assertThat(DirectConvolution.slope(Float.POSITIVE_INFINITY)).isEqualTo(1f);
  }

  private static INDArray gaussian(Random random, long... shape) {
    INDArray a = Nd4j.create(DataType.FLOAT, shape);
    for (long i = 0; i < a.length(); i++) {
      a.putScalar(i, random.nextGaussian());
    }
    return a;
  }

  /** Binds the same seeded parameters; returns the gradient buffer. */
  private static INDArray bind(Conv2dLayer layer, DataType type) {
    INDArray params = Nd4j.create(type, layer.numParams());
    INDArray gradients = Nd4j.zeros(type, layer.numParams());
    layer.bind(params, gradients);
    layer.initialise(new Random(11));
    params.addi(Nd4j.linspace(type, -0.2, 0.3, params.length())); // a non-zero bias
    return gradients;
  }

  private static void assertClose(INDArray actual, INDArray expected) {
    double[] a = actual.castTo(DataType.DOUBLE).ravel().toDoubleVector();
    double[] e = expected.ravel().toDoubleVector();
    assertThat(a).hasSameSizeAs(e);
    double scale = 1;
    for (double v : e) {
      scale = Math.max(scale, Math.abs(v));
    }
    for (int i = 0; i < a.length; i++) {
      assertThat(Math.abs(a[i] - e[i]))
          .as("element %d: %s against %s", i, a[i], e[i])
          .isLessThan(1e-5 * scale);
    }
  }
}
