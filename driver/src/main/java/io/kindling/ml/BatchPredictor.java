package io.kindling.ml;

import io.kindling.kernels.Network;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Appends a model's outputs to each row of a partition, {@value #CHUNK} rows per network call: one
 * network per partition, built from a broadcast, instead of one ND4J call per row.
 */
final class BatchPredictor implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;
  static final int CHUNK = 1024;

  /** A column the predictor appends, in the order the output schema holds them. */
  enum Output {
    /** The class (argmax of probability over thresholds), or the regression value. */
    PREDICTION,
    /** Class probabilities. */
    PROBABILITY,
    /** The natural log of each class probability: the logits up to a per-row constant. */
    RAW_PREDICTION
  }

  private final Broadcast<NetworkScorer> scorer;
  private final int featuresIndex;
  private final String featuresCol;
  private final List<Output> outputs;
  private final double[] thresholds;

  /**
   * @param thresholds per-class divisors of the probabilities before the argmax (as Spark's
   *     classifiers apply them), or null
   */
  BatchPredictor(
      Broadcast<NetworkScorer> scorer,
      int featuresIndex,
      String featuresCol,
      List<Output> outputs,
      double[] thresholds) {
    this.scorer = scorer;
    this.featuresIndex = featuresIndex;
    this.featuresCol = featuresCol;
    this.outputs = List.copyOf(outputs);
    this.thresholds = thresholds;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    NetworkScorer s = scorer.value();
    Network network = s.network();
    Deque<Row> ready = new ArrayDeque<>();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        if (ready.isEmpty() && rows.hasNext()) {
          predictChunk(s, network, rows, ready);
        }
        return !ready.isEmpty();
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return ready.poll();
      }
    };
  }

  private void predictChunk(NetworkScorer s, Network network, Iterator<Row> rows, Deque<Row> out) {
    int width = s.spec().inputSize();
    int k = s.spec().outputSize();
    List<Row> chunk = new ArrayList<>(CHUNK);
    float[] x = new float[CHUNK * width];
    while (chunk.size() < CHUNK && rows.hasNext()) {
      Row row = rows.next();
      double[] values = features(row, width);
      int base = chunk.size() * width;
      for (int j = 0; j < width; j++) {
        x[base + j] = (float) values[j];
      }
      chunk.add(row);
    }
    int n = chunk.size();
    float[] y = s.outputs(network, n < CHUNK ? Arrays.copyOf(x, n * width) : x, n);
    for (int i = 0; i < n; i++) {
      Row row = chunk.get(i);
      Object[] values = new Object[row.size() + outputs.size()];
      for (int c = 0; c < row.size(); c++) {
        values[c] = row.get(c);
      }
      for (int o = 0; o < outputs.size(); o++) {
        values[row.size() + o] = output(outputs.get(o), y, i * k, k);
      }
      out.add(RowFactory.create(values));
    }
  }

  private double[] features(Row row, int width) {
    if (row.isNullAt(featuresIndex)) {
      throw new IllegalArgumentException(
          "features column '" + featuresCol + "' is null in a row; every row needs its features");
    }
    Vector v = row.getAs(featuresIndex);
    if (v.size() != width) {
      throw new IllegalArgumentException(
          "features column '"
              + featuresCol
              + "' holds a vector of "
              + v.size()
              + " values; the model takes "
              + width);
    }
    return v.toArray();
  }

  private Object output(Output kind, float[] y, int from, int k) {
    return switch (kind) {
      case PREDICTION -> k == 1 ? (double) y[from] : (double) predictedClass(y, from, k);
      case PROBABILITY -> {
        double[] p = new double[k];
        for (int c = 0; c < k; c++) {
          p[c] = y[from + c];
        }
        yield Vectors.dense(p);
      }
      case RAW_PREDICTION -> {
        double[] raw = new double[k];
        for (int c = 0; c < k; c++) {
          raw[c] = logProbability(y[from + c]);
        }
        yield Vectors.dense(raw);
      }
    };
  }

  /** A probability's log, finite even where the float probability underflowed to 0. */
  static double logProbability(float p) {
    return Math.log(Math.max(p, Float.MIN_VALUE));
  }

  private int predictedClass(float[] p, int from, int k) {
    int best = 0;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int c = 0; c < k; c++) {
      double score = thresholds == null ? p[from + c] : p[from + c] / thresholds[c];
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    return best;
  }
}
