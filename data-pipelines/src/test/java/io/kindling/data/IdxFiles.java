package io.kindling.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes small IDX files for tests: images of {@code rows x cols} bytes and their labels. */
final class IdxFiles {
  private IdxFiles() {}

  static byte[] images(int n, int rows, int cols) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    header(out, 3, n, rows, cols);
    for (int i = 0; i < n * rows * cols; i++) {
      out.write((i * 7 + i / (rows * cols)) & 0xff);
    }
    return out.toByteArray();
  }

  static byte[] labels(int... labels) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    header(out, 1, labels.length);
    for (int l : labels) {
      out.write(l);
    }
    return out.toByteArray();
  }

  private static void header(ByteArrayOutputStream out, int rank, int... dims) {
    out.write(0);
    out.write(0);
    out.write(0x08);
    out.write(rank);
    for (int d : dims) {
      out.write(d >>> 24);
      out.write(d >>> 16);
      out.write(d >>> 8);
      out.write(d);
    }
  }

  static Path write(Path dir, String name, byte[] bytes) throws IOException {
    Path p = dir.resolve(name);
    if (name.endsWith(".gz")) {
      try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p))) {
        out.write(bytes);
      }
    } else {
      Files.write(p, bytes);
    }
    return p;
  }
}
