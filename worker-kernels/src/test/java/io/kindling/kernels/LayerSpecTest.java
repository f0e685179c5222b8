package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kindling.kernels.LayerSpec.Padding;
import io.kindling.kernels.LayerSpec.Pooling;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/** Shapes, parameter counts, JSON and one-line descriptions of the layer catalogue. */
class LayerSpecTest {
  static final NetworkSpec CNN =
      NetworkSpec.input(1, 28, 28)
          .layer(
              new LayerSpec.Conv2d(8, 3, 5, 1, 2, Padding.SAME, Activation.RELU, Init.HE_UNIFORM))
          .batchNorm()
          .maxPool2d(2, 2)
          .layer(new LayerSpec.Pooling2d(Pooling.AVERAGE, 3, 3, 2, 1, Padding.SAME))
          .conv2d(4, 3, 1, Padding.VALID, Activation.TANH)
          .flatten()
          .dropout(0.25)
          .layer(new LayerSpec.Dense(10, Activation.IDENTITY, Init.XAVIER_UNIFORM))
          .loss(new Loss.SoftmaxCrossEntropy(0.1));

  static final NetworkSpec TRANSFORMER =
      NetworkSpec.input(16)
          .embedding(100, 32)
          .positionalEncoding()
          .layer(new LayerSpec.SelfAttention(4, true, Init.XAVIER_UNIFORM))
          .layer(new LayerSpec.TransformerEncoder(4, 2, false, Init.HE_NORMAL))
          .layer(new LayerSpec.LayerNorm(1e-6))
          .globalAveragePooling()
          .dense(5)
          .loss(new Loss.Huber(0.5));

  static final NetworkSpec VIT =
      NetworkSpec.input(3, 32, 32)
          .patchEmbedding(8, 16)
          .positionalEncoding()
          .transformerEncoder(2, 4, false)
          .layerNorm()
          .globalAveragePooling()
          .dense(10)
          .loss(Loss.BINARY_CROSS_ENTROPY);

  @Test
  void shapesFlowThroughACnn() {
    List<int[]> shapes = CNN.shapes();
    assertThat(shapes.get(1)).containsExactly(8, 28, 14); // same padding, stride (1, 2)
    assertThat(shapes.get(3)).containsExactly(8, 14, 7);
    assertThat(shapes.get(4)).containsExactly(8, 7, 7); // ceil(14 / 2), ceil(7 / 1)
    assertThat(shapes.get(5)).containsExactly(4, 5, 5);
    assertThat(shapes.get(6)).containsExactly(100);
    assertThat(CNN.describe())
        .isEqualTo(
            "conv2d 1x28x28-8x28x14 batch-norm 8x28x14-8x28x14 max-pooling2d 8x28x14-8x14x7"
                + " average-pooling2d 8x14x7-8x7x7 conv2d 8x7x7-4x5x5 flatten 4x5x5-100"
                + " dropout 100-100 dense 100-10");
  }

  @Test
  void batchNormStatisticsFollowTheTrainableParameters() {
    long conv = 8 * 1 * 3 * 5 + 8;
    long batchNorm = 2 * 8;
    long conv2 = 4 * 8 * 3 * 3 + 4;
    long dense = 100 * 10 + 10;
    assertThat(CNN.numTrainableParams()).isEqualTo(conv + batchNorm + conv2 + dense);
    assertThat(CNN.numParams()).isEqualTo(conv + batchNorm + conv2 + dense + 2 * 8);
    assertThat(Network.create(CNN, 1).numParams()).isEqualTo((int) CNN.numParams());
  }

  @Test
  void transformerParameterCounts() {
    long d = 32;
    long attention = 4 * d * d + 4 * d;
    long block = 4 * d + attention + (d * 2 * d + 2 * d) + (2 * d * d + d);
    assertThat(TRANSFORMER.numParams())
        .isEqualTo(100 * d + 16 * d + attention + block + 2 * d + (d * 5 + 5));
    assertThat(VIT.shapes().get(1)).containsExactly(16, 16);
    assertThat(VIT.numParams()).isEqualTo(Network.create(VIT, 1).numParams());
  }

  @Test
  void everyLayerTypeRoundTripsThroughJson() {
    for (NetworkSpec spec : List.of(CNN, TRANSFORMER, VIT)) {
      assertThat(NetworkSpec.fromJson(spec.toJson())).isEqualTo(spec);
    }
    JsonNode json = CNN.toJson();
    assertThat(json.get("layers").get(0).get("kernel").toString()).isEqualTo("[3,5]");
    assertThat(json.get("loss").get("label-smoothing").asDouble()).isEqualTo(0.1);
    assertThat(VIT.toJson().get("loss").asText()).isEqualTo("binary-cross-entropy");
  }

  @Test
  void jsonDefaultsMatchTheBuilder() throws Exception {
    NetworkSpec spec =
        NetworkSpec.fromJson(
            NetworkSpec.JSON.readTree(
                """
                {"input": [1, 8, 8], "layers": [
                  {"type": "conv2d", "filters": 2, "kernel": 3, "activation": "relu"},
                  {"type": "max-pooling2d", "kernel": 2},
                  {"type": "flatten"},
                  {"type": "dense", "units": 3}],
                 "loss": {"type": "huber"}}
                """));
    NetworkSpec expected =
        NetworkSpec.input(1, 8, 8)
            .conv2d(2, 3, 1, Padding.VALID, Activation.RELU)
            .maxPool2d(2, 2)
            .flatten()
            .dense(3)
            .loss(Loss.HUBER);
    assertThat(spec).isEqualTo(expected);
    assertThat(((LayerSpec.Conv2d) spec.layers().get(0)).init()).isEqualTo(Init.HE_NORMAL);
  }

  @Test
  void badJsonNamesTheLayerAndKey() {
    ObjectNode json = CNN.toJson();
    ((ObjectNode) json.get("layers").get(0)).put("kernal", 3);
    assertThatThrownBy(() -> NetworkSpec.fromJson(json))
        .hasMessageContaining("model.layers[0]")
        .hasMessageContaining("kernal");
    ObjectNode badKernel = CNN.toJson();
    ((ObjectNode) badKernel.get("layers").get(0)).put("kernel", "wide");
    assertThatThrownBy(() -> NetworkSpec.fromJson(badKernel))
        .hasMessageContaining("model.layers[0]: 'kernel' must be a whole number");
    ObjectNode badPadding = CNN.toJson();
    ((ObjectNode) badPadding.get("layers").get(0)).put("padding", "full");
    assertThatThrownBy(() -> NetworkSpec.fromJson(badPadding))
        .hasMessageContaining("model.layers[0]: unknown padding 'full'");
    ObjectNode badLoss = CNN.toJson();
    ((ObjectNode) badLoss.get("loss")).put("delta", 1);
    assertThatThrownBy(() -> NetworkSpec.fromJson(badLoss))
        .hasMessageContaining("model.loss")
        .hasMessageContaining("delta");
    ObjectNode unknownType = CNN.toJson();
    ((ObjectNode) unknownType.get("layers").get(2)).put("type", "maxpool");
    assertThatThrownBy(() -> NetworkSpec.fromJson(unknownType))
        .hasMessageContaining("model.layers[2]: unknown layer type 'maxpool'")
        .hasMessageContaining("max-pooling2d");
  }

  @Test
  void shapeErrorsNameTheLayerAndBothShapes() {
    assertThatThrownBy(
            () ->
                NetworkSpec.input(784)
                    .conv2d(4, 3, 1, Padding.VALID, Activation.RELU)
                    .loss(Loss.SOFTMAX_CROSS_ENTROPY))
        .isInstanceOf(ShapeException.class)
        .hasMessageContaining("layer 0 (conv2d)")
        .hasMessageContaining("[channels, height, width]")
        .hasMessageContaining("[784]");
    assertThatThrownBy(
            () -> NetworkSpec.input(1, 4, 4).maxPool2d(5, 1).flatten().dense(2).loss(Loss.HUBER))
        .isInstanceOf(ShapeException.class)
        .hasMessageContaining("layer 0 (max-pooling2d)")
        .hasMessageContaining("[1, 4, 4]");
    assertThatThrownBy(
            () ->
                NetworkSpec.input(10, 6)
                    .selfAttention(4, false)
                    .flatten()
                    .dense(2)
                    .loss(Loss.HUBER))
        .isInstanceOf(ShapeException.class)
        .hasMessageContaining("layer 0 (self-attention)")
        .hasMessageContaining("4 heads");
    assertThatThrownBy(
            () -> NetworkSpec.input(8).dense(8).embedding(10, 4).flatten().loss(Loss.HUBER))
        .isInstanceOf(ShapeException.class)
        .hasMessageContaining("layer 1 (embedding) must be the first layer");
    assertThatThrownBy(() -> NetworkSpec.input(3, 9, 9).patchEmbedding(2, 4).loss(Loss.HUBER))
        .isInstanceOf(ShapeException.class)
        .hasMessageContaining("divisible by the patch size 2");
    assertThatThrownBy(() -> NetworkSpec.input(4, 8).layerNorm().loss(Loss.HUBER))
        .isInstanceOf(ShapeException.class)
        .hasMessageContaining("vector output")
        .hasMessageContaining("[4, 8]");
  }

  @Test
  void settingsAreValidated() {
    assertThatThrownBy(() -> new LayerSpec.Dropout(1.0)).hasMessageContaining("dropout: rate");
    assertThatThrownBy(() -> new LayerSpec.BatchNorm(1.0, 1e-5))
        .hasMessageContaining("batch-norm: momentum");
    assertThatThrownBy(() -> new LayerSpec.Conv2d(0, 3, 1, Padding.SAME, Activation.RELU))
        .hasMessageContaining("conv2d: filters must be positive");
    assertThatThrownBy(() -> new Loss.SoftmaxCrossEntropy(1.0))
        .hasMessageContaining("label-smoothing");
    assertThatThrownBy(() -> Init.parse("lecun")).hasMessageContaining("he-normal");
  }
}
