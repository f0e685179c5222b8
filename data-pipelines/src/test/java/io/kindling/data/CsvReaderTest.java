package io.kindling.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class CsvReaderTest {
  private static final Configuration HADOOP = new Configuration();
  private static final String HINT = " (use bad-records = skip to drop such records)";

  @TempDir Path dir;

  private String write(String name, String text) throws IOException {
    return IdxFiles.write(dir, name, text.getBytes(StandardCharsets.UTF_8)).toString();
  }

  /** How messages name a local file: the qualified Hadoop path. */
  private String named(String name) {
    return "file:" + dir.resolve(name);
  }

  @Test
  void headerNamesTheLabelAndEveryOtherColumnIsAFeature() throws IOException {
    String file = write("a.csv", "a,label,b\n1,0,2\n\n3,2,4.5e0\n");
    LabeledData data = new CsvReader(3).read(file, HADOOP);
    assertThat(data.shape()).containsExactly(2);
    assertThat(data.examples().labels()).containsExactly(0, 2);
    assertThat(data.examples().features()).containsExactly(1, 2, 3, 4.5f);
    assertThat(data.skipped().total()).isZero();
  }

  @Test
  void withoutHeaderColumnsAreIndicesAndDeclaredFeaturesKeepTheirOrder() throws IOException {
    String file = write("a.txt", "1;9;2;1\n5;8;6;0\n");
    LabeledData data =
        new CsvReader(2)
            .withHeader(false)
            .withDelimiter(';')
            .withLabel("3")
            .withFeatures(List.of("2", "0"))
            .read(file, HADOOP);
    assertThat(data.examples().labels()).containsExactly(1, 0);
    assertThat(data.examples().features()).containsExactly(2, 1, 6, 5);
  }

  @Test
  void withNoClassesLabelsAreRealValuedTargetsAndOnlyNonFiniteOnesAreRefused() throws IOException {
    String file = write("r.csv", "y,a\n-1.25,1\n3e2,2\n");
    LabeledData data = new CsvReader(0).withLabel("y").read(file, HADOOP);
    assertThat(data.examples().isRegression()).isTrue();
    assertThat(data.examples().targets()).containsExactly(-1.25f, 300f);
    assertThat(data.select(new int[] {1}, "x").examples().targets()).containsExactly(300f);

    String bad = write("bad.csv", "y,a\n1.5,1\ninf,2\n");
    assertThatThrownBy(() -> new CsvReader(0).withLabel("y").read(bad, HADOOP))
        .isInstanceOf(DataException.class)
        .hasMessage(named("bad.csv") + ": line 3: label is infinite" + HINT);
  }

  @Test
  void aByteOrderMarkIsNotPartOfTheFirstColumnName() throws IOException {
    String file = write("bom.csv", "\uFEFFlabel,a\n1,5\n");
    assertThat(new CsvReader(2).read(file, HADOOP).examples().labels()).containsExactly(1);
  }

  @Test
  void quotedFieldsMayHoldTheDelimiterAndQuotes() throws IOException {
    String file = write("q.csv", "\"x,1\",\"say \"\"hi\"\"\",label\n\"1\",2,1\n");
    LabeledData data =
        new CsvReader(2).withFeatures(List.of("say \"hi\"", "x,1")).read(file, HADOOP);
    assertThat(data.examples().features()).containsExactly(2, 1);
  }

  @Test
  void aGlobReadsEveryMatchInPathOrderGzippedOrNot() throws IOException {
    write("part-2.csv.gz", "label,x\n1,20\n");
    write("part-1.csv", "label,x\n0,10\n");
    write("other.csv", "label,x\n0,99\n");
    LabeledData data = new CsvReader(2).read(dir + "/part-*", HADOOP);
    assertThat(data.examples().features()).containsExactly(10, 20);
  }

  @Test
  void aFolderStandsForItsFilesButNotHiddenOnes() throws IOException {
    Files.createDirectory(dir.resolve("out"));
    write("out/part-0", "label,x\n1,7\n");
    write("out/_SUCCESS", "");
    write("out/.part-0.crc", "junk");
    LabeledData data = new CsvReader(2).read(dir.resolve("out").toString(), HADOOP);
    assertThat(data.examples().features()).containsExactly(7);
  }

  @Test
  void aDeclaredShapeMustHoldTheFeatures() throws IOException {
    String file = write("a.csv", "label,a,b,c,d\n0,1,2,3,4\n");
    assertThat(new CsvReader(2).withShape(1, 2, 2).read(file, HADOOP).shape())
        .containsExactly(1, 2, 2);
    assertThatThrownBy(() -> new CsvReader(2).withShape(3, 2).read(file, HADOOP))
        .isInstanceOf(DataException.class)
        .hasMessage(
            file + ": the declared shape [3, 2] holds 6 values but each example has 4 features");
  }

  static Stream<Arguments> badLines() {
    return Stream.of(
        Arguments.of("label,a,b\n0,1,2\n1,2\n", "line 3: expected 3 columns, found 2"),
        Arguments.of("label,a,b\n0,1,abc\n", "line 2: column 'b' value 'abc' is not a number"),
        Arguments.of("label,a,b\n0,1,0x10\n", "line 2: column 'b' value '0x10' is not a number"),
        Arguments.of("label,a,b\n0,NaN,2\n", "line 2: column 'a' is NaN"),
        Arguments.of("label,a,b\n0,nan,2\n", "line 2: column 'a' is NaN"),
        Arguments.of("label,a,b\n0,1,-inf\n", "line 2: column 'b' is infinite"),
        Arguments.of(
            "label,a,b\n0,1e39,2\n", "line 2: column 'a' value 1.0E39 is beyond the float range"),
        Arguments.of("label,a,b\n0,,2\n", "line 2: column 'a' is empty"),
        Arguments.of("label,a,b\n3,1,2\n", "line 2: label 3 is outside 0..2"),
        Arguments.of("label,a,b\n-1,1,2\n", "line 2: label -1 is outside 0..2"),
        Arguments.of("label,a,b\n1.5,1,2\n", "line 2: label 1.5 is not a whole number in 0..2"),
        Arguments.of("label,a,b\ncat,1,2\n", "line 2: label 'cat' is not a number"),
        Arguments.of("label,a,b\n0,\"1,2\n", "line 2: unclosed quote"));
  }

  @ParameterizedTest
  @MethodSource("badLines")
  void aBadLineFailsNamingFileLineAndProblem(String text, String problem) throws IOException {
    String file = write("bad.csv", text);
    assertThatThrownBy(() -> new CsvReader(3).read(file, HADOOP))
        .isInstanceOf(DataException.class)
        .hasMessage(named("bad.csv") + ": " + problem + HINT);
  }

  @Test
  void withoutHeaderTheFirstLineFixesTheColumnCount() throws IOException {
    String file = write("n.csv", "0,1,2\n1,2,3,4\n");
    assertThatThrownBy(() -> new CsvReader(2).withHeader(false).read(file, HADOOP))
        .isInstanceOf(DataException.class)
        .hasMessage(
            named("n.csv")
                + ": line 2: expected 3 columns (as on line 1 of "
                + named("n.csv")
                + "), found 4"
                + HINT);
  }

  @Test
  void skipDropsBadLinesAndCountsThemByReason() throws IOException {
    String file =
        write(
            "mixed.csv",
            String.join(
                "\n",
                "label,a,b",
                "0,1,2",
                "1,2",
                "2,NaN,1",
                "7,1,1",
                "1,x,1",
                "1,,1",
                "2,5,6",
                ""));
    LabeledData data = new CsvReader(3).withPolicy(BadRecordPolicy.SKIP).read(file, HADOOP);
    assertThat(data.examples().labels()).containsExactly(0, 2);
    assertThat(data.examples().features()).containsExactly(1, 2, 5, 6);
    assertThat(data.skipped().counts())
        .containsEntry(SkippedRecords.WRONG_COLUMN_COUNT, 1L)
        .containsEntry(SkippedRecords.NAN, 1L)
        .containsEntry(SkippedRecords.LABEL_OUT_OF_RANGE, 1L)
        .containsEntry(SkippedRecords.NOT_A_NUMBER, 1L)
        .containsEntry(SkippedRecords.MISSING_VALUE, 1L);
    assertThat(data.skipped().total()).isEqualTo(5);
  }

  @Test
  void skippingEveryLineLeavesNoExamplesWhichIsAnError() throws IOException {
    String file = write("all-bad.csv", "label,a\n9,1\n");
    assertThatThrownBy(() -> new CsvReader(3).withPolicy(BadRecordPolicy.SKIP).read(file, HADOOP))
        .isInstanceOf(DataException.class)
        .hasMessage(file + ": no usable examples (1 skipped: {label_out_of_range=1, nan=0})");
  }

  @Test
  void structuralProblemsNameTheFile() throws IOException {
    String empty = write("empty.csv", "");
    assertThatThrownBy(() -> new CsvReader(2).read(empty, HADOOP))
        .hasMessage(named("empty.csv") + ": empty file; expected a header line");
    String noLabel = write("nolabel.csv", "a,b\n1,2\n");
    assertThatThrownBy(() -> new CsvReader(2).read(noLabel, HADOOP))
        .hasMessage(named("nolabel.csv") + ": line 1: no column 'label' in the header (a,b)");
    assertThatThrownBy(() -> new CsvReader(2).withLabel("5").read(noLabel, HADOOP))
        .hasMessage(
            named("nolabel.csv") + ": line 1: column index 5 is outside the 2 columns 0..1");
    write("h1.csv", "label,a\n0,1\n");
    write("h2.csv", "label,b\n0,1\n");
    assertThatThrownBy(() -> new CsvReader(2).read(dir + "/h*.csv", HADOOP))
        .hasMessage(
            named("h2.csv")
                + ": line 1: the header differs from the one in "
                + named("h1.csv")
                + " (found label,b)");
    assertThatThrownBy(() -> new CsvReader(2).read(dir + "/none-*.csv", HADOOP))
        .isInstanceOf(DataException.class)
        .hasMessage(dir + "/none-*.csv: no such file");
  }
}
