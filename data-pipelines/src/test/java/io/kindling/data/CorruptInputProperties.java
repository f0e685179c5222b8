package io.kindling.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;
import org.apache.hadoop.conf.Configuration;

/**
 * Corrupts valid IDX, CSV and LibSVM files at random (bytes or tokens flipped, deleted, inserted,
 * duplicated, the file cut short) and checks that a reader either returns finite values and labels
 * in range, or throws a one-line {@link DataException}: never another exception, never a NaN.
 */
class CorruptInputProperties {
  private static final Configuration HADOOP = new Configuration();
  private static final int CLASSES = 10;
  private static Path dir;

  @BeforeContainer
  static void makeDir() throws IOException {
    dir = Files.createTempDirectory("kindling-corrupt");
  }

  @AfterContainer
  static void removeDir() throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  enum Kind {
    FLIP,
    DELETE,
    INSERT,
    DUPLICATE,
    TRUNCATE
  }

  /** One change at a relative position {@code at} in [0, 1) of the file. */
  record Corruption(Kind kind, double at, int length, byte[] bytes) {
    byte[] apply(byte[] in) {
      int p = (int) (at * in.length);
      int end = Math.min(in.length, p + length);
      byte[] head = Arrays.copyOf(in, p);
      byte[] tail = Arrays.copyOfRange(in, end, in.length);
      return switch (kind) {
        case FLIP -> overwrite(in, p);
        case DELETE -> concat(head, tail);
        case INSERT -> concat(head, bytes, Arrays.copyOfRange(in, p, in.length));
        case DUPLICATE -> concat(Arrays.copyOf(in, end), Arrays.copyOfRange(in, p, in.length));
        case TRUNCATE -> head;
      };
    }

    /** The same length, so fixed-size formats (IDX) keep their structure and meet bad values. */
    private byte[] overwrite(byte[] in, int p) {
      byte[] out = in.clone();
      System.arraycopy(bytes, 0, out, p, Math.min(bytes.length, in.length - p));
      return out;
    }

    @Override
    public String toString() {
      return kind
          + "@"
          + at
          + "x"
          + length
          + " '"
          + new String(bytes, StandardCharsets.ISO_8859_1)
          + "'";
    }
  }

  private static byte[] concat(byte[]... parts) {
    byte[] out = new byte[Arrays.stream(parts).mapToInt(p -> p.length).sum()];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  @Provide
  Arbitrary<List<Corruption>> corruptions() {
    Arbitrary<byte[]> tokens =
        Arbitraries.of(
                "NaN", "nan", "inf", "-", "+", ",", ";", ":", " ", "\n", "\r", "\t", "\"", "#",
                "1e39", "1e-50", "0", "9", "99", "-1", "0.5", "1:", ":1", "e", ".", "\0", "\u00ff")
            .map(t -> t.getBytes(StandardCharsets.ISO_8859_1));
    Arbitrary<byte[]> bytes =
        Arbitraries.oneOf(
            tokens, Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(4));
    return Combinators.combine(
            Arbitraries.frequency(
                Tuple.of(4, Kind.FLIP),
                Tuple.of(1, Kind.DELETE),
                Tuple.of(1, Kind.INSERT),
                Tuple.of(1, Kind.DUPLICATE),
                Tuple.of(1, Kind.TRUNCATE)),
            Arbitraries.doubles()
                .between(0, 1)
                .withDistribution(RandomDistribution.uniform())
                .filter(d -> d < 1),
            Arbitraries.integers().between(1, 8),
            bytes)
        .as(Corruption::new)
        .list()
        .ofMinSize(1)
        .ofMaxSize(3);
  }

  private static byte[] corrupt(byte[] valid, List<Corruption> changes) {
    byte[] out = valid;
    for (Corruption c : changes) {
      out = c.apply(out);
    }
    return out;
  }

  private static String write(String name, byte[] bytes) {
    try {
      return Files.write(dir.resolve(name), bytes).toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void readsCleanlyOrFails(Supplier<LabeledData> read) {
    // Both outcomes must be common, or the corruptions are too mild (or too harsh) to test much.
    Statistics.label("outcome")
        .coverage(
            c -> {
              c.check("read").count(n -> n >= 10);
              c.check("DataException").count(n -> n >= 10);
            });
    LabeledData data;
    try {
      data = read.get();
    } catch (DataException e) {
      Statistics.label("outcome").collect("DataException");
      assertThat(e.getMessage()).isNotBlank().doesNotContain("\n", "\r");
      return;
    }
    Statistics.label("outcome").collect("read");
    float[] x = data.examples().features();
    assertThat(x).hasSize(data.size() * data.width());
    for (float v : x) {
      assertThat(Float.isFinite(v)).as("finite feature value").isTrue();
    }
    for (int y : data.examples().labels()) {
      assertThat(y).isBetween(0, CLASSES - 1);
    }
  }

  @Property(tries = 250, edgeCases = EdgeCasesMode.NONE)
  void idx(
      @ForAll("corruptions") List<Corruption> changes,
      @ForAll boolean corruptLabels,
      @ForAll boolean gzip,
      @ForAll BadRecordPolicy policy)
      throws IOException {
    byte[] images = IdxFiles.images(12, 3, 3);
    byte[] labels = IdxFiles.labels(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1);
    if (gzip) {
      images = gzipped(images);
      labels = gzipped(labels);
    }
    String x = write("images", corruptLabels ? images : corrupt(images, changes));
    String y = write("labels", corruptLabels ? corrupt(labels, changes) : labels);
    readsCleanlyOrFails(() -> IdxReader.read(x, y, CLASSES, policy, HADOOP));
  }

  @Property(tries = 250, edgeCases = EdgeCasesMode.NONE)
  void csv(
      @ForAll("corruptions") List<Corruption> changes,
      @ForAll boolean header,
      @ForAll BadRecordPolicy policy) {
    StringBuilder text = new StringBuilder(header ? "label,a,b,c\n" : "");
    for (int i = 0; i < 12; i++) {
      text.append(i % CLASSES).append(',').append(i * 0.5).append(",-").append(i).append(",1e3\n");
    }
    String file =
        write("data.csv", corrupt(text.toString().getBytes(StandardCharsets.UTF_8), changes));
    readsCleanlyOrFails(
        () -> new CsvReader(CLASSES).withHeader(header).withPolicy(policy).read(file, HADOOP));
  }

  /** The feature count is declared, so a corrupted index cannot ask for an enormous example. */
  @Property(tries = 250, edgeCases = EdgeCasesMode.NONE)
  void libsvm(@ForAll("corruptions") List<Corruption> changes, @ForAll BadRecordPolicy policy) {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      text.append(i % CLASSES).append(" 1:").append(i * 0.25).append(" 3:-").append(i);
      text.append(i % 2 == 0 ? " 8:7e-1\n" : " # note\n");
    }
    String file =
        write("data.svm", corrupt(text.toString().getBytes(StandardCharsets.UTF_8), changes));
    readsCleanlyOrFails(
        () -> new LibSvmReader(CLASSES).withFeatures(8).withPolicy(policy).read(file, HADOOP));
  }

  private static byte[] gzipped(byte[] bytes) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (java.util.zip.GZIPOutputStream gz = new java.util.zip.GZIPOutputStream(out)) {
      gz.write(bytes);
    }
    return out.toByteArray();
  }
}
