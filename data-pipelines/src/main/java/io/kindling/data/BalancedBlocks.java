package io.kindling.data;

import io.kindling.kernels.ExampleBlock;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.NarrowDependency;
import org.apache.spark.Partition;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.rdd.RDD;
import scala.collection.Iterator;
import scala.collection.immutable.Seq;
import scala.jdk.javaapi.CollectionConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * {@code workers} blocks whose sizes differ by at most one, cut from cached source blocks (one per
 * partition of the input, of any sizes) by their row counts alone. Each output block depends only
 * on the source blocks its rows come from, a narrow dependency: no shuffle, and each source block
 * is read by one or two output blocks. Rows keep their order within a source block; the source
 * blocks are laid out in a seeded order, so a worker's rows come from input splits spread over the
 * whole input.
 */
final class BalancedBlocks extends RDD<ExampleBlock> {
  private static final ClassTag<ExampleBlock> BLOCK = ClassTag$.MODULE$.apply(ExampleBlock.class);
  private static final long MAX_ROWS = Integer.MAX_VALUE - 8; // one array of answers

  private final RDD<ExampleBlock> sources;
  private final RowSelection selection;
  private final Normaliser normaliser;
  private final Part[] parts;

  /** Rows {@code from} (inclusive) to {@code to} of the selected rows of one source block. */
  private record Slice(Partition source, int from, int to) implements Serializable {}

  /** One output block: its slices, in order. */
  private record Part(int index, Slice[] slices) implements Partition {}

  private BalancedBlocks(
      RDD<ExampleBlock> sources, RowSelection selection, Normaliser normaliser, Part[] parts) {
    super(sources.context(), dependencyOn(sources, parts), BLOCK);
    this.sources = sources;
    this.selection = selection;
    this.normaliser = normaliser;
    this.parts = parts;
  }

  /**
   * Deals the selected rows of {@code sources} into {@code workers} blocks.
   *
   * @param selected how many rows {@code selection} keeps of each source block
   * @param seed orders the source blocks
   * @param normaliser applied to the output blocks as they are packed, or null for none
   */
  static JavaRDD<ExampleBlock> of(
      JavaRDD<ExampleBlock> sources,
      RowSelection selection,
      long[] selected,
      int workers,
      long seed,
      Normaliser normaliser,
      String source) {
    long total = Arrays.stream(selected).sum();
    if (workers <= 0) {
      throw new IllegalArgumentException("workers must be positive, got " + workers);
    }
    if (total < workers) {
      throw new DataException(
          source + ": " + total + " examples cannot fill " + workers + " worker partitions");
    }
    long largest = (total + workers - 1) / workers;
    if (largest > MAX_ROWS) {
      throw new DataException(
          source
              + ": "
              + largest
              + " examples per worker exceed what one block holds ("
              + MAX_ROWS
              + "); use more workers");
    }
    Partition[] inputs = sources.rdd().partitions();
    int[] order = Partitions.permutation(inputs.length, seed);
    Part[] parts = new Part[workers];
    int next = 0; // position in order of the source block being dealt
    long used = 0; // its selected rows already dealt
    for (int w = 0; w < workers; w++) {
      long wanted = total / workers + (w < total % workers ? 1 : 0);
      List<Slice> slices = new ArrayList<>();
      while (wanted > 0) {
        int s = order[next];
        long take = Math.min(wanted, selected[s] - used);
        if (take > 0) {
          slices.add(new Slice(inputs[s], (int) used, (int) (used + take)));
        }
        wanted -= take;
        used += take;
        if (used == selected[s]) {
          next++;
          used = 0;
        }
      }
      parts[w] = new Part(w, slices.toArray(new Slice[0]));
    }
    return new BalancedBlocks(sources.rdd(), selection, normaliser, parts).toJavaRDD();
  }

  @Override
  public Partition[] getPartitions() {
    return parts.clone();
  }

  @Override
  public Iterator<ExampleBlock> compute(Partition split, TaskContext context) {
    Slice[] slices = ((Part) split).slices();
    int size = Arrays.stream(slices).mapToInt(s -> s.to() - s.from()).sum();
    ExampleBlock.Builder out = null;
    for (Slice slice : slices) {
      ExampleBlock block = sources.iterator(slice.source(), context).next();
      if (out == null) {
        out =
            new ExampleBlock.Builder(
                block.width(),
                block.isRegression(),
                size,
                normaliser == null ? null : normaliser::transformRow);
      }
      int[] rows = selection.rows(slice.source().index(), block.size());
      for (int k = slice.from(); k < slice.to(); k++) {
        out.addRow(block, rows == null ? k : rows[k]);
      }
    }
    return CollectionConverters.asScala(List.of(out.build()).iterator());
  }

  private static Seq<org.apache.spark.Dependency<?>> dependencyOn(
      RDD<ExampleBlock> sources, Part[] parts) {
    List<org.apache.spark.Dependency<?>> deps = List.of(new SliceDependency(sources, parts));
    return CollectionConverters.asScala(deps).toList();
  }

  /** Output block {@code i} reads the source blocks of its slices. */
  private static final class SliceDependency extends NarrowDependency<ExampleBlock> {
    private final Part[] parts;

    SliceDependency(RDD<ExampleBlock> sources, Part[] parts) {
      super(sources);
      this.parts = parts;
    }

    @Override
    public Seq<Object> getParents(int partitionId) {
      List<Object> parents = new ArrayList<>();
      for (Slice s : parts[partitionId].slices()) {
        parents.add(s.source().index());
      }
      return CollectionConverters.asScala(parents).toList();
    }
  }
}
