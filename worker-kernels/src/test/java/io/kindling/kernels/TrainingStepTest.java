package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.kindling.kernels.LayerSpec.Padding;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Training steps through the new layers: reproducibility, inference behaviour, learning. */
class TrainingStepTest {
  private static final NetworkSpec DROPOUT_MLP =
      NetworkSpec.input(6)
          .dense(16, Activation.RELU)
          .dropout(0.5)
          .dense(3)
          .loss(Loss.SOFTMAX_CROSS_ENTROPY);

  /**
   * No dropout and no batch normalisation (whose statistics are each part's own): threads sharing a
   * step compute what one thread does, up to the order of sums.
   */
  private static final NetworkSpec PLAIN_MLP =
      NetworkSpec.input(6)
          .dense(16, Activation.TANH)
          .dense(8, Activation.RELU)
          .dense(3)
          .loss(Loss.SOFTMAX_CROSS_ENTROPY);

  private static ExampleBlock blobs(int n, int width, int classes, long seed) {
    Random r = new Random(seed);
    float[] x = new float[n * width];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = i % classes;
      for (int j = 0; j < width; j++) {
        x[i * width + j] = (float) (r.nextGaussian() * 0.5 + (j % classes == y[i] ? 1.5 : 0));
      }
    }
    return new ExampleBlock(n, width, x, y);
  }

  private static int[] identity(int n) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    return order;
  }

  private static float[] trainDropout(long trainerSeed, int steps) {
    return trainDropout(trainerSeed, steps, 1);
  }

  private static float[] trainDropout(long trainerSeed, int steps, int threads) {
    ExampleBlock block = blobs(32, 6, 3, 1);
    LocalTrainer trainer =
        new LocalTrainer(
            Network.create(DROPOUT_MLP, 4), OptimizerSpec.adam(0.01), 8, trainerSeed, threads);
    for (int s = 0; s < steps; s++) {
      trainer.step(block, identity(32), (s * 8) % 32, 8, s, 0);
    }
    float[] state = new float[trainer.stateSize()];
    trainer.exportState(state);
    return state;
  }

  @Test
  void sameSeedGivesBitIdenticalSteps() {
    float[] a = trainDropout(17, 6);
    float[] b = trainDropout(17, 6);
    for (int i = 0; i < a.length; i++) {
      assertThat(Float.floatToRawIntBits(b[i]))
          .as("value %d", i)
          .isEqualTo(Float.floatToRawIntBits(a[i]));
    }
    assertThat(trainDropout(18, 6)).as("another trainer seed draws other masks").isNotEqualTo(a);
    // Threads sharing each minibatch draw each part's masks from the step seed too.
    assertThat(trainDropout(17, 6, 2)).containsExactly(trainDropout(17, 6, 2));
  }

  @Test
  void theStepSeedAloneFixesTheMasks() {
    ExampleBlock block = blobs(8, 6, 3, 2);
    LocalTrainer derived =
        new LocalTrainer(Network.create(DROPOUT_MLP, 4), OptimizerSpec.sgd(0.1), 8, 5);
    LocalTrainer explicit =
        new LocalTrainer(Network.create(DROPOUT_MLP, 4), OptimizerSpec.sgd(0.1), 8, 123);
    double a = derived.step(block, identity(8), 0, 8, 3, 0);
    double b = explicit.step(block, identity(8), 0, 8, 3, 0, LocalTrainer.stepSeed(5, 3));
    assertThat(b).isEqualTo(a);
  }

  @Test
  void dropoutIsTheIdentityAtInference() {
    NetworkSpec withoutDropout =
        NetworkSpec.input(6).dense(16, Activation.RELU).dense(3).loss(Loss.SOFTMAX_CROSS_ENTROPY);
    Network with = Network.create(DROPOUT_MLP, 4);
    Network without = Network.create(withoutDropout, 4);
    float[] params = new float[with.numParams()];
    with.readParams(params, 0);
    without.writeParams(params, 0);
    float[] x = blobs(5, 6, 3, 3).features();
    assertThat(with.predict(x, 5)).containsExactly(without.predict(x, 5));
  }

  @Test
  void batchNormUsesRunningStatisticsAtInference() {
    NetworkSpec spec = NetworkSpec.input(1).batchNorm().dense(1).loss(Loss.MEAN_SQUARED_ERROR);
    Network net = Network.create(spec, 1);
    // [gamma, beta, w, b | running mean, running variance]
    net.writeParams(new float[] {2f, 0.5f, 1f, 0f, 1f, 4f}, 0);
    float[] out = net.predict(new float[] {3f, 1f}, 2);
    double scale = 2 / Math.sqrt(4 + LayerSpec.BatchNorm.DEFAULT_EPSILON);
    assertThat(out[0]).isCloseTo((float) (2 * scale + 0.5), within(1e-5f));
    assertThat(out[1]).isCloseTo(0.5f, within(1e-6f));
  }

  @Test
  void aSmallCnnLearns() {
    // Class k has a bright k-th row of a 6x6 image.
    int n = 96;
    Random r = new Random(7);
    float[] x = new float[n * 36];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = i % 3;
      for (int p = 0; p < 36; p++) {
        x[i * 36 + p] = (float) (r.nextGaussian() * 0.3 + (p / 6 == 2 * y[i] ? 1 : 0));
      }
    }
    NetworkSpec spec =
        NetworkSpec.input(1, 6, 6)
            .conv2d(4, 3, 1, Padding.SAME, Activation.RELU)
            .batchNorm()
            .maxPool2d(2, 2)
            .flatten()
            .dense(3)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertLearns(spec, new ExampleBlock(n, 36, x, y), OptimizerSpec.adam(0.01), 3);
  }

  @Test
  void aSmallTransformerLearns() {
    // The class is the token that appears most often in a sequence of 6.
    int n = 96;
    Random r = new Random(8);
    float[] x = new float[n * 6];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = i % 3;
      for (int t = 0; t < 6; t++) {
        x[i * 6 + t] = t < 4 ? y[i] : r.nextInt(5);
      }
    }
    NetworkSpec spec =
        NetworkSpec.input(6)
            .embedding(5, 8)
            .positionalEncoding()
            .transformerEncoder(2, 2, false)
            .globalAveragePooling()
            .dense(3)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    var optimizer =
        OptimizerSpec.adamw(0.01, 0.01)
            .withSchedule(LearningRateSchedule.cosine(60, 0.001).withWarmup(5))
            .withClipNorm(1.0);
    assertLearns(spec, new ExampleBlock(n, 6, x, y), optimizer, 3);
  }

  @Test
  void outOfVocabularyTokensAreRefused() {
    NetworkSpec spec =
        NetworkSpec.input(2).embedding(4, 2).flatten().dense(2).loss(Loss.SOFTMAX_CROSS_ENTROPY);
    Network net = Network.create(spec, 1);
    assertThatThrownBy(() -> net.predict(new float[] {1f, 4f}, 1))
        .hasMessageContaining("layer 0 (embedding): token id 4.0 is outside the vocabulary [0, 4)");
  }

  private static void assertLearns(
      NetworkSpec spec, ExampleBlock block, OptimizerSpec optimizer, int classes) {
    LocalTrainer trainer = new LocalTrainer(Network.create(spec, 3), optimizer, 16, 1);
    int n = block.size();
    double first = 0;
    double last = 0;
    int step = 0;
    for (int epoch = 0; epoch < 10; epoch++) {
      for (int from = 0; from < n; from += 16) {
        double loss = trainer.step(block, identity(n), from, 16, step++, epoch);
        first = step == 1 ? loss : first;
        last = loss;
      }
    }
    ConfusionMatrix cm = new ConfusionMatrix(classes, 1);
    cm.add(block.labels(), 0, trainer.network().predict(block.features(), n), n);
    assertThat(last).isLessThan(first / 3);
    assertThat(cm.accuracy()).isGreaterThan(0.9);
  }

  /** The gradient and loss of rows {@code [from, from + count)} on one network. */
  private static float[] gradientAndLoss(
      NetworkSpec spec, ExampleBlock block, int from, int count, int threads) {
    Network network = Network.create(spec, 9);
    MinibatchGradient gradient = new MinibatchGradient(network, 12, threads);
    double loss = gradient.compute(block, identity(block.size()), from, count, 5);
    float[] out = new float[network.numTrainableParams() + 1];
    network.readGradients(out, 0);
    out[out.length - 1] = (float) loss;
    return out;
  }

  @Test
  void threadsSharingAMinibatchComputeItsGradientAndLoss() {
    ExampleBlock block = blobs(40, 6, 3, 2);
    // 12 rows over 2 and 3 threads, 7 rows over 3 (3 + 2 + 2), 1 row over 2 (the second idle).
    int[][] cases = {{0, 12, 2}, {4, 12, 3}, {20, 7, 3}, {33, 1, 2}};
    for (int[] c : cases) {
      assertCloseToOneThread(
          gradientAndLoss(PLAIN_MLP, block, c[0], c[1], c[2]),
          gradientAndLoss(PLAIN_MLP, block, c[0], c[1], 1),
          String.format("rows %d+%d on %d threads", c[0], c[1], c[2]));
    }
  }

  private static void assertCloseToOneThread(float[] shared, float[] one, String what) {
    assertThat(shared).as(what).hasSameSizeAs(one);
    for (int i = 0; i < one.length; i++) {
      assertThat(shared[i])
          .as("%s, value %d", what, i)
          .isCloseTo(one[i], within(1e-5f + 1e-4f * Math.abs(one[i])));
    }
  }

  /** The state after {@code steps} steps of 12 rows, the trainer's threads sharing each step. */
  private static float[] trainShared(
      NetworkSpec spec, OptimizerSpec optimizer, int threads, int steps) {
    ExampleBlock block = blobs(48, 6, 3, 3);
    LocalTrainer trainer = new LocalTrainer(Network.create(spec, 2), optimizer, 12, 7, threads);
    for (int s = 0; s < steps; s++) {
      trainer.step(block, identity(48), (s * 12) % 48, s == 2 ? 7 : 12, s, 0);
    }
    float[] state = new float[trainer.stateSize()];
    trainer.exportState(state);
    return state;
  }

  @Test
  void threadsSharingEachStepUpdateAsOneThreadDoes() {
    // Each thread combines and updates its own range, with its own share of the optimizer state:
    // after several steps the parameters and every state component are one thread's, up to the
    // order of the gradient sums. The tiny network's first range is empty (ranges align to 16).
    NetworkSpec tiny = NetworkSpec.input(6).dense(3).loss(Loss.SOFTMAX_CROSS_ENTROPY);
    OptimizerSpec[] optimizers = {
      OptimizerSpec.adam(0.05).withClipNorm(0.5).withL2(1e-3),
      OptimizerSpec.nesterov(0.1, 0.9),
      OptimizerSpec.rmsprop(0.01).withClipNorm(0.3)
    };
    for (NetworkSpec spec : new NetworkSpec[] {PLAIN_MLP, tiny}) {
      for (OptimizerSpec optimizer : optimizers) {
        float[] one = trainShared(spec, optimizer, 1, 5);
        float[] start = trainShared(spec, optimizer, 1, 0);
        for (int threads = 2; threads <= 3; threads++) {
          assertCloseToOneThread(
              trainShared(spec, optimizer, threads, 5),
              one,
              spec.describe() + ", " + optimizer + " on " + threads + " threads");
        }
        assertThat(one).as("the steps moved the state").isNotEqualTo(start);
      }
    }
  }

  @Test
  void aFailingPartFailsTheStepAndTheNextStepRuns() {
    ExampleBlock good = blobs(12, 6, 3, 1);
    LocalTrainer trainer =
        new LocalTrainer(Network.create(DROPOUT_MLP, 1), OptimizerSpec.adam(0.01), 12, 1, 2);
    for (int row : new int[] {1, 10}) { // in the calling thread's rows, then the other's
      int[] labels = good.labels().clone();
      labels[row] = 7;
      ExampleBlock bad = new ExampleBlock(12, 6, good.features(), labels);
      assertThatThrownBy(() -> trainer.step(bad, identity(12), 0, 12, 0, 0))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("row " + row + " has label 7");
      assertThat(trainer.step(good, identity(12), 0, 12, 0, 0)).isFinite();
    }
  }
}
