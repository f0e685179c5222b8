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
    shapes(inputShape, layers); // validates
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

  /** Number of trainable parameters: the length of the flat parameter buffer. */
  public long numParams() {
    List<int[]> shapes = shapes();
    long n = 0;
    for (int i = 0; i < layers.size(); i++) {
      n += layers.get(i).numParams(shapes.get(i));
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

  /** One line, e.g. {@code dense 784-256-128-10}. */
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
      ObjectNode l = ls.addObject();
      l.put("type", layer.type());
      if (layer instanceof LayerSpec.Dense d) {
        l.put("units", d.units());
        l.put("activation", d.activation().configName());
      }
    }
    root.put("loss", loss.configName());
    return root;
  }

  /**
   * Reads a spec from JSON ({@code {"input": [784], "layers": [{"type": "dense", "units": 10}],
   * "loss": "softmax-cross-entropy"}}). Errors name the layer and the field.
   */
  public static NetworkSpec fromJson(JsonNode root) {
    JsonNode in = require(root, "input", "model");
    if (!in.isArray() || in.isEmpty()) {
      throw new IllegalArgumentException("model.input must be a non-empty list of sizes");
    }
    int[] shape = new int[in.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = in.get(i).asInt();
    }
    JsonNode ls = require(root, "layers", "model");
    List<LayerSpec> layers = new ArrayList<>();
    for (int i = 0; i < ls.size(); i++) {
      layers.add(layerFromJson(ls.get(i), "model.layers[" + i + "]"));
    }
    Loss loss =
        root.has("loss") ? Loss.parse(root.get("loss").asText()) : Loss.SOFTMAX_CROSS_ENTROPY;
    return new NetworkSpec(shape, layers, loss);
  }

  private static LayerSpec layerFromJson(JsonNode l, String where) {
    String type = require(l, "type", where).asText();
    try {
      return switch (type) {
        case "dense" -> {
          allowOnly(l, where, "type", "units", "activation");
          yield new LayerSpec.Dense(
              require(l, "units", where).asInt(),
              l.has("activation")
                  ? Activation.parse(l.get("activation").asText())
                  : Activation.IDENTITY);
        }
        default ->
            throw new IllegalArgumentException(
                "unknown layer type '" + type + "'; use one of dense");
      };
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  private static void allowOnly(JsonNode node, String where, String... keys) {
    List<String> allowed = List.of(keys);
    node.fieldNames()
        .forEachRemaining(
            k -> {
              if (!allowed.contains(k)) {
                throw new IllegalArgumentException(
                    "unknown key '"
                        + k
                        + "' for layer type "
                        + node.get("type").asText()
                        + "; allowed: "
                        + allowed);
              }
            });
  }

  private static JsonNode require(JsonNode node, String key, String where) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException(where + ": missing '" + key + "'");
    }
    return v;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NetworkSpec s
        && Arrays.equals(inputShape, s.inputShape)
        && layers.equals(s.layers)
        && loss == s.loss;
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

    public Builder dense(int units, Activation activation) {
      layers.add(new LayerSpec.Dense(units, activation));
      return this;
    }

    /** A dense layer with no activation (e.g. the logits before a softmax loss). */
    public Builder dense(int units) {
      return dense(units, Activation.IDENTITY);
    }

    public NetworkSpec loss(Loss loss) {
      return new NetworkSpec(input, layers, loss);
    }
  }
}
