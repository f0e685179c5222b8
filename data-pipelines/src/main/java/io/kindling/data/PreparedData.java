package io.kindling.data;

import io.kindling.kernels.ExampleBlock;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;

/**
 * Training, validation and test examples as cached RDDs of one normalised block per worker
 * partition, with the normaliser fitted on the training split alone.
 */
public record PreparedData(
    JavaRDD<ExampleBlock> train,
    JavaRDD<ExampleBlock> validation,
    JavaRDD<ExampleBlock> test,
    Normaliser normaliser,
    int trainSize,
    int validationSize,
    int testSize,
    SkippedRecords skipped) {

  /**
   * Splits {@code trainFile} into train and validation by a seeded fraction, partitions every split
   * into {@code workers} balanced blocks, fits the normaliser in one distributed pass over the
   * training blocks, normalises all splits and caches them.
   */
  public static PreparedData prepare(
      JavaSparkContext spark,
      LabeledData trainFile,
      LabeledData testFile,
      double validationFraction,
      Normaliser.Kind normalise,
      boolean perFeature,
      int workers,
      long seed,
      StorageLevel storage) {
    LabeledData[] split = Partitions.holdOut(trainFile, validationFraction, seed, "validation");
    LabeledData train = split[0];
    LabeledData validation = split[1];
    JavaRDD<ExampleBlock> rawTrain =
        Partitions.balanced(spark, train, workers, seed + 1).persist(storage);
    Normaliser normaliser = Normaliser.fit(rawTrain, normalise, perFeature, train.width());
    JavaRDD<ExampleBlock> trainBlocks = normalised(rawTrain, normaliser, storage, "train");
    rawTrain.unpersist(false);
    JavaRDD<ExampleBlock> validationBlocks =
        validation.size() == 0
            ? null
            : normalised(
                Partitions.balanced(
                    spark, validation, Math.min(workers, validation.size()), seed + 2),
                normaliser,
                storage,
                "validation");
    JavaRDD<ExampleBlock> testBlocks =
        normalised(
            Partitions.balanced(spark, testFile, Math.min(workers, testFile.size()), seed + 3),
            normaliser,
            storage,
            "test");
    SkippedRecords skipped =
        new SkippedRecords().merge(trainFile.skipped()).merge(testFile.skipped());
    return new PreparedData(
        trainBlocks,
        validationBlocks,
        testBlocks,
        normaliser,
        train.size(),
        validation.size(),
        testFile.size(),
        skipped);
  }

  /** Normalises the blocks; the RDD is cached and its name shows in the Spark UI. */
  public static JavaRDD<ExampleBlock> normalised(
      JavaRDD<ExampleBlock> blocks, Normaliser normaliser, StorageLevel storage, String name) {
    JavaRDD<ExampleBlock> result =
        blocks.map(normaliser::apply).setName("kindling " + name).persist(storage);
    result.count(); // materialise now, so the first round's time is training only
    return result;
  }

  /** The largest partition's example count: it sets the number of steps per epoch. */
  public int largestPartition(int workers) {
    return (trainSize + workers - 1) / workers;
  }

  /** Drops the cached blocks. */
  public void release() {
    train.unpersist(false);
    if (validation != null) {
      validation.unpersist(false);
    }
    test.unpersist(false);
  }
}
