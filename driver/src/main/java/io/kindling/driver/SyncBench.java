package io.kindling.driver;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.node.ArrayNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "sync",
    mixinStandardHelpOptions = true,
    description = {
      "Train the same job with 2 workers under each synchronisation (averaging through the driver,",
      "ring averaging, the sharded all-reduce); report time to a target validation accuracy, the",
      "synchronisation share of a round, the ring strategies' bytes per worker per step against",
      "their ring optimum (2(W-1)/W x the bytes they average per step), and a",
      "projection of its scaling efficiency to 8, 64 and 256 workers (assumptions in docs/benchmarks.md)."
    })
final class SyncBench implements Callable<Integer> {
  /** Per-message latency the projection assumes for each of a ring step's 2(W-1) hops. */
  static final double HOP_LATENCY_SECONDS = 100e-6;

  @ParentCommand BenchCommand bench;

  @Mixin JobOptions job;

  @Option(
      names = "--epochs",
      defaultValue = "10",
      description = "Most epochs per mode (default: ${DEFAULT-VALUE}).")
  int epochs;

  @Option(
      names = "--target",
      defaultValue = "0.89",
      description = "Target validation accuracy (default: ${DEFAULT-VALUE}).")
  double target;

  @Option(
      names = "--runs",
      paramLabel = "DIR",
      defaultValue = "runs",
      description = "Where the run folders go (default: ${DEFAULT-VALUE}).")
  String runs;

  @Option(names = "--json", description = "Print the results as one JSON object on the last line.")
  boolean json;

  @Override
  public Integer call() throws Exception {
    Kindling kindling = bench.kindling;
    JobConfig base =
        job.load(kindling.home, System.getenv())
            .with("train.epochs", epochs)
            .with("spark.workers", 2)
            .with("spark.threads-per-worker", 1)
            .with("spark.ui", false);
    ArrayNode results = Json.MAPPER.createArrayNode();
    JsonNode allreduce = null;
    long modelBytes = 4 * base.model().numParams();
    for (String mode : SyncStrategies.NAMES) {
      JobConfig config =
          base.with("train.sync", mode)
              .with(
                  "output.run-dir",
                  runs
                      + "/"
                      + RunStore.defaultRoot("bench-sync-" + mode).substring("runs/".length()));
      JavaSparkContext spark =
          SparkRuntime.start(
              "kindling bench sync", job.master == null ? "local[2]" : job.master, config);
      ObjectNode summary;
      try {
        summary =
            new TrainingJob(config, spark, new PrintStream(OutputStream.nullOutputStream()), false)
                .run();
      } finally {
        spark.stop();
      }
      ObjectNode r = results.addObject();
      r.put("mode", mode);
      Double seconds = secondsToTarget(summary.get("run_dir").asText());
      if (seconds == null) {
        r.putNull("seconds_to_target");
      } else {
        r.put("seconds_to_target", seconds);
      }
      r.put("target_accuracy", target);
      r.put("target_metric", "validation_accuracy");
      r.put("sync_fraction", summary.get("sync_fraction").asDouble());
      r.put("test_accuracy", summary.get("test_accuracy").asDouble());
      r.put("examples_per_second", summary.get("examples_per_second").asDouble());
      if (summary.has("bytes_per_worker_per_step")) {
        r.put("bytes_per_worker_per_step", summary.get("bytes_per_worker_per_step").asDouble());
        r.put("bytes_vs_ring_optimum", summary.get("bytes_vs_ring_optimum").asDouble());
        r.put(
            "communication_seconds_per_step",
            summary.get("communication_seconds_per_step").asDouble());
        r.put(
            "compute_seconds_per_step",
            summary.get("compute_seconds").asDouble() / Math.max(1, summary.get("steps").asLong()));
      }
      if (mode.equals("allreduce")) {
        r.put("compression", compression(base.train()));
        allreduce = r;
      }
      r.put("run_dir", summary.get("run_dir").asText());
    }
    ObjectNode out = Json.object();
    out.put("workers", 2);
    out.put("model_bytes", modelBytes);
    out.set("results", results);
    out.set("projection", projection(allreduce, modelBytes));
    kindling.out.print(table(out));
    if (json) {
      kindling.out.println(out.toString());
    }
    return 0;
  }

  private static String compression(JobConfig.Train train) {
    if (train.allreduceTopk() > 0) {
      return "topk " + train.allreduceTopk();
    }
    return train.allreduceBf16() ? "bf16" : "none";
  }

  /** Seconds of training until the first epoch whose validation accuracy reached the target. */
  private Double secondsToTarget(String runDir) throws Exception {
    RunStore store = new RunStore(runDir, new org.apache.hadoop.conf.Configuration());
    for (String line : store.readMetrics()) {
      JsonNode epoch = Json.MAPPER.readTree(line);
      if (epoch.path("validation_accuracy").asDouble() >= target) {
        return epoch.get("elapsed_seconds").asDouble();
      }
    }
    return null;
  }

  /**
   * Scaling efficiency of the ring all-reduce at W workers with the per-worker batch fixed: compute
   * per step stays as measured; communication per step is 2(W-1)/W x model bytes at the bandwidth
   * measured on 2 workers, plus 2(W-1) hops of {@link #HOP_LATENCY_SECONDS}.
   */
  static ArrayNode projection(JsonNode allreduce, long modelBytes) {
    ArrayNode rows = Json.MAPPER.createArrayNode();
    if (allreduce == null) {
      return rows;
    }
    double compute = allreduce.get("compute_seconds_per_step").asDouble();
    double measured = allreduce.get("communication_seconds_per_step").asDouble();
    double bytes = allreduce.get("bytes_per_worker_per_step").asDouble();
    double bandwidth = bytes / Math.max(1e-9, measured - 2 * HOP_LATENCY_SECONDS);
    for (int workers : new int[] {8, 64, 256}) {
      double communication =
          2.0 * (workers - 1) / workers * modelBytes / bandwidth
              + 2.0 * (workers - 1) * HOP_LATENCY_SECONDS;
      ObjectNode row = rows.addObject();
      row.put("workers", workers);
      row.put("efficiency", compute / (compute + communication));
    }
    return rows;
  }

  private static String table(ObjectNode out) {
    StringBuilder sb = new StringBuilder();
    sb.append(
        String.format(
            Locale.ROOT, "2 workers, model %.1f MB%n", out.get("model_bytes").asDouble() / 1e6));
    sb.append(
        String.format(
            Locale.ROOT,
            "%-14s %16s %8s %10s %14s %12s%n",
            "mode",
            "s to target",
            "sync",
            "test acc",
            "bytes/step",
            "vs optimum"));
    for (JsonNode r : out.get("results")) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%-14s %16s %7.1f%% %10.4f %14s %12s%n",
              r.get("mode").asText(),
              r.get("seconds_to_target").isNull()
                  ? "not reached"
                  : String.format(Locale.ROOT, "%.1f", r.get("seconds_to_target").asDouble()),
              100 * r.get("sync_fraction").asDouble(),
              r.get("test_accuracy").asDouble(),
              r.has("bytes_per_worker_per_step")
                  ? String.format(
                      Locale.ROOT, "%.0f", r.get("bytes_per_worker_per_step").asDouble())
                  : "-",
              r.has("bytes_vs_ring_optimum")
                  ? String.format(Locale.ROOT, "%.3f", r.get("bytes_vs_ring_optimum").asDouble())
                  : "-"));
    }
    for (JsonNode p : out.get("projection")) {
      sb.append(
          String.format(
              Locale.ROOT,
              "projected all-reduce efficiency at %d workers: %.2f%n",
              p.get("workers").asInt(),
              p.get("efficiency").asDouble()));
    }
    return sb.toString();
  }
}
