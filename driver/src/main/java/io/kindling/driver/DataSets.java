package io.kindling.driver;

import io.kindling.data.DataException;
import io.kindling.data.IdxReader;
import io.kindling.data.LabeledData;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/** Reads a job's train and test files as its configuration names them. */
final class DataSets {
  static final String DEBIAN_FASHION_MNIST = "/usr/share/datasets/fashion-mnist";

  private DataSets() {}

  static LabeledData train(JobConfig.Data data, Configuration hadoop) {
    requireFolder(data, hadoop);
    return limit(
        IdxReader.read(
            data.file(data.trainImages()),
            data.file(data.trainLabels()),
            data.classes(),
            data.badRecords(),
            hadoop),
        data.limit());
  }

  static LabeledData test(JobConfig.Data data, Configuration hadoop) {
    requireFolder(data, hadoop);
    return limit(
        IdxReader.read(
            data.file(data.testImages()),
            data.file(data.testLabels()),
            data.classes(),
            data.badRecords(),
            hadoop),
        data.limit());
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
  private static void requireFolder(JobConfig.Data data, Configuration hadoop) {
    Path dir = new Path(data.path());
    boolean exists;
    try {
      exists = dir.getFileSystem(hadoop).exists(dir);
    } catch (IOException e) {
      throw new DataException(
          data.path() + ": cannot reach the data folder (" + e.getMessage() + ")", e);
    }
    if (!exists) {
      String how =
          data.path().replaceAll("/+$", "").equals(DEBIAN_FASHION_MNIST)
              ? "install it with `sudo apt-get install dataset-fashion-mnist`, or pass --data DIR for another location"
              : "pass --data DIR (or set data.path) to a folder holding "
                  + data.trainImages()
                  + " and the other files";
      throw new DataException(data.path() + ": data folder not found; " + how);
    }
  }
}
