package io.kindling.driver;

import io.kindling.data.Normaliser;
import io.kindling.kernels.ModelFile;
import java.util.List;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * What a training job produced.
 *
 * @param summary the run's {@code summary.json}
 * @param model the trained network, its normaliser as preprocessing and the run's facts as metadata
 * @param normaliser how raw examples are transformed before the network
 * @param evaluation the model's scores on the test split, as {@code kindling evaluate --json}
 *     writes them
 * @param history one object per epoch, as the lines of {@code metrics.jsonl}
 */
public record TrainingResult(
    ObjectNode summary,
    ModelFile model,
    Normaliser normaliser,
    ObjectNode evaluation,
    List<ObjectNode> history) {

  public TrainingResult {
    history = List.copyOf(history);
  }

  /** A resumed run that had already finished: its summary, nothing trained. */
  static TrainingResult alreadyFinished(ObjectNode summary) {
    return new TrainingResult(summary, null, null, null, List.of());
  }
}
