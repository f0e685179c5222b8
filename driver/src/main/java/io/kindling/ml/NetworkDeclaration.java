package io.kindling.ml;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import io.kindling.kernels.NetworkSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The network a fit trains, from the {@code network} param: a declaration in the JSON/HOCON form
 * job files and model files use (read by {@link NetworkSpec#fromJson}), with its input size taken
 * from the features when left out; or, when empty, one hidden dense ReLU layer and an output layer.
 *
 * @param model the declaration as the nested map a job configuration's {@code model} key takes
 * @param spec the parsed network
 */
record NetworkDeclaration(Map<String, Object> model, NetworkSpec spec) {
  static final int DEFAULT_HIDDEN_UNITS = 128;

  /**
   * @param features the size of one example (computed only when the declaration leaves it out)
   * @param outputs the output layer's size (computed only for the default network)
   * @param loss the default network's loss
   */
  static NetworkDeclaration resolve(
      String declared, IntSupplier features, IntSupplier outputs, String loss) {
    Config model;
    try {
      model = declared.isBlank() ? defaultNetwork(outputs.getAsInt(), loss) : parse(declared);
    } catch (ConfigException e) {
      throw new IllegalArgumentException("network: not valid JSON or HOCON: " + e.getMessage(), e);
    }
    if (!model.hasPath("input")) {
      model =
          model.withValue("input", ConfigValueFactory.fromIterable(List.of(features.getAsInt())));
    }
    try {
      NetworkSpec spec =
          NetworkSpec.fromJson(
              new ObjectMapper().readTree(model.root().render(ConfigRenderOptions.concise())));
      return new NetworkDeclaration(model.root().unwrapped(), spec);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("network: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A declaration, or a job file's whole {@code model { ... }} section. */
  private static Config parse(String declared) {
    Config parsed = ConfigFactory.parseString(declared);
    return parsed.hasPath("model") && parsed.root().size() == 1
        ? parsed.getConfig("model")
        : parsed;
  }

  private static Config defaultNetwork(int outputs, String loss) {
    return ConfigFactory.parseMap(
        Map.of(
            "layers",
            List.of(
                Map.of("type", "dense", "units", DEFAULT_HIDDEN_UNITS, "activation", "relu"),
                Map.of("type", "dense", "units", outputs)),
            "loss",
            loss));
  }
}
