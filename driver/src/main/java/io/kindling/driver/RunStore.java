package io.kindling.driver;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Owns one run's folder and every path in it: the resolved configuration, {@code metrics.jsonl},
 * {@code summary.json}, {@code report.html} and the saved model. Any Hadoop path works (local,
 * hdfs://, s3a://).
 */
final class RunStore {
  static final String CONFIG = "config.conf";
  static final String METRICS = "metrics.jsonl";
  static final String SUMMARY = "summary.json";
  static final String REPORT = "report.html";
  static final String MODEL = "model";

  private final Configuration hadoop;
  private final Path root;
  private final FileSystem fs;
  private FSDataOutputStream metrics;

  RunStore(String root, Configuration hadoop) throws IOException {
    this.hadoop = hadoop;
    this.root = new Path(root);
    this.fs = this.root.getFileSystem(hadoop);
    fs.mkdirs(this.root);
  }

  /** {@code runs/<job>-<yyyyMMdd-HHmmss>} under the working folder. */
  static String defaultRoot(String job) {
    return "runs/"
        + job
        + "-"
        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
  }

  String root() {
    return fs.makeQualified(root).toString();
  }

  String modelDir() {
    return new Path(root, MODEL).toString();
  }

  Configuration hadoop() {
    return hadoop;
  }

  void writeConfig(String hocon) throws IOException {
    write(CONFIG, hocon);
  }

  void writeSummary(String json) throws IOException {
    write(SUMMARY, json + "\n");
  }

  void writeReport(String html) throws IOException {
    write(REPORT, html);
  }

  String readSummary() throws IOException {
    try (var in = fs.open(new Path(root, SUMMARY))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** The lines of {@code metrics.jsonl}, one per epoch. */
  List<String> readMetrics() throws IOException {
    List<String> lines = new ArrayList<>();
    Path file = new Path(root, METRICS);
    if (!fs.exists(file)) {
      return lines; // no epoch completed (e.g. training diverged in the first)
    }
    try (var in =
        new BufferedReader(new InputStreamReader(fs.open(file), StandardCharsets.UTF_8))) {
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        lines.add(line);
      }
    }
    return lines;
  }

  /** Whether the run completed: its summary is written last. */
  boolean finished() throws IOException {
    return fs.exists(new Path(root, SUMMARY));
  }

  /**
   * Keeps the metrics of the first {@code epochs} epochs and continues the file after them: what a
   * resumed run needs, since the interrupted one may have logged epochs past its checkpoint.
   * Returns the kept lines.
   */
  List<String> keepMetrics(int epochs) throws IOException {
    Path file = new Path(root, METRICS);
    List<String> all = readMetrics();
    List<String> kept = all.subList(0, Math.min(epochs, all.size()));
    metrics = fs.create(file, true);
    for (String line : kept) {
      metrics.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    }
    metrics.hflush();
    return kept;
  }

  /** Appends one JSON line and flushes it, so a crashed run still leaves its history. */
  void appendMetrics(String jsonLine) throws IOException {
    if (metrics == null) {
      metrics = fs.create(new Path(root, METRICS), true);
    }
    metrics.write((jsonLine + "\n").getBytes(StandardCharsets.UTF_8));
    metrics.hflush();
  }

  void close() throws IOException {
    if (metrics != null) {
      metrics.close();
      metrics = null;
    }
  }

  private void write(String name, String text) throws IOException {
    Path temp = new Path(root, "." + name + ".tmp");
    try (OutputStream out = fs.create(temp, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
    Path target = new Path(root, name);
    if (fs.exists(target)) {
      fs.delete(target, false);
    }
    if (!fs.rename(temp, target)) {
      throw new IOException("cannot write " + target);
    }
  }
}
