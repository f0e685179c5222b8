package io.kindling.ml;

import java.util.Arrays;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.StructType;

/** Checks the features column before Spark's own schema checks, with a message that says how. */
final class FeatureColumn {
  private FeatureColumn() {}

  static void require(StructType schema, String column, Object stage) {
    if (!Arrays.asList(schema.fieldNames()).contains(column)) {
      throw new IllegalArgumentException(
          stage
              + ": no features column '"
              + column
              + "' (columns: "
              + String.join(", ", schema.fieldNames())
              + "); set featuresCol to a vector column, e.g. VectorAssembler's output");
    }
    DataType type = schema.apply(column).dataType();
    if (!type.equals(SQLDataTypes.VectorType())) {
      throw new IllegalArgumentException(
          stage
              + ": features column '"
              + column
              + "' is "
              + type.simpleString()
              + ", not a vector; assemble the features into one with VectorAssembler");
    }
  }
}
