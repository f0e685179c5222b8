package io.kindling.ml;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.nd4j.shade.jackson.databind.JsonNode;

/** A trained network's history and evaluation as small DataFrames on the active Spark session. */
final class RunFrames {
  private RunFrames() {}

  /** One row per epoch, with the columns of {@code metrics.jsonl} in the order it writes them. */
  static Dataset<Row> history(List<JsonNode> epochs) {
    SparkSession spark = SparkSession.active();
    Set<String> columns = new LinkedHashSet<>();
    List<String> lines = new ArrayList<>();
    for (JsonNode epoch : epochs) {
      epoch.fieldNames().forEachRemaining(columns::add);
      lines.add(epoch.toString());
    }
    Dataset<Row> frame = spark.read().json(spark.createDataset(lines, Encoders.STRING()));
    return frame.select(columns.stream().map(functions::col).toArray(Column[]::new));
  }

  /** One row of the aggregate scores: every number at the evaluation's top level. */
  static Dataset<Row> metrics(JsonNode evaluation) {
    List<StructField> fields = new ArrayList<>();
    List<Object> values = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = evaluation.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      if (v.isNumber()) {
        boolean whole = v.isIntegralNumber();
        fields.add(field(e.getKey(), whole ? DataTypes.LongType : DataTypes.DoubleType));
        values.add(whole ? (Object) v.asLong() : (Object) v.asDouble());
      }
    }
    return frame(
        new StructType(fields.toArray(StructField[]::new)), List.<Object[]>of(values.toArray()));
  }

  /** One row per class: precision, recall, F1 and support. */
  static Dataset<Row> classMetrics(JsonNode evaluation) {
    StructType schema =
        new StructType(
            new StructField[] {
              field("class", DataTypes.IntegerType),
              field("precision", DataTypes.DoubleType),
              field("recall", DataTypes.DoubleType),
              field("f1", DataTypes.DoubleType),
              field("support", DataTypes.LongType)
            });
    List<Object[]> rows = new ArrayList<>();
    for (JsonNode c : evaluation.path("per_class")) {
      rows.add(
          new Object[] {
            c.path("class").asInt(),
            c.path("precision").asDouble(),
            c.path("recall").asDouble(),
            c.path("f1").asDouble(),
            c.path("support").asLong()
          });
    }
    return frame(schema, rows);
  }

  /** One row per (actual, predicted) pair of classes, with its count of examples. */
  static Dataset<Row> confusionMatrix(JsonNode evaluation) {
    StructType schema =
        new StructType(
            new StructField[] {
              field("actual", DataTypes.IntegerType),
              field("predicted", DataTypes.IntegerType),
              field("count", DataTypes.LongType)
            });
    List<Object[]> rows = new ArrayList<>();
    JsonNode matrix = evaluation.path("confusion_matrix");
    for (int a = 0; a < matrix.size(); a++) {
      for (int p = 0; p < matrix.get(a).size(); p++) {
        rows.add(new Object[] {a, p, matrix.get(a).get(p).asLong()});
      }
    }
    return frame(schema, rows);
  }

  private static StructField field(String name, DataType type) {
    return DataTypes.createStructField(name, type, false);
  }

  private static Dataset<Row> frame(StructType schema, List<Object[]> rows) {
    return SparkSession.active()
        .createDataFrame(rows.stream().map(RowFactory::create).toList(), schema);
  }
}
