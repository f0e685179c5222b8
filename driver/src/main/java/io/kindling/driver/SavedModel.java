package io.kindling.driver;

import io.kindling.data.LabeledData;
import io.kindling.data.Normaliser;
import io.kindling.data.Partitions;
import io.kindling.data.PreparedData;
import io.kindling.kernels.ExampleBlock;
import io.kindling.kernels.ModelFile;
import io.kindling.kernels.ModelFileException;
import java.io.IOException;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;

/** A model loaded for use, with the normaliser it was trained with. */
record SavedModel(String dir, ModelFile file, Normaliser normaliser) {

  static SavedModel load(String dir, Configuration hadoop) throws IOException {
    ModelFile file = HadoopStore.read(dir, hadoop);
    if (file.preprocessing() == null) {
      throw new ModelFileException(
          dir + "/model.json: no preprocessing section; was it written by kindling train?");
    }
    Normaliser normaliser;
    try {
      normaliser = Normaliser.fromJson(file.preprocessing());
    } catch (IllegalArgumentException e) {
      throw new ModelFileException(dir + "/model.json: " + e.getMessage(), e);
    }
    return new SavedModel(dir, file, normaliser);
  }

  /** The data as cached, normalised blocks, one per worker, checked against the model's input. */
  JavaRDD<ExampleBlock> blocks(JavaSparkContext spark, LabeledData data, int workers, long seed) {
    if (data.width() != file.spec().inputSize()) {
      throw new io.kindling.data.DataException(
          data.source()
              + ": examples have "
              + data.width()
              + " values (shape "
              + Arrays.toString(data.shape())
              + ") but the model takes "
              + file.spec().inputSize());
    }
    return PreparedData.normalised(
        Partitions.balanced(spark, data, Math.min(workers, data.size()), seed),
        normaliser,
        StorageLevel.MEMORY_ONLY(),
        "input");
  }
}
