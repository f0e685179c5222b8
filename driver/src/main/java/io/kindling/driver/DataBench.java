package io.kindling.driver;

import io.kindling.data.DistributedExamples;
import io.kindling.data.FrameReader;
import io.kindling.data.Normaliser;
import io.kindling.data.PreparedData;
import io.kindling.data.SyntheticData;
import io.kindling.kernels.ExampleBlock;
import io.kindling.kernels.NetworkSpec;
import io.kindling.sync.ParameterAveraging;
import io.kindling.sync.Round;
import io.kindling.sync.RoundResult;
import io.kindling.sync.TrainingPlan;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.shade.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "data",
    mixinStandardHelpOptions = true,
    description = {
      "Time the data path on local Spark: a generated Parquet data set read, validated and packed into",
      "minibatch blocks on the executors, normalised in one distributed pass and cached (memory and disk),",
      "against how fast training consumes examples on those blocks. Reports rows/s, MB/s of Parquet,",
      "the preparation-to-training ratio and the JVM's peak memory (heap + ND4J's native bytes)."
    })
final class DataBench implements Callable<Integer> {
  @ParentCommand BenchCommand bench;

  @Option(
      names = "--rows",
      defaultValue = "2000000",
      description = "Rows (default: ${DEFAULT-VALUE}).")
  long rows;

  @Option(
      names = "--features",
      defaultValue = "784",
      description = "Features per row (default: ${DEFAULT-VALUE}).")
  int features;

  @Option(
      names = "--workers",
      defaultValue = "8",
      description = "Partitions, one packed block each (default: ${DEFAULT-VALUE}).")
  int workers;

  @Option(
      names = "--rounds",
      defaultValue = "6",
      description = "Training rounds timed on the blocks (default: ${DEFAULT-VALUE}).")
  int rounds;

  @Option(
      names = "--path",
      defaultValue = "runs/bench-data",
      description = "Where the generated Parquet is kept between runs (default: ${DEFAULT-VALUE}).")
  String path;

  @Option(
      names = "--master",
      defaultValue = "local[2]",
      description = "Spark master (default: ${DEFAULT-VALUE}).")
  String master;

  @Option(names = "--json", description = "Print the results as one JSON object on the last line.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Kindling kindling = bench.kindling;
    SparkConf conf =
        new SparkConf(true)
            .setMaster(master)
            .setAppName("kindling bench data")
            .set("spark.ui.showConsoleProgress", "false");
    SparkSession session = SparkSession.builder().config(conf).getOrCreate();
    JavaSparkContext spark = JavaSparkContext.fromSparkContext(session.sparkContext());
    try {
      String parquet = path + "/synthetic-" + rows + "x" + features;
      Path parquetPath = new Path(parquet);
      var fs = parquetPath.getFileSystem(spark.hadoopConfiguration());
      if (!fs.exists(parquetPath)) {
        kindling.out.printf(
            Locale.ROOT,
            "kindling: generating %,d x %d rows at %s (not timed)%n",
            rows,
            features,
            parquet);
        new SyntheticData(rows, features, 10)
            .withSeed(1)
            .withLabelNoise(0.1)
            .write(session, parquet);
      }
      long parquetBytes = fs.getContentSummary(parquetPath).getLength();

      long began = System.nanoTime();
      DistributedExamples examples =
          new FrameReader(10)
              .distribute(
                  session.read().parquet(parquet),
                  parquet,
                  workers,
                  StorageLevel.MEMORY_AND_DISK());
      Normaliser normaliser =
          Normaliser.fit(examples.blocks(), Normaliser.Kind.STANDARD, false, features);
      JavaRDD<ExampleBlock> blocks =
          PreparedData.normalised(
              examples.blocks(), normaliser, StorageLevel.MEMORY_AND_DISK(), "bench");
      examples.release();
      double prepareSeconds = (System.nanoTime() - began) / 1e9;

      NetworkSpec mlp =
          JobConfig.load("fashion-mnist-mlp", kindling.home, Map.of(), List.of()).model();
      NetworkSpec spec = new NetworkSpec(new int[] {features}, mlp.layers(), mlp.loss());
      TrainingPlan plan =
          new TrainingPlan(spec, io.kindling.kernels.OptimizerSpec.adam(1e-3), 128, 1, 1);
      ParameterAveraging averaging = new ParameterAveraging(spark, plan, 2);
      float[] state = averaging.initialState();
      averaging.run(blocks, new Round(0, 0, 0, 10, 0), state); // warm-up: trainers and JIT
      long trained = 0;
      double trainSeconds = 0;
      for (int r = 1; r <= rounds; r++) {
        RoundResult result = averaging.run(blocks, new Round(0, r, r * 10, 10, r * 10L), state);
        state = result.state();
        trained += result.examples();
        trainSeconds += result.roundSeconds();
      }
      blocks.unpersist(false);

      double rowsPerSecond = examples.size() / prepareSeconds;
      double trainingPerSecond = trained / trainSeconds;
      ObjectNode out = Json.object();
      out.put("rows", examples.size());
      out.put("features", features);
      out.put("workers", workers);
      out.put("parquet_megabytes", parquetBytes / 1e6);
      out.put("preparation_seconds", prepareSeconds);
      out.put("rows_per_second", rowsPerSecond);
      out.put("megabytes_per_second", parquetBytes / 1e6 / prepareSeconds);
      out.put("training_examples_per_second", trainingPerSecond);
      out.put("preparation_to_training_ratio", rowsPerSecond / trainingPerSecond);
      out.put("peak_executor_memory_mb", peakMegabytes());
      out.put("jvm_max_heap_mb", Runtime.getRuntime().maxMemory() / 1e6);
      kindling.out.printf(
          Locale.ROOT,
          "%,d rows x %d features (%.0f MB of Parquet) into %d cached blocks in %.1f s: %,.0f rows/s, %.1f MB/s%n"
              + "training on them (dense network, %d workers): %,.0f examples/s; preparation is %.1fx faster%n"
              + "peak memory of this JVM (heap + native): %.0f MB of %.0f MB heap%n",
          examples.size(),
          features,
          parquetBytes / 1e6,
          workers,
          prepareSeconds,
          rowsPerSecond,
          parquetBytes / 1e6 / prepareSeconds,
          workers,
          trainingPerSecond,
          rowsPerSecond / trainingPerSecond,
          peakMegabytes(),
          Runtime.getRuntime().maxMemory() / 1e6);
      if (json) {
        kindling.out.println(out.toString());
      }
    } finally {
      spark.stop();
    }
    return 0;
  }

  /** Peak heap used (all pools) plus ND4J's native bytes now: in local mode, the executor's. */
  private static double peakMegabytes() {
    long heap = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        heap += pool.getPeakUsage().getUsed();
      }
    }
    return (heap + Pointer.totalBytes()) / 1e6;
  }
}
