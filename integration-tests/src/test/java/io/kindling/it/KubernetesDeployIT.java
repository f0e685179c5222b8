package io.kindling.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kindling.driver.ConfigException;
import io.kindling.driver.Preflight;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import org.apache.spark.network.util.JavaUtils;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The Kubernetes deployment, checked without Docker or a cluster: deploy/spark-application.yaml is
 * a spark-operator SparkApplication that runs the job jar deploy/Dockerfile puts in the image, with
 * Kindling's main class and command line, and executors sized by Kindling's own memory preflight
 * and conf/spark-defaults.conf.
 */
class KubernetesDeployIT {
  static final Path HOME =
      Path.of(System.getProperty("kindling.home")).toAbsolutePath().normalize();
  static final String SPARK_VERSION = System.getProperty("kindling.sparkVersion");

  /** Fashion-MNIST's training set, which the manifest trains on: 60,000 images of 28 x 28. */
  static final long FASHION_MNIST_TRAINING_VALUES = 60_000L * 784;

  static Map<String, Object> spec;
  static List<String> arguments;
  static List<String> dockerfile;

  @BeforeAll
  static void read() throws IOException {
    Map<String, Object> app =
        new Yaml().load(Files.readString(HOME.resolve("deploy/spark-application.yaml")));
    assertThat(app)
        .containsEntry("apiVersion", "sparkoperator.k8s.io/v1beta2")
        .containsEntry("kind", "SparkApplication");
    spec = map(app, "spec");
    arguments = strings(spec.get("arguments"));
    dockerfile = instructions(HOME.resolve("deploy/Dockerfile"));
  }

  @Test
  void imageIsSparkOfTheProjectsVersionWithItsEntrypointUnchanged() {
    assertThat(spec)
        .containsEntry("type", "Java")
        .containsEntry("mode", "cluster")
        .containsEntry("sparkVersion", SPARK_VERSION);
    assertThat(only("FROM")).startsWith("apache/spark:" + SPARK_VERSION + "-scala2.13-java17");
    // spark-operator starts driver and executors through Spark's entrypoint, as a non-root user.
    assertThat(only("ENTRYPOINT")).isEqualTo("[\"/opt/entrypoint.sh\"]");
    assertThat(last("USER")).isIn("185", "spark");
  }

  @Test
  void applicationRunsTheJobJarTheImageCarries() throws IOException {
    String[] copy = only("COPY").replaceAll("--\\S+\\s+", "").split("\\s+");
    assertThat(copy).as("COPY source and destination").hasSize(2);
    // The build context is the repository root; the driver module builds the job jar there.
    assertThat(copy[0]).isEqualTo("driver/target/kindling-job.jar");
    Path jar = HOME.resolve(copy[0]);
    assertThat(spec).containsEntry("mainApplicationFile", "local://" + copy[1]);
    try (JarFile job = new JarFile(jar.toFile())) {
      String mainClass = (String) spec.get("mainClass");
      assertThat(mainClass).isEqualTo("io.kindling.driver.Kindling");
      assertThat(job.getEntry(mainClass.replace('.', '/') + ".class")).isNotNull();
    }
  }

  @Test
  void argumentsTrainFromHdfsAndResumeWhenTheOperatorRestartsTheDriver() {
    assertThat(arguments.get(0)).isEqualTo("train");
    assertThat(option("--data")).startsWith("hdfs://");
    assertThat(option("--run-dir")).startsWith("hdfs://");
    assertThat(map(spec, "restartPolicy")).containsEntry("type", "OnFailure");
    assertThat(arguments).as("a restarted driver must continue its run").contains("--resume");
  }

  @Test
  void workersMatchTheExecutorsTaskSlots() {
    Map<String, Object> executor = map(spec, "executor");
    int taskCpus = Integer.parseInt(sparkConf().get("spark.task.cpus"));
    int slots = (Integer) executor.get("instances") * (Integer) executor.get("cores") / taskCpus;
    assertThat(sets()).contains("spark.workers=" + slots, "spark.threads-per-worker=" + taskCpus);
  }

  @Test
  void executorsPassKindlingsMemoryPreflight() {
    Preflight.check(sparkConf(), job(), sets(), FASHION_MNIST_TRAINING_VALUES);
    // The same check fails with less overhead than ND4J's runtime alone: it is not vacuous.
    Map<String, String> tooSmall = new HashMap<>(sparkConf());
    tooSmall.put("spark.executor.memoryOverhead", "256m");
    assertThatThrownBy(
            () -> Preflight.check(tooSmall, job(), sets(), FASHION_MNIST_TRAINING_VALUES))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("spark.executor.memoryOverhead");
  }

  @Test
  void carriesWhatSparkDefaultsConfAsksOfACluster() throws IOException {
    Map<String, String> conf = sparkConf();
    for (String line : Files.readAllLines(HOME.resolve("conf/spark-defaults.conf"))) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] kv = line.trim().split("\\s+", 2);
      String actual = conf.get(kv[0]);
      assertThat(actual).as("%s (conf/spark-defaults.conf: %s)", kv[0], kv[1]).isNotNull();
      if (kv[0].endsWith("memory") || kv[0].endsWith("memoryOverhead")) {
        assertThat(JavaUtils.byteStringAsBytes(actual))
            .as("%s = %s, below conf/spark-defaults.conf's %s", kv[0], actual, kv[1])
            .isGreaterThanOrEqualTo(JavaUtils.byteStringAsBytes(kv[1]));
      } else {
        assertThat(actual).as(kv[0]).isEqualTo(kv[1]);
      }
    }
  }

  /** The Spark configuration spark-operator submits: sparkConf plus the executor spec. */
  static Map<String, String> sparkConf() {
    Map<String, String> conf = new HashMap<>();
    map(spec, "sparkConf").forEach((k, v) -> conf.put(k, String.valueOf(v)));
    Map<String, Object> executor = map(spec, "executor");
    conf.put("spark.master", "k8s://https://kubernetes.default.svc");
    conf.put("spark.executor.instances", String.valueOf(executor.get("instances")));
    conf.put("spark.executor.cores", String.valueOf(executor.get("cores")));
    conf.put("spark.executor.memory", String.valueOf(executor.get("memory")));
    conf.put("spark.executor.memoryOverhead", String.valueOf(executor.get("memoryOverhead")));
    return conf;
  }

  static String job() {
    return arguments.contains("--job") ? option("--job") : "fashion-mnist-mlp";
  }

  /** The values of every --set in the arguments. */
  static List<String> sets() {
    List<String> sets = new ArrayList<>();
    for (int i = 0; i < arguments.size() - 1; i++) {
      if (arguments.get(i).equals("--set")) {
        sets.add(arguments.get(i + 1));
      }
    }
    return sets;
  }

  static String option(String name) {
    int i = arguments.indexOf(name);
    assertThat(i).as("%s in the manifest's arguments %s", name, arguments).isNotNegative();
    return arguments.get(i + 1);
  }

  /** The argument of the one Dockerfile instruction {@code name}. */
  static String only(String name) {
    List<String> found = all(name);
    assertThat(found).as("%s instructions in deploy/Dockerfile", name).hasSize(1);
    return found.get(0);
  }

  static String last(String name) {
    List<String> found = all(name);
    assertThat(found).as("%s instructions in deploy/Dockerfile", name).isNotEmpty();
    return found.get(found.size() - 1);
  }

  static List<String> all(String name) {
    return dockerfile.stream()
        .filter(i -> i.startsWith(name + " "))
        .map(i -> i.substring(name.length() + 1).trim())
        .toList();
  }

  /** Instructions, one a string, without comments and with continued lines joined. */
  static List<String> instructions(Path dockerfile) throws IOException {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : Files.readAllLines(dockerfile)) {
      if (line.isBlank() || line.trim().startsWith("#")) {
        continue;
      }
      current.append(line.trim());
      if (line.endsWith("\\")) {
        current.setLength(current.length() - 1);
      } else {
        out.add(current.toString());
        current.setLength(0);
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Map<String, Object> parent, String key) {
    assertThat(parent).as("the manifest").containsKey(key);
    return (Map<String, Object>) parent.get(key);
  }

  @SuppressWarnings("unchecked")
  static List<String> strings(Object list) {
    return (List<String>) list;
  }
}
