package io.kindling.data;

import io.kindling.kernels.ExampleBlock;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.nd4j.shade.jackson.databind.JsonNode;
import org.nd4j.shade.jackson.databind.ObjectMapper;
import org.nd4j.shade.jackson.databind.node.ArrayNode;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * An affine transform {@code x' = (x - shift) * scale} per feature, fitted in one distributed pass
 * over the training split only and saved with the model, so {@code predict} applies exactly what
 * training saw.
 */
public final class Normaliser implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** How values are rescaled. */
  public enum Kind {
    /** No change. */
    NONE,
    /** To the range 0..1 of the training data. */
    MIN_MAX,
    /** To zero mean and unit variance. */
    STANDARD;

    public static Kind parse(String name) {
      for (Kind k : values()) {
        if (k.configName().equals(name) || k.name().equalsIgnoreCase(name)) {
          return k;
        }
      }
      throw new IllegalArgumentException(
          "unknown normalisation '" + name + "'; use none, min-max or standard");
    }

    public String configName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  private final Kind kind;
  private final boolean perFeature;
  private final float[] shift;
  private final float[] scale;

  private Normaliser(Kind kind, boolean perFeature, float[] shift, float[] scale) {
    this.kind = kind;
    this.perFeature = perFeature;
    this.shift = shift;
    this.scale = scale;
  }

  /** Fits in one pass over the (training) blocks: per-feature min, max, sum and sum of squares. */
  public static Normaliser fit(
      JavaRDD<ExampleBlock> training, Kind kind, boolean perFeature, int width) {
    if (kind == Kind.NONE) {
      return identity();
    }
    return fit(
        training.treeAggregate(
            new Moments(width), (acc, block) -> acc.add(block, null), Moments::merge),
        kind,
        perFeature,
        width);
  }

  /** The transform that changes nothing. */
  static Normaliser identity() {
    return new Normaliser(Kind.NONE, false, new float[] {0f}, new float[] {1f});
  }

  /** Fits from the moments of the training split, summed however they were gathered. */
  static Normaliser fit(Moments m, Kind kind, boolean perFeature, int width) {
    if (kind == Kind.NONE) {
      return identity();
    }
    if (m.count == 0) {
      throw new DataException("cannot fit a normaliser: the training split is empty");
    }
    if (!perFeature) {
      m = m.pooled();
    }
    int n = m.min.length;
    float[] shift = new float[n];
    float[] scale = new float[n];
    for (int j = 0; j < n; j++) {
      double spread;
      if (kind == Kind.MIN_MAX) {
        shift[j] = (float) m.min[j];
        spread = m.max[j] - m.min[j];
      } else {
        double count = perFeature ? m.count : (double) m.count * width;
        double mean = m.sum[j] / count;
        shift[j] = (float) mean;
        spread = Math.sqrt(Math.max(0, m.sumSquares[j] / count - mean * mean));
      }
      // A constant feature carries no information; leave it unscaled instead of dividing by 0.
      scale[j] = spread > 0 ? (float) (1 / spread) : 1f;
    }
    return new Normaliser(kind, perFeature, shift, scale);
  }

  /** A transformed copy of the block. */
  public ExampleBlock apply(ExampleBlock block) {
    float[][] out = new float[block.chunkCount()][];
    for (int c = 0; c < out.length; c++) {
      float[] in = block.chunk(c);
      out[c] = new float[in.length];
      transform(in, out[c], block.width());
    }
    return block.withChunks(out);
  }

  /** Transforms whole rows of {@code w} values. */
  private void transform(float[] in, float[] out, int w) {
    for (int base = 0; base < in.length; base += w) {
      transform(in, out, base, w);
    }
  }

  /**
   * Transforms one row in place, as {@link ExampleBlock.RowTransform}: for blocks being packed (the
   * row is in cache as it is added).
   */
  void transformRow(float[] values, int offset, int w) {
    transform(values, values, offset, w);
  }

  private void transform(float[] in, float[] out, int base, int w) {
    if (perFeature) {
      for (int j = 0; j < w; j++) {
        out[base + j] = (in[base + j] - shift[j]) * scale[j];
      }
    } else {
      float s = shift[0];
      float c = scale[0];
      for (int j = base; j < base + w; j++) {
        out[j] = (in[j] - s) * c;
      }
    }
  }

  public Kind kind() {
    return kind;
  }

  public ObjectNode toJson() {
    ObjectNode node = JSON.createObjectNode();
    node.put("kind", kind.configName());
    node.put("per_feature", perFeature);
    ArrayNode s = node.putArray("shift");
    ArrayNode c = node.putArray("scale");
    for (int i = 0; i < shift.length; i++) {
      s.add(shift[i]);
      c.add(scale[i]);
    }
    return node;
  }

  public static Normaliser fromJson(JsonNode node) {
    Kind kind = Kind.parse(node.path("kind").asText("none"));
    JsonNode s = node.path("shift");
    JsonNode c = node.path("scale");
    if (!s.isArray() || s.size() != c.size() || s.isEmpty()) {
      throw new IllegalArgumentException(
          "preprocessing: shift and scale must be lists of one length");
    }
    float[] shift = new float[s.size()];
    float[] scale = new float[c.size()];
    for (int i = 0; i < shift.length; i++) {
      shift[i] = (float) s.get(i).asDouble();
      scale[i] = (float) c.get(i).asDouble();
    }
    return new Normaliser(kind, node.path("per_feature").asBoolean(false), shift, scale);
  }

  @Override
  public String toString() {
    return kind.configName()
        + (perFeature ? " per feature" : " global")
        + (perFeature ? "" : " (shift " + shift[0] + ", scale " + scale[0] + ")");
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Normaliser n
        && kind == n.kind
        && perFeature == n.perFeature
        && Arrays.equals(shift, n.shift)
        && Arrays.equals(scale, n.scale);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(shift) * 31 + Arrays.hashCode(scale);
  }

  /** Per-feature sufficient statistics; merged across partitions. */
  static final class Moments implements Serializable {
    private static final long serialVersionUID = 1L;
    long count;
    final double[] min;
    final double[] max;
    final double[] sum;
    final double[] sumSquares;

    Moments(int width) {
      min = new double[width];
      max = new double[width];
      sum = new double[width];
      sumSquares = new double[width];
      Arrays.fill(min, Double.POSITIVE_INFINITY);
      Arrays.fill(max, Double.NEGATIVE_INFINITY);
    }

    /** Adds the block's {@code rows} (ascending), or all its rows when null. */
    Moments add(ExampleBlock block, int[] rows) {
      int w = block.width();
      int chunkRows = block.chunkRows();
      int n = rows == null ? block.size() : rows.length;
      for (int i = 0; i < n; i++) {
        int r = rows == null ? i : rows[i];
        int c = r / chunkRows;
        float[] x = block.chunk(c);
        int row = (r - c * chunkRows) * w;
        for (int j = 0; j < w; j++) {
          double v = x[row + j];
          // Comparisons, not Math.min/max: the values are finite (readers reject NaN), and this
          // loop ran twice as fast without their NaN and signed-zero handling.
          if (v < min[j]) {
            min[j] = v;
          }
          if (v > max[j]) {
            max[j] = v;
          }
          sum[j] += v;
          sumSquares[j] += v * v;
        }
      }
      count += n;
      return this;
    }

    Moments merge(Moments o) {
      for (int j = 0; j < min.length; j++) {
        min[j] = Math.min(min[j], o.min[j]);
        max[j] = Math.max(max[j], o.max[j]);
        sum[j] += o.sum[j];
        sumSquares[j] += o.sumSquares[j];
      }
      count += o.count;
      return this;
    }

    /** All features pooled into one. */
    Moments pooled() {
      Moments p = new Moments(1);
      p.count = count;
      for (int j = 0; j < min.length; j++) {
        p.min[0] = Math.min(p.min[0], min[j]);
        p.max[0] = Math.max(p.max[0], max[j]);
        p.sum[0] += sum[j];
        p.sumSquares[0] += sumSquares[j];
      }
      return p;
    }
  }
}
