package io.kindling.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {
  private static final Configuration HADOOP = new Configuration();

  @TempDir Path dir;

  private LabeledData read(Path images, Path labels, BadRecordPolicy policy) {
    return IdxReader.read(images.toString(), labels.toString(), 10, policy, HADOOP);
  }

  @Test
  void readsPlainAndGzippedFilesAlike() throws IOException {
    byte[] images = IdxFiles.images(5, 3, 2);
    byte[] labels = IdxFiles.labels(0, 1, 2, 9, 4);
    LabeledData plain =
        read(
            IdxFiles.write(dir, "x", images),
            IdxFiles.write(dir, "y", labels),
            BadRecordPolicy.FAIL);
    LabeledData gz =
        read(
            IdxFiles.write(dir, "x.gz", images),
            IdxFiles.write(dir, "y.gz", labels),
            BadRecordPolicy.FAIL);
    assertThat(plain.size()).isEqualTo(5);
    assertThat(plain.shape()).containsExactly(3, 2);
    assertThat(plain.examples().labels()).containsExactly(0, 1, 2, 9, 4);
    assertThat(plain.examples().features()[7]).isEqualTo((7 * 7 + 1) & 0xff);
    assertThat(gz.examples().features()).containsExactly(plain.examples().features());
  }

  @Test
  void wrongMagicNumberNamesTheFileAndOffset() throws IOException {
    byte[] images = IdxFiles.images(2, 2, 2);
    images[1] = 1;
    Path x = IdxFiles.write(dir, "bad-images", images);
    assertThatThrownBy(
            () -> read(x, IdxFiles.write(dir, "y", IdxFiles.labels(1, 2)), BadRecordPolicy.FAIL))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("bad-images")
        .hasMessageContaining("byte offset 0")
        .hasMessageContaining("magic number");
  }

  @Test
  void truncatedFileNamesTheIncompleteRecord() throws IOException {
    byte[] images = IdxFiles.images(4, 2, 2);
    Path x = IdxFiles.write(dir, "short", Arrays.copyOf(images, images.length - 5));
    assertThatThrownBy(
            () ->
                read(
                    x, IdxFiles.write(dir, "y", IdxFiles.labels(1, 2, 3, 4)), BadRecordPolicy.FAIL))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("short: truncated at byte offset 27")
        .hasMessageContaining("record 2 of 4");
  }

  @Test
  void truncatedGzipStreamIsADataError() throws IOException {
    Path full = IdxFiles.write(dir, "full.gz", IdxFiles.images(50, 4, 4));
    byte[] bytes = Files.readAllBytes(full);
    Path cut = dir.resolve("cut.gz");
    Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
    assertThatThrownBy(() -> IdxReader.readImages(cut.toString(), HADOOP))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("cut.gz");
  }

  @Test
  void aHeaderDeclaringHugeDimensionsCostsNothingBeforeTheDataIsThere() throws IOException {
    // 20000 x 100 x 1000 = 2e9 declared bytes: the reader must not allocate them up front.
    byte[] header = {0, 0, 8, 3, 0, 0, 0x4e, 0x20, 0, 0, 0, 100, 0, 0, 0x03, (byte) 0xe8, 1, 2};
    Path x = IdxFiles.write(dir, "huge", header);
    assertThatThrownBy(() -> IdxReader.readImages(x.toString(), HADOOP))
        .isInstanceOf(DataException.class)
        .hasMessage(
            x
                + ": truncated at byte offset 18: record 0 of 20000 is incomplete (the header"
                + " declares 2000000000 data bytes)");
    byte[] tooMany = {0, 0, 8, 2, 0x7f, 0, 0, 0, 0, 0, 0, 2};
    Path y = IdxFiles.write(dir, "too-many", tooMany);
    assertThatThrownBy(() -> IdxReader.readImages(y.toString(), HADOOP))
        .hasMessage(
            y
                + ": byte offset 8: the header declares more than 2147483631 values, more than"
                + " one IDX file may hold here");
  }

  @Test
  void trailingBytesAreRefused() throws IOException {
    byte[] images = IdxFiles.images(2, 2, 2);
    Path x = IdxFiles.write(dir, "long", Arrays.copyOf(images, images.length + 1));
    assertThatThrownBy(() -> IdxReader.readImages(x.toString(), HADOOP))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("unexpected bytes after the 2 records");
  }

  @Test
  void countMismatchBetweenImagesAndLabels() throws IOException {
    Path x = IdxFiles.write(dir, "x", IdxFiles.images(3, 2, 2));
    Path y = IdxFiles.write(dir, "y", IdxFiles.labels(1, 2));
    assertThatThrownBy(() -> read(x, y, BadRecordPolicy.FAIL))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("holds 3 images but")
        .hasMessageContaining("holds 2 labels");
  }

  @Test
  void labelOutOfRangeFailsOrIsSkippedAndCounted() throws IOException {
    Path x = IdxFiles.write(dir, "x", IdxFiles.images(4, 2, 2));
    Path y = IdxFiles.write(dir, "labels", IdxFiles.labels(1, 12, 3, 10));
    assertThatThrownBy(() -> read(x, y, BadRecordPolicy.FAIL))
        .isInstanceOf(DataException.class)
        .hasMessageContaining("labels: record 1 (byte offset 9): label 12 is outside 0..9");
    LabeledData kept = read(x, y, BadRecordPolicy.SKIP);
    assertThat(kept.size()).isEqualTo(2);
    assertThat(kept.examples().labels()).containsExactly(1, 3);
    assertThat(kept.skipped().counts()).containsEntry(SkippedRecords.LABEL_OUT_OF_RANGE, 2L);
    // The kept rows are the original records 0 and 2.
    LabeledData all = IdxReader.readImages(x.toString(), HADOOP);
    assertThat(Arrays.copyOfRange(kept.examples().features(), 4, 8))
        .containsExactly(Arrays.copyOfRange(all.examples().features(), 8, 12));
  }

  @Test
  void missingFileSaysSo() {
    assertThatThrownBy(() -> IdxReader.readImages(dir.resolve("nope").toString(), HADOOP))
        .isInstanceOf(DataException.class)
        .hasMessageEndingWith("nope: no such file");
  }
}
