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
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerBlockUpdated;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerUnpersistRDD;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.BlockUpdatedInfo;
import org.apache.spark.storage.StorageLevel;
import org.nd4j.shade.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "data",
    mixinStandardHelpOptions = true,
    description = {
      "Time the data path on local Spark: a generated Parquet data set (and a test set a twentieth its",
      "size) read, validated and packed on the executors, split, normalised and dealt into balanced,",
      "cached worker blocks (PreparedData.prepare), against how fast training consumes examples held",
      "in memory. Reports rows/s, MB/s of Parquet, the preparation-to-training ratio, the JVM's peak",
      "resident memory, the peak memory and disk Spark's block store used, and the seconds each",
      "step of preparation took (its Spark jobs, named as the Spark UI shows them)."
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
      defaultValue = "9",
      description =
          "Training rounds timed on the blocks; the median round's rate counts (default:"
              + " ${DEFAULT-VALUE}).")
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

  @Option(
      names = "--storage-level",
      defaultValue = "MEMORY_AND_DISK",
      description = "How the blocks are cached (default: ${DEFAULT-VALUE}).")
  String storageLevel;

  @Option(
      names = "--training-rows",
      defaultValue = "100000",
      description =
          "Rows of the in-memory sample the training rate is measured on (default: ${DEFAULT-VALUE}).")
  int trainingRows;

  @Option(
      names = "--layout",
      defaultValue = "packed",
      description =
          "How the generated features are stored: packed (one binary value of fp32s per row) or"
              + " array (an array of floats) (default: ${DEFAULT-VALUE}).")
  String layout;

  @Option(names = "--json", description = "Print the results as one JSON object on the last line.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    if (rounds < 1) {
      throw new ConfigException("--rounds must be at least 1, got " + rounds);
    }
    Kindling kindling = bench.kindling;
    SparkConf conf =
        new SparkConf(true)
            .setMaster(master)
            .setAppName("kindling bench data")
            .set("spark.ui.showConsoleProgress", "false");
    SparkSession session = SparkSession.builder().config(conf).getOrCreate();
    JavaSparkContext spark = JavaSparkContext.fromSparkContext(session.sparkContext());
    StoragePeak storage = new StoragePeak();
    spark.sc().addSparkListener(storage);
    StepTimes steps = new StepTimes();
    spark.sc().addSparkListener(steps);
    try {
      StorageLevel level = StorageLevel.fromString(storageLevel);
      long testRows = Math.max(1, rows / 20);
      boolean packed =
          switch (layout) {
            case "packed" -> true;
            case "array" -> false;
            default ->
                throw new ConfigException("--layout is packed or array, not '" + layout + "'");
          };
      // Array-layout data sets keep the names earlier versions generated them under.
      String suffix = packed ? "-packed" : "";
      String train =
          generated(session, "synthetic-" + rows + "x" + features + suffix, rows, 0, packed);
      String test =
          generated(
              session,
              "synthetic-test-" + testRows + "x" + features + suffix,
              testRows,
              rows,
              packed);
      var fs = new Path(train).getFileSystem(spark.hadoopConfiguration());
      long parquetBytes =
          fs.getContentSummary(new Path(train)).getLength()
              + fs.getContentSummary(new Path(test)).getLength();

      FrameReader reader = new FrameReader(10);
      long began = System.nanoTime();
      long beganMillis = System.currentTimeMillis();
      // The rows as read are not cached when the data may outgrow memory: dealing the training
      // rows reads the Parquet again, which took no longer than writing a serialised copy to disk
      // and reading it back, and takes no disk (the held-out rows and the test set are cached
      // apart as they are read). Memory goes to the dealt blocks, which training reads every epoch.
      StorageLevel raw = level.useDisk() ? StorageLevel.NONE() : level;
      PreparedData prepared =
          PreparedData.prepare(
              reader.distribute(session.read().parquet(train), train, workers, raw),
              reader.distribute(session.read().parquet(test), test, workers, raw),
              0.1,
              Normaliser.Kind.STANDARD,
              false,
              workers,
              1,
              level);
      double prepareSeconds = (System.nanoTime() - began) / 1e9;
      long endedMillis = System.currentTimeMillis();
      long preparedRows = prepared.trainSize() + prepared.validationSize() + prepared.testSize();
      prepared.release();

      double trainingPerSecond = trainingRate(kindling, session, spark, train);
      double rowsPerSecond = preparedRows / prepareSeconds;
      double megabytesPerSecond = parquetBytes / 1e6 / prepareSeconds;
      double dataMegabytes = preparedRows * (features * 4.0 + 4) / 1e6;
      ObjectNode out = Json.object();
      out.put("rows", preparedRows);
      out.put("features", features);
      out.put("workers", workers);
      out.put("storage_level", storageLevel);
      out.put("layout", layout);
      out.put("parquet_megabytes", parquetBytes / 1e6);
      out.put("packed_megabytes", dataMegabytes);
      out.put("preparation_seconds", prepareSeconds);
      out.put("rows_per_second", rowsPerSecond);
      out.put("megabytes_per_second", megabytesPerSecond);
      out.put("training_examples_per_second", trainingPerSecond);
      out.put("preparation_to_training_ratio", rowsPerSecond / trainingPerSecond);
      // In local mode the executors live in this JVM: its peak resident set is theirs.
      out.put("peak_executor_memory_mb", peakResidentMegabytes());
      out.put("peak_storage_memory_megabytes", storage.peakMemory / 1e6);
      out.put("peak_storage_disk_megabytes", storage.peakDisk / 1e6);
      out.put("jvm_max_heap_mb", Runtime.getRuntime().maxMemory() / 1e6);
      // Read after training, by which time the listener bus has delivered every job's end.
      Map<String, Double> stepSeconds = steps.between(beganMillis, endedMillis);
      var stepList = out.putArray("preparation_steps");
      stepSeconds.forEach(
          (step, seconds) -> stepList.addObject().put("step", step).put("seconds", seconds));
      kindling.out.printf(
          Locale.ROOT,
          "%,d rows x %d features (%.0f MB of Parquet, %s layout; %.0f MB packed) split, normalised and dealt into"
              + " %d cached blocks (%s) in %.1f s: %,.0f rows/s, %.1f MB/s%n"
              + "training (dense network, 2 workers, %,d rows in memory): %,.0f examples/s;"
              + " preparation is %.1fx faster%n"
              + "peak memory: %.0f MB resident (heap at most %.0f MB), Spark's block store %.0f MB in"
              + " memory and %.0f MB on disk%n",
          preparedRows,
          features,
          parquetBytes / 1e6,
          layout,
          dataMegabytes,
          workers,
          storageLevel,
          prepareSeconds,
          rowsPerSecond,
          megabytesPerSecond,
          trainingRows,
          trainingPerSecond,
          rowsPerSecond / trainingPerSecond,
          peakResidentMegabytes(),
          Runtime.getRuntime().maxMemory() / 1e6,
          storage.peakMemory / 1e6,
          storage.peakDisk / 1e6);
      stepSeconds.forEach(
          (step, seconds) -> kindling.out.printf(Locale.ROOT, "  %5.1f s  %s%n", seconds, step));
      if (json) {
        kindling.out.println(out.toString());
      }
    } finally {
      spark.stop();
    }
    return 0;
  }

  /** The Parquet data set {@code name} under --path, generated (untimed) when missing. */
  private String generated(
      SparkSession session, String name, long count, long firstRow, boolean packed)
      throws java.io.IOException {
    String parquet = path + "/" + name;
    Path p = new Path(parquet);
    if (!p.getFileSystem(session.sparkContext().hadoopConfiguration()).exists(p)) {
      bench.kindling.out.printf(
          Locale.ROOT,
          "kindling: generating %,d x %d rows at %s (not timed)%n",
          count,
          features,
          parquet);
      SyntheticData data =
          new SyntheticData(count, features, 10)
              .withSeed(1)
              .withLabelNoise(0.1)
              .withFirstRow(firstRow);
      (packed ? data.withPackedFeatures() : data).write(session, parquet);
    }
    return parquet;
  }

  /**
   * Examples per second that training consumes, in the median of --rounds rounds: the default job's
   * dense network on 2 workers, on the first --training-rows rows held in memory, so the figure is
   * the model's, not the disk's.
   */
  private double trainingRate(
      Kindling kindling, SparkSession session, JavaSparkContext spark, String train) {
    int trainers = 2;
    DistributedExamples sample =
        new FrameReader(10)
            .distribute(
                session.read().parquet(train).limit(trainingRows),
                train,
                trainers,
                StorageLevel.MEMORY_ONLY());
    Normaliser normaliser =
        Normaliser.fit(sample.blocks(), Normaliser.Kind.STANDARD, false, features);
    JavaRDD<ExampleBlock> blocks =
        PreparedData.normalised(sample.blocks(), normaliser, StorageLevel.MEMORY_ONLY(), "sample");
    sample.release();
    NetworkSpec mlp =
        JobConfig.load("fashion-mnist-mlp", kindling.home, Map.of(), List.of()).model();
    NetworkSpec spec = new NetworkSpec(new int[] {features}, mlp.layers(), mlp.loss());
    TrainingPlan plan =
        new TrainingPlan(spec, io.kindling.kernels.OptimizerSpec.adam(1e-3), 128, 1, 1);
    ParameterAveraging averaging = new ParameterAveraging(spark, plan, 2);
    float[] state = averaging.initialState();
    averaging.run(blocks, new Round(0, 0, 0, 10, 0), state); // warm-up: trainers and JIT
    double[] perSecond = new double[rounds];
    for (int r = 1; r <= rounds; r++) {
      RoundResult result = averaging.run(blocks, new Round(0, r, r * 10, 10, r * 10L), state);
      state = result.state();
      perSecond[r - 1] = result.examples() / result.roundSeconds();
    }
    blocks.unpersist(false);
    // The median round: one round slowed by the machine moves it less than a total would.
    Arrays.sort(perSecond);
    return (perSecond[(rounds - 1) / 2] + perSecond[rounds / 2]) / 2;
  }

  /** This JVM's peak resident set (Linux), which in local mode holds the executors too; else -1. */
  private static double peakResidentMegabytes() {
    try {
      for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024 / 1e6;
        }
      }
    } catch (java.io.IOException | NumberFormatException e) {
      // Not Linux: no figure.
    }
    return -1;
  }

  /** Seconds per step of data preparation, from the preparation jobs' descriptions. */
  private static final class StepTimes extends SparkListener {
    private record Job(String step, long started) {}

    private record Done(String step, long started, double seconds) {}

    private final Map<Integer, Job> running = new HashMap<>();
    private final List<Done> done = new java.util.ArrayList<>();

    @Override
    public synchronized void onJobStart(SparkListenerJobStart start) {
      java.util.Properties p = start.properties();
      if (p != null && PreparedData.JOB_GROUP.equals(p.getProperty("spark.jobGroup.id"))) {
        running.put(start.jobId(), new Job(p.getProperty("spark.job.description"), start.time()));
      }
    }

    @Override
    public synchronized void onJobEnd(SparkListenerJobEnd end) {
      Job job = running.remove(end.jobId());
      if (job != null) {
        done.add(new Done(job.step, job.started, (end.time() - job.started) / 1e3));
      }
    }

    /** Seconds per step of the jobs that started from {@code fromMillis} to {@code toMillis}. */
    synchronized Map<String, Double> between(long fromMillis, long toMillis) {
      Map<String, Double> seconds = new java.util.LinkedHashMap<>();
      for (Done d : done) {
        if (d.started >= fromMillis && d.started <= toMillis) {
          seconds.merge(d.step, d.seconds, Double::sum);
        }
      }
      return seconds;
    }
  }

  /** The most memory and disk Spark's block store held at once, from its block updates. */
  private static final class StoragePeak extends SparkListener {
    private final Map<String, long[]> blocks = new HashMap<>();
    private long memory;
    private long disk;
    long peakMemory;
    long peakDisk;

    @Override
    public synchronized void onBlockUpdated(SparkListenerBlockUpdated update) {
      BlockUpdatedInfo info = update.blockUpdatedInfo();
      String id = info.blockManagerId() + "/" + info.blockId();
      long[] was = blocks.getOrDefault(id, new long[2]);
      memory += info.memSize() - was[0];
      disk += info.diskSize() - was[1];
      blocks.put(id, new long[] {info.memSize(), info.diskSize()});
      peakMemory = Math.max(peakMemory, memory);
      peakDisk = Math.max(peakDisk, disk);
    }

    // Unpersisting an RDD drops its blocks without a block update for each.
    @Override
    public synchronized void onUnpersistRDD(SparkListenerUnpersistRDD unpersist) {
      String suffix = "/rdd_" + unpersist.rddId() + "_";
      blocks
          .entrySet()
          .removeIf(
              e -> {
                if (!e.getKey().contains(suffix)) {
                  return false;
                }
                memory -= e.getValue()[0];
                disk -= e.getValue()[1];
                return true;
              });
    }
  }
}
