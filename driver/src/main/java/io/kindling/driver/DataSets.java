package io.kindling.driver;

import io.kindling.data.CsvReader;
import io.kindling.data.DataException;
import io.kindling.data.FrameReader;
import io.kindling.data.IdxReader;
import io.kindling.data.ImageFolderReader;
import io.kindling.data.LabeledData;
import io.kindling.data.LibSvmReader;
import java.io.IOException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/** Reads a job's training and test data in the format its configuration names. */
final class DataSets {
  static final String DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist";

  private DataSets() {}

  /** The training and test files the configuration names, read when asked for. */
  static ExampleSource files(JobConfig.Data data, JavaSparkContext spark) {
    return new ExampleSource() {
      @Override
      public LabeledData train() {
        return DataSets.train(data, spark);
      }

      @Override
      public LabeledData test() {
        return DataSets.test(data, spark);
      }

      @Override
      public String describe() {
        return data.path();
      }
    };
  }

  static LabeledData train(JobConfig.Data data, JavaSparkContext spark) {
    return data.format().equals("idx")
        ? idx(data, spark, data.trainImages(), data.trainLabels())
        : read(data, spark, data.train());
  }

  static LabeledData test(JobConfig.Data data, JavaSparkContext spark) {
    return data.format().equals("idx")
        ? idx(data, spark, data.testImages(), data.testLabels())
        : read(data, spark, data.test());
  }

  private static LabeledData idx(
      JobConfig.Data data, JavaSparkContext spark, String images, String labels) {
    requireFolder(data, spark);
    return limit(
        IdxReader.read(
            data.file(images),
            data.file(labels),
            data.classes(),
            data.badRecords(),
            spark.hadoopConfiguration()),
        data.limit());
  }

  private static LabeledData read(JobConfig.Data data, JavaSparkContext spark, String source) {
    if (!source.contains("/")) {
      requireFolder(data, spark);
    }
    String where = data.file(source);
    int[] shape = data.shape();
    LabeledData read =
        switch (data.format()) {
          case "csv" -> {
            CsvReader csv =
                new CsvReader(data.classes())
                    .withHeader(data.csvHeader())
                    .withDelimiter(data.csvDelimiter())
                    .withLabel(data.labelColumn())
                    .withFeatures(data.featureColumns())
                    .withPolicy(data.badRecords());
            yield (shape.length > 0 ? csv.withShape(shape) : csv)
                .read(where, spark.hadoopConfiguration());
          }
          case "libsvm" -> {
            LibSvmReader libsvm =
                new LibSvmReader(data.classes())
                    .withFeatures(data.libsvmFeatures())
                    .withPolicy(data.badRecords());
            yield (shape.length > 0 ? libsvm.withShape(shape) : libsvm)
                .read(where, spark.hadoopConfiguration());
          }
          case "parquet" -> {
            FrameReader frame =
                new FrameReader(data.classes())
                    .withLabel(data.labelColumn())
                    .withPolicy(data.badRecords());
            if (!data.featureColumns().isEmpty()) {
              frame = frame.withFeatures(data.featureColumns().toArray(String[]::new));
            }
            yield (shape.length > 0 ? frame.withShape(shape) : frame)
                .readParquet(session(spark), where);
          }
          case "images" -> {
            ImageFolderReader images = new ImageFolderReader().withPolicy(data.badRecords());
            if (shape.length == 3) {
              images =
                  images.withShape(shape[0], shape[1], shape[2]).withResize(data.resizeImages());
            } else if (shape.length != 0) {
              throw new DataException(
                  where + ": data.shape for images must be [channels, height, width]");
            }
            LabeledData d = images.read(session(spark), where);
            if (d.classes() > data.classes()) {
              throw new DataException(
                  where
                      + ": "
                      + d.classes()
                      + " class folders but data.classes is "
                      + data.classes());
            }
            yield d;
          }
          default -> throw new IllegalStateException("unknown format " + data.format());
        };
    return limit(read, data.limit());
  }

  private static SparkSession session(JavaSparkContext spark) {
    return SparkSession.builder().sparkContext(spark.sc()).getOrCreate();
  }

  private static LabeledData limit(LabeledData d, int limit) {
    if (limit == 0 || limit >= d.size()) {
      return d;
    }
    int[] rows = new int[limit];
    for (int i = 0; i < limit; i++) {
      rows[i] = i;
    }
    return d.select(rows, "first " + limit);
  }

  /** A missing data folder is the most common first-run problem: say how to fix it. */
  private static void requireFolder(JobConfig.Data data, JavaSparkContext spark) {
    Path dir = new Path(data.path());
    boolean exists;
    try {
      exists = dir.getFileSystem(spark.hadoopConfiguration()).exists(dir);
    } catch (IOException e) {
      throw new DataException(
          data.path() + ": cannot reach the data folder (" + e.getMessage() + ")", e);
    }
    if (!exists) {
      String how =
          data.path().replaceAll("/+$", "").equals(DEBIAN_FASHION_MNIST)
              ? "install it with `sudo apt-get install dataset-fashion-mnist`, or pass --data DIR for another location"
              : "pass --data DIR (or set data.path) to the folder holding the data files";
      throw new DataException(data.path() + ": data folder not found; " + how);
    }
  }
}
