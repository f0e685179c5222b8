package io.kindling.driver;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Train a network on Spark and write a run folder (summary.json, metrics.jsonl, model/, config.conf).",
      "With no options it trains the default job conf/jobs/fashion-mnist-mlp.conf on embedded local Spark."
    })
final class TrainCommand implements Callable<Integer> {
  @ParentCommand Kindling kindling;

  @Mixin JobOptions job;

  @Option(
      names = "--run-dir",
      paramLabel = "DIR",
      description = "Run folder (any Hadoop path); default runs/<job>-<timestamp>.")
  String runDir;

  @Option(
      names = "--resume",
      description =
          "Continue the run in --run-dir from its newest readable checkpoint (start it if there is none; do nothing if it has finished).")
  boolean resume;

  @Override
  public Integer call() throws Exception {
    JobConfig config = job.load(kindling.home, System.getenv());
    if (runDir != null) {
      config = config.with("output.run-dir", runDir);
    }
    PrintStream out = kindling.out;
    JavaSparkContext spark =
        SparkRuntime.start("kindling train " + config.jobName(), job.master, config);
    try {
      new TrainingJob(config, spark, out, resume).run();
    } finally {
      spark.stop();
    }
    return 0;
  }
}
