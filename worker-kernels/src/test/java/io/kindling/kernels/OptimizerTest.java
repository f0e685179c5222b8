package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** One update step on a network whose gradient is known in closed form, checked by hand. */
class OptimizerTest {
  // y = w x + b with MSE on one example: x = 1 and label 0, whose one-hot target is 1, so
  // dL/dw = dL/db = 2 (w + b - 1) = -0.5 at w = 0.5, b = 0.25.
  private static final NetworkSpec LINEAR =
      NetworkSpec.input(1).dense(1).loss(Loss.MEAN_SQUARED_ERROR);

  private static float[] train(OptimizerSpec optimizer, int steps) {
    LocalTrainer trainer = new LocalTrainer(Network.create(LINEAR, 1), optimizer, 1);
    float[] state = new float[trainer.stateSize()];
    state[0] = 0.5f;
    state[1] = 0.25f;
    trainer.importState(state);
    ExampleBlock block = new ExampleBlock(1, 1, new float[] {1f}, new int[] {0});
    for (int s = 0; s < steps; s++) {
      trainer.step(block, new int[] {0}, 0, 1, s, 0);
    }
    trainer.exportState(state);
    return state;
  }

  @Test
  void sgdStepsAgainstTheGradient() {
    float[] s = train(OptimizerSpec.sgd(0.1), 1);
    assertThat(s).hasSize(2);
    assertThat(s[0]).isCloseTo(0.55f, within(1e-6f));
    assertThat(s[1]).isCloseTo(0.30f, within(1e-6f));
  }

  @Test
  void adamFirstStepMovesEachParameterByTheLearningRate() {
    // Bias-corrected m / sqrt(v) is sign(g) on the first step.
    float[] s = train(OptimizerSpec.adam(0.01), 1);
    assertThat(s[0]).isCloseTo(0.51f, within(1e-6f));
    assertThat(s[1]).isCloseTo(0.26f, within(1e-6f));
    // The state vector follows: m = (1 - beta1) g = -0.05 and v = (1 - beta2) g^2 = 0.00025.
    assertThat(s).hasSize(2 + 4);
    assertThat(new float[] {s[2], s[3]})
        .containsExactly(new float[] {-0.05f, -0.05f}, within(1e-7f));
    assertThat(new float[] {s[4], s[5]})
        .containsExactly(new float[] {0.00025f, 0.00025f}, within(1e-8f));
  }

  @Test
  void l2AddsTheWeightToTheGradient() {
    var sgdL2 = new OptimizerSpec(OptimizerSpec.Kind.SGD, 0.1, 0, 0.9, 0.999, 1e-8, 0.5, 0);
    // w: gradient -0.5 + 0.5 * 0.5 = -0.25; b: -0.5 + 0.5 * 0.25 = -0.375
    float[] s = train(sgdL2, 1);
    assertThat(s[0]).isCloseTo(0.525f, within(1e-6f));
    assertThat(s[1]).isCloseTo(0.2875f, within(1e-6f));
  }

  @Test
  void adamwDecaysWeightsAfterTheAdamStep() {
    var adamw = new OptimizerSpec(OptimizerSpec.Kind.ADAMW, 0.01, 0, 0.9, 0.999, 1e-8, 0, 0.1);
    float[] s = train(adamw, 1);
    assertThat(s[0]).isCloseTo(0.51f * (1 - 0.01f * 0.1f), within(1e-6f));
  }

  @Test
  void nesterovLooksAheadAndAccelerates() {
    var nesterov = new OptimizerSpec(OptimizerSpec.Kind.NESTEROV, 0.1, 0.9, 0.9, 0.999, 1e-8, 0, 0);
    // From zero velocity the look-ahead update moves w by (1 + mu) lr |g|.
    float[] one = train(nesterov, 1);
    assertThat(one[0]).isCloseTo(0.5f + 1.9f * 0.1f * 0.5f, within(1e-6f));
    float[] two = train(nesterov, 2);
    assertThat(two[0] - one[0]).as("second step").isGreaterThan(0f);
  }
}
