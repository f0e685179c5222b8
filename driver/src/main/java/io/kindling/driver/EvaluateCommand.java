package io.kindling.driver;

import io.kindling.data.LabeledData;
import io.kindling.kernels.Evaluation;
import io.kindling.kernels.ExampleBlock;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description =
        "Score a saved model on the job's test (or train) data: accuracy, per-class precision, recall and F1, macro and weighted F1, top-3 accuracy, log loss and the confusion matrix.")
final class EvaluateCommand implements Callable<Integer> {
  @ParentCommand Kindling kindling;

  @Mixin JobOptions job;

  @Parameters(
      index = "0",
      paramLabel = "MODEL",
      description = "The model folder (e.g. runs/<run>/model).")
  String model;

  @Option(
      names = "--split",
      description = "test or train (default: ${DEFAULT-VALUE}).",
      defaultValue = "test")
  String split;

  @Option(
      names = "--json",
      description = "Print the metrics as one JSON object instead of a table.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    JobConfig config = job.load(kindling.home, System.getenv());
    if (!split.equals("test") && !split.equals("train")) {
      throw new ConfigException("--split " + split + ": use test or train");
    }
    JavaSparkContext spark = SparkRuntime.start("kindling evaluate", job.master, config);
    try {
      SavedModel saved = SavedModel.load(model, spark.hadoopConfiguration());
      JobConfig.Data data = config.data();
      LabeledData examples =
          split.equals("test") ? DataSets.test(data, spark) : DataSets.train(data, spark);
      JavaRDD<ExampleBlock> blocks =
          saved.blocks(spark, examples, SparkRuntime.workers(spark, config), config.seed());
      Evaluation scores =
          Evaluator.evaluate(
              spark, blocks, saved.file().spec(), saved.file().parameters(), data.classes());
      kindling.out.print(
          json
              ? Json.pretty(Reports.evaluationJson(scores)) + "\n"
              : Reports.metricsTable(scores, split));
    } finally {
      spark.stop();
    }
    return 0;
  }
}
