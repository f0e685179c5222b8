package io.kindling.data;

import io.kindling.kernels.ExampleBlock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/** Splits and balanced partitioning of examples held in the driver. */
public final class Partitions {
  private Partitions() {}

  /** A seeded permutation of 0..n-1 (Fisher-Yates). */
  public static int[] permutation(int n, long seed) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) {
      p[i] = i;
    }
    Random r = new Random(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** Holds out a seeded random {@code fraction} of the data: returns [rest, held out]. */
  public static LabeledData[] holdOut(LabeledData data, double fraction, long seed, String name) {
    if (fraction < 0 || fraction >= 1) {
      throw new IllegalArgumentException(name + " fraction must be in [0, 1), got " + fraction);
    }
    int[] p = permutation(data.size(), seed);
    int held = (int) Math.round(data.size() * fraction);
    int[] heldRows = Arrays.copyOfRange(p, 0, held);
    int[] restRows = Arrays.copyOfRange(p, held, p.length);
    Arrays.sort(heldRows);
    Arrays.sort(restRows);
    return new LabeledData[] {data.select(restRows, "train"), data.select(heldRows, name)};
  }

  /**
   * Shuffles the examples with the seed and deals them into {@code workers} blocks whose sizes
   * differ by at most one, one block per RDD partition.
   *
   * <p>Each block travels as its own broadcast and the RDD's partitions hold only indices: a
   * parallelized collection would carry its data inside every task of every later stage, and a lost
   * cached partition is rebuilt from the broadcast.
   */
  public static JavaRDD<ExampleBlock> balanced(
      JavaSparkContext spark, LabeledData data, int workers, long seed) {
    if (workers <= 0) {
      throw new IllegalArgumentException("workers must be positive, got " + workers);
    }
    if (data.size() < workers) {
      throw new DataException(
          data.source()
              + ": "
              + data.size()
              + " examples cannot fill "
              + workers
              + " worker partitions");
    }
    int[] p = permutation(data.size(), seed);
    List<Broadcast<ExampleBlock>> blocks = new ArrayList<>(workers);
    List<Integer> indices = new ArrayList<>(workers);
    int from = 0;
    for (int w = 0; w < workers; w++) {
      int size = data.size() / workers + (w < data.size() % workers ? 1 : 0);
      blocks.add(
          spark.broadcast(
              data.select(Arrays.copyOfRange(p, from, from + size), "part").examples()));
      indices.add(w);
      from += size;
    }
    return spark.parallelize(indices, workers).map(i -> blocks.get(i).value());
  }
}
