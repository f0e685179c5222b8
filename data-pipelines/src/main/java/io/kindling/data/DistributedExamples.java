package io.kindling.data;

import io.kindling.kernels.ExampleBlock;
import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.StorageLevel;

/**
 * Examples packed on the executors, never passing through the driver: for data sets larger than the
 * driver's memory. They are cached as read, one block per partition of the input (no shuffle), with
 * each block's count known to the driver, so they can be dealt into balanced worker blocks by
 * counts alone ({@link #blocks()}, {@link PreparedData#prepare(DistributedExamples,
 * DistributedExamples, double, Normaliser.Kind, boolean, int, long, StorageLevel)}).
 *
 * <p>Like a Spark transformation, nothing is read until it is needed. The first pass caches the
 * blocks at the storage level given ({@code NONE} reads the input again when they are dealt),
 * validates and counts every row, and for {@link PreparedData#prepare(DistributedExamples,
 * DistributedExamples, double, Normaliser.Kind, boolean, int, long, StorageLevel)} also sums the
 * normaliser's moments and caches the held-out rows apart. Call {@link #release()} once they are no
 * longer needed.
 */
public final class DistributedExamples {
  private final JavaRDD<SparkRows.Packed> packed;
  private final String source;
  private final int[] shape;
  private final int classes;
  private final int workers;
  private long[] counts; // per cached block; null until the first pass
  private SkippedRecords skipped;

  private DistributedExamples(
      JavaRDD<SparkRows.Packed> packed, String source, int[] shape, int classes, int workers) {
    this.packed = packed;
    this.source = source;
    this.shape = shape;
    this.classes = classes;
    this.workers = workers;
  }

  /**
   * Examples to be packed into cached blocks on the executors; nothing runs yet.
   *
   * @param workers the blocks {@link #blocks()} deals the examples into
   */
  static DistributedExamples of(
      JavaRDD<SparkRows.Packed> packed,
      String source,
      int[] shape,
      int classes,
      int workers,
      StorageLevel storage) {
    if (workers <= 0) {
      throw new IllegalArgumentException("workers must be positive, got " + workers);
    }
    packed.setName("kindling " + source).persist(storage);
    return new DistributedExamples(packed, source, shape, classes, workers);
  }

  /**
   * A pass over every block, the first (caching them when their storage level says so) or again:
   * validates and counts every row, sums the normaliser's moments over the rows {@code fitOn}
   * selects, and caches the rows {@code keep} selects apart, one block per input block, so dealing
   * them needs no further pass over the input.
   *
   * @param fitOn the rows to sum moments over, or null for none
   * @param keep the rows to cache apart (at {@code storage}), or null for none
   */
  synchronized Pass pass(RowSelection fitOn, RowSelection keep, StorageLevel storage) {
    int width = width();
    JavaRDD<Counted> counted =
        packed.mapPartitionsWithIndex(
            (i, it) -> {
              SparkRows.Packed p = it.next();
              ExampleBlock b = p.block();
              Normaliser.Moments m =
                  fitOn == null
                      ? null
                      : new Normaliser.Moments(width).add(b, fitOn.rows(i, b.size()));
              int[] keptRows = keep == null ? null : keep.rows(i, b.size());
              ExampleBlock kept = keep == null ? null : keptRows == null ? b : b.rows(keptRows);
              return List.of(new Counted(new Count(i, b.size(), p.skipped(), m), kept)).iterator();
            },
            true);
    if (keep != null) {
      counted.setName("kindling " + source + " (held out)").persist(storage);
    }
    String step =
        "read, validate and count "
            + source
            + (fitOn == null ? "" : ", summing the normaliser's moments")
            + (keep == null
                ? ""
                : keep == RowSelection.ALL ? ", caching them" : ", caching the held-out rows");
    List<Count> parts =
        PreparationStep.run(
            packed.context(),
            step,
            () -> SparkRows.asData(source, () -> counted.map(Counted::count).collect()));
    long[] sizes = new long[parts.size()];
    SkippedRecords dropped = new SkippedRecords();
    Normaliser.Moments moments = fitOn == null ? null : new Normaliser.Moments(width);
    for (Count c : parts) {
      sizes[c.partition] = c.size;
      dropped.merge(c.skipped);
      if (moments != null) {
        moments.merge(c.moments);
      }
    }
    if (Arrays.stream(sizes).sum() == 0) {
      counted.unpersist(false);
      packed.unpersist(false);
      throw ExampleBuffer.noExamples(source, dropped);
    }
    counts = sizes;
    skipped = dropped;
    return new Pass(
        moments, keep == null ? null : counted, keep == null ? null : counts(keep), source);
  }

  /**
   * What a pass found: the moments it summed (or null) and the rows it cached apart (or null), with
   * their count per block.
   */
  record Pass(
      Normaliser.Moments moments, JavaRDD<Counted> cached, long[] keptCounts, String source) {
    /** The rows cached apart, one block per input block. */
    JavaRDD<ExampleBlock> kept() {
      return cached.map(Counted::kept);
    }

    /**
     * The rows cached apart, dealt into at most {@code workers} balanced blocks (no more than there
     * are rows), normalised; not cached.
     */
    JavaRDD<ExampleBlock> dealt(int workers, long seed, Normaliser normaliser) {
      long rows = Arrays.stream(keptCounts).sum();
      return BalancedBlocks.of(
          kept(),
          RowSelection.ALL,
          keptCounts,
          (int) Math.min(workers, rows),
          seed,
          normaliser,
          source);
    }

    /** Drops the rows cached apart, before returning: their memory goes to what comes next. */
    void release() {
      if (cached != null) {
        cached.unpersist(true);
      }
    }
  }

  /** One block's count, skipped records and moments, and the rows it kept apart. */
  record Counted(Count count, ExampleBlock kept) implements Serializable {}

  /** One partition's example count, skipped records and, when asked for, moments. */
  record Count(int partition, long size, SkippedRecords skipped, Normaliser.Moments moments)
      implements Serializable {}

  /**
   * The examples dealt into the {@code workers} blocks asked for, whose sizes differ by at most
   * one; computing them again reads the cached blocks (the source, at storage level {@code NONE}).
   */
  public JavaRDD<ExampleBlock> blocks() {
    return balanced(RowSelection.ALL, workers, 0, null);
  }

  /**
   * The rows {@code selection} keeps, dealt into {@code workers} balanced blocks (not cached).
   *
   * @param seed orders the cached blocks before they are dealt
   * @param normaliser applied as the blocks are packed, or null
   */
  JavaRDD<ExampleBlock> balanced(
      RowSelection selection, int workers, long seed, Normaliser normaliser) {
    return BalancedBlocks.of(
        cached(), selection, counts(selection), workers, seed, normaliser, source);
  }

  /** How many rows {@code selection} keeps of each cached block. */
  long[] counts(RowSelection selection) {
    long[] all = counts();
    long[] kept = new long[all.length];
    for (int i = 0; i < all.length; i++) {
      kept[i] = selection.count(i, all[i]);
    }
    return kept;
  }

  /** Every cached block's count, after the first pass (run now if it has not). */
  private synchronized long[] counts() {
    if (counts == null) {
      pass(null, null, StorageLevel.NONE());
    }
    return counts;
  }

  private JavaRDD<ExampleBlock> cached() {
    return packed.map(SparkRows.Packed::block);
  }

  public String source() {
    return source;
  }

  /** The shape of one example. */
  public int[] shape() {
    return shape.clone();
  }

  public int width() {
    return Arrays.stream(shape).reduce(1, (a, b) -> a * b);
  }

  public int classes() {
    return classes;
  }

  /** The number of examples over all partitions. */
  public long size() {
    return Arrays.stream(counts()).sum();
  }

  public SkippedRecords skipped() {
    counts();
    return skipped;
  }

  /** Drops the cached blocks. */
  public void release() {
    packed.unpersist(false);
  }

  @Override
  public String toString() {
    return source
        + ": "
        + size()
        + " examples of shape "
        + Arrays.toString(shape)
        + " in "
        + counts().length
        + " cached blocks for "
        + workers
        + " workers, "
        + classes
        + " classes";
  }
}
