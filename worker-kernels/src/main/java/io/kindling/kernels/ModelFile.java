package io.kindling.kernels;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;
import org.nd4j.shade.jackson.core.JsonProcessingException;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * A saved model: a folder holding {@code model.json} (format version, network spec, shapes,
 * preprocessing, metadata, and the size and CRC32C of each array) and raw little-endian fp32 arrays
 * ({@code parameters.bin}, and {@code optimizer.bin} for checkpoints). Loading checks sizes and
 * checksums before returning anything, so a truncated or altered file is refused whole. No Java
 * serialization is involved.
 *
 * @param spec the network declaration
 * @param parameters the flat parameter vector
 * @param optimizerState the flat optimizer state, or null when not saved
 * @param preprocessing how raw inputs are transformed before the network (opaque here), or null
 * @param metadata free-form facts about the run (job, epoch, metrics), never null
 */
public record ModelFile(
    NetworkSpec spec,
    float[] parameters,
    float[] optimizerState,
    JsonNode preprocessing,
    ObjectNode metadata) {

  public static final String FORMAT = "kindling-model";
  public static final int VERSION = 1;
  static final String MODEL_JSON = "model.json";
  static final String PARAMETERS = "parameters.bin";
  static final String OPTIMIZER = "optimizer.bin";

  /** Where the files of one model live: a local folder, or a Hadoop path in the driver. */
  public interface Store {
    OutputStream create(String name) throws IOException;

    InputStream open(String name) throws IOException;

    /** The full name of a file, for error messages. */
    String describe(String name);
  }

  public ModelFile {
    if (parameters.length != spec.numParams()) {
      throw new IllegalArgumentException(
          "network "
              + spec.describe()
              + " has "
              + spec.numParams()
              + " parameters, got "
              + parameters.length);
    }
    if (metadata == null) {
      metadata = NetworkSpec.JSON.createObjectNode();
    }
  }

  /** Writes {@code model.json} last, so a reader never sees a spec without its arrays. */
  public void write(Store store) throws IOException {
    ObjectNode root = NetworkSpec.JSON.createObjectNode();
    root.put("format", FORMAT);
    root.put("version", VERSION);
    root.set("network", spec.toJson());
    root.put("description", spec.describe());
    root.set("parameters", writeArray(store, PARAMETERS, parameters));
    if (optimizerState != null) {
      root.set("optimizer_state", writeArray(store, OPTIMIZER, optimizerState));
    }
    if (preprocessing != null) {
      root.set("preprocessing", preprocessing);
    }
    root.set("metadata", metadata);
    try (OutputStream out = store.create(MODEL_JSON)) {
      out.write(NetworkSpec.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }
  }

  private static ObjectNode writeArray(Store store, String name, float[] values)
      throws IOException {
    ByteBuffer bytes =
        ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(values);
    CRC32C crc = new CRC32C();
    crc.update(bytes.array());
    try (OutputStream out = store.create(name)) {
      out.write(bytes.array());
    }
    ObjectNode node = NetworkSpec.JSON.createObjectNode();
    node.put("file", name);
    node.put("dtype", "float32");
    node.put("byte_order", "little-endian");
    node.put("count", values.length);
    node.put("crc32c", Long.toHexString(crc.getValue()));
    return node;
  }

  /** Reads and verifies a model; any inconsistency is a {@link ModelFileException}. */
  public static ModelFile read(Store store) throws IOException {
    String jsonName = store.describe(MODEL_JSON);
    JsonNode root;
    try (InputStream in = store.open(MODEL_JSON)) {
      root = NetworkSpec.JSON.readTree(in);
    } catch (JsonProcessingException e) {
      throw new ModelFileException(
          jsonName + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
    }
    if (root == null || !FORMAT.equals(root.path("format").asText())) {
      throw new ModelFileException(
          jsonName + ": not a Kindling model (format is not '" + FORMAT + "')");
    }
    int version = root.path("version").asInt(-1);
    if (version != VERSION) {
      throw new ModelFileException(
          jsonName
              + ": format version "
              + version
              + " is not supported (this build reads "
              + VERSION
              + ")");
    }
    NetworkSpec spec;
    try {
      spec = NetworkSpec.fromJson(root.path("network"));
    } catch (IllegalArgumentException e) {
      throw new ModelFileException(jsonName + ": bad network: " + e.getMessage(), e);
    }
    long expected = spec.numParams();
    float[] params = readArray(store, root.path("parameters"), expected, jsonName);
    float[] state = null;
    if (root.has("optimizer_state")) {
      state = readArray(store, root.get("optimizer_state"), -1, jsonName);
    }
    JsonNode pre = root.has("preprocessing") ? root.get("preprocessing") : null;
    ObjectNode meta = root.path("metadata") instanceof ObjectNode o ? o : null;
    return new ModelFile(spec, params, state, pre, meta);
  }

  private static float[] readArray(Store store, JsonNode node, long expectedCount, String jsonName)
      throws IOException {
    String name = node.path("file").asText(null);
    if (name == null || name.contains("/") || !"float32".equals(node.path("dtype").asText())) {
      throw new ModelFileException(jsonName + ": array entry " + node + " is malformed");
    }
    long count = node.path("count").asLong(-1);
    if (count < 0 || (expectedCount >= 0 && count != expectedCount)) {
      throw new ModelFileException(
          jsonName
              + ": "
              + name
              + " holds "
              + count
              + " values but the network needs "
              + expectedCount);
    }
    String where = store.describe(name);
    byte[] bytes = new byte[Math.toIntExact(count * Float.BYTES)];
    try (InputStream in = store.open(name)) {
      int read = in.readNBytes(bytes, 0, bytes.length);
      if (read < bytes.length) {
        throw new ModelFileException(
            where + ": truncated: expected " + bytes.length + " bytes, found " + read);
      }
      if (in.read() != -1) {
        throw new ModelFileException(
            where + ": longer than the " + bytes.length + " bytes model.json declares");
      }
    } catch (EOFException e) {
      throw new ModelFileException(where + ": truncated", e);
    }
    CRC32C crc = new CRC32C();
    crc.update(bytes);
    String actual = Long.toHexString(crc.getValue());
    if (!actual.equals(node.path("crc32c").asText())) {
      throw new ModelFileException(
          where
              + ": checksum mismatch (file "
              + actual
              + ", model.json "
              + node.path("crc32c").asText()
              + "): the file is corrupt or was altered");
    }
    float[] values = new float[(int) count];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
    return values;
  }

  /** A plain local folder, written in place (the driver's Hadoop store adds atomic renames). */
  public static Store folder(Path dir) {
    return new Store() {
      @Override
      public OutputStream create(String name) throws IOException {
        Files.createDirectories(dir);
        return Files.newOutputStream(dir.resolve(name));
      }

      @Override
      public InputStream open(String name) throws IOException {
        Path p = dir.resolve(name);
        if (!Files.exists(p)) {
          throw new ModelFileException(p + ": missing");
        }
        return Files.newInputStream(p);
      }

      @Override
      public String describe(String name) {
        return dir.resolve(name).toString();
      }
    };
  }
}
