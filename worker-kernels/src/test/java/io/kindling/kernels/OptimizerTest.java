package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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

  @Test
  void momentumAccumulatesVelocity() {
    // v1 = g1 = -0.5; w1 = 0.5 + 0.1 * 0.5 = 0.55, b1 = 0.30; then g2 = 2 (0.85 - 1) = -0.3,
    // v2 = 0.9 * -0.5 - 0.3 = -0.75, so both move by 0.075 more.
    float[] one = train(OptimizerSpec.momentum(0.1, 0.9), 1);
    assertThat(one).hasSize(2 + 2);
    assertThat(one[0]).isCloseTo(0.55f, within(1e-6f));
    assertThat(one[2]).as("velocity").isCloseTo(-0.5f, within(1e-6f));
    float[] two = train(OptimizerSpec.momentum(0.1, 0.9), 2);
    assertThat(two[0]).isCloseTo(0.625f, within(1e-6f));
    assertThat(two[1]).isCloseTo(0.375f, within(1e-6f));
    assertThat(two[3]).as("velocity").isCloseTo(-0.75f, within(1e-6f));
  }

  @Test
  void rmspropDividesByTheRootMeanSquare() {
    // r = (1 - 0.95) g^2 = 0.0125; step = lr g / sqrt(r)
    float[] s = train(OptimizerSpec.rmsprop(0.01), 1);
    assertThat(s[0]).isCloseTo((float) (0.5 + 0.01 * 0.5 / Math.sqrt(0.05 * 0.25)), within(1e-6f));
  }

  @Test
  void adagradDividesByTheAccumulatedSquares() {
    // h1 = 0.25: w1 = 0.5 + 0.1 * 0.5 / 0.5 = 0.6, b1 = 0.35; g2 = 2 (0.95 - 1) = -0.1,
    // h2 = 0.26: w2 = 0.6 + 0.1 * 0.1 / sqrt(0.26)
    float[] one = train(OptimizerSpec.adagrad(0.1), 1);
    assertThat(one[0]).isCloseTo(0.6f, within(1e-5f));
    float[] two = train(OptimizerSpec.adagrad(0.1), 2);
    assertThat(two[0]).isCloseTo((float) (0.6 + 0.01 / Math.sqrt(0.26)), within(1e-5f));
  }

  @Test
  void schedulesFollowTheirFormulas() {
    LearningRateSchedule step = LearningRateSchedule.step(0.5, 10);
    assertThat(step.rate(0.1, 0)).isEqualTo(0.1);
    assertThat(step.rate(0.1, 9)).isEqualTo(0.1);
    assertThat(step.rate(0.1, 10)).isEqualTo(0.05);
    assertThat(step.rate(0.1, 25)).isEqualTo(0.025);
    LearningRateSchedule exponential = LearningRateSchedule.exponential(0.5, 10);
    assertThat(exponential.rate(0.1, 5)).isCloseTo(0.1 * Math.sqrt(0.5), within(1e-15));
    assertThat(exponential.rate(0.1, 20)).isCloseTo(0.025, within(1e-15));
    LearningRateSchedule cosine = LearningRateSchedule.cosine(100, 0.001);
    assertThat(cosine.rate(0.1, 0)).isCloseTo(0.1, within(1e-15));
    assertThat(cosine.rate(0.1, 50)).isCloseTo(0.001 + 0.099 / 2, within(1e-15));
    assertThat(cosine.rate(0.1, 100)).isCloseTo(0.001, within(1e-15));
    assertThat(cosine.rate(0.1, 150)).isCloseTo(0.001, within(1e-15));
    assertThat(LearningRateSchedule.CONSTANT.rate(0.1, 1_000_000)).isEqualTo(0.1);
  }

  @Test
  void warmupRampsLinearlyThenTheDecayStarts() {
    LearningRateSchedule warm = LearningRateSchedule.cosine(100, 0).withWarmup(4);
    assertThat(warm.rate(0.1, 0)).isCloseTo(0.025, within(1e-15));
    assertThat(warm.rate(0.1, 2)).isCloseTo(0.075, within(1e-15));
    assertThat(warm.rate(0.1, 3)).isCloseTo(0.1, within(1e-15));
    assertThat(warm.rate(0.1, 4)).as("decay step 0").isCloseTo(0.1, within(1e-15));
    assertThat(warm.rate(0.1, 54)).as("decay step 50").isCloseTo(0.05, within(1e-15));
  }

  @Test
  void trainerStepsAtTheScheduledRate() {
    // Halve every step: lr 0.1 then 0.05. w1 = 0.55, b1 = 0.30; g2 = -0.3, so w2 = 0.565.
    var halving = OptimizerSpec.sgd(0.1).withSchedule(LearningRateSchedule.step(0.5, 1));
    float[] s = train(halving, 2);
    assertThat(s[0]).isCloseTo(0.565f, within(1e-6f));
    assertThat(s[1]).isCloseTo(0.315f, within(1e-6f));
    // The same schedule drives momentum, which has its own rule: 0.55, then 0.55 + 0.05 * 0.75.
    var momentum = OptimizerSpec.momentum(0.1, 0.9).withSchedule(LearningRateSchedule.step(0.5, 1));
    assertThat(train(momentum, 2)[0]).isCloseTo(0.5875f, within(1e-6f));
  }

  @Test
  void adamwDecaysAtTheScheduledRate() {
    // Warm-up over 2 steps: step 0 runs at lr 0.005, for Adam's move and for the decay.
    var adamw =
        OptimizerSpec.adamw(0.01, 0.1).withSchedule(LearningRateSchedule.CONSTANT.withWarmup(2));
    float[] s = train(adamw, 1);
    assertThat(s[0]).isCloseTo(0.505f * (1 - 0.005f * 0.1f), within(1e-6f));
  }

  @Test
  void fusedAdamMatchesNd4jsUpdater() {
    // Longer than two chunks with a remainder; clipping, L2, decay and a schedule all engaged.
    int n = 5000;
    OptimizerSpec[] optimizers = {
      OptimizerSpec.adam(0.01),
      OptimizerSpec.adamw(0.01, 0.1)
          .withL2(0.001)
          .withClipNorm(20)
          .withSchedule(LearningRateSchedule.cosine(10, 0.001))
    };
    for (OptimizerSpec optimizer : optimizers) {
      ParameterUpdate fused = ParameterUpdate.create(optimizer, n, DataType.FLOAT);
      assertThat(fused).isInstanceOf(AdamUpdate.class);
      ParameterUpdate nd4j = new RuleUpdate(optimizer, n, DataType.FLOAT);
      Random random = new Random(3);
      float[] start = new float[n];
      for (int i = 0; i < n; i++) {
        start[i] = (float) random.nextGaussian();
      }
      INDArray fusedParams = Nd4j.createFromArray(start);
      INDArray nd4jParams = Nd4j.createFromArray(start);
      for (int step = 0; step < 5; step++) {
        float[] g = new float[n];
        for (int i = 0; i < n; i++) {
          g[i] = (float) random.nextGaussian();
        }
        double norm = Nd4j.createFromArray(g).norm2Number().doubleValue();
        fused.apply(fusedParams, Nd4j.createFromArray(g), norm, step, 0);
        nd4j.apply(nd4jParams, Nd4j.createFromArray(g), norm, step, 0);
      }
      assertThat(fusedParams.toFloatVector())
          .as(optimizer.kind() + " parameters")
          .containsExactly(nd4jParams.toFloatVector(), within(2e-6f));
      float[] fusedState = new float[2 * n];
      float[] nd4jState = new float[2 * n];
      fused.exportState(fusedState, 0, n);
      nd4j.exportState(nd4jState, 0, n);
      assertThat(fusedState)
          .as(optimizer.kind() + " moments")
          .containsExactly(nd4jState, within(1e-6f));
      assertThat(fusedParams.toFloatVector()).as("it moved").isNotEqualTo(start);
    }
  }

  @Test
  void clippingScalesTheGradientToTheGlobalNorm() {
    // |g| = |(-0.5, -0.5)| = 0.7071; clipped to 0.5 each component becomes -0.5 / sqrt(2).
    float[] clipped = train(OptimizerSpec.sgd(0.1).withClipNorm(0.5), 1);
    assertThat(clipped[0]).isCloseTo((float) (0.5 + 0.1 * 0.5 / Math.sqrt(2)), within(1e-6f));
    assertThat(clipped[1]).isCloseTo((float) (0.25 + 0.1 * 0.5 / Math.sqrt(2)), within(1e-6f));
    float[] untouched = train(OptimizerSpec.sgd(0.1).withClipNorm(1.0), 1);
    assertThat(untouched[0]).isCloseTo(0.55f, within(1e-6f));
  }

  @Test
  void runningStatisticsIgnoreDecayAndTheOptimizer() {
    // Batch {1, 3}: mean 2, variance 1 (unbiased 2). From mean 0, variance 1 with momentum 0.9:
    // running mean 0.2, running variance 0.9 + 0.1 * 2 = 1.1, whatever L2 and AdamW decay do.
    NetworkSpec spec = NetworkSpec.input(1).batchNorm().dense(1).loss(Loss.MEAN_SQUARED_ERROR);
    var optimizer = OptimizerSpec.adamw(0.1, 0.5).withL2(0.5);
    LocalTrainer trainer = new LocalTrainer(Network.create(spec, 1), optimizer, 2);
    // [gamma, beta, w, b | running mean, running variance | Adam's m and v for 4 parameters]
    assertThat(trainer.stateSize()).isEqualTo(4 + 2 + 8);
    ExampleBlock block = new ExampleBlock(2, 1, new float[] {1f, 3f}, new int[] {0, 0});
    trainer.step(block, new int[] {0, 1}, 0, 2, 0, 0);
    float[] state = new float[trainer.stateSize()];
    trainer.exportState(state);
    assertThat(state[4]).isCloseTo(0.2f, within(1e-7f));
    assertThat(state[5]).isCloseTo(1.1f, within(1e-7f));
    assertThat(state[0]).as("gamma is trained").isNotEqualTo(1f);
  }
}
