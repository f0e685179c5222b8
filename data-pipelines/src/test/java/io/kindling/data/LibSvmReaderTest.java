package io.kindling.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LibSvmReaderTest {
  private static final Configuration HADOOP = new Configuration();
  private static final String HINT = " (use bad-records = skip to drop such records)";

  @TempDir Path dir;

  private String write(String name, String text) throws IOException {
    return IdxFiles.write(dir, name, text.getBytes(StandardCharsets.UTF_8)).toString();
  }

  @Test
  void infersTheFeatureCountAndFillsAbsentIndicesWithZero() throws IOException {
    String file =
        write("a.svm", "1 1:0.5 3:2\n# a comment line\n\n0 2:-1e1 # trailing comment\n2\n");
    LabeledData data = new LibSvmReader(3).read(file, HADOOP);
    assertThat(data.shape()).containsExactly(3);
    assertThat(data.examples().labels()).containsExactly(1, 0, 2);
    assertThat(data.examples().features()).containsExactly(0.5f, 0, 2, 0, -10, 0, 0, 0, 0);
  }

  @Test
  void aDeclaredFeatureCountWidensTheExamples() throws IOException {
    String file = write("a.svm.gz", "+1 2:1\n");
    LabeledData data = new LibSvmReader(2).withFeatures(4).withShape(2, 2).read(file, HADOOP);
    assertThat(data.shape()).containsExactly(2, 2);
    assertThat(data.examples().features()).containsExactly(0, 1, 0, 0);
  }

  static Stream<Arguments> badLines() {
    return Stream.of(
        Arguments.of(
            "0 1:1\n1 3:1 2:1\n", "line 2: index 2 follows index 3; indices must increase"),
        Arguments.of("0 1:1 1:2\n", "line 1: index 1 follows index 1; indices must increase"),
        Arguments.of("0 0:1\n", "line 1: index 0: LibSVM indices start at 1"),
        Arguments.of("0 5:1\n", "line 1: index 5 is above the declared 4 features"),
        Arguments.of(
            "0 99999999999:1\n", "line 1: index 99999999999 is above the declared 4 features"),
        Arguments.of("0 1:1 2\n", "line 1: token '2' is not index:value"),
        Arguments.of("0 a:1\n", "line 1: token 'a:1' is not index:value"),
        Arguments.of("0 :1\n", "line 1: token ':1' is not index:value"),
        Arguments.of("0 2:x\n", "line 1: feature 2 value 'x' is not a number"),
        Arguments.of("0 2:\n", "line 1: feature 2 is empty"),
        Arguments.of("0 1:1\n0 2:NaN\n", "line 2: feature 2 is NaN"),
        Arguments.of("0 2:1e400\n", "line 1: feature 2 is infinite"),
        Arguments.of("2 1:1\n", "line 1: label 2 is outside 0..1"),
        Arguments.of("1:1 2:1\n", "line 1: label '1:1' is not a number"));
  }

  @ParameterizedTest
  @MethodSource("badLines")
  void aBadLineFailsNamingFileLineAndProblem(String text, String problem) throws IOException {
    String file = write("bad.svm", text);
    assertThatThrownBy(() -> new LibSvmReader(2).withFeatures(4).read(file, HADOOP))
        .isInstanceOf(DataException.class)
        .hasMessage("file:" + file + ": " + problem + HINT);
  }

  @Test
  void skipDropsBadLinesAndCountsThemByReason() throws IOException {
    String file =
        write(
            "mixed.svm",
            String.join(
                "\n",
                "0 1:1",
                "1 2:1 1:1",
                "1 0:1",
                "1 x",
                "1 1:NaN",
                "5 1:1",
                "1 1:y",
                "1 2:2",
                ""));
    LabeledData data = new LibSvmReader(2).withPolicy(BadRecordPolicy.SKIP).read(file, HADOOP);
    assertThat(data.examples().labels()).containsExactly(0, 1);
    assertThat(data.examples().features()).containsExactly(1, 0, 0, 2);
    assertThat(data.skipped().counts())
        .containsEntry(SkippedRecords.INDEX_OUT_OF_ORDER, 1L)
        .containsEntry(SkippedRecords.INDEX_OUT_OF_RANGE, 1L)
        .containsEntry(SkippedRecords.BAD_TOKEN, 1L)
        .containsEntry(SkippedRecords.NAN, 1L)
        .containsEntry(SkippedRecords.LABEL_OUT_OF_RANGE, 1L)
        .containsEntry(SkippedRecords.NOT_A_NUMBER, 1L);
  }

  @Test
  void aFeatureCountThatCannotBeInferredMustBeDeclared() throws IOException {
    String file = write("labels-only.svm", "0\n1\n");
    assertThatThrownBy(() -> new LibSvmReader(2).read(file, HADOOP))
        .isInstanceOf(DataException.class)
        .hasMessage(
            file + ": no line has a feature, so their number cannot be inferred; declare it");
  }

  @Test
  void aTruncatedGzipFileIsADataError() throws IOException {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 2000; i++) {
      text.append(i % 2).append(" 1:").append(i).append(" 7:0.25\n");
    }
    Path full =
        IdxFiles.write(dir, "full.svm.gz", text.toString().getBytes(StandardCharsets.UTF_8));
    byte[] bytes = java.nio.file.Files.readAllBytes(full);
    Path cut = dir.resolve("cut.svm.gz");
    java.nio.file.Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
    assertThatThrownBy(() -> new LibSvmReader(2).read(cut.toString(), HADOOP))
        .isInstanceOf(DataException.class)
        .hasMessageStartingWith("file:" + cut + ": truncated: the compressed stream ends early");
  }
}
