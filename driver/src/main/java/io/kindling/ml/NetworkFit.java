package io.kindling.ml;

import io.kindling.driver.DataFrameTraining;
import io.kindling.driver.JobConfig;
import io.kindling.driver.TrainingResult;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.slf4j.LoggerFactory;

/**
 * One fit: the params as a Kindling job configuration, trained on the DataFrame by the same job as
 * {@code kindling train}.
 */
final class NetworkFit {
  private NetworkFit() {}

  /**
   * @param classes the number of classes, or 0 for real-valued targets
   * @param network the resolved network
   */
  static TrainedNetwork run(
      NeuralNetParams params,
      Dataset<?> dataset,
      String featuresCol,
      String labelCol,
      NetworkDeclaration network,
      int classes) {
    Path temporary = null;
    String runDir = params.getRunDir();
    try {
      if (runDir.isEmpty()) {
        temporary = Files.createTempDirectory("kindling-fit-");
        runDir = temporary.toUri().toString();
      }
      JobConfig config = config(params, network, classes, runDir);
      TrainingResult result;
      try (PrintStream log = LogStream.to(LoggerFactory.getLogger(params.getClass()))) {
        result = DataFrameTraining.train(config, dataset.toDF(), featuresCol, labelCol, log);
      }
      return TrainedNetwork.of(result);
    } catch (IOException e) {
      throw new UncheckedIOException("training failed: " + e.getMessage(), e);
    } finally {
      if (temporary != null) {
        delete(temporary);
      }
    }
  }

  private static JobConfig config(
      NeuralNetParams p, NetworkDeclaration network, int classes, String runDir) {
    Map<String, Object> settings = new HashMap<>();
    settings.put("job.name", p.uid());
    settings.put("job.seed", p.getSeed());
    settings.put("spark.workers", p.getWorkers());
    // The examples come from the DataFrame, read as Parquet would be; these name it in config.conf.
    settings.put("data.format", "parquet");
    settings.put("data.train", "the DataFrame given to fit");
    settings.put("data.test", "its validation split");
    settings.put("data.classes", classes);
    settings.put("data.validation-fraction", p.getValidationFraction());
    settings.put(
        "data.normalise", p.getNormalise().equals("minmax") ? "min-max" : p.getNormalise());
    settings.put("data.per-feature", p.getPerFeature());
    settings.put("model", network.model());
    settings.put("optimizer.kind", p.getOptimizer());
    settings.put("optimizer.learning-rate", p.getLearningRate());
    settings.put("train.epochs", p.getEpochs());
    settings.put("train.batch-size", p.getBatchSize());
    settings.put("train.sync", p.getSyncMode());
    settings.put("train.averaging-frequency", p.getAveragingFrequency());
    // A fit cannot resume, so checkpoints are only kept where asked for.
    settings.put("checkpoint.dir", p.getCheckpointDir());
    settings.put("checkpoint.every-epochs", p.getCheckpointDir().isEmpty() ? 0 : 1);
    settings.put("output.run-dir", runDir);
    return JobConfig.fromSettings(settings, p.uid() + " params");
  }

  /** The size of the features' vectors: from the column's ML metadata, else its first row. */
  static int featureWidth(Dataset<?> dataset, String featuresCol) {
    int declared = AttributeGroup.fromStructField(dataset.schema().apply(featuresCol)).size();
    if (declared >= 0) {
      return declared;
    }
    List<Row> first =
        dataset
            .select(featuresCol)
            .where(functions.col(featuresCol).isNotNull())
            .limit(1)
            .collectAsList();
    if (first.isEmpty()) {
      throw new IllegalArgumentException(
          "features column '" + featuresCol + "' holds no vectors: the DataFrame is empty");
    }
    return ((Vector) first.get(0).get(0)).size();
  }

  private static void delete(Path folder) {
    try (Stream<Path> paths = Files.walk(folder)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      LoggerFactory.getLogger(NetworkFit.class)
          .warn("cannot delete the temporary run folder {}: {}", folder, e.getMessage());
    }
  }
}
