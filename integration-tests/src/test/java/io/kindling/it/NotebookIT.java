package io.kindling.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.kindling.it.NoteContext.Table;
import io.kindling.it.ZeppelinNote.Paragraph;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * Runs the Zeppelin note {@code notebooks/fashion-mnist.zpln} as Zeppelin's Spark interpreter
 * would, so the note cannot rot: its {@code %spark} paragraphs in order, in one Scala REPL with
 * {@code spark}, {@code sc} and {@code z} bound, on local Spark with two task slots. The one change
 * to the note is its settings paragraph, shrunk by {@link #SHRUNK} so the run takes about a minute.
 */
class NotebookIT {
  private static final Path NOTE =
      Path.of(System.getProperty("kindling.home"), "notebooks", "fashion-mnist.zpln");

  private static final int TRAIN_IMAGES = 10_000;
  private static final int TEST_IMAGES = 2_000;
  private static final int EPOCHS = 3;

  /** Lines of the note's settings paragraph, and what this test runs instead. */
  private static final Map<String, String> SHRUNK =
      Map.of(
          "val trainLimit = 60000", "val trainLimit = " + TRAIN_IMAGES,
          "val testLimit = 10000", "val testLimit = " + TEST_IMAGES,
          "val epochs = 10", "val epochs = " + EPOCHS);

  private static final String MODEL_DIR =
      "val modelDir = \"/tmp/kindling-notebook/fashion-mnist-model\"";

  @TempDir Path dir;

  /**
   * What Zeppelin 0.11/0.12 needs to import and run the note: a name and id, and paragraphs with
   * unique ids, each READY, its editor set to the language of the interpreter its text names.
   */
  @Test
  void noteIsAZeppelinNote() throws Exception {
    JsonNode note = new ObjectMapper().readTree(NOTE.toFile());
    assertThat(note.path("name").asText()).isNotBlank();
    assertThat(note.path("id").asText()).isNotBlank();
    assertThat(note.path("config").isObject()).isTrue();
    assertThat(note.path("info").isObject()).isTrue();
    assertThat(note.path("angularObjects").isObject()).isTrue();
    Map<String, String> languages = Map.of("%spark", "scala", "%md", "markdown");
    assertThat(note.path("paragraphs").size()).isPositive();
    Set<String> ids = new HashSet<>();
    for (JsonNode p : note.path("paragraphs")) {
      String text = p.path("text").asText();
      String tag = text.lines().findFirst().orElse("");
      assertThat(languages).as("interpreter of paragraph %s", p.path("id")).containsKey(tag);
      assertThat(p.path("config").path("editorSetting").path("language").asText())
          .isEqualTo(languages.get(tag));
      assertThat(p.path("status").asText()).isEqualTo("READY");
      assertThat(ids.add(p.path("id").asText())).as("unique id %s", p.path("id")).isTrue();
      assertThat(p.path("settings").isObject()).isTrue();
    }
  }

  @Test
  void noteTrainsShowsEvaluatesSavesAndReloads() throws Exception {
    Path model = dir.resolve("model");
    Map<String, String> substitutions = new LinkedHashMap<>(SHRUNK);
    substitutions.put(MODEL_DIR, "val modelDir = \"" + model + "\"");
    List<Paragraph> note = ZeppelinNote.read(NOTE).paragraphs("spark");
    List<String> code = substitute(note, substitutions);

    Path replClasses = Files.createDirectories(dir.resolve("repl-classes"));
    SparkSession spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("NotebookIT")
            .config("spark.ui.enabled", false)
            .config("spark.sql.shuffle.partitions", 4)
            .config("spark.repl.class.outputDir", replClasses.toString())
            .getOrCreate();
    NoteContext z = new NoteContext();
    try (ScalaRepl repl = new ScalaRepl(testClassPath(), replClasses)) {
      assertThat(repl.bind("spark", SparkSession.class, spark).succeeded()).isTrue();
      assertThat(repl.bind("sc", SparkContext.class, spark.sparkContext()).succeeded()).isTrue();
      assertThat(repl.bind("z", NoteContext.class, z).succeeded()).isTrue();
      for (int i = 0; i < note.size(); i++) {
        ScalaRepl.Outcome outcome = repl.run(code.get(i));
        assertThat(outcome.succeeded())
            .as("paragraph \"%s\" failed:%n%s", note.get(i).title(), outcome.output())
            .isTrue();
      }

      List<Table> shown = z.shown();
      assertThat(shown).as("tables the note shows").hasSize(3);
      assertTrainingCurves(shown.get(0), shown.get(1));
      double accuracy = accuracy(shown.get(2));
      assertThat((Double) repl.valueOf("accuracy")).isEqualTo(accuracy);
      assertThat(accuracy).isGreaterThan(0.78);
      assertThat(model.resolve("model/model.json")).isRegularFile();
      assertThat((Boolean) repl.valueOf("samePredictions")).isTrue();
    } finally {
      spark.stop();
    }
  }

  /** One row per epoch, in order, and the training loss went down. */
  private static void assertTrainingCurves(Table loss, Table accuracy) {
    assertThat(loss.columns()).containsExactly("epoch", "train_loss", "validation_log_loss");
    assertThat(loss.column("epoch"))
        .containsExactlyElementsOf(
            IntStream.rangeClosed(1, EPOCHS).mapToObj(e -> (double) e).toList());
    List<Double> trainLoss = loss.column("train_loss");
    assertThat(trainLoss.get(EPOCHS - 1)).isLessThan(trainLoss.get(0));
    assertThat(accuracy.columns())
        .containsExactly("epoch", "train_accuracy", "validation_accuracy");
    assertThat(accuracy.rows()).hasSize(EPOCHS);
  }

  /**
   * The accuracy a shown confusion matrix holds, after checking its shape: a row per true class and
   * a column per predicted class, both named, in the same order, counting every test image.
   */
  private static double accuracy(Table confusion) {
    List<String> columns = confusion.columns();
    assertThat(columns).hasSize(11).startsWith("actual").contains("Ankle boot");
    assertThat(confusion.rows()).hasSize(10);
    long total = 0;
    long correct = 0;
    for (int actual = 0; actual < 10; actual++) {
      List<String> row = confusion.rows().get(actual);
      assertThat(row.get(0)).isEqualTo(columns.get(actual + 1));
      for (int predicted = 0; predicted < 10; predicted++) {
        long count = Long.parseLong(row.get(predicted + 1));
        total += count;
        correct += actual == predicted ? count : 0;
      }
    }
    assertThat(total).isEqualTo(TEST_IMAGES);
    return (double) correct / total;
  }

  /** Replaces each named line of the paragraphs' code; a line the note lacks fails the test. */
  private static List<String> substitute(List<Paragraph> paragraphs, Map<String, String> lines) {
    List<String> code = new ArrayList<>(paragraphs.stream().map(Paragraph::code).toList());
    lines.forEach(
        (line, replacement) -> {
          String pattern = "(?m)^" + Pattern.quote(line) + "$";
          int holding = (int) code.stream().filter(c -> c.lines().anyMatch(line::equals)).count();
          assertThat(holding).as("note paragraphs with the line %s", line).isEqualTo(1);
          code.replaceAll(c -> c.replaceAll(pattern, Matcher.quoteReplacement(replacement)));
        });
    return code;
  }

  /**
   * The test's own class path: failsafe starts this JVM from a manifest-only jar, so {@code
   * java.class.path} names only that jar, and the REPL must compile against the real entries.
   */
  private static String testClassPath() {
    return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
  }
}
