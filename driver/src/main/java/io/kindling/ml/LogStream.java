package io.kindling.ml;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;

/**
 * Sends what a training job prints, line by line, to a logger at INFO: a library does not print.
 */
final class LogStream extends OutputStream {
  private final Logger log;
  private final ByteArrayOutputStream line = new ByteArrayOutputStream();

  private LogStream(Logger log) {
    this.log = log;
  }

  static PrintStream to(Logger log) {
    return new PrintStream(new LogStream(log), true, StandardCharsets.UTF_8);
  }

  @Override
  public void write(int b) {
    if (b == '\n') {
      flushLine();
    } else {
      line.write(b);
    }
  }

  @Override
  public void close() {
    flushLine();
  }

  private void flushLine() {
    if (line.size() > 0) {
      log.info(line.toString(StandardCharsets.UTF_8));
      line.reset();
    }
  }
}
