package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class NetworkTest {
  private static final NetworkSpec SPEC =
      NetworkSpec.input(784)
          .dense(256, Activation.RELU)
          .dense(128, Activation.RELU)
          .dense(10)
          .loss(Loss.SOFTMAX_CROSS_ENTROPY);

  @Test
  void flatBufferHoldsEveryParameter() {
    assertThat(SPEC.numParams()).isEqualTo(235_146);
    assertThat(Network.create(SPEC, 1).numParams()).isEqualTo(235_146);
    assertThat(SPEC.describe()).isEqualTo("dense 784-256-128-10");
  }

  @Test
  void layersAreViewsOfTheFlatBuffer() {
    Network net = Network.create(NetworkSpec.input(2).dense(1).loss(Loss.MEAN_SQUARED_ERROR), 1);
    net.writeParams(new float[] {2f, 3f, 0.5f}, 0); // w = [2, 3], b = 0.5
    float[] out = net.predict(new float[] {1f, 1f, 10f, -1f}, 2);
    assertThat(out).containsExactly(5.5f, 17.5f);
  }

  @Test
  void aNetworkMadeFromParametersHoldsThemAndRefusesTooFew() {
    NetworkSpec spec = NetworkSpec.input(2).dense(1).loss(Loss.MEAN_SQUARED_ERROR);
    // A state vector may run on past the parameters (optimizer state): the rest is not read.
    Network net = Network.withParameters(spec, new float[] {2f, 3f, 0.5f, 99f});
    float[] params = new float[3];
    net.readParams(params, 0);
    assertThat(params).containsExactly(2f, 3f, 0.5f);
    assertThat(net.predict(new float[] {1f, 1f}, 1)).containsExactly(5.5f);
    assertThatThrownBy(() -> Network.withParameters(spec, new float[2]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("has 3 parameters; got 2 values");
  }

  @Test
  void sameSeedGivesSameParameters() {
    float[] a = new float[SPEC.numParams() > 0 ? (int) SPEC.numParams() : 0];
    float[] b = a.clone();
    Network.create(SPEC, 9).readParams(a, 0);
    Network.create(SPEC, 9).readParams(b, 0);
    float[] c = a.clone();
    Network.create(SPEC, 10).readParams(c, 0);
    assertThat(a).containsExactly(b);
    assertThat(a).isNotEqualTo(c);
  }

  @Test
  void shapeMismatchNamesTheLayer() {
    assertThatThrownBy(() -> NetworkSpec.input(28, 28).dense(10).loss(Loss.SOFTMAX_CROSS_ENTROPY))
        .isInstanceOf(ShapeException.class)
        .hasMessageContaining("layer 0 (dense)")
        .hasMessageContaining("[28, 28]");
  }

  @Test
  void specRoundTripsThroughJson() {
    assertThat(NetworkSpec.fromJson(SPEC.toJson())).isEqualTo(SPEC);
  }

  @Test
  void unknownLayerKeysAreRefused() {
    var json = SPEC.toJson();
    ((org.nd4j.shade.jackson.databind.node.ObjectNode) json.get("layers").get(1)).put("unitz", 3);
    assertThatThrownBy(() -> NetworkSpec.fromJson(json))
        .hasMessageContaining("model.layers[1]")
        .hasMessageContaining("unitz");
  }

  @Test
  void trainingLearnsASeparableProblem() {
    // Two Gaussian blobs per class in 4-d; a small MLP must fit them almost perfectly.
    int n = 512;
    Random r = new Random(5);
    float[] x = new float[n * 4];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = i % 3;
      for (int j = 0; j < 4; j++) {
        x[i * 4 + j] = (float) (r.nextGaussian() * 0.5 + (j == y[i] ? 2 : 0));
      }
    }
    ExampleBlock block = new ExampleBlock(n, 4, x, y);
    NetworkSpec spec =
        NetworkSpec.input(4).dense(16, Activation.RELU).dense(3).loss(Loss.SOFTMAX_CROSS_ENTROPY);
    LocalTrainer trainer = new LocalTrainer(Network.create(spec, 3), OptimizerSpec.adam(0.01), 32);
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    double first = 0;
    double last = 0;
    int step = 0;
    for (int epoch = 0; epoch < 20; epoch++) {
      for (int from = 0; from < n; from += 32) {
        double loss = trainer.step(block, order, from, Math.min(32, n - from), step++, epoch);
        if (step == 1) {
          first = loss;
        }
        last = loss;
      }
    }
    ConfusionMatrix cm = new ConfusionMatrix(3, 1);
    cm.add(y, 0, trainer.network().predict(x, n), n);
    assertThat(last).isLessThan(first / 5);
    assertThat(cm.accuracy()).isGreaterThan(0.97);
  }

  /**
   * A first convolution trains through Java loops or im2col and BLAS but predicts through conv2d:
   * both must compute the same layer, for every padding, stride and kernel shape.
   */
  @Test
  void firstConvolutionComputesTheSameInTrainingAsInPrediction() {
    LayerSpec.Conv2d[] convolutions = {
      new LayerSpec.Conv2d(3, 3, 1, LayerSpec.Padding.SAME, Activation.RELU),
      new LayerSpec.Conv2d(3, 3, 2, LayerSpec.Padding.SAME, Activation.TANH),
      new LayerSpec.Conv2d(2, 3, 1, LayerSpec.Padding.VALID, Activation.IDENTITY),
      new LayerSpec.Conv2d(
          2, 2, 3, 1, 2, LayerSpec.Padding.SAME, Activation.IDENTITY, Init.HE_UNIFORM),
      new LayerSpec.Conv2d(
          3, 3, 2, 3, 3, LayerSpec.Padding.SAME, Activation.IDENTITY, Init.HE_UNIFORM)
    };
    for (LayerSpec.Conv2d conv : convolutions) {
      NetworkSpec spec =
          NetworkSpec.input(2, 7, 6).layer(conv).flatten().dense(4).loss(Loss.MEAN_SQUARED_ERROR);
      Network network = Network.create(spec, 3);
      org.nd4j.linalg.factory.Nd4j.getRandom().setSeed(4);
      var x = org.nd4j.linalg.factory.Nd4j.randn(org.nd4j.linalg.api.buffer.DataType.FLOAT, 5, 84);
      // All rows, and a view of some (as a batch's last, short step passes them).
      for (var rows :
          new org.nd4j.linalg.api.ndarray.INDArray[] {x, x.get(NDArrayIndex.interval(1, 4))}) {
        var trained = network.output(rows, true);
        var predicted = network.output(rows, false);
        assertThat(trained.sub(predicted).amaxNumber().doubleValue())
            .as(conv.toString())
            .isLessThan(1e-5);
      }
    }
  }

  /**
   * A network moves a convolution's ReLU past the max pooling that follows it, and its first
   * convolution computes that pooling. Against the layers as declared (each ReLU before its
   * pooling, each pooling a layer of its own), a training step must compute the same outputs and
   * the same gradients, bit for bit: for the first convolution (Java loops at stride 1, a column
   * matrix at stride 2, with and without ReLU) and a later one (libnd4j), on inputs where many
   * windows hold only negative values.
   */
  @ParameterizedTest
  @CsvSource({"1, RELU", "1, IDENTITY", "2, RELU"})
  void reluMovedPastMaxPoolingAndPoolingInTheFirstConvolutionComputeTheSameStep(
      int stride, Activation activation) {
    NetworkSpec spec =
        NetworkSpec.input(2, 8, 8)
            .conv2d(3, 3, stride, LayerSpec.Padding.SAME, activation)
            .maxPool2d(2, 2)
            .conv2d(4, 3, 1, LayerSpec.Padding.SAME, Activation.RELU)
            .maxPool2d(2, 2)
            .flatten()
            .dense(3)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    Network network = Network.create(spec, 5);
    INDArray declaredGradients = network.gradients().ulike();
    List<Layer> declared = new ArrayList<>();
    List<int[]> shapes = spec.shapes();
    long offset = 0;
    for (int i = 0; i < spec.layers().size(); i++) {
      int[] in = shapes.get(i);
      int[] out = shapes.get(i + 1);
      LayerSpec layerSpec = spec.layers().get(i);
      Layer layer;
      if (layerSpec instanceof LayerSpec.Conv2d c) {
        layer = new Conv2dLayer(in, out, c, i == 0);
      } else if (layerSpec instanceof LayerSpec.Pooling2d p) {
        layer = new Pooling2dLayer(in, out, p, false);
      } else if (layerSpec instanceof LayerSpec.Dense d) {
        layer = new DenseLayer(in[0], d);
      } else {
        layer = new FlattenLayer();
      }
      long n = layer.numParams();
      if (n > 0) {
        layer.bind(
            network.params().get(NDArrayIndex.interval(offset, offset + n)),
            declaredGradients.get(NDArrayIndex.interval(offset, offset + n)));
        offset += n;
      }
      declared.add(layer);
    }
    Nd4j.getRandom().setSeed(6);
    INDArray x = Nd4j.randn(DataType.FLOAT, 7, 2 * 8 * 8).subi(0.5);
    INDArray y = Nd4j.zeros(DataType.FLOAT, 7, 3);
    for (int i = 0; i < 7; i++) {
      y.putScalar(i, i % 3, 1f);
    }
    try (var ws = Workspaces.training()) {
      network.computeGradient(x, y, 1);
      INDArray h = x.reshape(7, 2, 8, 8);
      INDArray[] outputs = new INDArray[declared.size()];
      for (int i = 0; i < declared.size(); i++) {
        h = declared.get(i).forward(h, true);
        outputs[i] = h.dup();
      }
      INDArray g = h.ulike();
      LossFunction.of(spec.loss()).lossAndGradient(h, y, g);
      for (int i = declared.size() - 1; i > 0; i--) {
        g = declared.get(i).backward(g);
      }
      declared.get(0).backwardParameters(g);

      // Some windows all negative: their maxima are 0 after a ReLU, negative without one.
      if (activation == Activation.RELU) {
        assertThat(outputs[1].minNumber().doubleValue()).isEqualTo(0.0);
      } else {
        assertThat(outputs[1].minNumber().doubleValue()).isLessThan(0.0);
      }
      assertThat(outputs[3].minNumber().doubleValue()).isEqualTo(0.0);
      assertThat(network.output(x, true)).isEqualTo(h);
      assertThat(network.gradients()).isEqualTo(declaredGradients);
    }
  }
}
