package io.kindling.ml;

import io.kindling.data.Normaliser;
import io.kindling.driver.HadoopStore;
import io.kindling.driver.TrainingResult;
import io.kindling.kernels.ModelFile;
import io.kindling.kernels.ModelFileException;
import io.kindling.kernels.NetworkSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.node.ArrayNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * What a fit trained, as one {@link ModelFile}: the network and its parameters, the normaliser as
 * preprocessing, and in the metadata, beside the run's facts, the per-epoch {@code history} and the
 * final {@code evaluation}. A saved model keeps it in its {@code model/} folder.
 */
record TrainedNetwork(ModelFile file, Normaliser normaliser) {
  static final String FOLDER = "model";
  private static final String HISTORY = "history";
  private static final String EVALUATION = "evaluation";

  static TrainedNetwork of(TrainingResult result) {
    ModelFile trained = result.model();
    ObjectNode metadata = trained.metadata().deepCopy();
    ArrayNode history = metadata.putArray(HISTORY);
    result.history().forEach(history::add);
    metadata.set(EVALUATION, result.evaluation());
    return new TrainedNetwork(
        new ModelFile(
            trained.spec(), trained.parameters(), null, trained.preprocessing(), metadata),
        result.normaliser());
  }

  /** Reads the {@code model/} folder of a saved model. */
  static TrainedNetwork read(String modelPath, Configuration hadoop) throws IOException {
    String dir = new Path(modelPath, FOLDER).toString();
    ModelFile file = HadoopStore.read(dir, hadoop);
    if (file.preprocessing() == null
        || !file.metadata().path(HISTORY).isArray()
        || !file.metadata().path(EVALUATION).isObject()) {
      throw new ModelFileException(
          dir + "/model.json: no preprocessing, history or evaluation; was it saved by Spark ML?");
    }
    try {
      return new TrainedNetwork(file, Normaliser.fromJson(file.preprocessing()));
    } catch (IllegalArgumentException e) {
      throw new ModelFileException(dir + "/model.json: " + e.getMessage(), e);
    }
  }

  /** Writes the {@code model/} folder of a saved model, atomically. */
  void write(String modelPath, Configuration hadoop) throws IOException {
    HadoopStore.writeAtomically(file, new Path(modelPath, FOLDER).toString(), hadoop);
  }

  NetworkSpec spec() {
    return file.spec();
  }

  /** One object per epoch, as the run's {@code metrics.jsonl} lines. */
  List<JsonNode> history() {
    List<JsonNode> epochs = new ArrayList<>();
    file.metadata().get(HISTORY).forEach(epochs::add);
    return epochs;
  }

  /** The final model's scores on the validation split, as {@code kindling evaluate --json}. */
  JsonNode evaluation() {
    return file.metadata().get(EVALUATION);
  }

  NetworkScorer scorer() {
    return new NetworkScorer(file.spec(), file.parameters(), normaliser);
  }
}
