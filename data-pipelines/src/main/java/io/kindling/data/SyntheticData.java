package io.kindling.data;

import java.io.Serializable;
import java.util.Iterator;
import java.util.SplittableRandom;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A seeded, learnable classification data set of any size, written as Parquet on the executors:
 * column {@code features} (an array of floats; Spark ML's {@code array_to_vector} makes it a
 * vector) and column {@code label} (int), as {@link FrameReader} reads by default. Floats, not an
 * ML vector's doubles, because that is what a network trains on: half the bytes to store and read.
 * {@link #withPackedFeatures()} writes the floats packed into one binary value per row instead
 * (little-endian fp32), which Parquet stores as a plain column: Spark reads an array column by
 * assembling every value from its repetition and definition levels, and that took about 40% of the
 * preparation of 2 million 784-feature rows.
 *
 * <p>Each example is {@code x ~ N(0, I)}; a fixed random linear teacher labels it with the class of
 * its largest score {@code w_c . x}; then, with probability {@code labelNoise}, the label is
 * replaced by one of the other classes, uniformly. No model can beat the teacher, which is right
 * with probability {@code 1 - labelNoise}: that is the best accuracy, and a linear model reaches
 * it. Row {@code i} depends only on the seed and {@code i}, so the data does not depend on the
 * number of partitions and a retried task writes the same rows.
 *
 * <p>Immutable: each {@code with...} returns a changed copy.
 */
public final class SyntheticData {
  private final long rows;
  private final int features;
  private final int classes;
  private final double labelNoise;
  private final long seed;
  private final int partitions;
  private final long firstRow;
  private final boolean packed;

  /** {@code rows} examples of {@code features} features in {@code classes} classes, no noise. */
  public SyntheticData(long rows, int features, int classes) {
    this(rows, features, classes, 0, 0, 0, 0, false);
  }

  private SyntheticData(
      long rows,
      int features,
      int classes,
      double labelNoise,
      long seed,
      int partitions,
      long firstRow,
      boolean packed) {
    if (rows < 1 || features < 1 || classes < 2) {
      throw new IllegalArgumentException(
          "synthetic data needs rows >= 1, features >= 1 and classes >= 2, got "
              + rows
              + ", "
              + features
              + ", "
              + classes);
    }
    // Above (classes-1)/classes a wrong label is likelier than the teacher's: no longer learnable.
    if (labelNoise < 0 || labelNoise >= (classes - 1.0) / classes) {
      throw new IllegalArgumentException(
          "label noise must be in [0, " + (classes - 1.0) / classes + "), got " + labelNoise);
    }
    if (firstRow < 0) {
      throw new IllegalArgumentException("the first row must be >= 0, got " + firstRow);
    }
    if (partitions < 0) {
      throw new IllegalArgumentException("partitions must be >= 0, got " + partitions);
    }
    this.rows = rows;
    this.features = features;
    this.classes = classes;
    this.labelNoise = labelNoise;
    this.seed = seed;
    this.partitions = partitions;
    this.firstRow = firstRow;
    this.packed = packed;
  }

  /** The probability that a label is replaced by another class (default 0). */
  public SyntheticData withLabelNoise(double p) {
    return new SyntheticData(rows, features, classes, p, seed, partitions, firstRow, packed);
  }

  /** The seed of the teacher and of every row (default 0). */
  public SyntheticData withSeed(long seed) {
    return new SyntheticData(
        rows, features, classes, labelNoise, seed, partitions, firstRow, packed);
  }

  /**
   * Generates rows {@code firstRow .. firstRow + rows - 1} (default 0): with the same seed, a
   * disjoint range gives a test split labelled by the same teacher.
   */
  public SyntheticData withFirstRow(long firstRow) {
    return new SyntheticData(
        rows, features, classes, labelNoise, seed, partitions, firstRow, packed);
  }

  /** Output partitions (files); 0 (the default) means Spark's default parallelism. */
  public SyntheticData withPartitions(int partitions) {
    return new SyntheticData(
        rows, features, classes, labelNoise, seed, partitions, firstRow, packed);
  }

  /** Writes each row's features as one binary value of little-endian fp32s (default: an array). */
  public SyntheticData withPackedFeatures() {
    return new SyntheticData(rows, features, classes, labelNoise, seed, partitions, firstRow, true);
  }

  /** The accuracy of the teacher, which no model can beat: {@code 1 - labelNoise}. */
  public double bestAccuracy() {
    return 1 - labelNoise;
  }

  /**
   * Writes the data set as Parquet at {@code path}, which must not exist yet.
   *
   * @return the best accuracy any model can reach on it
   */
  public double write(SparkSession spark, String path) {
    int parts = partitions > 0 ? partitions : spark.sparkContext().defaultParallelism();
    StructType schema =
        new StructType()
            .add(
                "features",
                packed
                    ? DataTypes.BinaryType
                    : DataTypes.createArrayType(DataTypes.FloatType, false),
                false)
            .add("label", DataTypes.IntegerType, false);
    Generator generator = new Generator(teacher(), features, classes, labelNoise, seed, packed);
    spark
        .range(firstRow, firstRow + rows, 1, parts)
        .mapPartitions(generator, Encoders.row(schema))
        .write()
        // Gaussian noise does not compress: compressing it would only cost time on every read.
        .option("compression", "none")
        .parquet(path);
    return bestAccuracy();
  }

  /** The teacher's class for {@code x}, for tests. */
  int teacherClass(double[] x) {
    return Generator.argmax(teacher(), x, classes);
  }

  /** Unit-length class directions, so no class wins by scale alone. */
  private double[] teacher() {
    SplittableRandom r = new SplittableRandom(seed);
    double[] w = new double[classes * features];
    for (int c = 0; c < classes; c++) {
      double norm = 0;
      for (int j = 0; j < features; j++) {
        w[c * features + j] = r.nextGaussian();
        norm += w[c * features + j] * w[c * features + j];
      }
      for (int j = 0; j < features; j++) {
        w[c * features + j] /= Math.sqrt(norm);
      }
    }
    return w;
  }

  /** Makes the rows of one partition of ids. */
  private record Generator(
      double[] teacher, int features, int classes, double labelNoise, long seed, boolean packed)
      implements MapPartitionsFunction<Long, Row>, Serializable {

    @Override
    public Iterator<Row> call(Iterator<Long> ids) {
      // Lazily, so a partition of any size streams to its file.
      return new Iterator<>() {
        @Override
        public boolean hasNext() {
          return ids.hasNext();
        }

        @Override
        public Row next() {
          return row(ids.next());
        }
      };
    }

    private Row row(long id) {
      SplittableRandom r = new SplittableRandom(mix(seed ^ mix(id)));
      float[] values = new float[features];
      double[] x = new double[features];
      for (int j = 0; j < features; j++) {
        // The teacher labels exactly the float a model sees.
        values[j] = (float) r.nextGaussian();
        x[j] = values[j];
      }
      int label = argmax(teacher, x, classes);
      if (r.nextDouble() < labelNoise) {
        label = (label + 1 + r.nextInt(classes - 1)) % classes;
      }
      return RowFactory.create(packed ? PackedFloats.pack(values) : values, label);
    }

    static int argmax(double[] w, double[] x, int classes) {
      int best = 0;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < classes; c++) {
        double score = 0;
        for (int j = 0; j < x.length; j++) {
          score += w[c * x.length + j] * x[j];
        }
        if (score > bestScore) {
          best = c;
          bestScore = score;
        }
      }
      return best;
    }

    /** SplitMix64's finaliser: nearby ids get unrelated seeds. */
    private static long mix(long z) {
      z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
      z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
      return z ^ (z >>> 31);
    }
  }
}
