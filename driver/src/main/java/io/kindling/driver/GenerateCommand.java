package io.kindling.driver;

import io.kindling.data.SyntheticData;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = {
      "Write a seeded, learnable classification data set of any size as Parquet (a `features` column,",
      "an array of floats, and a `label` column), generated on the executors. Labels come from a fixed random linear",
      "teacher, then a fraction --noise of them is flipped to another class, so the best possible",
      "accuracy is exactly 1 - noise."
    })
final class GenerateCommand implements Callable<Integer> {
  @ParentCommand Kindling kindling;

  @Option(names = "--rows", required = true, description = "Examples to write.")
  long rows;

  @Option(
      names = "--features",
      defaultValue = "784",
      description = "Features per example (default: ${DEFAULT-VALUE}).")
  int features;

  @Option(
      names = "--classes",
      defaultValue = "10",
      description = "Classes (default: ${DEFAULT-VALUE}).")
  int classes;

  @Option(
      names = "--noise",
      defaultValue = "0.1",
      description = "Fraction of flipped labels (default: ${DEFAULT-VALUE}).")
  double noise;

  @Option(names = "--seed", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--partitions",
      defaultValue = "0",
      description = "Output partitions; 0 = Spark's default parallelism.")
  int partitions;

  @Option(
      names = "--first-row",
      defaultValue = "0",
      description =
          "Index of the first row: with the same --seed, a disjoint range is a test split labelled by the same teacher.")
  long firstRow;

  @Option(
      names = "--packed",
      description =
          "Write each row's features as one binary value of little-endian fp32s instead of an array"
              + " of floats: Kindling reads it several times faster; other tools see bytes.")
  boolean packed;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "PATH",
      description = "Output folder (any Hadoop path); must not exist.")
  String output;

  @Option(
      names = "--master",
      paramLabel = "URL",
      description = "Spark master (default: local[*]; ignored inside spark-submit).")
  String master;

  @Override
  public Integer call() {
    SparkConf conf =
        new SparkConf(true)
            .setIfMissing("spark.app.name", "kindling generate")
            .setIfMissing("spark.ui.showConsoleProgress", "false");
    if (master != null) {
      conf.setMaster(master);
    } else {
      conf.setIfMissing("spark.master", "local[*]");
    }
    SparkSession spark = SparkSession.builder().config(conf).getOrCreate();
    try {
      SyntheticData data;
      try {
        data =
            new SyntheticData(rows, features, classes)
                .withLabelNoise(noise)
                .withSeed(seed)
                .withPartitions(partitions)
                .withFirstRow(firstRow);
        if (packed) {
          data = data.withPackedFeatures();
        }
      } catch (IllegalArgumentException e) {
        throw new ConfigException("generate: " + e.getMessage(), e);
      }
      double best = data.write(spark, output);
      kindling.out.printf(
          Locale.ROOT,
          "kindling: wrote %,d examples x %d features, %d classes to %s; best possible accuracy %.4f%n",
          rows,
          features,
          classes,
          output,
          best);
    } finally {
      spark.stop();
    }
    return 0;
  }
}
