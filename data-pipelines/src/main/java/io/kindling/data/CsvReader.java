package io.kindling.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * Reads delimited text files (gzipped or not) of numbers into driver-side examples: one label
 * column and the feature columns. Errors name the file, the 1-based line number and the problem.
 *
 * <p>Immutable: each {@code with...} returns a changed copy. Columns are named by header name or by
 * 0-based index; a name that is a number means the header column of that name if there is one, else
 * that index. Fields may be quoted with {@code "} (a doubled {@code ""} inside is one quote), not
 * spanning lines; blank lines are ignored.
 */
public final class CsvReader {
  private final int classes;
  private final boolean header;
  private final char delimiter;
  private final String label;
  private final List<String> features;
  private final BadRecordPolicy policy;
  private final int[] shape;

  /**
   * A reader with a header line, comma-separated, the label in column {@code label} (column 0 when
   * there is no header), every other column a feature, failing on bad records.
   *
   * @param classes labels must be whole numbers in 0..classes-1; 0 means real-valued labels
   *     (regression targets)
   */
  public CsvReader(int classes) {
    this(classes, true, ',', null, List.of(), BadRecordPolicy.FAIL, null);
  }

  private CsvReader(
      int classes,
      boolean header,
      char delimiter,
      String label,
      List<String> features,
      BadRecordPolicy policy,
      int[] shape) {
    if (classes < 0) {
      throw new IllegalArgumentException(
          "classes must be positive, or 0 for real-valued labels, got " + classes);
    }
    if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
      throw new IllegalArgumentException("a CSV delimiter cannot be a quote or a line break");
    }
    this.classes = classes;
    this.header = header;
    this.delimiter = delimiter;
    this.label = label;
    this.features = List.copyOf(features);
    this.policy = policy;
    this.shape = shape;
  }

  /** Whether the first line of every file names the columns (default true). */
  public CsvReader withHeader(boolean header) {
    return new CsvReader(classes, header, delimiter, label, features, policy, shape);
  }

  /** The field separator (default {@code ,}); e.g. {@code ;} or a tab. */
  public CsvReader withDelimiter(char delimiter) {
    return new CsvReader(classes, header, delimiter, label, features, policy, shape);
  }

  /** The label column, by name or 0-based index (default {@code label}, or 0 without header). */
  public CsvReader withLabel(String column) {
    return new CsvReader(classes, header, delimiter, column, features, policy, shape);
  }

  /**
   * The feature columns in the order the examples hold them, by name or 0-based index; none (the
   * default) means every column but the label. Every feature column must hold numbers.
   */
  public CsvReader withFeatures(List<String> columns) {
    return new CsvReader(classes, header, delimiter, label, columns, policy, shape);
  }

  /** What to do with a bad line (default FAIL). */
  public CsvReader withPolicy(BadRecordPolicy policy) {
    return new CsvReader(classes, header, delimiter, label, features, policy, shape);
  }

  /** The shape of one example, e.g. {@code [1, 28, 28]} (default {@code [features]}). */
  public CsvReader withShape(int... shape) {
    return new CsvReader(classes, header, delimiter, label, features, policy, shape.clone());
  }

  /**
   * Reads every file that {@code pathOrGlob} names (a file, a folder of files, or a glob such as
   * {@code hdfs:///data/part-*.csv.gz}) in path order. All files must have the same header (or,
   * without header, as many columns as the first line of the first file).
   */
  public LabeledData read(String pathOrGlob, Configuration hadoop) {
    Reading reading = new Reading(pathOrGlob);
    for (Path path : HadoopFiles.expand(pathOrGlob, hadoop)) {
      String file = path.toString();
      HadoopFiles.read(
          file,
          path,
          hadoop,
          in -> {
            reading.file(
                file,
                new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8), 1 << 16));
            return null;
          });
    }
    return reading.result();
  }

  /**
   * Which fields are the label and the features, fixed by the first file.
   *
   * @param header the header's names, null without header
   * @param line the line that fixed the column count
   */
  private record Layout(
      String file, List<String> header, long line, int columns, int label, int[] features) {}

  /** One read over several files. */
  private final class Reading {
    private final String source;
    private final RecordChecks checks = new RecordChecks(policy, classes);
    private Layout layout;
    private ExampleBuffer examples;
    private float[] row;
    private IntFunction<String> featureNames;

    Reading(String source) {
      this.source = source;
    }

    void file(String file, BufferedReader lines) throws IOException {
      // Excel and Windows tools start UTF-8 files with a byte-order mark; it is not text.
      lines.mark(1);
      if (lines.read() != '\uFEFF') {
        lines.reset();
      }
      long lineNo = 0;
      if (header) {
        lineNo++;
        List<String> names = headerLine(file, lines.readLine());
        if (layout == null) {
          start(file, names, 1, names.size());
        } else if (!names.equals(layout.header)) {
          throw new DataException(
              file
                  + ": line 1: the header differs from the one in "
                  + layout.file
                  + " (found "
                  + DataException.excerpt(String.join(String.valueOf(delimiter), names))
                  + ")");
        }
      }
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        lineNo++;
        if (!line.isBlank()) {
          long at = lineNo;
          record(file, at, line, () -> file + ": line " + at);
        }
      }
    }

    private List<String> headerLine(String file, String line) {
      if (line == null) {
        throw new DataException(file + ": empty file; expected a header line");
      }
      List<String> names = split(line);
      if (names == null) {
        throw new DataException(file + ": line 1: unclosed quote in the header");
      }
      names.replaceAll(String::strip);
      return names;
    }

    private void record(String file, long lineNo, String line, Supplier<String> where) {
      List<String> fields = split(line);
      if (fields == null) {
        checks.reject(where, SkippedRecords.BAD_TOKEN, "unclosed quote");
        return;
      }
      if (layout == null) {
        // Without a header the first line fixes the number of columns.
        start(file, null, lineNo, fields.size());
      }
      if (fields.size() != layout.columns) {
        checks.reject(
            where,
            SkippedRecords.WRONG_COLUMN_COUNT,
            "expected "
                + layout.columns
                + " columns"
                + (header ? "" : " (as on line " + layout.line + " of " + layout.file + ")")
                + ", found "
                + fields.size());
        return;
      }
      double y = checks.label(fields.get(layout.label), where);
      if (Double.isNaN(y)) {
        return;
      }
      for (int j = 0; j < row.length; j++) {
        row[j] = checks.number(fields.get(layout.features[j]), j, featureNames, where);
        if (Float.isNaN(row[j])) {
          return;
        }
      }
      examples.add(row, y);
    }

    private void start(String file, List<String> names, long line, int columns) {
      String where = file + (names == null ? ": line " + line : ": line 1");
      int y = column(where, label != null ? label : header ? "label" : "0", names, columns);
      int[] x;
      if (features.isEmpty()) {
        x = new int[columns - 1];
        for (int c = 0, j = 0; c < columns; c++) {
          if (c != y) {
            x[j++] = c;
          }
        }
      } else {
        x = new int[features.size()];
        for (int j = 0; j < x.length; j++) {
          x[j] = column(where, features.get(j), names, columns);
          if (x[j] == y) {
            throw new DataException(
                where + ": column '" + features.get(j) + "' is both the label and a feature");
          }
        }
      }
      if (x.length == 0) {
        throw new DataException(where + ": no feature columns besides the label");
      }
      String[] described = new String[x.length];
      for (int j = 0; j < x.length; j++) {
        described[j] =
            names == null
                ? "column " + x[j]
                : "column '" + DataException.excerpt(names.get(x[j])) + "'";
      }
      layout = new Layout(file, names, line, columns, y, x);
      examples = new ExampleBuffer(source, x.length, 0, classes == 0);
      row = new float[x.length];
      featureNames = j -> described[j];
    }

    /** A column by header name, else by 0-based index. */
    private int column(String where, String spec, List<String> names, int columns) {
      if (names != null) {
        int first = names.indexOf(spec);
        if (first >= 0 && names.lastIndexOf(spec) != first) {
          throw new DataException(where + ": column '" + spec + "' appears twice in the header");
        }
        if (first >= 0) {
          return first;
        }
      }
      int index;
      try {
        index = Integer.parseInt(spec);
      } catch (NumberFormatException e) {
        throw new DataException(
            names == null
                ? where + ": without a header, name column '" + spec + "' by its 0-based index"
                : where
                    + ": no column '"
                    + spec
                    + "' in the header ("
                    + DataException.excerpt(String.join(String.valueOf(delimiter), names))
                    + ")");
      }
      if (index < 0 || index >= columns) {
        throw new DataException(
            where
                + ": column index "
                + index
                + " is outside the "
                + columns
                + " columns 0.."
                + (columns - 1));
      }
      return index;
    }

    LabeledData result() {
      if (examples == null) {
        throw ExampleBuffer.noExamples(source, checks.skipped());
      }
      return examples.toLabeledData(shape, classes, checks.skipped());
    }
  }

  /**
   * The fields of one line, or null when a quote is not closed. A quote opens a quoted run anywhere
   * in a field; inside it a doubled quote is one quote and the delimiter is text.
   */
  private List<String> split(String line) {
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '"') {
        if (quoted && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else {
          quoted = !quoted;
        }
      } else if (c == delimiter && !quoted) {
        fields.add(field.toString());
        field.setLength(0);
      } else {
        field.append(c);
      }
    }
    if (quoted) {
      return null;
    }
    fields.add(field.toString());
    return fields;
  }
}
