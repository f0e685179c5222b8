package io.kindling.driver;

import io.kindling.kernels.ConfusionMatrix;
import java.awt.Color;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.AxesChartStyler;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The run report's charts, drawn with XChart and encoded as PNG data URIs. */
final class ReportCharts {
  static final int WIDTH = 600;
  static final int HEIGHT = 380;
  private static final Color TRAIN = new Color(0x1f77b4);
  private static final Color VALIDATION = new Color(0xff7f0e);
  private static final Color COMPUTE = new Color(0x2ca02c);
  private static final Color SYNC = new Color(0xd62728);

  static {
    // Drawing needs no display; respect an explicit choice, else run headless (drivers have none).
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private ReportCharts() {}

  /**
   * Mean minibatch loss while training and the validation loss, per epoch.
   *
   * @param validationLoss what the validation loss is: log loss, or mean squared error
   */
  static XYChart loss(List<TrainingHistory.Epoch> epochs, String validationLoss) {
    XYChart chart = perEpoch("Loss per epoch", "loss");
    addCurve(chart, "train (mean minibatch loss)", TRAIN, epochs, TrainingHistory.Epoch::trainLoss);
    addCurve(
        chart,
        "validation (" + validationLoss + ")",
        VALIDATION,
        epochs,
        TrainingHistory.Epoch::validationLoss);
    return chart;
  }

  /**
   * Accuracy (R^2 for regression) on the training sample and on the validation split, per epoch.
   *
   * @param score the figure's name: accuracy, or R²
   */
  static XYChart accuracy(List<TrainingHistory.Epoch> epochs, String score) {
    XYChart chart = perEpoch(capitalised(score) + " per epoch", score);
    long sample = epochs.stream().mapToLong(TrainingHistory.Epoch::trainExamples).max().orElse(0);
    addCurve(
        chart,
        String.format(Locale.ROOT, "train (sample of %,d)", sample),
        TRAIN,
        epochs,
        TrainingHistory.Epoch::trainAccuracy);
    addCurve(chart, "validation", VALIDATION, epochs, TrainingHistory.Epoch::validationAccuracy);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
    return chart;
  }

  /** Training throughput (all workers together) per epoch. */
  static CategoryChart throughput(List<TrainingHistory.Epoch> epochs) {
    CategoryChart chart =
        new CategoryChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Training throughput per epoch")
            .xAxisTitle("epoch")
            .yAxisTitle("examples / s")
            .build();
    style(chart.getStyler());
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setYAxisDecimalPattern("#,##0");
    chart
        .addSeries(
            "examples / s",
            epochs.stream().map(TrainingHistory.Epoch::epoch).toList(),
            epochs.stream().map(TrainingHistory.Epoch::examplesPerSecond).toList())
        .setFillColor(TRAIN);
    return chart;
  }

  /**
   * Each round's computation (the slowest worker's) and synchronisation time, stacked: the two
   * areas' top edge is the round's wall time.
   */
  static XYChart roundTimes(double[] computeSeconds, double[] syncSeconds) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title("Computation vs synchronisation per round")
            .xAxisTitle("round")
            .yAxisTitle("seconds")
            .build();
    style(chart.getStyler());
    chart.getStyler().setXAxisDecimalPattern("0");
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
    double[] rounds = IntStream.rangeClosed(1, computeSeconds.length).asDoubleStream().toArray();
    double[] total = new double[computeSeconds.length];
    for (int i = 0; i < total.length; i++) {
      total[i] = computeSeconds[i] + syncSeconds[i];
    }
    // Painted in order: the total first, computation over it, so what shows above is sync.
    area(chart.addSeries("synchronisation", rounds, total), SYNC);
    area(chart.addSeries("computation", rounds, computeSeconds), COMPUTE);
    return chart;
  }

  /**
   * Actual classes (rows, class 0 on top) against predicted ones, each cell labelled with its
   * count. Colour follows the square root of the count, so errors stay visible beside the diagonal.
   */
  static HeatMapChart confusion(ConfusionMatrix cm) {
    int k = cm.classes();
    HeatMapChart chart =
        new HeatMapChartBuilder()
            .width(WIDTH)
            .height(WIDTH)
            .title("Test confusion matrix (colour: square root of count)")
            .xAxisTitle("predicted class")
            .yAxisTitle("actual class")
            .build();
    style(chart.getStyler());
    chart.getStyler().setLegendVisible(false);
    chart.getStyler().setShowValue(true);
    chart.getStyler().setRangeColors(squareRootRamp(Color.WHITE, new Color(0x4292c6), 16));
    chart.getStyler().setHeatMapValueDecimalPattern("#0");
    chart.getStyler().setPlotContentSize(1.0);
    List<String> predicted = IntStream.range(0, k).mapToObj(Integer::toString).toList();
    List<String> actual = IntStream.range(0, k).mapToObj(c -> Integer.toString(k - 1 - c)).toList();
    List<Number[]> cells = new ArrayList<>(k * k);
    for (int a = 0; a < k; a++) {
      for (int p = 0; p < k; p++) {
        cells.add(new Number[] {p, k - 1 - a, cm.count(a, p)});
      }
    }
    chart.addSeries("test", predicted, actual, cells);
    return chart;
  }

  /**
   * Colour stops from {@code from} to {@code to} spaced by the square root of the value: XChart
   * interpolates linearly between evenly spread stops, so this draws small values darker than a
   * linear scale would.
   */
  private static Color[] squareRootRamp(Color from, Color to, int steps) {
    Color[] stops = new Color[steps + 1];
    for (int i = 0; i <= steps; i++) {
      double t = Math.sqrt((double) i / steps);
      stops[i] =
          new Color(
              (int) Math.round(from.getRed() + t * (to.getRed() - from.getRed())),
              (int) Math.round(from.getGreen() + t * (to.getGreen() - from.getGreen())),
              (int) Math.round(from.getBlue() + t * (to.getBlue() - from.getBlue())));
    }
    return stops;
  }

  /** The chart as a {@code data:image/png;base64,...} URI for an {@code <img>} element. */
  static String pngDataUri(Chart<?, ?> chart) throws IOException {
    byte[] png = BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
  }

  private static String capitalised(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  private static XYChart perEpoch(String title, String yTitle) {
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(HEIGHT)
            .title(title)
            .xAxisTitle("epoch")
            .yAxisTitle(yTitle)
            .build();
    style(chart.getStyler());
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.getStyler().setXAxisDecimalPattern("0");
    return chart;
  }

  /** Adds a line through the epochs that measured the value; none if no epoch did. */
  private static void addCurve(
      XYChart chart,
      String name,
      Color color,
      List<TrainingHistory.Epoch> epochs,
      ToDoubleFunction<TrainingHistory.Epoch> value) {
    List<TrainingHistory.Epoch> measured =
        epochs.stream().filter(e -> Double.isFinite(value.applyAsDouble(e))).toList();
    if (measured.isEmpty()) {
      return;
    }
    XYSeries series =
        chart.addSeries(
            name,
            measured.stream().mapToDouble(TrainingHistory.Epoch::epoch).toArray(),
            measured.stream().mapToDouble(value).toArray());
    series.setLineColor(color);
    series.setMarkerColor(color);
    series.setMarker(SeriesMarkers.CIRCLE);
  }

  private static void area(XYSeries series, Color color) {
    series.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Area);
    series.setFillColor(color);
    series.setLineColor(color.darker());
    series.setMarker(SeriesMarkers.NONE);
  }

  private static void style(AxesChartStyler styler) {
    styler.setChartBackgroundColor(Color.WHITE);
    styler.setPlotBorderVisible(false);
    styler.setLegendBorderColor(Color.LIGHT_GRAY);
    styler.setChartTitleBoxVisible(false);
  }
}
