package io.kindling.driver;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Owns one run's folder and every path in it: the resolved configuration, {@code metrics.jsonl},
 * {@code summary.json} and the saved model. Any Hadoop path works (local, hdfs://, s3a://).
 */
final class RunStore {
  static final String CONFIG = "config.conf";
  static final String METRICS = "metrics.jsonl";
  static final String SUMMARY = "summary.json";
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
