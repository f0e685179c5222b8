package io.kindling.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderReaderTest {
  private static final String HINT = " (use bad-records = skip to drop such records)";

  static SparkSession spark;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    spark = TestSpark.start();
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** A colour PNG whose pixel (x, y) is red x*10+y, green 100+x, blue 200+y. */
  private Path rgb(String name, int width, int height) throws IOException {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.setRGB(x, y, (x * 10 + y) << 16 | (100 + x) << 8 | (200 + y));
      }
    }
    return png(name, image);
  }

  /** A grey PNG whose pixel (x, y) is 10 * (y * width + x). */
  private Path grey(String name, int width, int height) throws IOException {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < height; y++) {
      for (int x = 0; x < width; x++) {
        image.getRaster().setSample(x, y, 0, 10 * (y * width + x));
      }
    }
    return png(name, image);
  }

  private Path png(String name, BufferedImage image) throws IOException {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    ImageIO.write(image, "png", p.toFile());
    return p;
  }

  @Test
  void sortedFolderNamesAreTheClassesAndPixelsArePlanarRgb() throws IOException {
    rgb("set/dog/b.png", 3, 2);
    rgb("set/cat/a.png", 3, 2);
    rgb("set/dog/more/c.png", 3, 2);
    Files.createDirectories(dir.resolve("set/_tmp"));
    ImageFolderReader reader = new ImageFolderReader();
    String root = dir.resolve("set").toString();
    assertThat(reader.classNames(spark, root)).containsExactly("cat", "dog");
    LabeledData data = reader.read(spark, root);
    assertThat(data.classes()).isEqualTo(2);
    assertThat(data.shape()).containsExactly(3, 2, 3);
    assertThat(data.examples().labels()).containsExactlyInAnyOrder(0, 1, 1);
    float[] x = java.util.Arrays.copyOf(data.examples().features(), 18);
    // Red plane, then green, then blue; each row-major over height 2 x width 3.
    assertThat(x)
        .containsExactly(
            0, 10, 20, 1, 11, 21, 100, 101, 102, 100, 101, 102, 200, 200, 200, 201, 201, 201);
  }

  @Test
  void anImageOfAnotherShapeNamesTheFile() throws IOException {
    rgb("s/a/1.png", 3, 2);
    Path big = rgb("s/b/2.png", 4, 4);
    assertThatThrownBy(() -> new ImageFolderReader().read(spark, dir.resolve("s").toString()))
        .isInstanceOf(DataException.class)
        .hasMessage(
            "file:" + big + ": image is 3x4x4 (channels x height x width), expected 3x2x3" + HINT);
  }

  @Test
  void aFileThatIsNotAnImageNamesTheFileAndSkipCountsBoth() throws IOException {
    rgb("t/a/1.png", 3, 2);
    Path text = dir.resolve("t/b/notes.txt");
    Files.createDirectories(text.getParent());
    Files.writeString(text, "not an image");
    rgb("t/b/3.png", 3, 2);
    String root = dir.resolve("t").toString();
    ImageFolderReader reader = new ImageFolderReader().withShape(3, 2, 3);
    // One bad record at a time: with several, which is named depends on which task fails first.
    assertThatThrownBy(() -> reader.read(spark, root))
        .isInstanceOf(DataException.class)
        .hasMessage("file:" + text + ": not a readable image" + HINT);

    rgb("t/a/2.png", 5, 5);
    LabeledData kept = reader.withPolicy(BadRecordPolicy.SKIP).read(spark, root);
    assertThat(kept.examples().labels()).containsExactlyInAnyOrder(0, 1);
    assertThat(kept.skipped().counts())
        .containsEntry(SkippedRecords.WRONG_IMAGE_SIZE, 1L)
        .containsEntry(SkippedRecords.NOT_AN_IMAGE, 1L);

    Files.delete(text);
    assertThatThrownBy(() -> reader.withShape(3, 5, 5).read(spark, root))
        .isInstanceOf(DataException.class)
        .hasMessageEndingWith(
            ": image is 3x2x3 (channels x height x width), expected 3x5x5" + HINT);
  }

  @Test
  void resizingAveragesBilinearlyAndConvertsChannels() throws IOException {
    grey("r/a/grey.png", 4, 4);
    rgb("r/b/colour.png", 2, 2);
    LabeledData data =
        new ImageFolderReader()
            .withShape(1, 2, 2)
            .withResize(true)
            .read(spark, dir.resolve("r").toString());
    float[] x = data.examples().features();
    int grey = data.examples().labels()[0] == 0 ? 0 : 4;
    // Halving samples between pixels: each output pixel is the mean of a 2x2 block.
    assertThat(java.util.Arrays.copyOfRange(x, grey, grey + 4)).containsExactly(25, 45, 105, 125);
    // Same size: pixel (0, 0) of the colour image as luminance of (0, 100, 200).
    assertThat(x[4 - grey])
        .isCloseTo(0.587f * 100 + 0.114f * 200, org.assertj.core.data.Offset.offset(1e-3f));
  }

  @Test
  void distributePacksTheImagesOnTheExecutors() throws IOException {
    for (int i = 0; i < 6; i++) {
      grey("d/" + (i % 2 == 0 ? "even" : "odd") + "/" + i + ".png", 2, 2);
    }
    DistributedExamples examples =
        new ImageFolderReader()
            .distribute(spark, dir.resolve("d").toString(), 2, StorageLevel.MEMORY_ONLY());
    try {
      assertThat(examples.size()).isEqualTo(6);
      assertThat(examples.shape()).containsExactly(1, 2, 2);
      assertThat(examples.blocks().getNumPartitions()).isEqualTo(2);
    } finally {
      examples.release();
    }
  }

  @Test
  void aRootWithoutClassFoldersIsAnError() throws IOException {
    Files.createDirectories(dir.resolve("flat"));
    Files.writeString(dir.resolve("flat/x.png"), "");
    String root = dir.resolve("flat").toString();
    assertThatThrownBy(() -> new ImageFolderReader().read(spark, root))
        .isInstanceOf(DataException.class)
        .hasMessage(root + ": no class folders; put each class's images in a folder of its own");
    assertThatThrownBy(() -> new ImageFolderReader().read(spark, root + "/nope"))
        .hasMessage(root + "/nope: no such folder");
  }
}
