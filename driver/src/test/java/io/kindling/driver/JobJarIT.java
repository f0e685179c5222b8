package io.kindling.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;

/** The job jar is thin on Spark and Hadoop (they are provided) but carries ND4J and its natives. */
class JobJarIT {
  private static final String NATIVES =
      "org/nd4j/linalg/cpu/nativecpu/bindings/" + System.getProperty("kindling.nd4jClassifier");

  private static List<String> entries() throws IOException {
    try (JarFile jar = new JarFile(System.getProperty("kindling.jobJar"))) {
      return jar.stream().map(ZipEntry::getName).toList();
    }
  }

  @Test
  void holdsNoSparkHadoopOrScalaClasses() throws IOException {
    assertThat(entries())
        .isNotEmpty()
        .noneMatch(e -> e.startsWith("org/apache/spark/"))
        .noneMatch(e -> e.startsWith("org/apache/hadoop/"))
        .noneMatch(e -> e.startsWith("scala/"));
  }

  @Test
  void holdsTheNativeLibrariesAndTheKindlingClasses() throws IOException {
    assertThat(entries())
        .contains(
            NATIVES + "/libnd4jcpu.so",
            NATIVES + "/libjnind4jcpu.so",
            "org/bytedeco/openblas/linux-x86_64/libopenblas.so.0",
            "io/kindling/driver/Kindling.class",
            "io/kindling/kernels/Network.class",
            "org/knowm/xchart/BitmapEncoder.class",
            "kindling/kindling-defaults.conf",
            "kindling/jobs/fashion-mnist-mlp.conf");
  }

  @Test
  void namesItsMainClass() throws IOException {
    try (JarFile jar = new JarFile(System.getProperty("kindling.jobJar"))) {
      assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class"))
          .isEqualTo("io.kindling.driver.Kindling");
    }
  }
}
