package io.kindling.it;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Stands in for {@code z}, the ZeppelinContext of Zeppelin's Spark interpreter, for the one call
 * the note makes: {@link #show} renders a Dataset as Zeppelin's {@code %table} text (a
 * tab-separated header line, then one line per row), prints it, and keeps it for the test to
 * inspect.
 */
public final class NoteContext {
  /** The rows Zeppelin shows at most: its {@code zeppelin.spark.maxResult} default. */
  static final int MAX_ROWS = 1000;

  private final List<Table> shown = new ArrayList<>();

  /** As {@code z.show(dataFrame)}. */
  public void show(Object frame) {
    if (!(frame instanceof Dataset<?> dataset)) {
      throw new IllegalArgumentException(
          "z.show: this stand-in shows Datasets only, got " + frame.getClass().getName());
    }
    Dataset<Row> rows = dataset.toDF();
    List<List<String>> cells = new ArrayList<>();
    for (Row row : rows.takeAsList(MAX_ROWS)) {
      List<String> line = new ArrayList<>();
      for (int i = 0; i < row.length(); i++) {
        line.add(cell(row.get(i)));
      }
      cells.add(List.copyOf(line));
    }
    Table table = new Table(List.of(rows.columns()), List.copyOf(cells));
    shown.add(table);
    System.out.println(table.text());
  }

  List<Table> shown() {
    return List.copyOf(shown);
  }

  /** Zeppelin's table separators cannot appear inside a cell. */
  private static String cell(Object value) {
    return String.valueOf(value).replace('\t', ' ').replace('\n', ' ');
  }

  /** A shown table: column names and rows of cells, as Zeppelin's {@code %table} text carries. */
  record Table(List<String> columns, List<List<String>> rows) {
    String text() {
      StringBuilder text = new StringBuilder("%table ").append(String.join("\t", columns));
      rows.forEach(r -> text.append('\n').append(String.join("\t", r)));
      return text.append('\n').toString();
    }

    List<Double> column(String name) {
      int i = columns.indexOf(name);
      if (i < 0) {
        throw new IllegalArgumentException("no column " + name + " in " + columns);
      }
      return rows.stream().map(r -> Double.parseDouble(r.get(i))).toList();
    }
  }
}
