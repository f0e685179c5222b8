package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Central-difference gradient checks in double precision, for every activation and loss. */
class GradientCheckTest {
  private static final double EPSILON = 1e-6;
  private static final double MAX_RELATIVE_ERROR = 1e-5;

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

  @ParameterizedTest
  @EnumSource(Loss.class)
  void everyLossHasCorrectGradients(Loss loss) {
    NetworkSpec spec = NetworkSpec.input(5).dense(6, Activation.SIGMOID).dense(3).loss(loss);
    INDArray targets =
        loss.isClassification() ? classTargets(4, 3) : Nd4j.rand(DataType.DOUBLE, 4, 3).subi(0.5);
    assertGradientsMatch(spec, targets);
  }

  private static INDArray classTargets(int n, int classes) {
    INDArray y = Nd4j.zeros(DataType.DOUBLE, n, classes);
    for (int i = 0; i < n; i++) {
      y.putScalar(i, i % classes, 1.0);
    }
    return y;
  }

  static void assertGradientsMatch(NetworkSpec spec, INDArray targets) {
    Nd4j.getRandom().setSeed(7);
    Network net = Network.create(spec, 42, DataType.DOUBLE);
    Random r = new Random(3);
    INDArray x = Nd4j.create(DataType.DOUBLE, targets.size(0), spec.inputSize());
    for (int i = 0; i < x.length(); i++) {
      x.putScalar(i, r.nextGaussian());
    }
    net.computeGradient(x, targets);
    INDArray analytic = net.gradients().dup();
    INDArray params = net.params();
    double worst = 0;
    for (int i = 0; i < params.length(); i++) {
      double original = params.getDouble(i);
      params.putScalar(i, original + EPSILON);
      double plus = net.computeGradient(x, targets);
      params.putScalar(i, original - EPSILON);
      double minus = net.computeGradient(x, targets);
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
