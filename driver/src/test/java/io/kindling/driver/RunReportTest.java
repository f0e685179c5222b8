package io.kindling.driver;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.shade.jackson.databind.JsonNode;

/**
 * A short real run's {@code report.html}, opened in headless Chromium: self-contained, and its
 * charts decode and show.
 */
class RunReportTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final int CHARTS = 5;

  @TempDir Path dir;

  @Test
  void aRunThatStopsEarlyWritesASelfContainedReportWhoseChartsRender() throws Exception {
    assertThat(Files.isExecutable(CHROMIUM))
        .as(
            "the report test opens report.html in headless Chromium; install it with"
                + " `apt-get install -y chromium`")
        .isTrue();
    Path run = dir.resolve("run");
    KindlingTest.Result r = KindlingTest.quickTrain(run, 4, KindlingTest.STOP_AFTER_EPOCH_2);
    assertThat(r.status()).as(r.err()).isZero();

    List<String> metrics = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertThat(metrics).hasSize(2);
    for (String line : metrics) {
      JsonNode epoch = Json.MAPPER.readTree(line);
      assertThat(epoch.get("train_accuracy").asDouble()).isBetween(0.5, 1.0);
      // 5,400 training examples in 2 partitions: all of them fit the 10,000-example sample.
      assertThat(epoch.get("train_sample_examples").asLong()).isEqualTo(5400);
    }

    String html = Files.readString(run.resolve("report.html"));
    assertThat(html)
        .as("report.html must not load anything from elsewhere")
        .doesNotContainPattern("(?i)<link\\b")
        .doesNotContainPattern("(?i)<script\\b[^>]*\\bsrc\\s*=")
        .doesNotContainPattern("(?i)\\b(src|href)\\s*=\\s*[\"']?\\s*(https?:)?//")
        .doesNotContainPattern("(?i)@import|url\\(");
    assertThat(html)
        .contains("Stopped before the last epoch: early stopping")
        .contains("sample of 5,400 training examples")
        .contains("Computation vs synchronisation per round")
        .contains("train.epochs")
        .doesNotContain("chart not drawn");
    assertThat(count(Pattern.compile("<img [^>]*src=\"data:image/png;base64,"), html))
        .isEqualTo(CHARTS);

    assertThat(decodedImages(html)).as("images Chromium decoded").isEqualTo(CHARTS);
    assertThat(saturatedColours(screenshot(run.resolve("report.html"))))
        .as("distinct saturated colours on the page (the charts' lines, bars and cells)")
        .isGreaterThan(200);
  }

  /** How many images have a decoded size once the page has loaded, as Chromium's DOM says. */
  private int decodedImages(String html) throws Exception {
    Path probe = dir.resolve("probe.html");
    Files.writeString(
        probe,
        html.replace(
            "</body>",
            "<script>addEventListener('load', () => document.body.dataset.decoded ="
                + " [...document.images].filter(i => i.complete && i.naturalWidth > 0).length)"
                + "</script></body>"));
    String dom = chromium("--dump-dom", probe.toUri().toString());
    Matcher decoded = Pattern.compile("data-decoded=\"(\\d+)\"").matcher(dom);
    assertThat(decoded.find()).as("Chromium ran the probe script; its DOM:%n%s", dom).isTrue();
    return Integer.parseInt(decoded.group(1));
  }

  private BufferedImage screenshot(Path page) throws Exception {
    Path png = dir.resolve("report.png");
    chromium("--screenshot=" + png, "--window-size=1280,4000", page.toUri().toString());
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image).as("Chromium's screenshot %s", png).isNotNull();
    return image;
  }

  /** Colours far from grey: text and page chrome are grey, the charts are coloured. */
  private static int saturatedColours(BufferedImage image) {
    Set<Integer> colours = new HashSet<>();
    for (int y = 0; y < image.getHeight(); y++) {
      for (int x = 0; x < image.getWidth(); x++) {
        int rgb = image.getRGB(x, y) & 0xffffff;
        int r = rgb >> 16;
        int g = rgb >> 8 & 0xff;
        int b = rgb & 0xff;
        if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 60) {
          colours.add(rgb);
        }
      }
    }
    return colours.size();
  }

  private String chromium(String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu"));
    command.addAll(List.of(args));
    Path log = dir.resolve("chromium.log");
    Process p =
        new ProcessBuilder(command)
            .redirectError(log.toFile())
            .redirectOutput(ProcessBuilder.Redirect.PIPE)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("Chromium finished").isTrue();
    assertThat(p.exitValue())
        .as("Chromium's exit status; its log:%n%s", Files.readString(log))
        .isZero();
    return out;
  }

  private static int count(Pattern pattern, String text) {
    Matcher m = pattern.matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }
}
