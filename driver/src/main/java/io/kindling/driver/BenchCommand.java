package io.kindling.driver;

import io.kindling.kernels.Activation;
import io.kindling.kernels.FlopCount;
import io.kindling.kernels.Loss;
import io.kindling.kernels.NativeBackend;
import io.kindling.kernels.NetworkSpec;
import io.kindling.kernels.Sgemm;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaSparkContext;
import org.nd4j.shade.jackson.databind.node.ArrayNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** Benchmarks: figures printed from one run, never test assertions. */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Benchmarks. Each prints a table, and with --json one JSON object on its last line.",
    subcommands = {
      BenchCommand.Kernels.class,
      BenchCommand.Scaling.class,
      DataBench.class,
      SyncBench.class
    })
final class BenchCommand {
  @ParentCommand Kindling kindling;

  /** Median sgemm GFLOP/s (1024 x 1024 fp32) for 1 and 2 threads, as BENCHMARKS.md names them. */
  static ObjectNode sgemm() {
    ObjectNode node = Json.object();
    for (int threads = 1; threads <= 2; threads++) {
      node.put(Integer.toString(threads), Sgemm.gflops(threads, 1024, 9));
    }
    return node;
  }

  @Command(
      name = "kernels",
      mixinStandardHelpOptions = true,
      description = {
        "Time the local training step (no Spark) of the default dense network and of the CNN job at",
        "batch 128 with 1 and 2 BLAS threads; report examples/s, GFLOP/s (6 x forward multiply-adds",
        "per example) and that as a fraction of the sgemm rate measured in the same run."
      })
  static final class Kernels implements Callable<Integer> {
    @ParentCommand BenchCommand bench;

    @Option(
        names = "--json",
        description = "Print the results as one JSON object on the last line.")
    boolean json;

    @Option(
        names = "--batch",
        defaultValue = "128",
        description = "Minibatch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Override
    public Integer call() {
      Kindling kindling = bench.kindling;
      ObjectNode sgemm = sgemm();
      ArrayNode results = Json.MAPPER.createArrayNode();
      // The dense network BENCHMARKS.md fixes, and the CNN job's network.
      Map<String, NetworkSpec> models = new LinkedHashMap<>();
      models.put(
          "dense",
          NetworkSpec.input(784)
              .dense(256, Activation.RELU)
              .dense(128, Activation.RELU)
              .dense(10)
              .loss(Loss.SOFTMAX_CROSS_ENTROPY));
      models.put(
          "cnn", JobConfig.load("fashion-mnist-cnn", kindling.home, Map.of(), List.of()).model());
      for (Map.Entry<String, NetworkSpec> model : models.entrySet()) {
        NetworkSpec spec = model.getValue();
        for (int threads = 1; threads <= 2; threads++) {
          double examplesPerSecond = StepTimer.examplesPerSecond(spec, batch, threads);
          double gflops = examplesPerSecond * 6.0 * FlopCount.forwardMultiplyAdds(spec) / 1e9;
          ObjectNode r = results.addObject();
          r.put("model", model.getKey());
          r.put("network", spec.describe());
          r.put("threads", threads);
          r.put("batch", batch);
          r.put("examples_per_second", examplesPerSecond);
          r.put("gflops", gflops);
          r.put("fraction_of_sgemm", gflops / sgemm.get(Integer.toString(threads)).asDouble());
        }
      }
      ObjectNode out = Json.object();
      out.set("sgemm_gflops", sgemm);
      out.put("nd4j_build", "linux-x86_64" + NativeBackend.extension());
      out.set("results", results);
      StringBuilder table = new StringBuilder();
      table.append(
          String.format(
              Locale.ROOT,
              "libnd4j %s; sgemm 1024x1024: %.1f GFLOP/s (1 thread), %.1f GFLOP/s (2 threads)%n",
              out.get("nd4j_build").asText(),
              sgemm.get("1").asDouble(),
              sgemm.get("2").asDouble()));
      table.append(
          String.format(
              Locale.ROOT,
              "%-6s %-8s %-6s %12s %10s %10s%n",
              "model",
              "threads",
              "batch",
              "examples/s",
              "GFLOP/s",
              "of sgemm"));
      results.forEach(
          r ->
              table.append(
                  String.format(
                      Locale.ROOT,
                      "%-6s %-8d %-6d %12.0f %10.1f %10.2f%n",
                      r.get("model").asText(),
                      r.get("threads").asInt(),
                      r.get("batch").asInt(),
                      r.get("examples_per_second").asDouble(),
                      r.get("gflops").asDouble(),
                      r.get("fraction_of_sgemm").asDouble())));
      kindling.out.print(table);
      if (json) {
        kindling.out.println(out.toString());
      }
      return 0;
    }
  }

  @Command(
      name = "scaling",
      mixinStandardHelpOptions = true,
      description = {
        "Train the same model on the same data as 1 worker x 2 threads and as 2 workers x 1 thread;",
        "print examples/s, median round time, the synchronisation share of a round, test accuracy,",
        "and for 2 workers the achieved GFLOP/s as a fraction of the 2-thread sgemm rate."
      })
  static final class Scaling implements Callable<Integer> {
    @ParentCommand BenchCommand bench;

    @Mixin JobOptions job;

    @Option(
        names = "--epochs",
        description = "Epochs per configuration (default: ${DEFAULT-VALUE}).",
        defaultValue = "3")
    int epochs;

    @Option(
        names = "--json",
        description = "Print the results as one JSON object on the last line.")
    boolean json;

    @Option(
        names = "--runs",
        paramLabel = "DIR",
        description = "Where the two run folders go (default: ${DEFAULT-VALUE}).",
        defaultValue = "runs")
    String runs;

    @Override
    public Integer call() throws Exception {
      Kindling kindling = bench.kindling;
      JobConfig base =
          job.load(kindling.home, System.getenv())
              .with("train.epochs", epochs)
              .with("spark.ui", false);
      long flopsPerExample = 6 * FlopCount.forwardMultiplyAdds(base.model());
      ObjectNode sgemm = sgemm();
      ArrayNode results = Json.MAPPER.createArrayNode();
      int[][] layouts = {{1, 2}, {2, 1}};
      for (int[] layout : layouts) {
        JobConfig config =
            base.with("spark.workers", layout[0])
                .with("spark.threads-per-worker", layout[1])
                .with(
                    "output.run-dir",
                    runs
                        + "/"
                        + RunStore.defaultRoot("bench-scaling-" + layout[0] + "x" + layout[1])
                            .substring("runs/".length()));
        JavaSparkContext spark =
            SparkRuntime.start(
                "kindling bench scaling", job.master == null ? "local[2]" : job.master, config);
        ObjectNode summary;
        try {
          summary =
              new TrainingJob(
                      config,
                      spark,
                      new java.io.PrintStream(java.io.OutputStream.nullOutputStream()),
                      false)
                  .run();
        } finally {
          spark.stop();
        }
        ObjectNode r = results.addObject();
        r.put("workers", layout[0]);
        r.put("threads", layout[1]);
        double examplesPerSecond = summary.get("examples_per_second").asDouble();
        r.put("examples_per_second", examplesPerSecond);
        r.put("test_accuracy", summary.get("test_accuracy").asDouble());
        r.put("round_seconds", summary.get("round_seconds").asDouble());
        r.put("sync_fraction", summary.get("sync_fraction").asDouble());
        double gflops = examplesPerSecond * flopsPerExample / 1e9;
        r.put("gflops", gflops);
        r.put("fraction_of_sgemm", gflops / sgemm.get("2").asDouble());
        r.put("run_dir", summary.get("run_dir").asText());
      }
      ObjectNode out = Json.object();
      out.set("sgemm_gflops", sgemm);
      out.put("model", base.model().describe());
      out.put("epochs", epochs);
      out.put("averaging_frequency", base.train().averagingFrequency());
      out.put("sync", base.train().sync());
      out.set("results", results);
      kindling.out.print(table(out));
      if (json) {
        kindling.out.println(out.toString());
      }
      return 0;
    }

    private static String table(ObjectNode out) {
      StringBuilder sb = new StringBuilder();
      sb.append(
          String.format(
              Locale.ROOT,
              "%s, %d epochs, %s, k = %d; sgemm %.1f GFLOP/s (1 thread), %.1f GFLOP/s (2 threads)%n",
              out.get("model").asText(),
              out.get("epochs").asInt(),
              out.get("sync").asText(),
              out.get("averaging_frequency").asInt(),
              out.get("sgemm_gflops").get("1").asDouble(),
              out.get("sgemm_gflops").get("2").asDouble()));
      sb.append(
          String.format(
              Locale.ROOT,
              "%-8s %-8s %12s %10s %10s %10s %10s%n",
              "workers",
              "threads",
              "examples/s",
              "round s",
              "sync",
              "test acc",
              "of sgemm"));
      List<String> rows = new ArrayList<>();
      out.get("results")
          .forEach(
              r ->
                  rows.add(
                      String.format(
                          Locale.ROOT,
                          "%-8d %-8d %12.0f %10.3f %9.1f%% %10.4f %10.2f%n",
                          r.get("workers").asInt(),
                          r.get("threads").asInt(),
                          r.get("examples_per_second").asDouble(),
                          r.get("round_seconds").asDouble(),
                          100 * r.get("sync_fraction").asDouble(),
                          r.get("test_accuracy").asDouble(),
                          r.get("fraction_of_sgemm").asDouble())));
      rows.forEach(sb::append);
      return sb.toString();
    }
  }
}
