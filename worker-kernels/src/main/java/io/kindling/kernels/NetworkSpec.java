package io.kindling.kernels;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ArrayNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * A network declared once, from its input shape: the layers in order and the loss. Shapes are
 * inferred layer by layer when the spec is built, so a mismatch fails here, naming the layer.
 *
 * <p>The same spec is written with the fluent builder ({@code NetworkSpec.input(784).dense(256,
 * RELU)...}) or as JSON/HOCON in a job file; {@link #toJson()} and {@link #fromJson} convert.
 */
public record NetworkSpec(int[] inputShape, List<LayerSpec> layers, Loss loss)
    implements java.io.Serializable {

  static final ObjectMapper JSON = new ObjectMapper();

  public NetworkSpec {
    inputShape = inputShape.clone();
    layers = List.copyOf(layers);
    if (layers.isEmpty()) {
      throw new IllegalArgumentException("a network needs at least one layer");
    }
    for (int d : inputShape) {
      if (d <= 0) {
        throw new ShapeException(
            "input shape " + Arrays.toString(inputShape) + " must be positive");
      }
    }
    List<int[]> shapes = shapes(inputShape, layers); // validates
    int[] out = shapes.get(layers.size());
    if (out.length != 1) {
      throw new ShapeException(
          "the loss needs a vector output but layer "
              + (layers.size() - 1)
              + " ("
              + layers.get(layers.size() - 1).type()
              + ") outputs shape "
              + Arrays.toString(out)
              + "; end with flatten or global-average-pooling and a dense layer");
    }
    if (loss == null) {
      throw new IllegalArgumentException("a network needs a loss");
    }
  }

  /** Starts a declaration with the shape of one input example. */
  public static Builder input(int... shape) {
    return new Builder(shape);
  }

  /** The input shape followed by each layer's output shape. */
  public List<int[]> shapes() {
    return shapes(inputShape, layers);
  }

  private static List<int[]> shapes(int[] input, List<LayerSpec> layers) {
    List<int[]> shapes = new ArrayList<>();
    shapes.add(input.clone());
    int[] shape = input;
    for (int i = 0; i < layers.size(); i++) {
      shape = layers.get(i).outputShape(i, shape);
      shapes.add(shape);
    }
    return shapes;
  }

  /**
   * Length of the flat parameter vector: the trainable parameters followed by non-trainable state
   * (batch-norm running statistics).
   */
  public long numParams() {
    return count(true);
  }

  /** Number of trainable parameters: the leading part of the parameter vector. */
  public long numTrainableParams() {
    return count(false);
  }

  private long count(boolean withState) {
    List<int[]> shapes = shapes();
    long n = 0;
    for (int i = 0; i < layers.size(); i++) {
      n += layers.get(i).numParams(shapes.get(i));
      n += withState ? layers.get(i).numState(shapes.get(i)) : 0;
    }
    return n;
  }

  /** Number of values in one input example. */
  public int inputSize() {
    return Arrays.stream(inputShape).reduce(1, (a, b) -> a * b);
  }

  /** Number of values the network outputs per example (classes, for classification). */
  public int outputSize() {
    int[] out = shapes().get(layers.size());
    return Arrays.stream(out).reduce(1, (a, b) -> a * b);
  }

  /**
   * One line: each run of same-type layers as its type and the shapes it passes through, e.g.
   * {@code dense 784-256-128-10} or {@code conv2d 1x28x28-8x28x28 max-pooling2d 8x28x28-8x14x14
   * ...}.
   */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    String previous = null;
    List<int[]> shapes = shapes();
    for (int i = 0; i < layers.size(); i++) {
      String type = layers.get(i).type();
      if (!type.equals(previous)) {
        sb.append(sb.length() == 0 ? "" : " ").append(type).append(' ');
        sb.append(
            String.join("x", Arrays.stream(shapes.get(i)).mapToObj(Integer::toString).toList()));
      }
      sb.append('-')
          .append(
              String.join(
                  "x", Arrays.stream(shapes.get(i + 1)).mapToObj(Integer::toString).toList()));
      previous = type;
    }
    return sb.toString();
  }

  public ObjectNode toJson() {
    ObjectNode root = JSON.createObjectNode();
    ArrayNode in = root.putArray("input");
    for (int d : inputShape) {
      in.add(d);
    }
    ArrayNode ls = root.putArray("layers");
    for (LayerSpec layer : layers) {
      SpecJson.writeLayer(layer, ls.addObject());
    }
    root.set("loss", SpecJson.writeLoss(loss));
    return root;
  }

  /**
   * Reads a spec from JSON ({@code {"input": [784], "layers": [{"type": "dense", "units": 10}],
   * "loss": "softmax-cross-entropy"}}). Errors name the layer and the field. The loss may also be
   * an object with settings, e.g. {@code {"type": "softmax-cross-entropy", "label-smoothing":
   * 0.1}}; it defaults to softmax cross-entropy.
   */
  public static NetworkSpec fromJson(JsonNode root) {
    JsonNode in = SpecJson.required(root, "input", "model");
    if (!in.isArray() || in.isEmpty()) {
      throw new IllegalArgumentException("model.input must be a non-empty list of sizes");
    }
    int[] shape = new int[in.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = in.get(i).asInt();
    }
    JsonNode ls = SpecJson.required(root, "layers", "model");
    List<LayerSpec> layers = new ArrayList<>();
    for (int i = 0; i < ls.size(); i++) {
      layers.add(SpecJson.readLayer(ls.get(i), "model.layers[" + i + "]"));
    }
    Loss loss = root.has("loss") ? SpecJson.readLoss(root.get("loss")) : Loss.SOFTMAX_CROSS_ENTROPY;
    return new NetworkSpec(shape, layers, loss);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NetworkSpec s
        && Arrays.equals(inputShape, s.inputShape)
        && layers.equals(s.layers)
        && loss.equals(s.loss);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * Arrays.hashCode(inputShape) + layers.hashCode()) + loss.hashCode();
  }

  @Override
  public String toString() {
    return toJson().toString();
  }

  /** Fluent declaration of a network. */
  public static final class Builder {
    private final int[] input;
    private final List<LayerSpec> layers = new ArrayList<>();

    private Builder(int[] input) {
      this.input = input.clone();
    }

    /** Appends any layer, e.g. one with settings the shorthand methods leave at defaults. */
    public Builder layer(LayerSpec layer) {
      layers.add(layer);
      return this;
    }

    public Builder dense(int units, Activation activation) {
      return layer(new LayerSpec.Dense(units, activation));
    }

    /** A dense layer with no activation (e.g. the logits before a softmax loss). */
    public Builder dense(int units) {
      return dense(units, Activation.IDENTITY);
    }

    /** A convolution with a square kernel and stride. */
    public Builder conv2d(
        int filters, int kernel, int stride, LayerSpec.Padding padding, Activation activation) {
      return layer(new LayerSpec.Conv2d(filters, kernel, stride, padding, activation));
    }

    public Builder maxPool2d(int kernel, int stride) {
      return layer(new LayerSpec.Pooling2d(LayerSpec.Pooling.MAX, kernel, stride));
    }

    public Builder avgPool2d(int kernel, int stride) {
      return layer(new LayerSpec.Pooling2d(LayerSpec.Pooling.AVERAGE, kernel, stride));
    }

    public Builder flatten() {
      return layer(new LayerSpec.Flatten());
    }

    public Builder dropout(double rate) {
      return layer(new LayerSpec.Dropout(rate));
    }

    public Builder batchNorm() {
      return layer(new LayerSpec.BatchNorm());
    }

    public Builder layerNorm() {
      return layer(new LayerSpec.LayerNorm());
    }

    public Builder embedding(int vocabulary, int dim) {
      return layer(new LayerSpec.Embedding(vocabulary, dim));
    }

    public Builder positionalEncoding() {
      return layer(new LayerSpec.PositionalEncoding());
    }

    public Builder patchEmbedding(int patch, int dim) {
      return layer(new LayerSpec.PatchEmbedding(patch, dim));
    }

    public Builder selfAttention(int heads, boolean causal) {
      return layer(new LayerSpec.SelfAttention(heads, causal));
    }

    public Builder transformerEncoder(int heads, int mlpRatio, boolean causal) {
      return layer(new LayerSpec.TransformerEncoder(heads, mlpRatio, causal));
    }

    public Builder globalAveragePooling() {
      return layer(new LayerSpec.GlobalAveragePooling());
    }

    public NetworkSpec loss(Loss loss) {
      return new NetworkSpec(input, layers, loss);
    }
  }
}
