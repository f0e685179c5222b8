package io.kindling.kernels;

import java.util.List;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * The JSON form of layers and losses, as job files and model files write them. Each layer is an
 * object with a {@code type} and that type's keys; unknown keys are refused, so a typo never
 * silently falls back to a default.
 */
final class SpecJson {
  static final List<String> LAYER_TYPES =
      List.of(
          "dense",
          "conv2d",
          "max-pooling2d",
          "average-pooling2d",
          "flatten",
          "dropout",
          "batch-norm",
          "layer-norm",
          "embedding",
          "positional-encoding",
          "patch-embedding",
          "self-attention",
          "transformer-encoder",
          "global-average-pooling");

  private SpecJson() {}

  static void writeLayer(LayerSpec layer, ObjectNode l) {
    l.put("type", layer.type());
    if (layer instanceof LayerSpec.Dense d) {
      l.put("units", d.units());
      l.put("activation", d.activation().configName());
      l.put("init", d.init().configName());
    } else if (layer instanceof LayerSpec.Conv2d c) {
      l.put("filters", c.filters());
      putPair(l, "kernel", c.kernelHeight(), c.kernelWidth());
      putPair(l, "stride", c.strideHeight(), c.strideWidth());
      l.put("padding", c.padding().configName());
      l.put("activation", c.activation().configName());
      l.put("init", c.init().configName());
    } else if (layer instanceof LayerSpec.Pooling2d p) {
      putPair(l, "kernel", p.kernelHeight(), p.kernelWidth());
      putPair(l, "stride", p.strideHeight(), p.strideWidth());
      l.put("padding", p.padding().configName());
    } else if (layer instanceof LayerSpec.Dropout d) {
      l.put("rate", d.rate());
    } else if (layer instanceof LayerSpec.BatchNorm b) {
      l.put("momentum", b.momentum());
      l.put("epsilon", b.epsilon());
    } else if (layer instanceof LayerSpec.LayerNorm n) {
      l.put("epsilon", n.epsilon());
    } else if (layer instanceof LayerSpec.Embedding e) {
      l.put("vocabulary", e.vocabulary());
      l.put("dim", e.dim());
    } else if (layer instanceof LayerSpec.PatchEmbedding p) {
      l.put("patch", p.patch());
      l.put("dim", p.dim());
      l.put("init", p.init().configName());
    } else if (layer instanceof LayerSpec.SelfAttention a) {
      l.put("heads", a.heads());
      l.put("causal", a.causal());
      l.put("init", a.init().configName());
    } else if (layer instanceof LayerSpec.TransformerEncoder t) {
      l.put("heads", t.heads());
      l.put("mlp-ratio", t.mlpRatio());
      l.put("causal", t.causal());
      l.put("init", t.init().configName());
    }
  }

  /** Reads one layer; errors are prefixed with {@code where}, e.g. {@code model.layers[1]}. */
  static LayerSpec readLayer(JsonNode l, String where) {
    if (l == null || !l.isObject()) {
      throw new IllegalArgumentException(where + ": a layer must be an object with a 'type'");
    }
    String type = required(l, "type", where).asText();
    try {
      return switch (type) {
        case "dense" -> {
          allowOnly(l, "type", "units", "activation", "init");
          Activation activation = activation(l);
          yield new LayerSpec.Dense(integer(l, "units"), activation, init(l, activation));
        }
        case "conv2d" -> {
          allowOnly(l, "type", "filters", "kernel", "stride", "padding", "activation", "init");
          int[] kernel = pair(l, "kernel", null);
          int[] stride = pair(l, "stride", new int[] {1, 1});
          Activation activation = activation(l);
          yield new LayerSpec.Conv2d(
              integer(l, "filters"),
              kernel[0],
              kernel[1],
              stride[0],
              stride[1],
              padding(l),
              activation,
              init(l, activation));
        }
        case "max-pooling2d", "average-pooling2d" -> {
          allowOnly(l, "type", "kernel", "stride", "padding");
          int[] kernel = pair(l, "kernel", null);
          int[] stride = pair(l, "stride", kernel);
          yield new LayerSpec.Pooling2d(
              type.equals("max-pooling2d") ? LayerSpec.Pooling.MAX : LayerSpec.Pooling.AVERAGE,
              kernel[0],
              kernel[1],
              stride[0],
              stride[1],
              padding(l));
        }
        case "flatten" -> {
          allowOnly(l, "type");
          yield new LayerSpec.Flatten();
        }
        case "dropout" -> {
          allowOnly(l, "type", "rate");
          yield new LayerSpec.Dropout(number(l, "rate", Double.NaN));
        }
        case "batch-norm" -> {
          allowOnly(l, "type", "momentum", "epsilon");
          yield new LayerSpec.BatchNorm(
              number(l, "momentum", LayerSpec.BatchNorm.DEFAULT_MOMENTUM),
              number(l, "epsilon", LayerSpec.BatchNorm.DEFAULT_EPSILON));
        }
        case "layer-norm" -> {
          allowOnly(l, "type", "epsilon");
          yield new LayerSpec.LayerNorm(number(l, "epsilon", LayerSpec.LayerNorm.DEFAULT_EPSILON));
        }
        case "embedding" -> {
          allowOnly(l, "type", "vocabulary", "dim");
          yield new LayerSpec.Embedding(integer(l, "vocabulary"), integer(l, "dim"));
        }
        case "positional-encoding" -> {
          allowOnly(l, "type");
          yield new LayerSpec.PositionalEncoding();
        }
        case "patch-embedding" -> {
          allowOnly(l, "type", "patch", "dim", "init");
          yield new LayerSpec.PatchEmbedding(
              integer(l, "patch"), integer(l, "dim"), init(l, Activation.IDENTITY));
        }
        case "self-attention" -> {
          allowOnly(l, "type", "heads", "causal", "init");
          yield new LayerSpec.SelfAttention(
              integer(l, "heads"), bool(l, "causal"), init(l, Activation.IDENTITY));
        }
        case "transformer-encoder" -> {
          allowOnly(l, "type", "heads", "mlp-ratio", "causal", "init");
          yield new LayerSpec.TransformerEncoder(
              integer(l, "heads"),
              l.has("mlp-ratio")
                  ? integer(l, "mlp-ratio")
                  : LayerSpec.TransformerEncoder.DEFAULT_MLP_RATIO,
              bool(l, "causal"),
              init(l, Activation.IDENTITY));
        }
        case "global-average-pooling" -> {
          allowOnly(l, "type");
          yield new LayerSpec.GlobalAveragePooling();
        }
        default ->
            throw new IllegalArgumentException(
                "unknown layer type '" + type + "'; use one of " + String.join(", ", LAYER_TYPES));
      };
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  /** A loss with default settings as its name, otherwise as an object with its settings. */
  static JsonNode writeLoss(Loss loss) {
    if (loss.equals(Loss.parse(loss.configName()))) {
      return NetworkSpec.JSON.getNodeFactory().textNode(loss.configName());
    }
    ObjectNode node = NetworkSpec.JSON.createObjectNode();
    node.put("type", loss.configName());
    if (loss instanceof Loss.SoftmaxCrossEntropy s) {
      node.put("label-smoothing", s.labelSmoothing());
    } else if (loss instanceof Loss.Huber h) {
      node.put("delta", h.delta());
    }
    return node;
  }

  /** Reads {@code "name"} or {@code {"type": "name", ...settings}}. */
  static Loss readLoss(JsonNode node) {
    try {
      if (node.isTextual()) {
        return Loss.parse(node.asText());
      }
      if (!node.isObject()) {
        throw new IllegalArgumentException("must be a name or an object with a 'type'");
      }
      Loss loss = Loss.parse(required(node, "type", "model.loss").asText());
      if (loss instanceof Loss.SoftmaxCrossEntropy) {
        allowOnly(node, "type", "label-smoothing");
        return new Loss.SoftmaxCrossEntropy(number(node, "label-smoothing", 0));
      }
      if (loss instanceof Loss.Huber) {
        allowOnly(node, "type", "delta");
        return new Loss.Huber(number(node, "delta", Loss.Huber.DEFAULT_DELTA));
      }
      allowOnly(node, "type");
      return loss;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("model.loss: " + e.getMessage(), e);
    }
  }

  static JsonNode required(JsonNode node, String key, String where) {
    JsonNode v = node.get(key);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException(where + ": missing '" + key + "'");
    }
    return v;
  }

  private static void putPair(ObjectNode l, String key, int height, int width) {
    if (height == width) {
      l.put(key, height);
    } else {
      l.putArray(key).add(height).add(width);
    }
  }

  private static Activation activation(JsonNode l) {
    return l.has("activation")
        ? Activation.parse(l.get("activation").asText())
        : Activation.IDENTITY;
  }

  private static Init init(JsonNode l, Activation activation) {
    return l.has("init") ? Init.parse(l.get("init").asText()) : Init.defaultFor(activation);
  }

  private static LayerSpec.Padding padding(JsonNode l) {
    return l.has("padding")
        ? LayerSpec.Padding.parse(l.get("padding").asText())
        : LayerSpec.Padding.VALID;
  }

  private static int integer(JsonNode l, String key) {
    JsonNode v = l.get(key);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException("missing '" + key + "'");
    }
    if (!v.canConvertToInt()
        || !(v.isIntegralNumber() || v.isTextual() && v.asText().matches("-?\\d+"))) {
      throw new IllegalArgumentException("'" + key + "' must be a whole number, got " + v);
    }
    return v.asInt();
  }

  /** A number, or {@code fallback} when absent (NaN: required). */
  private static double number(JsonNode l, String key, double fallback) {
    JsonNode v = l.get(key);
    if (v == null || v.isNull()) {
      if (Double.isNaN(fallback)) {
        throw new IllegalArgumentException("missing '" + key + "'");
      }
      return fallback;
    }
    if (!v.isNumber() && !(v.isTextual() && isDouble(v.asText()))) {
      throw new IllegalArgumentException("'" + key + "' must be a number, got " + v);
    }
    return v.asDouble();
  }

  private static boolean isDouble(String text) {
    try {
      Double.parseDouble(text);
      return true;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static boolean bool(JsonNode l, String key) {
    JsonNode v = l.get(key);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean() && !v.asText().matches("true|false")) {
      throw new IllegalArgumentException("'" + key + "' must be true or false, got " + v);
    }
    return v.asBoolean();
  }

  /**
   * An integer or a {@code [height, width]} pair; {@code fallback} when absent (null: required).
   */
  private static int[] pair(JsonNode l, String key, int[] fallback) {
    JsonNode v = l.get(key);
    if (v == null || v.isNull()) {
      if (fallback == null) {
        throw new IllegalArgumentException("missing '" + key + "'");
      }
      return fallback;
    }
    if (v.isArray()) {
      if (v.size() != 2 || !v.get(0).isIntegralNumber() || !v.get(1).isIntegralNumber()) {
        throw new IllegalArgumentException(
            "'" + key + "' must be a whole number or [height, width], got " + v);
      }
      return new int[] {v.get(0).asInt(), v.get(1).asInt()};
    }
    int size = integer(l, key);
    return new int[] {size, size};
  }

  private static void allowOnly(JsonNode node, String... keys) {
    List<String> allowed = List.of(keys);
    node.fieldNames()
        .forEachRemaining(
            k -> {
              if (!allowed.contains(k)) {
                throw new IllegalArgumentException(
                    "unknown key '"
                        + k
                        + "' for "
                        + node.get("type").asText()
                        + "; allowed: "
                        + allowed);
              }
            });
  }
}
