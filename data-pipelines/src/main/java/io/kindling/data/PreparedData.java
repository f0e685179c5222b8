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
  /** The Spark job group of the jobs that prepare data, each described by its step. */
  public static final String JOB_GROUP = "kindling-preparation";

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

  /**
   * The same for examples cached on the executors, which never pass through the driver: a seeded
   * {@code validationFraction} of every block is held out (and cached apart) and the normaliser is
   * fitted on the rest, in the pass that reads and counts the input; the test rows are cached as
   * they are read; each split is then dealt into balanced, normalised, cached worker blocks by the
   * blocks' counts, without a shuffle. Releases {@code trainFile} and {@code testFile}.
   */
  public static PreparedData prepare(
      DistributedExamples trainFile,
      DistributedExamples testFile,
      double validationFraction,
      Normaliser.Kind normalise,
      boolean perFeature,
      int workers,
      long seed,
      StorageLevel storage) {
    RowSelection train = RowSelection.holdOut(validationFraction, seed, false);
    RowSelection validation = RowSelection.holdOut(validationFraction, seed, true);
    // One pass reads the input, counts it, sums the normaliser's moments over the training rows
    // and caches the held-out rows apart: only the training rows are read again, to be dealt.
    DistributedExamples.Pass first =
        trainFile.pass(
            normalise == Normaliser.Kind.NONE ? null : train,
            validationFraction > 0 ? validation : null,
            storage);
    Normaliser normaliser =
        Normaliser.fit(first.moments(), normalise, perFeature, trainFile.width());
    // The test rows are cached as they are read, too: dealing them into many blocks would
    // otherwise read each input split once for every block that takes rows from it.
    DistributedExamples.Pass test = testFile.pass(null, RowSelection.ALL, storage);
    int trainSize = size(trainFile, train, "training");
    int validationSize = size(trainFile, validation, "validation");
    int testSize = size(testFile, RowSelection.ALL, "test");
    JavaRDD<ExampleBlock> validationBlocks =
        validationSize == 0
            ? null
            : cached(first.dealt(workers, seed + 2, normaliser), storage, "validation");
    first.release();
    // The small splits go first: when the training blocks then outgrow memory, the rest of them
    // go straight to disk, instead of a later split evicting (and writing out) training blocks.
    JavaRDD<ExampleBlock> testBlocks =
        cached(test.dealt(workers, seed + 3, normaliser), storage, "test");
    test.release();
    testFile.release();
    JavaRDD<ExampleBlock> trainBlocks =
        cached(trainFile.balanced(train, workers, seed + 1, normaliser), storage, "train");
    trainFile.release();
    return new PreparedData(
        trainBlocks,
        validationBlocks,
        testBlocks,
        normaliser,
        trainSize,
        validationSize,
        testSize,
        new SkippedRecords().merge(trainFile.skipped()).merge(testFile.skipped()));
  }

  private static int size(DistributedExamples examples, RowSelection selection, String split) {
    long size = java.util.Arrays.stream(examples.counts(selection)).sum();
    if (size > Integer.MAX_VALUE) {
      throw new DataException(
          examples.source()
              + ": the "
              + split
              + " split has "
              + size
              + " examples, more than "
              + Integer.MAX_VALUE
              + " that one run can train on");
    }
    return (int) size;
  }

  /** Caches and materialises the blocks; the name shows in the Spark UI. */
  private static JavaRDD<ExampleBlock> cached(
      JavaRDD<ExampleBlock> blocks, StorageLevel storage, String name) {
    JavaRDD<ExampleBlock> result = blocks.setName("kindling " + name).persist(storage);
    // Materialise now, so the first round's time is training only.
    PreparationStep.run(
        result.context(),
        "deal the " + name + " split into " + result.getNumPartitions() + " blocks",
        result::count);
    return result;
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

  /** Drops the cached blocks, before returning: their memory goes to what comes next. */
  public void release() {
    train.unpersist(true);
    if (validation != null) {
      validation.unpersist(true);
    }
    test.unpersist(true);
  }
}
