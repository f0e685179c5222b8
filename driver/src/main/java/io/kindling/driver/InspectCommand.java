package io.kindling.driver;

import io.kindling.kernels.LayerSpec;
import io.kindling.kernels.ModelFile;
import io.kindling.kernels.NetworkSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "inspect",
    mixinStandardHelpOptions = true,
    description =
        "Print a saved model's layers, shapes, parameter counts, preprocessing and metadata. Needs no Spark.")
final class InspectCommand implements Callable<Integer> {
  @ParentCommand Kindling kindling;

  @Parameters(
      index = "0",
      paramLabel = "MODEL",
      description = "The model folder (any Hadoop path).")
  String model;

  @Override
  public Integer call() throws Exception {
    ModelFile file = HadoopStore.read(model, new Configuration());
    kindling.out.print(describe(model, file));
    return 0;
  }

  static String describe(String where, ModelFile file) {
    NetworkSpec spec = file.spec();
    List<int[]> shapes = spec.shapes();
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT,
            "model %s: %s, loss %s%n",
            where,
            spec.describe(),
            spec.loss().configName()));
    sb.append(
        String.format(
            Locale.ROOT,
            "%-3s %-8s %-12s %-12s %-12s %10s%n",
            "#",
            "layer",
            "input",
            "output",
            "activation",
            "parameters"));
    for (int i = 0; i < spec.layers().size(); i++) {
      LayerSpec layer = spec.layers().get(i);
      String activation = layer instanceof LayerSpec.Dense d ? d.activation().configName() : "";
      sb.append(
          String.format(
              Locale.ROOT,
              "%-3d %-8s %-12s %-12s %-12s %,10d%n",
              i,
              layer.type(),
              Arrays.toString(shapes.get(i)),
              Arrays.toString(shapes.get(i + 1)),
              activation,
              layer.numParams(shapes.get(i))));
    }
    sb.append(String.format(Locale.ROOT, "total parameters: %,d%n", spec.numParams()));
    sb.append("optimizer state saved: ").append(file.optimizerState() != null).append('\n');
    if (file.preprocessing() != null) {
      sb.append("preprocessing: ")
          .append(file.preprocessing().path("kind").asText())
          .append(file.preprocessing().path("per_feature").asBoolean() ? " per feature" : " global")
          .append('\n');
    }
    sb.append("metadata: ").append(file.metadata()).append('\n');
    return sb.toString();
  }
}
