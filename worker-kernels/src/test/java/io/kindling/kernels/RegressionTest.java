package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Real-valued targets: the training step fits them and the metrics are the textbook ones. */
class RegressionTest {

  /** y = 2 x0 - x1 + 0.5 + small noise. */
  private static ExampleBlock linear(int n, long seed) {
    Random r = new Random(seed);
    float[] x = new float[n * 2];
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      x[2 * i] = (float) r.nextGaussian();
      x[2 * i + 1] = (float) r.nextGaussian();
      y[i] = (float) (2 * x[2 * i] - x[2 * i + 1] + 0.5 + 0.01 * r.nextGaussian());
    }
    return ExampleBlock.ofTargets(n, 2, x, y);
  }

  @Test
  void metricsMatchValuesWorkedByHand() {
    RegressionMetrics m = new RegressionMetrics();
    // targets 1, 2, 3, 4 (mean 2.5, SST 5); predictions 1, 3, 3, 2: errors 0, 1, 0, -2.
    m.add(new float[] {1, 2}, 0, new float[] {1, 3}, 2);
    RegressionMetrics other = new RegressionMetrics();
    other.add(new float[] {9, 3, 4}, 1, new float[] {3, 2}, 2);
    m.merge(other);
    assertThat(m.total()).isEqualTo(4);
    assertThat(m.mse()).isCloseTo(5.0 / 4, within(1e-12));
    assertThat(m.mae()).isCloseTo(3.0 / 4, within(1e-12));
    assertThat(m.r2()).isCloseTo(1 - 5.0 / 5, within(1e-12));
    assertThat(m.loss()).isEqualTo(m.mse());
    assertThat(Evaluation.of(0, 3)).isInstanceOf(RegressionMetrics.class);
    assertThat(Evaluation.of(10, 3)).isInstanceOf(ConfusionMatrix.class);
    assertThatThrownBy(() -> m.merge(new ConfusionMatrix(2, 1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void trainingFitsALinearTarget() {
    NetworkSpec spec =
        NetworkSpec.input(2).dense(8, Activation.TANH).dense(1).loss(Loss.MEAN_SQUARED_ERROR);
    ExampleBlock train = linear(256, 1);
    LocalTrainer trainer =
        new LocalTrainer(Network.create(spec, 3), OptimizerSpec.adam(0.02), 32, 7);
    int[] order = new int[train.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    for (int s = 0; s < 600; s++) {
      trainer.step(train, order, (s * 32) % 256, 32, s, 0);
    }
    ExampleBlock test = linear(500, 2);
    float[] predictions = trainer.network().predict(test.features(), test.size());
    RegressionMetrics m = new RegressionMetrics();
    m.add(test, 0, predictions, test.size());
    assertThat(m.r2()).as("R^2 on held-out rows").isGreaterThan(0.98);
    assertThat(m.mae()).isLessThan(0.2);
  }

  @Test
  void aRegressionBlockNeedsOneOutput() {
    NetworkSpec twoOutputs = NetworkSpec.input(2).dense(2).loss(Loss.MEAN_SQUARED_ERROR);
    MinibatchGradient gradient = new MinibatchGradient(Network.create(twoOutputs, 1), 4);
    assertThatThrownBy(() -> gradient.compute(linear(4, 1), new int[] {0, 1, 2, 3}, 0, 4, 1))
        .hasMessageContaining("dense layer of 1 unit");
  }

  @Test
  void blocksKeepTheirKindThroughRowSelection() {
    ExampleBlock block = linear(5, 3);
    ExampleBlock picked = block.rows(new int[] {4, 0});
    assertThat(picked.isRegression()).isTrue();
    assertThat(picked.targets()).containsExactly(block.targets()[4], block.targets()[0]);
    assertThatThrownBy(picked::labels).isInstanceOf(IllegalStateException.class);
  }
}
