package io.kindling.driver;

import java.io.PrintStream;
import java.util.Locale;

/** One plain line per epoch: reads the same in a terminal, a log file and a notebook cell. */
final class ConsoleProgress implements TrainingListener {
  private final PrintStream out;

  ConsoleProgress(PrintStream out) {
    this.out = out;
  }

  @Override
  public void onEpoch(EpochReport r) {
    String validation = r.validation() == null ? "" : "  val " + Reports.headline(r.validation());
    out.printf(
        Locale.ROOT,
        "epoch %d/%d  loss %.4f  %,.0f ex/s%s  sync %.0f%%  %s elapsed  ETA %s%n",
        r.epoch(),
        r.epochs(),
        r.loss(),
        r.examplesPerSecond(),
        validation,
        100 * r.syncSeconds() / r.epochSeconds(),
        duration(r.elapsedSeconds()),
        duration(r.etaSeconds()));
    out.flush();
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    return s >= 3600
        ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}
