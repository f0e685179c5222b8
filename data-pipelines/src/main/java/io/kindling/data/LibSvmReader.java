package io.kindling.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Reads LibSVM / SVMlight text files (gzipped or not): one example per line, {@code label
 * index:value index:value ...} with 1-based, strictly increasing indices; absent indices are 0. A
 * {@code #} starts a comment; blank lines are ignored. Errors name the file, the 1-based line
 * number and the problem.
 *
 * <p>Immutable: each {@code with...} returns a changed copy.
 */
public final class LibSvmReader {
  private static final IntFunction<String> FEATURE_NAMES = i -> "feature " + i;

  private final int classes;
  private final int features;
  private final BadRecordPolicy policy;
  private final int[] shape;

  /**
   * A reader that infers the feature count (the largest index) and fails on bad records.
   *
   * @param classes labels must be whole numbers in 0..classes-1; 0 means real-valued labels
   *     (regression targets)
   */
  public LibSvmReader(int classes) {
    this(classes, 0, BadRecordPolicy.FAIL, null);
  }

  private LibSvmReader(int classes, int features, BadRecordPolicy policy, int[] shape) {
    if (classes < 0) {
      throw new IllegalArgumentException(
          "classes must be positive, or 0 for real-valued labels, got " + classes);
    }
    if (features < 0) {
      throw new IllegalArgumentException("features must be 0 (infer) or positive, got " + features);
    }
    this.classes = classes;
    this.features = features;
    this.policy = policy;
    this.shape = shape;
  }

  /**
   * The number of features; an index above it is a bad record. 0 (the default) infers it as the
   * largest index in the data, in the same single pass.
   */
  public LibSvmReader withFeatures(int count) {
    return new LibSvmReader(classes, count, policy, shape);
  }

  /** What to do with a bad line (default FAIL). */
  public LibSvmReader withPolicy(BadRecordPolicy policy) {
    return new LibSvmReader(classes, features, policy, shape);
  }

  /** The shape of one example, e.g. {@code [1, 28, 28]} (default {@code [features]}). */
  public LibSvmReader withShape(int... shape) {
    return new LibSvmReader(classes, features, policy, shape.clone());
  }

  /**
   * Reads every file that {@code pathOrGlob} names (a file, a folder of files, or a glob) in path
   * order.
   */
  public LabeledData read(String pathOrGlob, Configuration hadoop) {
    RecordChecks checks = new RecordChecks(policy, classes);
    SparseRows rows = new SparseRows();
    for (Path path : HadoopFiles.expand(pathOrGlob, hadoop)) {
      String file = path.toString();
      HadoopFiles.read(
          file,
          path,
          hadoop,
          in -> {
            readFile(
                file,
                new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16),
                checks,
                rows);
            return null;
          });
    }
    int width = features > 0 ? features : rows.maxIndex;
    if (rows.size == 0) {
      throw ExampleBuffer.noExamples(pathOrGlob, checks.skipped());
    }
    if (width == 0) {
      throw new DataException(
          pathOrGlob + ": no line has a feature, so their number cannot be inferred; declare it");
    }
    return rows.dense(pathOrGlob, width, classes == 0)
        .toLabeledData(shape, classes, checks.skipped());
  }

  private void readFile(String file, BufferedReader lines, RecordChecks checks, SparseRows rows)
      throws IOException {
    long lineNo = 0;
    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
      lineNo++;
      int comment = line.indexOf('#');
      String content = (comment >= 0 ? line.substring(0, comment) : line).strip();
      if (!content.isEmpty()) {
        long at = lineNo;
        record(content.split("\\s+"), checks, rows, () -> file + ": line " + at);
      }
    }
  }

  /** Parses one line's tokens into {@code rows}, or rejects the line. */
  private void record(
      String[] tokens, RecordChecks checks, SparseRows rows, Supplier<String> where) {
    double label = checks.label(tokens[0], where);
    if (Double.isNaN(label)) {
      return;
    }
    int[] indices = new int[tokens.length - 1];
    float[] values = new float[tokens.length - 1];
    int previous = 0;
    for (int k = 1; k < tokens.length; k++) {
      String token = tokens[k];
      int colon = token.indexOf(':');
      long index = colon > 0 ? wholeNumber(token.substring(0, colon)) : -1;
      if (index < 0) {
        checks.reject(
            where,
            SkippedRecords.BAD_TOKEN,
            "token '" + DataException.excerpt(token) + "' is not index:value");
        return;
      }
      String outOfRange =
          index < 1
              ? ": LibSVM indices start at 1"
              : features > 0 && index > features
                  ? " is above the declared " + features + " features"
                  : index > Integer.MAX_VALUE - 8 ? " is too large" : null;
      if (outOfRange != null) {
        checks.reject(
            where,
            SkippedRecords.INDEX_OUT_OF_RANGE,
            "index " + token.substring(0, colon) + outOfRange);
        return;
      }
      if (index <= previous) {
        checks.reject(
            where,
            SkippedRecords.INDEX_OUT_OF_ORDER,
            "index " + index + " follows index " + previous + "; indices must increase");
        return;
      }
      values[k - 1] = checks.number(token.substring(colon + 1), (int) index, FEATURE_NAMES, where);
      if (Float.isNaN(values[k - 1])) {
        return;
      }
      indices[k - 1] = (int) index;
      previous = (int) index;
    }
    rows.add(label, indices, values);
  }

  /** The digits of {@code text} as a number (saturating), or -1 when it is not only digits. */
  private static long wholeNumber(String text) {
    if (text.isEmpty()) {
      return -1;
    }
    long n = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      n = Math.min(n * 10 + (c - '0'), Integer.MAX_VALUE + 1L);
    }
    return n;
  }

  /**
   * Rows kept sparse while reading, so the feature count can be inferred in the same pass; dense
   * only once the width is known.
   */
  private static final class SparseRows {
    private int size;
    private int maxIndex;
    private double[] labels = new double[1024];
    private int[][] indices = new int[1024][];
    private float[][] values = new float[1024][];

    void add(double label, int[] index, float[] value) {
      if (size == labels.length) {
        labels = Arrays.copyOf(labels, 2 * size);
        indices = Arrays.copyOf(indices, 2 * size);
        values = Arrays.copyOf(values, 2 * size);
      }
      labels[size] = label;
      indices[size] = index;
      values[size] = value;
      size++;
      if (index.length > 0) {
        maxIndex = Math.max(maxIndex, index[index.length - 1]);
      }
    }

    ExampleBuffer dense(String source, int width, boolean regression) {
      ExampleBuffer out = new ExampleBuffer(source, width, size, regression);
      float[] row = new float[width];
      for (int i = 0; i < size; i++) {
        Arrays.fill(row, 0f);
        for (int k = 0; k < indices[i].length; k++) {
          row[indices[i][k] - 1] = values[i][k];
        }
        out.add(row, labels[i]);
        // Free each sparse row once copied, so the two forms never coexist in full.
        indices[i] = null;
        values[i] = null;
      }
      return out;
    }
  }
}
