package io.kindling.driver;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options every job-running subcommand shares. */
final class JobOptions {
  @Option(
      names = {"-j", "--job"},
      paramLabel = "JOB",
      description = "Job file, or the name of a job in conf/jobs/ (default: ${DEFAULT-VALUE}).",
      defaultValue = "fashion-mnist-mlp")
  String job;

  @Option(
      names = {"-s", "--set"},
      paramLabel = "KEY=VALUE",
      description = "Override a configuration key, e.g. --set train.epochs=5 (repeatable).")
  List<String> sets = new ArrayList<>();

  @Option(
      names = "--master",
      paramLabel = "URL",
      description =
          "Spark master, e.g. local[4] or spark://host:7077 (default: the job's spark.master; ignored inside spark-submit, which sets its own).")
  String master;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description = "Folder (any Hadoop path) holding the data set files; overrides data.path.")
  String data;

  /** Loads the job's configuration with these options applied. */
  JobConfig load(Path home, Map<String, String> env) {
    JobConfig config = JobConfig.load(job, home, env, sets);
    return data == null ? config : config.with("data.path", data);
  }
}
