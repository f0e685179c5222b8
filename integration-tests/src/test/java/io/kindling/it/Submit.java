package io.kindling.it;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * The job jar submitted through Spark's own {@code SparkSubmit} entry point in a JVM of its own, as
 * {@code spark-submit} would run it, with its output captured in a log file.
 */
final class Submit {
  static final String JOB_JAR = System.getProperty("kindling.jobJar");

  private final List<String> sparkArgs = new ArrayList<>();
  private final List<String> jobArgs = new ArrayList<>();
  private final Map<String, String> env = new HashMap<>();
  private String classpath;

  /** Spark from the jars folder of a Spark installation. */
  static Submit withSparkHome(Path sparkHome) {
    Submit s = new Submit();
    s.classpath = sparkHome.resolve("jars") + "/*";
    return s;
  }

  /** Spark from the provided class path the driver module records. */
  static Submit withMavenClasspath() throws IOException {
    Submit s = new Submit();
    s.classpath = Files.readString(Path.of(System.getProperty("kindling.sparkClasspath"))).trim();
    return s;
  }

  /**
   * A Hadoop client configuration folder ({@code *-site.xml}), used as {@code bin/spark-submit}
   * would: first on the class path, and as HADOOP_CONF_DIR and YARN_CONF_DIR, which Spark's YARN
   * client ships to the ApplicationMaster.
   */
  Submit hadoopConf(Path dir) {
    classpath = dir + File.pathSeparator + classpath;
    env.put("HADOOP_CONF_DIR", dir.toString());
    env.put("YARN_CONF_DIR", dir.toString());
    return this;
  }

  Submit spark(String... args) {
    sparkArgs.addAll(List.of(args));
    return this;
  }

  Submit job(String... args) {
    jobArgs.addAll(List.of(args));
    return this;
  }

  static List<String> javaOpens() {
    return Arrays.asList(System.getProperty("kindling.javaOpens").trim().split("\\s+"));
  }

  /** Starts spark-submit; its stdout and stderr go to {@code log}. */
  Process start(Path log) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx3g");
    cmd.addAll(javaOpens());
    cmd.add("-Dlog4j2.configurationFile=" + System.getProperty("kindling.log4j"));
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add("org.apache.spark.deploy.SparkSubmit");
    cmd.addAll(sparkArgs);
    cmd.addAll(List.of("--class", "io.kindling.driver.Kindling", JOB_JAR));
    cmd.addAll(jobArgs);
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
    pb.environment().put("SPARK_SCALA_VERSION", "2.13");
    pb.environment().putAll(env);
    return pb.start();
  }

  /** Runs to completion and returns the exit status. */
  int run(Path log, int timeoutMinutes) throws Exception {
    Process p = start(log);
    if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(
          "spark-submit did not finish in "
              + timeoutMinutes
              + " minutes; log: "
              + Files.readString(log));
    }
    return p.exitValue();
  }

  /** Waits until the log satisfies {@code condition}, or fails after {@code seconds}. */
  static void awaitLog(Path log, Process p, Predicate<String> condition, int seconds)
      throws Exception {
    for (int i = 0; i < seconds * 10; i++) {
      String text = Files.exists(log) ? Files.readString(log) : "";
      if (condition.test(text)) {
        return;
      }
      if (!p.isAlive()) {
        throw new AssertionError("spark-submit ended early: " + text);
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out waiting for the log; log: " + Files.readString(log));
  }

  static JsonNode summary(Path runDir) throws IOException {
    return new ObjectMapper().readTree(runDir.resolve("summary.json").toFile());
  }
}
