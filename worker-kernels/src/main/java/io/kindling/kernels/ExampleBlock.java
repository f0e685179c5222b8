package io.kindling.kernels;

import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Examples packed row by row into float arrays, with what the network should output for each: a
 * class label (classification) or a real-valued target (regression). The unit a worker caches and
 * trains on. Rows are read through an order array, so reshuffling moves no data.
 *
 * <p>The rows live in chunks of {@link #chunkRows()} rows each (the last may hold fewer). A block
 * built row by row ({@link Builder}) keeps each chunk under 8 MB: a worker's block of hundreds of
 * megabytes then never needs one contiguous stretch of heap, which G1 (it never moves such huge
 * arrays) may not find on a busy heap, and it grows without copying. A block made from one array is
 * one chunk.
 */
public final class ExampleBlock implements Serializable {
  private static final long serialVersionUID = 3L;

  /**
   * Feature values per chunk a {@link Builder} makes, at most: 8 MB less an array header, a whole
   * number of G1 regions for every region size up to 8 MB.
   */
  static final int CHUNK_VALUES = (8 << 20) / Float.BYTES - 16;

  private final int size;
  private final int width;
  private final int chunkRows;
  private final float[][] chunks;
  private final int[] labels;
  private final float[] targets;

  /** A block of classification examples: {@code labels[i]} is the class of row {@code i}. */
  public ExampleBlock(int size, int width, float[] features, int[] labels) {
    this(size, width, Math.max(size, 1), new float[][] {features}, labels, null);
  }

  private ExampleBlock(
      int size, int width, int chunkRows, float[][] chunks, int[] labels, float[] targets) {
    int answers = labels != null ? labels.length : targets.length;
    long values = 0;
    for (int c = 0; c < chunks.length; c++) {
      long rows = Math.min(chunkRows, size - (long) c * chunkRows);
      if (chunks[c].length != rows * width) {
        throw new IllegalArgumentException(
            "chunk "
                + c
                + " of a block of "
                + size
                + " x "
                + width
                + " must hold "
                + rows * width
                + " features, got "
                + chunks[c].length);
      }
      values += chunks[c].length;
    }
    if (values != (long) size * width || answers != size) {
      throw new IllegalArgumentException(
          "block of "
              + size
              + " x "
              + width
              + " needs "
              + (long) size * width
              + " features and "
              + size
              + (labels != null ? " labels" : " targets")
              + ", got "
              + values
              + " and "
              + answers);
    }
    this.size = size;
    this.width = width;
    this.chunkRows = chunkRows;
    this.chunks = chunks;
    this.labels = labels;
    this.targets = targets;
  }

  /** A block of regression examples: {@code targets[i]} is the value row {@code i} should give. */
  public static ExampleBlock ofTargets(int size, int width, float[] features, float[] targets) {
    return new ExampleBlock(
        size, width, Math.max(size, 1), new float[][] {features}, null, targets);
  }

  /**
   * The same examples and answers with other features (e.g. normalised), chunked alike: {@code
   * newChunks[c]} replaces {@link #chunk(int) chunk(c)} and has its length.
   */
  public ExampleBlock withChunks(float[][] newChunks) {
    return new ExampleBlock(size, width, chunkRows, newChunks, labels, targets);
  }

  /** The rows at the given indices, in that order. */
  public ExampleBlock rows(int[] indices) {
    Builder b = new Builder(width, isRegression(), indices.length);
    for (int r : indices) {
      b.addRow(this, r);
    }
    return b.build();
  }

  /** Number of examples. */
  public int size() {
    return size;
  }

  /** Number of feature values per example. */
  public int width() {
    return width;
  }

  /** True when the examples carry real-valued targets rather than class labels. */
  public boolean isRegression() {
    return targets != null;
  }

  /** Rows per chunk; the last chunk may hold fewer. */
  public int chunkRows() {
    return chunkRows;
  }

  /** Number of chunks. */
  public int chunkCount() {
    return chunks.length;
  }

  /**
   * Chunk {@code c}: rows {@code c * chunkRows()} on, packed; not copied: callers must not modify
   * it, unless nothing else holds the block.
   */
  public float[] chunk(int c) {
    return chunks[c];
  }

  /**
   * All features packed in one array: the block's own when it is one chunk (callers must not modify
   * it), else a copy. For large blocks prefer {@link #copyRows} or {@link #chunk}.
   */
  public float[] features() {
    return chunks.length == 1
        ? chunks[0]
        : copyRows(0, size, new float[Math.toIntExact((long) size * width)]);
  }

  /** Copies rows {@code from .. from + count - 1} into {@code dst}, packed; returns it. */
  public float[] copyRows(int from, int count, float[] dst) {
    int done = 0;
    while (done < count) {
      int r = from + done;
      int c = r / chunkRows;
      int inChunk = r - c * chunkRows;
      int n = Math.min(count - done, Math.min(chunkRows, size - c * chunkRows) - inChunk);
      System.arraycopy(chunks[c], inChunk * width, dst, done * width, n * width);
      done += n;
    }
    return dst;
  }

  /**
   * The class labels; not copied: callers must not modify it.
   *
   * @throws IllegalStateException for a regression block
   */
  public int[] labels() {
    if (labels == null) {
      throw new IllegalStateException("a regression block has targets, not class labels");
    }
    return labels;
  }

  /**
   * The regression targets; not copied: callers must not modify it.
   *
   * @throws IllegalStateException for a classification block
   */
  public float[] targets() {
    if (targets == null) {
      throw new IllegalStateException("a classification block has class labels, not targets");
    }
    return targets;
  }

  /** Copies rows {@code order[from], ..., order[from + count - 1]} into {@code dst}, packed. */
  void gather(int[] order, int from, int count, float[] dst) {
    for (int i = 0; i < count; i++) {
      copyRow(order[from + i], dst, i * width);
    }
  }

  /** Copies row {@code r}'s features into {@code dst} from {@code at}. */
  private void copyRow(int r, float[] dst, int at) {
    int c = r / chunkRows;
    System.arraycopy(chunks[c], (r - c * chunkRows) * width, dst, at, width);
  }

  private Object writeReplace() {
    return new Wire(this);
  }

  private void readObject(ObjectInputStream in) throws InvalidObjectException {
    throw new InvalidObjectException("an ExampleBlock is read through its wire form");
  }

  /**
   * How a block is serialised (Spark caches blocks on disk and ships them between executors): its
   * shape, then its values as raw little-endian bytes, copied in bulk. Java's own form of a float
   * array converts one value at a time, which made writing and reading cached blocks several times
   * slower than the disk.
   */
  private static final class Wire implements Serializable {
    private static final long serialVersionUID = 1L;

    private transient ExampleBlock block;

    Wire(ExampleBlock block) {
      this.block = block;
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
      ExampleBlock b = block;
      out.writeInt(b.size);
      out.writeInt(b.width);
      out.writeInt(b.chunkRows);
      out.writeInt(b.chunks.length);
      out.writeBoolean(b.labels != null);
      for (float[] chunk : b.chunks) {
        out.writeInt(chunk.length);
        RawArrays.writeFloats(out, chunk, 0, chunk.length);
      }
      if (b.labels != null) {
        RawArrays.writeInts(out, b.labels, 0, b.size);
      } else {
        RawArrays.writeFloats(out, b.targets, 0, b.size);
      }
    }

    private void readObject(ObjectInputStream in) throws IOException {
      int size = in.readInt();
      int width = in.readInt();
      int chunkRows = in.readInt();
      int chunkCount = in.readInt();
      boolean classes = in.readBoolean();
      if (size < 0 || width < 0 || chunkRows < 1 || chunkCount < 1 || chunkCount > size + 1) {
        throw new InvalidObjectException(
            "corrupt block: " + size + " rows of " + width + " in " + chunkCount + " chunks");
      }
      float[][] chunks = new float[chunkCount][];
      for (int c = 0; c < chunkCount; c++) {
        int length = in.readInt();
        if (length < 0 || length > (long) chunkRows * width) {
          throw new InvalidObjectException("corrupt block: chunk " + c + " of " + length);
        }
        chunks[c] = new float[length];
        RawArrays.readFloats(in, chunks[c], 0, length);
      }
      int[] labels = classes ? new int[size] : null;
      float[] targets = classes ? null : new float[size];
      if (classes) {
        RawArrays.readInts(in, labels, 0, size);
      } else {
        RawArrays.readFloats(in, targets, 0, size);
      }
      try {
        block = new ExampleBlock(size, width, chunkRows, chunks, labels, targets);
      } catch (IllegalArgumentException e) {
        throw new InvalidObjectException("corrupt block: " + e.getMessage());
      }
    }

    private Object readResolve() {
      return block;
    }
  }

  /** Changes one row's features in place, as a {@link Builder} adds it: normalises them, say. */
  @FunctionalInterface
  public interface RowTransform {
    /** Transforms {@code values[offset .. offset + width - 1]}. */
    void apply(float[] values, int offset, int width);
  }

  /**
   * Fills a block row by row, chunk by chunk: nothing is copied to grow it, and no array is larger
   * than a chunk (see {@link ExampleBlock}).
   */
  public static final class Builder {
    /** The most rows: the answers live in one array. */
    private static final int MAX_ROWS = Integer.MAX_VALUE - 8;

    private final int width;
    private final RowTransform transform;
    private final int chunkRows;
    private final int expected;
    private final List<float[]> chunks = new ArrayList<>();
    private float[] current;
    private int inCurrent;
    private int[] labels;
    private float[] targets;
    private int size;

    /**
     * @param regression true for real-valued targets, false for class labels
     * @param expected rows expected, so the last chunk and the answers are sized exactly when that
     *     many come (0 if unknown; more or fewer may come)
     */
    public Builder(int width, boolean regression, int expected) {
      this(width, regression, expected, null);
    }

    /**
     * A builder that transforms each row as it adds it, while the row is in cache: cheaper than
     * another pass over the block.
     *
     * @param transform applied to every row added, or null for none
     */
    public Builder(int width, boolean regression, int expected, RowTransform transform) {
      if (width < 0 || expected < 0) {
        throw new IllegalArgumentException(
            "width and expected rows must not be negative, got " + width + ", " + expected);
      }
      this.width = width;
      this.transform = transform;
      this.chunkRows = Math.max(1, CHUNK_VALUES / Math.max(width, 1));
      this.expected = expected;
      int answers = Math.max(expected, 16);
      if (regression) {
        targets = new float[answers];
      } else {
        labels = new int[answers];
      }
    }

    /** Rows added so far. */
    public int size() {
      return size;
    }

    /** Appends {@code width} features from {@code row} at {@code offset}, with the row's answer. */
    public void add(float[] row, int offset, double answer) {
      System.arraycopy(row, offset, room(), inCurrent * width, width);
      answer(answer);
    }

    /** Appends row {@code r} of {@code block}, with its answer. */
    public void addRow(ExampleBlock block, int r) {
      block.copyRow(r, room(), inCurrent * width);
      answer(block.labels != null ? block.labels[r] : block.targets[r]);
    }

    /** The chunk the next row goes to, started when the last is full. */
    private float[] room() {
      if (current == null || inCurrent == chunkRows) {
        int left = expected - size;
        int rows = left > 0 ? Math.min(chunkRows, left) : chunkRows;
        current = new float[rows * width];
        chunks.add(current);
        inCurrent = 0;
      } else if (inCurrent * width == current.length) { // more rows came than expected
        current = Arrays.copyOf(current, chunkRows * width);
        chunks.set(chunks.size() - 1, current);
      }
      return current;
    }

    private void answer(double answer) {
      if (size == (labels != null ? labels.length : targets.length)) {
        if (size == MAX_ROWS) {
          throw new IllegalStateException("a block holds at most " + MAX_ROWS + " rows");
        }
        int grown = (int) Math.min(MAX_ROWS, 2L * size);
        if (labels != null) {
          labels = Arrays.copyOf(labels, grown);
        } else {
          targets = Arrays.copyOf(targets, grown);
        }
      }
      if (labels != null) {
        labels[size] = (int) answer;
      } else {
        targets[size] = (float) answer;
      }
      if (transform != null) {
        transform.apply(current, inCurrent * width, width);
      }
      inCurrent++;
      size++;
    }

    /** The rows added, trimmed to size; the builder must not be used after. */
    public ExampleBlock build() {
      float[][] all = chunks.toArray(new float[0][]);
      if (all.length > 0 && all[all.length - 1].length != inCurrent * width) {
        all[all.length - 1] = Arrays.copyOf(all[all.length - 1], inCurrent * width);
      }
      if (size == 0) {
        all = new float[][] {new float[0]};
      }
      int rows = all.length == 1 ? Math.max(size, 1) : chunkRows;
      return new ExampleBlock(
          size,
          width,
          rows,
          all,
          labels == null ? null : trim(labels),
          targets == null ? null : trim(targets));
    }

    private int[] trim(int[] a) {
      return a.length == size ? a : Arrays.copyOf(a, size);
    }

    private float[] trim(float[] a) {
      return a.length == size ? a : Arrays.copyOf(a, size);
    }
  }
}
