package io.kindling.data;

import io.kindling.kernels.ExampleBlock;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Reads the IDX format of the MNIST family (unsigned-byte tensors, gzipped or not) from any Hadoop
 * path. Every structural problem (missing file, wrong magic number, truncation, trailing bytes,
 * image and label counts that differ, a label out of range) is a {@link DataException} naming the
 * file and the byte offset or record.
 */
public final class IdxReader {
  private static final int UNSIGNED_BYTE = 0x08;
  private static final int MAX_DIMENSIONS = 8;
  private static final int MAX_VALUES = Integer.MAX_VALUE - 16;
  private static final int CHUNK = 1 << 20;

  private IdxReader() {}

  /** A tensor as read: its dimensions (first = record count) and its bytes. */
  record Tensor(String file, int[] dims, byte[] values) {
    int records() {
      return dims[0];
    }

    int recordSize() {
      int n = 1;
      for (int i = 1; i < dims.length; i++) {
        n *= dims[i];
      }
      return n;
    }
  }

  /**
   * Reads an image file and its label file into examples scaled to the raw byte range 0..255.
   *
   * @param classes labels must lie in 0..classes-1
   */
  public static LabeledData read(
      String images, String labels, int classes, BadRecordPolicy policy, Configuration hadoop) {
    Tensor x = readTensor(images, hadoop);
    Tensor y = readTensor(labels, hadoop);
    if (y.dims.length != 1) {
      throw new DataException(
          labels
              + ": a label file must be one-dimensional, found dimensions "
              + Arrays.toString(y.dims));
    }
    if (x.records() != y.records()) {
      throw new DataException(
          images
              + " holds "
              + x.records()
              + " images but "
              + labels
              + " holds "
              + y.records()
              + " labels");
    }
    int width = x.recordSize();
    int n = x.records();
    RecordChecks checks = new RecordChecks(policy, classes);
    ExampleBuffer examples = new ExampleBuffer(images, width, n, false);
    float[] row = new float[width];
    for (int i = 0; i < n; i++) {
      long record = i;
      double label =
          checks.label(
              y.values[i] & 0xff,
              () -> labels + ": record " + record + " (byte offset " + (8 + record) + ")");
      if (Double.isNaN(label)) {
        continue;
      }
      for (int j = 0; j < width; j++) {
        row[j] = x.values[i * width + j] & 0xff;
      }
      examples.add(row, label);
    }
    return examples.toLabeledData(
        Arrays.copyOfRange(x.dims, 1, x.dims.length), classes, checks.skipped());
  }

  /** Reads an image file alone, for prediction: every label is -1 (unknown). */
  public static LabeledData readImages(String images, Configuration hadoop) {
    Tensor x = readTensor(images, hadoop);
    int n = x.records();
    int width = x.recordSize();
    float[] features = new float[n * width];
    for (int i = 0; i < features.length; i++) {
      features[i] = x.values[i] & 0xff;
    }
    int[] labels = new int[n];
    Arrays.fill(labels, -1);
    int[] shape = Arrays.copyOfRange(x.dims, 1, x.dims.length);
    return new LabeledData(
        images, shape, 0, new ExampleBlock(n, width, features, labels), new SkippedRecords());
  }

  static Tensor readTensor(String file, Configuration hadoop) {
    return HadoopFiles.read(file, new Path(file), hadoop, in -> parse(file, in));
  }

  static Tensor parse(String file, InputStream in) throws IOException {
    byte[] header = new byte[4];
    int got = in.readNBytes(header, 0, 4);
    if (got < 4) {
      throw new DataException(
          file + ": byte offset " + got + ": file ends inside the 4-byte IDX magic number");
    }
    if (header[0] != 0 || header[1] != 0) {
      throw new DataException(
          file
              + ": byte offset 0: wrong magic number "
              + String.format("0x%02x%02x%02x%02x", header[0], header[1], header[2], header[3])
              + "; an IDX file starts with two zero bytes");
    }
    if ((header[2] & 0xff) != UNSIGNED_BYTE) {
      throw new DataException(
          file
              + ": byte offset 2: element type 0x"
              + Integer.toHexString(header[2] & 0xff)
              + " is not supported (only unsigned bytes, 0x08)");
    }
    int rank = header[3] & 0xff;
    if (rank == 0 || rank > MAX_DIMENSIONS) {
      throw new DataException(
          file + ": byte offset 3: " + rank + " dimensions; expected 1 to " + MAX_DIMENSIONS);
    }
    int[] dims = new int[rank];
    long total = 1;
    for (int i = 0; i < rank; i++) {
      byte[] d = new byte[4];
      if (in.readNBytes(d, 0, 4) < 4) {
        throw new DataException(
            file + ": byte offset " + (4 + 4 * i) + ": file ends inside the header");
      }
      dims[i] =
          ((d[0] & 0xff) << 24) | ((d[1] & 0xff) << 16) | ((d[2] & 0xff) << 8) | (d[3] & 0xff);
      if (dims[i] <= 0) {
        throw new DataException(
            file + ": byte offset " + (4 + 4 * i) + ": dimension " + i + " is " + dims[i]);
      }
      total *= dims[i];
      if (total > MAX_VALUES) {
        throw new DataException(
            file
                + ": byte offset "
                + (4 + 4 * i)
                + ": the header declares more than "
                + MAX_VALUES
                + " values, more than one IDX file may hold here");
      }
    }
    long headerBytes = 4 + 4L * rank;
    byte[] values = readValues(in, (int) total);
    int read = values.length;
    if (read < total) {
      long recordSize = total / dims[0];
      throw new DataException(
          file
              + ": truncated at byte offset "
              + (headerBytes + read)
              + ": record "
              + (read / recordSize)
              + " of "
              + dims[0]
              + " is incomplete (the header declares "
              + total
              + " data bytes)");
    }
    if (in.read() != -1) {
      throw new DataException(
          file
              + ": byte offset "
              + (headerBytes + total)
              + ": unexpected bytes after the "
              + dims[0]
              + " records the header declares");
    }
    return new Tensor(file, dims, values);
  }

  /**
   * Up to {@code declared} bytes, fewer if the stream ends first. The buffer grows with what
   * arrives, so a corrupt header that declares gigabytes costs nothing until the data is there.
   */
  private static byte[] readValues(InputStream in, int declared) throws IOException {
    byte[] values = new byte[Math.min(declared, CHUNK)];
    int read = 0;
    while (true) {
      read += in.readNBytes(values, read, values.length - read);
      if (read < values.length || read == declared) {
        return read == values.length ? values : Arrays.copyOf(values, read);
      }
      values = Arrays.copyOf(values, (int) Math.min(declared, 2L * values.length));
    }
  }
}
