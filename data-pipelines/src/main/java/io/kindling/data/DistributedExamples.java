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
 * DistributedExamples, double, Normaliser.Kind, boolean, int, long, StorageLevel)}). Call {@link
 * #release()} once they are no longer needed.
 */
public final class DistributedExamples {
  private final JavaRDD<SparkRows.Packed> packed;
  private final String source;
  private final int[] shape;
  private final int classes;
  private final long[] counts;
  private final int workers;
  private final SkippedRecords skipped;

  private DistributedExamples(
      JavaRDD<SparkRows.Packed> packed,
      String source,
      int[] shape,
      int classes,
      long[] counts,
      int workers,
      SkippedRecords skipped) {
    this.packed = packed;
    this.source = source;
    this.shape = shape;
    this.classes = classes;
    this.counts = counts;
    this.workers = workers;
    this.skipped = skipped;
  }

  /**
   * Caches the packed partitions and counts each in one pass, which also validates every row.
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
    List<Count> parts =
        SparkRows.asData(
            source,
            () ->
                packed
                    .mapPartitionsWithIndex(
                        (i, it) -> {
                          SparkRows.Packed p = it.next();
                          return List.of(new Count(i, p.block().size(), p.skipped())).iterator();
                        },
                        true)
                    .collect());
    long[] counts = new long[parts.size()];
    SkippedRecords skipped = new SkippedRecords();
    for (Count c : parts) {
      counts[c.partition] = c.size;
      skipped.merge(c.skipped);
    }
    if (Arrays.stream(counts).sum() == 0) {
      packed.unpersist(false);
      throw ExampleBuffer.noExamples(source, skipped);
    }
    return new DistributedExamples(packed, source, shape, classes, counts, workers, skipped);
  }

  /** One partition's example count and skipped records. */
  private record Count(int partition, long size, SkippedRecords skipped) implements Serializable {}

  /**
   * The examples dealt into the {@code workers} blocks asked for, whose sizes differ by at most
   * one; computing them again reads the cache, not the source.
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
        cached(), selection, counts(selection), workers, seed, normaliser, source, width());
  }

  /** The rows {@code selection} keeps, one block per cached block. */
  JavaRDD<ExampleBlock> selected(RowSelection selection) {
    return cached()
        .mapPartitionsWithIndex(
            (i, it) -> {
              ExampleBlock block = it.next();
              int[] rows = selection.rows(i, block.size());
              return List.of(rows == null ? block : block.rows(rows)).iterator();
            },
            true);
  }

  /** How many rows {@code selection} keeps of each cached block. */
  long[] counts(RowSelection selection) {
    long[] kept = new long[counts.length];
    for (int i = 0; i < counts.length; i++) {
      kept[i] = selection.count(i, counts[i]);
    }
    return kept;
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
    return Arrays.stream(counts).sum();
  }

  public SkippedRecords skipped() {
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
        + counts.length
        + " cached blocks for "
        + workers
        + " workers, "
        + classes
        + " classes";
  }
}
