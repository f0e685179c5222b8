package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.kindling.kernels.LayerSpec.Padding;
import io.kindling.kernels.LayerSpec.Pooling;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Central-difference gradient checks in double precision, for every layer, activation and loss, and
 * for composed networks. Each check perturbs every trainable parameter of a small network.
 */
class GradientCheckTest {
  private static final double EPSILON = 1e-6;
  private static final double MAX_RELATIVE_ERROR = 1e-5;
  private static final long STEP_SEED = 99;

  @ParameterizedTest
  @EnumSource(Activation.class)
  void denseNetworkGradientsMatchFiniteDifferences(Activation activation) {
    NetworkSpec spec =
        NetworkSpec.input(5)
            .dense(7, activation)
            .dense(6, Activation.TANH)
            .dense(3)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertGradientsMatch(spec, classTargets(4, 3));
  }

  static Stream<Loss> losses() {
    return Stream.of(
        Loss.SOFTMAX_CROSS_ENTROPY,
        new Loss.SoftmaxCrossEntropy(0.1),
        Loss.BINARY_CROSS_ENTROPY,
        Loss.MEAN_SQUARED_ERROR,
        new Loss.Huber(0.3));
  }

  @ParameterizedTest
  @MethodSource("losses")
  void everyLossHasCorrectGradients(Loss loss) {
    NetworkSpec spec = NetworkSpec.input(5).dense(6, Activation.SIGMOID).dense(3).loss(loss);
    INDArray targets;
    if (loss instanceof Loss.SoftmaxCrossEntropy) {
      targets = classTargets(4, 3);
    } else if (loss instanceof Loss.BinaryCrossEntropy) {
      targets = Nd4j.rand(DataType.DOUBLE, 4, 3).gt(0.5).castTo(DataType.DOUBLE);
    } else {
      // Spread wide enough that Huber sees residuals on both sides of delta.
      targets = Nd4j.rand(DataType.DOUBLE, 4, 3).subi(0.5).muli(3);
    }
    assertGradientsMatch(spec, targets);
  }

  @Test
  void softmaxCrossEntropyStaysFiniteWhenAClassUnderflows() {
    // Row 0: the third class sits 200 below the first, past float's underflow (about 104).
    INDArray logits = Nd4j.createFromArray(new float[][] {{0f, -1f, -200f}, {1f, 2f, 3f}});
    INDArray targets = Nd4j.createFromArray(new float[][] {{1f, 0f, 0f}, {0f, 0f, 1f}});
    INDArray gradient = logits.ulike();
    double loss =
        LossFunction.of(Loss.SOFTMAX_CROSS_ENTROPY).lossAndGradient(logits, targets, gradient);
    double row0 = Math.log(1 + Math.exp(-1) + Math.exp(-200));
    double row1 = Math.log(Math.exp(-2) + Math.exp(-1) + 1);
    assertThat(loss).isCloseTo((row0 + row1) / 2, within(1e-6));
    assertThat(gradient.getFloat(0, 2)).isEqualTo(0f);
    assertThat(gradient.getFloat(0, 0))
        .isCloseTo((float) ((1 / Math.exp(row0) - 1) / 2), within(1e-6f));

    // A target class that far below costs what it costs: the exact loss, not infinity or NaN.
    INDArray wrong = Nd4j.createFromArray(new float[][] {{0f, 0f, 1f}});
    double far =
        LossFunction.of(Loss.SOFTMAX_CROSS_ENTROPY)
            .lossAndGradient(logits.getRow(0, true).dup(), wrong, wrong.ulike());
    assertThat(far).isCloseTo(200 + row0, within(1e-3));
  }

  static Stream<LayerSpec.Conv2d> convolutions() {
    return Stream.of(
        new LayerSpec.Conv2d(3, 3, 1, Padding.VALID, Activation.TANH),
        new LayerSpec.Conv2d(3, 3, 2, Padding.SAME, Activation.SIGMOID),
        new LayerSpec.Conv2d(2, 2, 3, 1, 2, Padding.SAME, Activation.IDENTITY, Init.HE_UNIFORM));
  }

  @ParameterizedTest
  @MethodSource("convolutions")
  void conv2d(LayerSpec.Conv2d conv) {
    NetworkSpec spec =
        NetworkSpec.input(2, 5, 6).layer(conv).flatten().dense(3).loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertGradientsMatch(spec, classTargets(3, 3));
  }

  static Stream<LayerSpec.Pooling2d> poolings() {
    return Stream.of(
        new LayerSpec.Pooling2d(Pooling.MAX, 2, 2),
        new LayerSpec.Pooling2d(Pooling.AVERAGE, 2, 2),
        new LayerSpec.Pooling2d(Pooling.MAX, 3, 3, 2, 2, Padding.SAME),
        new LayerSpec.Pooling2d(Pooling.AVERAGE, 3, 2, 2, 1, Padding.SAME));
  }

  @ParameterizedTest
  @MethodSource("poolings")
  void pooling2d(LayerSpec.Pooling2d pooling) {
    NetworkSpec spec =
        NetworkSpec.input(1, 5, 5)
            .conv2d(2, 2, 1, Padding.SAME, Activation.TANH)
            .layer(pooling)
            .flatten()
            .dense(3)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertGradientsMatch(spec, classTargets(3, 3));
  }

  @Test
  void convPoolFlattenDense() {
    NetworkSpec spec =
        NetworkSpec.input(1, 8, 8)
            .conv2d(3, 3, 1, Padding.SAME, Activation.RELU)
            .maxPool2d(2, 2)
            .conv2d(4, 3, 1, Padding.VALID, Activation.TANH)
            .avgPool2d(2, 2)
            .flatten()
            .dense(3)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertGradientsMatch(spec, classTargets(4, 3));
  }

  @Test
  void dropoutWithAFixedStepSeed() {
    NetworkSpec spec =
        NetworkSpec.input(6)
            .dense(8, Activation.TANH)
            .dropout(0.5)
            .dense(3)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertGradientsMatch(spec, classTargets(4, 3));
  }

  @Test
  void batchNormOverFeatures() {
    NetworkSpec spec =
        NetworkSpec.input(4)
            .dense(5, Activation.IDENTITY)
            .batchNorm()
            .dense(3, Activation.TANH)
            .dense(3)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertGradientsMatch(spec, classTargets(6, 3));
  }

  @Test
  void batchNormOverChannels() {
    NetworkSpec spec =
        NetworkSpec.input(2, 4, 4)
            .conv2d(3, 3, 1, Padding.SAME, Activation.IDENTITY)
            .batchNorm()
            .globalAveragePooling()
            .dense(3)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertGradientsMatch(spec, classTargets(3, 3));
  }

  @Test
  void layerNormOverFeatures() {
    NetworkSpec spec =
        NetworkSpec.input(4)
            .dense(6, Activation.IDENTITY)
            .layerNorm()
            .dense(3)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertGradientsMatch(spec, classTargets(4, 3));
  }

  @Test
  void embeddingPositionalEncodingAndSequencePooling() {
    NetworkSpec spec =
        NetworkSpec.input(5)
            .embedding(7, 4)
            .positionalEncoding()
            .layerNorm()
            .globalAveragePooling()
            .dense(3)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertGradientsMatch(spec, tokens(4, 5, 7), classTargets(4, 3));
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void selfAttention(boolean causal) {
    NetworkSpec spec =
        NetworkSpec.input(3, 4)
            .layer(new LayerSpec.SelfAttention(2, causal, Init.XAVIER_UNIFORM))
            .flatten()
            .dense(3)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertGradientsMatch(spec, classTargets(3, 3));
  }

  @Test
  void tinyCausalTransformerEncoder() {
    NetworkSpec spec =
        NetworkSpec.input(4)
            .embedding(6, 4)
            .positionalEncoding()
            .transformerEncoder(2, 2, true)
            .layerNorm()
            .globalAveragePooling()
            .dense(3)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertGradientsMatch(spec, tokens(3, 4, 6), classTargets(3, 3));
  }

  @Test
  void tinyVisionTransformer() {
    NetworkSpec spec =
        NetworkSpec.input(2, 4, 6)
            .patchEmbedding(2, 4)
            .positionalEncoding()
            .transformerEncoder(2, 2, false)
            .globalAveragePooling()
            .dense(3)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertGradientsMatch(spec, classTargets(2, 3));
  }

  private static INDArray classTargets(int n, int classes) {
    INDArray y = Nd4j.zeros(DataType.DOUBLE, n, classes);
    for (int i = 0; i < n; i++) {
      y.putScalar(i, i % classes, 1.0);
    }
    return y;
  }

  /** Token ids with repeats, so the embedding's scatter-add must accumulate. */
  private static INDArray tokens(int n, int seqLen, int vocabulary) {
    INDArray x = Nd4j.create(DataType.DOUBLE, n, seqLen);
    Random r = new Random(4);
    for (int i = 0; i < x.length(); i++) {
      x.putScalar(i, r.nextInt(vocabulary));
    }
    return x;
  }

  static void assertGradientsMatch(NetworkSpec spec, INDArray targets) {
    Random r = new Random(3);
    INDArray x = Nd4j.create(DataType.DOUBLE, targets.size(0), spec.inputSize());
    for (int i = 0; i < x.length(); i++) {
      x.putScalar(i, r.nextGaussian());
    }
    assertGradientsMatch(spec, x, targets);
  }

  static void assertGradientsMatch(NetworkSpec spec, INDArray x, INDArray targets) {
    Nd4j.getRandom().setSeed(7);
    Network net = Network.create(spec, 42, DataType.DOUBLE);
    net.computeGradient(x, targets, STEP_SEED);
    INDArray analytic = net.gradients().dup();
    INDArray params = net.trainable();
    double worst = 0;
    for (int i = 0; i < params.length(); i++) {
      double original = params.getDouble(i);
      params.putScalar(i, original + EPSILON);
      double plus = net.computeGradient(x, targets, STEP_SEED);
      params.putScalar(i, original - EPSILON);
      double minus = net.computeGradient(x, targets, STEP_SEED);
      params.putScalar(i, original);
      double numeric = (plus - minus) / (2 * EPSILON);
      double a = analytic.getDouble(i);
      double denominator = Math.max(Math.abs(a) + Math.abs(numeric), 1e-8);
      double relative = Math.abs(a - numeric) / denominator;
      if (Math.abs(a - numeric) > 1e-9) {
        worst = Math.max(worst, relative);
      }
    }
    assertThat(worst)
        .as("worst relative error for %s", spec.describe())
        .isLessThan(MAX_RELATIVE_ERROR);
  }
}
