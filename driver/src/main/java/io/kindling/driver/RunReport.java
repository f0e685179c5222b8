package io.kindling.driver;

import io.kindling.kernels.ConfusionMatrix;
import io.kindling.kernels.Evaluation;
import io.kindling.kernels.RegressionMetrics;
import java.awt.AWTError;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import org.knowm.xchart.internal.chartpart.Chart;
import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * A run's {@code report.html}: headline figures, learning curves, throughput, computation against
 * synchronisation, the test confusion matrix and per-class scores, and the configuration. One
 * self-contained file: styles inline and charts as PNG data URIs, so it opens offline anywhere.
 */
final class RunReport {
  private static final String STYLE =
      """
      body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
        margin:0 auto;max-width:1340px;padding:24px;color:#222;background:#fafafa}
      h1{margin:0 0 4px}h2{margin:32px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
      .sub{color:#555;margin:0 0 16px}.notice{background:#fff4e5;border-left:4px solid #f0a020;
        padding:8px 12px}.note{color:#555;font-size:0.9em}
      .cards{display:flex;flex-wrap:wrap;gap:12px}
      .card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 16px;min-width:140px}
      .card .v{font-size:1.6em;font-weight:600}.card .k{color:#555;font-size:0.85em}
      .figs{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
      figure{margin:0;background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px}
      figure img{display:block;max-width:100%}figcaption{color:#555;font-size:0.85em;max-width:600px}
      table{border-collapse:collapse;background:#fff}th,td{border:1px solid #ddd;padding:4px 10px;
        text-align:right}th{background:#f0f0f0}
      pre{background:#fff;border:1px solid #ddd;padding:12px;overflow-x:auto;font-size:0.85em}
      """;

  private final JsonNode summary;
  private final List<TrainingHistory.Epoch> epochs;
  private final Evaluation test;
  private final RoundTimes rounds;
  private final String config;
  private final StringBuilder html = new StringBuilder();

  /**
   * @param summary the run's {@code summary.json} fields, for the headline figures
   * @param config the resolved configuration as rendered into {@code config.conf}
   */
  RunReport(
      JsonNode summary,
      List<TrainingHistory.Epoch> epochs,
      Evaluation test,
      RoundTimes rounds,
      String config) {
    this.summary = summary;
    this.epochs = epochs;
    this.test = test;
    this.rounds = rounds;
    this.config = config;
  }

  String html() {
    html.setLength(0);
    html.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>Kindling run report: ")
        .append(escape(summary.path("job").asText()))
        .append("</title><style>")
        .append(STYLE)
        .append("</style></head><body>\n");
    header();
    headline();
    learningCurves();
    speed();
    testSet();
    html.append("<h2>Configuration</h2>\n<pre>").append(escape(config)).append("</pre>\n");
    html.append("</body></html>\n");
    return html.toString();
  }

  private void header() {
    html.append("<h1>")
        .append(escape(summary.path("job").asText()))
        .append("</h1>\n<p class=\"sub\">")
        .append(escape(summary.path("model").asText()))
        .append(
            String.format(Locale.ROOT, " · %,d parameters", summary.path("parameters").asLong()))
        .append(" · run folder ")
        .append(escape(summary.path("run_dir").asText()))
        .append("</p>\n");
    JsonNode stopped = summary.path("stopped_early");
    if (stopped.isTextual()) {
      html.append("<p class=\"notice\">Stopped before the last epoch: ")
          .append(escape(stopped.asText()))
          .append("</p>\n");
    }
  }

  private void headline() {
    html.append("<div class=\"cards\">\n");
    if (test instanceof RegressionMetrics r) {
      card("test R²", fixed(r.r2()));
      card("test MSE", String.format(Locale.ROOT, "%.4g", r.mse()));
    } else {
      card("test accuracy", fixed(summary.path("test_accuracy").asDouble()));
      card("test macro F1", fixed(summary.path("test_macro_f1").asDouble()));
    }
    if (summary.has("validation_accuracy")) {
      card("validation accuracy", fixed(summary.path("validation_accuracy").asDouble()));
    }
    card("epochs", Integer.toString(summary.path("epochs").asInt()));
    card("training time", ConsoleProgress.duration(summary.path("train_seconds").asDouble()));
    card(
        "workers",
        String.format(
            Locale.ROOT,
            "%d × %d thread(s)",
            summary.path("workers").asInt(),
            summary.path("threads_per_worker").asInt()));
    card("sync mode", summary.path("sync_mode").asText());
    card(
        "examples / s",
        String.format(Locale.ROOT, "%,.0f", summary.path("examples_per_second").asDouble()));
    html.append("</div>\n");
  }

  private void learningCurves() {
    html.append("<h2>Learning curves</h2>\n<div class=\"figs\">\n");
    long sample = epochs.stream().mapToLong(TrainingHistory.Epoch::trainExamples).max().orElse(0);
    boolean regression = test instanceof RegressionMetrics;
    String validationLoss = regression ? "mean squared error" : "log loss";
    String score = regression ? "R²" : "accuracy";
    figure(
        "Loss per epoch",
        () -> ReportCharts.loss(epochs, validationLoss),
        "Train: the mean minibatch loss over the epoch, as trained (dropout on). Validation: "
            + validationLoss
            + " of the model at the end of the epoch.");
    figure(
        score + " per epoch",
        () -> ReportCharts.accuracy(epochs, score),
        String.format(
            Locale.ROOT,
            "Measured at the end of each epoch. Train: a fixed, seeded sample of %,d training"
                + " examples (the same every epoch). Validation: the whole validation split.",
            sample));
    html.append("</div>\n");
  }

  private void speed() {
    html.append("<h2>Speed</h2>\n<div class=\"figs\">\n");
    figure(
        "Training throughput per epoch",
        () -> ReportCharts.throughput(epochs),
        "Examples trained per second of round time, all workers together.");
    double[] compute = rounds.computeSeconds();
    long runRounds = summary.path("rounds").asLong();
    String scope =
        compute.length < runRounds
            ? String.format(
                Locale.ROOT,
                " This run resumed from a checkpoint: the %,d rounds before it are not shown.",
                runRounds - compute.length)
            : "";
    if (compute.length == 0) {
      html.append("<p class=\"note\">No rounds ran in this process.").append(scope).append("</p>");
    } else {
      figure(
          "Computation vs synchronisation per round",
          () -> ReportCharts.roundTimes(compute, rounds.syncSeconds()),
          String.format(
                  Locale.ROOT,
                  "Per round (%,d rounds). Computation: the slowest worker's local steps."
                      + " Synchronisation: the rest of the round's wall time (shipping state,"
                      + " scheduling, combining).",
                  compute.length)
              + scope);
    }
    html.append("</div>\n");
  }

  private void testSet() {
    html.append("<h2>Test set</h2>\n<div class=\"figs\">\n");
    if (!(test instanceof ConfusionMatrix cm)) {
      RegressionMetrics r = (RegressionMetrics) test;
      html.append(
              String.format(
                  Locale.ROOT,
                  "<table>\n<tr><th>examples</th><td>%,d</td></tr>\n"
                      + "<tr><th>mean squared error</th><td>%.6g</td></tr>\n"
                      + "<tr><th>mean absolute error</th><td>%.6g</td></tr>\n"
                      + "<tr><th>R²</th><td>%s</td></tr>\n",
                  r.total(),
                  r.mse(),
                  r.mae(),
                  fixed(r.r2())))
          .append("</table>\n</div>\n");
      return;
    }
    figure(
        "Test confusion matrix",
        () -> ReportCharts.confusion(cm),
        String.format(
            Locale.ROOT,
            "%,d test examples. Rows: actual class; columns: predicted class; cells: counts.",
            cm.total()));
    html.append("<table>\n<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th>")
        .append("<th>support</th></tr>\n");
    for (int c = 0; c < cm.classes(); c++) {
      row(Integer.toString(c), cm.precision(c), cm.recall(c), cm.f1(c), cm.support(c));
    }
    html.append(
            String.format(
                Locale.ROOT,
                "<tr><th>macro F1</th><td colspan=\"4\">%s</td></tr>\n"
                    + "<tr><th>weighted F1</th><td colspan=\"4\">%s</td></tr>\n"
                    + "<tr><th>accuracy</th><td colspan=\"4\">%s</td></tr>\n"
                    + "<tr><th>top-%d accuracy</th><td colspan=\"4\">%s</td></tr>\n"
                    + "<tr><th>log loss</th><td colspan=\"4\">%s</td></tr>\n",
                fixed(cm.macroF1()),
                fixed(cm.weightedF1()),
                fixed(cm.accuracy()),
                cm.topK(),
                fixed(cm.topKAccuracy()),
                fixed(cm.logLoss())))
        .append("</table>\n</div>\n");
  }

  private void row(String label, double precision, double recall, double f1, long support) {
    html.append(
        String.format(
            Locale.ROOT,
            "<tr><th>%s</th><td>%s</td><td>%s</td><td>%s</td><td>%,d</td></tr>\n",
            label,
            fixed(precision),
            fixed(recall),
            fixed(f1),
            support));
  }

  private void card(String label, String value) {
    html.append("<div class=\"card\"><div class=\"v\">")
        .append(escape(value))
        .append("</div><div class=\"k\">")
        .append(escape(label))
        .append("</div></div>\n");
  }

  /**
   * A chart as an inline image with its caption. A chart that cannot be drawn (say, a JVM without
   * fonts) leaves a note in its place rather than failing a finished run.
   */
  private void figure(String title, Supplier<Chart<?, ?>> chart, String caption) {
    html.append("<figure>");
    try {
      String png = ReportCharts.pngDataUri(chart.get());
      html.append("<img alt=\"")
          .append(escape(title))
          .append("\" src=\"")
          .append(png)
          .append("\">");
    } catch (IOException | RuntimeException | LinkageError | AWTError e) {
      html.append("<p class=\"note\">")
          .append(escape(title))
          .append(": chart not drawn (")
          .append(escape(String.valueOf(e)))
          .append(")</p>");
    }
    html.append("<figcaption>").append(escape(caption)).append("</figcaption></figure>\n");
  }

  private static String fixed(double value) {
    return String.format(Locale.ROOT, "%.4f", value);
  }

  private static String escape(String text) {
    StringBuilder sb = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> sb.append("&amp;");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '"' -> sb.append("&quot;");
        case '\'' -> sb.append("&#39;");
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }
}
