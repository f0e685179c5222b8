package io.kindling.it;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * A {@link MiniCluster} JVM started by a test: real HDFS, and YARN with {@code nodeManagers > 0}.
 * Its client configuration lands in {@link #confDir()}; {@link #stop()} stops it and whatever it
 * started (YARN containers included).
 */
final class MiniClusterProcess {
  /** The Fashion-MNIST files the default job reads (Debian package dataset-fashion-mnist). */
  static final Path FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

  static final List<String> FASHION_MNIST_FILES =
      List.of(
          "train-images-idx3-ubyte.gz",
          "train-labels-idx1-ubyte.gz",
          "t10k-images-idx3-ubyte.gz",
          "t10k-labels-idx1-ubyte.gz");

  private final Process process;
  private final Path dir;
  private final String hdfs;
  private final FileSystem fs;

  private MiniClusterProcess(Process process, Path dir, String hdfs) throws IOException {
    this.process = process;
    this.dir = dir;
    this.hdfs = hdfs;
    this.fs = FileSystem.newInstance(java.net.URI.create(hdfs), clientConfiguration(confDir()));
  }

  /** Starts the mini cluster with its state, logs and client configuration under {@code dir}. */
  static MiniClusterProcess start(Path dir, int nodeManagers) throws Exception {
    Files.createDirectories(dir);
    Path log = dir.resolve("minicluster.log");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx1g");
    cmd.addAll(Submit.javaOpens());
    cmd.add("-Dlog4j2.configurationFile=" + System.getProperty("kindling.log4j"));
    // The NodeManagers' local and log folders.
    cmd.add("-Dtest.build.data=" + dir.resolve("data"));
    cmd.add("-cp");
    cmd.add(testClasses() + File.pathSeparator + miniClusterClasspath());
    cmd.add(MiniCluster.class.getName());
    cmd.add(dir.resolve("conf").toString());
    cmd.add(Integer.toString(nodeManagers));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    // YARN containers start {{JAVA_HOME}}/bin/java.
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    Process p = pb.start();
    for (int i = 0; i < 1800; i++) {
      String text = Files.readString(log);
      int ready = text.indexOf(MiniCluster.READY);
      if (ready >= 0) {
        String hdfs = text.substring(ready + MiniCluster.READY.length()).lines().findFirst().get();
        return new MiniClusterProcess(p, dir, hdfs.trim());
      }
      if (!p.isAlive()) {
        throw new AssertionError(
            "the mini cluster failed to start; its log (" + log + "):\n" + text);
      }
      Thread.sleep(100);
    }
    p.destroyForcibly();
    throw new AssertionError(
        "the mini cluster was not ready within 3 minutes; its log:\n" + Files.readString(log));
  }

  /** The client {@code *-site.xml} files: HADOOP_CONF_DIR for spark-submit. */
  Path confDir() {
    return dir.resolve("conf");
  }

  /** {@code hdfs://127.0.0.1:PORT}, the file system's root. */
  String hdfs() {
    return hdfs;
  }

  /** Where YARN keeps its state: container logs are under its NodeManagers' log folders. */
  Path yarnDir() {
    return dir.resolve("data/kindling");
  }

  /** Copies the Fashion-MNIST files into {@code /datasets/fashion-mnist} and returns its URL. */
  String putFashionMnist() throws IOException {
    for (String name : FASHION_MNIST_FILES) {
      if (!Files.isRegularFile(FASHION_MNIST.resolve(name))) {
        throw new AssertionError(
            FASHION_MNIST.resolve(name)
                + " is missing: install it with apt-get install dataset-fashion-mnist");
      }
    }
    String target = hdfs + "/datasets/fashion-mnist";
    for (String name : FASHION_MNIST_FILES) {
      fs.copyFromLocalFile(
          new org.apache.hadoop.fs.Path(FASHION_MNIST.resolve(name).toUri()),
          new org.apache.hadoop.fs.Path(target + "/" + name));
    }
    return target;
  }

  boolean exists(String url) throws IOException {
    return fs.exists(new org.apache.hadoop.fs.Path(url));
  }

  /** Names in an HDFS folder, sorted. */
  List<String> list(String url) throws IOException {
    List<String> names = new ArrayList<>();
    for (FileStatus s : fs.listStatus(new org.apache.hadoop.fs.Path(url))) {
      names.add(s.getPath().getName());
    }
    names.sort(String::compareTo);
    return names;
  }

  String read(String url) throws IOException {
    try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(url))) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  JsonNode summary(String runDir) throws IOException {
    return new ObjectMapper().readTree(read(runDir + "/summary.json"));
  }

  /** Stops the cluster, then kills any process it left behind (YARN containers). */
  void stop() throws IOException, InterruptedException {
    List<ProcessHandle> started = process.descendants().toList();
    fs.close();
    // The end of its standard input is the stop signal.
    process.getOutputStream().close();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    started.forEach(ProcessHandle::destroyForcibly);
  }

  private static Configuration clientConfiguration(Path confDir) {
    Configuration conf = new Configuration();
    conf.addResource(new org.apache.hadoop.fs.Path(confDir.resolve("core-site.xml").toUri()));
    conf.addResource(new org.apache.hadoop.fs.Path(confDir.resolve("hdfs-site.xml").toUri()));
    return conf;
  }

  private static String testClasses() throws URISyntaxException {
    return Path.of(MiniCluster.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .toString();
  }

  private static String miniClusterClasspath() throws IOException {
    Path file = Path.of(System.getProperty("kindling.miniClusterClasspath"));
    if (!Files.isRegularFile(file)) {
      throw new AssertionError(
          file + " is missing: build it with mvn -pl integration-tests process-test-classes");
    }
    return Files.readString(file).trim();
  }
}
