package io.kindling.data;

import io.kindling.kernels.ExampleBlock;
import java.io.Serializable;
import java.util.Arrays;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.storage.StorageLevel;

/**
 * Examples packed on the executors, one {@link ExampleBlock} per RDD partition, never passing
 * through the driver: for data sets larger than the driver's memory. The blocks are cached; call
 * {@link #release()} once they are no longer needed (e.g. after {@link PreparedData#normalised}).
 */
public final class DistributedExamples {
  private final JavaRDD<SparkRows.Packed> packed;
  private final String source;
  private final int[] shape;
  private final int classes;
  private final long size;
  private final SkippedRecords skipped;

  private DistributedExamples(
      JavaRDD<SparkRows.Packed> packed,
      String source,
      int[] shape,
      int classes,
      long size,
      SkippedRecords skipped) {
    this.packed = packed;
    this.source = source;
    this.shape = shape;
    this.classes = classes;
    this.size = size;
    this.skipped = skipped;
  }

  /** Caches the packed partitions and counts them in one pass, which also validates every row. */
  static DistributedExamples of(
      JavaRDD<SparkRows.Packed> packed,
      String source,
      int[] shape,
      int classes,
      StorageLevel storage) {
    packed.setName("kindling " + source).persist(storage);
    Summary total =
        SparkRows.asData(
            source,
            () ->
                packed
                    .map(p -> new Summary(p.block().size(), p.skipped()))
                    .fold(new Summary(0, new SkippedRecords()), Summary::merge));
    if (total.size == 0) {
      packed.unpersist(false);
      throw ExampleBuffer.noExamples(source, total.skipped);
    }
    return new DistributedExamples(packed, source, shape, classes, total.size, total.skipped);
  }

  /** Example count and skipped records of some partitions. */
  private record Summary(long size, SkippedRecords skipped) implements Serializable {
    Summary merge(Summary other) {
      return new Summary(
          size + other.size, new SkippedRecords().merge(skipped).merge(other.skipped));
    }
  }

  /** One block per partition; computing it again reads the cache, not the source. */
  public JavaRDD<ExampleBlock> blocks() {
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
    return size;
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
        + size
        + " examples of shape "
        + Arrays.toString(shape)
        + " in "
        + packed.getNumPartitions()
        + " partitions, "
        + classes
        + " classes";
  }
}
