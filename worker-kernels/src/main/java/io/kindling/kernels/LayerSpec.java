package io.kindling.kernels;

import java.util.Arrays;
import java.util.Locale;

/**
 * The declaration of one layer: what a user writes, in Java or in a job's configuration. A spec
 * knows its output shape for a given input shape, so a network's shapes are checked before any
 * memory is allocated. Shapes are per example: {@code [features]}, {@code [channels, height,
 * width]}, {@code [seqLen]} of token ids, or {@code [seqLen, dim]}.
 */
public sealed interface LayerSpec extends java.io.Serializable
    permits LayerSpec.Dense,
        LayerSpec.Conv2d,
        LayerSpec.Pooling2d,
        LayerSpec.Flatten,
        LayerSpec.Dropout,
        LayerSpec.BatchNorm,
        LayerSpec.LayerNorm,
        LayerSpec.Embedding,
        LayerSpec.PositionalEncoding,
        LayerSpec.PatchEmbedding,
        LayerSpec.SelfAttention,
        LayerSpec.TransformerEncoder,
        LayerSpec.GlobalAveragePooling {

  /** The configuration name of the layer type, e.g. {@code dense}. */
  String type();

  /** The output shape for one example of the given shape; throws {@link ShapeException}. */
  int[] outputShape(int index, int[] inputShape);

  /** Number of trainable parameters for the given input shape. */
  long numParams(int[] inputShape);

  /**
   * Number of non-trainable values (running statistics) the layer keeps in the parameter vector,
   * after all trainable parameters; the optimizer and weight decay never touch them.
   */
  default long numState(int[] inputShape) {
    return 0;
  }

  /** How a convolution or pooling window treats the border. */
  enum Padding {
    /** Zero padding so that the output has {@code ceil(size / stride)} positions. */
    SAME,
    /** No padding: only windows that fit inside the input. */
    VALID;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The padding above (or to the left of) an input of {@code in} positions whose windows give
     * {@code out} outputs: libnd4j's same mode puts half of it there, rounded down, and any odd
     * position below (or to the right).
     */
    int before(int in, int out, int kernel, int stride) {
      return this == SAME ? Math.max(0, ((out - 1) * stride + kernel - in) / 2) : 0;
    }

    public static Padding parse(String name) {
      for (Padding p : values()) {
        if (p.configName().equalsIgnoreCase(name)) {
          return p;
        }
      }
      throw new IllegalArgumentException(
          "unknown padding '" + name + "'; use one of " + Names.of(values()));
    }

    int outputSize(int index, String type, int size, int kernel, int stride, int[] inputShape) {
      if (this == SAME) {
        return (size + stride - 1) / stride;
      }
      if (kernel > size) {
        throw new ShapeException(
            "layer "
                + index
                + " ("
                + type
                + ") has a "
                + kernel
                + "-wide window but its input "
                + Arrays.toString(inputShape)
                + " is only "
                + size
                + " wide; use padding same or a smaller kernel");
      }
      return (size - kernel) / stride + 1;
    }
  }

  /** What a pooling window computes. */
  enum Pooling {
    MAX,
    AVERAGE
  }

  /** A fully connected layer: {@code activation(x W + b)}. Input must be a vector. */
  record Dense(int units, Activation activation, Init init) implements LayerSpec {
    public Dense {
      positive("dense", "units", units);
      requireNonNull("dense", activation, init);
    }

    /** A dense layer with the activation's default initialiser. */
    public Dense(int units, Activation activation) {
      this(units, activation, Init.defaultFor(activation));
    }

    @Override
    public String type() {
      return "dense";
    }

    @Override
    public int[] outputShape(int index, int[] inputShape) {
      requireRank(index, type(), inputShape, 1, "a vector", "put a flatten layer before it");
      return new int[] {units};
    }

    @Override
    public long numParams(int[] inputShape) {
      return (long) inputShape[0] * units + units;
    }
  }

  /**
   * A 2-D convolution over {@code [channels, height, width]} with {@code filters} output channels:
   * {@code activation(conv(x, W) + b)}, W of shape {@code [filters, channels, kernelHeight,
   * kernelWidth]}.
   */
  record Conv2d(
      int filters,
      int kernelHeight,
      int kernelWidth,
      int strideHeight,
      int strideWidth,
      Padding padding,
      Activation activation,
      Init init)
      implements LayerSpec {
    public Conv2d {
      positive("conv2d", "filters", filters);
      positive("conv2d", "kernel", kernelHeight);
      positive("conv2d", "kernel", kernelWidth);
      positive("conv2d", "stride", strideHeight);
      positive("conv2d", "stride", strideWidth);
      requireNonNull("conv2d", padding, activation, init);
      if (activation == Activation.SOFTMAX) {
        throw new IllegalArgumentException(
            "conv2d: activation softmax is not supported; apply it after a dense layer");
      }
    }

    /** A square kernel and stride, with the activation's default initialiser. */
    public Conv2d(int filters, int kernel, int stride, Padding padding, Activation activation) {
      this(
          filters,
          kernel,
          kernel,
          stride,
          stride,
          padding,
          activation,
          Init.defaultFor(activation));
    }

    /** This convolution with another activation and the same initialiser. */
    Conv2d withActivation(Activation other) {
      return new Conv2d(
          filters, kernelHeight, kernelWidth, strideHeight, strideWidth, padding, other, init);
    }

    @Override
    public String type() {
      return "conv2d";
    }

    @Override
    public int[] outputShape(int index, int[] inputShape) {
      requireRank(index, type(), inputShape, 3, "a [channels, height, width]", "");
      return new int[] {
        filters,
        padding.outputSize(index, type(), inputShape[1], kernelHeight, strideHeight, inputShape),
        padding.outputSize(index, type(), inputShape[2], kernelWidth, strideWidth, inputShape)
      };
    }

    @Override
    public long numParams(int[] inputShape) {
      return (long) filters * inputShape[0] * kernelHeight * kernelWidth + filters;
    }
  }

  /** Max or average pooling over {@code [channels, height, width]}, channel by channel. */
  record Pooling2d(
      Pooling pooling,
      int kernelHeight,
      int kernelWidth,
      int strideHeight,
      int strideWidth,
      Padding padding)
      implements LayerSpec {
    public Pooling2d {
      requireNonNull("pooling", pooling, padding);
      String type = typeOf(pooling);
      positive(type, "kernel", kernelHeight);
      positive(type, "kernel", kernelWidth);
      positive(type, "stride", strideHeight);
      positive(type, "stride", strideWidth);
    }

    /** A square window, no padding. */
    public Pooling2d(Pooling pooling, int kernel, int stride) {
      this(pooling, kernel, kernel, stride, stride, Padding.VALID);
    }

    @Override
    public String type() {
      return typeOf(pooling);
    }

    private static String typeOf(Pooling pooling) {
      return pooling == Pooling.MAX ? "max-pooling2d" : "average-pooling2d";
    }

    @Override
    public int[] outputShape(int index, int[] inputShape) {
      requireRank(index, type(), inputShape, 3, "a [channels, height, width]", "");
      return new int[] {
        inputShape[0],
        padding.outputSize(index, type(), inputShape[1], kernelHeight, strideHeight, inputShape),
        padding.outputSize(index, type(), inputShape[2], kernelWidth, strideWidth, inputShape)
      };
    }

    @Override
    public long numParams(int[] inputShape) {
      return 0;
    }
  }

  /** Reshapes any input to a vector (row-major order). */
  record Flatten() implements LayerSpec {
    @Override
    public String type() {
      return "flatten";
    }

    @Override
    public int[] outputShape(int index, int[] inputShape) {
      return new int[] {Arrays.stream(inputShape).reduce(1, (a, b) -> a * b)};
    }

    @Override
    public long numParams(int[] inputShape) {
      return 0;
    }
  }

  /**
   * Inverted dropout: in training each value is zeroed with probability {@code rate} and the rest
   * scaled by {@code 1 / (1 - rate)}; at inference the layer is the identity. The mask comes from
   * the training step's seed.
   */
  record Dropout(double rate) implements LayerSpec {
    public Dropout {
      if (!(rate >= 0 && rate < 1)) {
        throw new IllegalArgumentException("dropout: rate must be in [0, 1), got " + rate);
      }
    }

    @Override
    public String type() {
      return "dropout";
    }

    @Override
    public int[] outputShape(int index, int[] inputShape) {
      return inputShape.clone();
    }

    @Override
    public long numParams(int[] inputShape) {
      return 0;
    }
  }

  /**
   * Batch normalisation over the channels of {@code [channels, height, width]} or the features of a
   * vector: batch statistics in training, running statistics at inference, then a learned scale and
   * shift. The running mean and variance are non-trainable state.
   *
   * @param momentum weight of the old running value: {@code running = momentum * running + (1 -
   *     momentum) * batch}
   * @param epsilon added to the variance
   */
  record BatchNorm(double momentum, double epsilon) implements LayerSpec {
    public static final double DEFAULT_MOMENTUM = 0.9;
    public static final double DEFAULT_EPSILON = 1e-5;

    public BatchNorm {
      if (!(momentum >= 0 && momentum < 1)) {
        throw new IllegalArgumentException(
            "batch-norm: momentum must be in [0, 1), got " + momentum);
      }
      positiveEpsilon("batch-norm", epsilon);
    }

    public BatchNorm() {
      this(DEFAULT_MOMENTUM, DEFAULT_EPSILON);
    }

    @Override
    public String type() {
      return "batch-norm";
    }

    @Override
    public int[] outputShape(int index, int[] inputShape) {
      if (inputShape.length != 1 && inputShape.length != 3) {
        throw new ShapeException(
            "layer "
                + index
                + " (batch-norm) needs a vector or [channels, height, width] input but gets shape "
                + Arrays.toString(inputShape));
      }
      return inputShape.clone();
    }

    @Override
    public long numParams(int[] inputShape) {
      return 2L * inputShape[0];
    }

    @Override
    public long numState(int[] inputShape) {
      return 2L * inputShape[0];
    }
  }

  /** Layer normalisation over the last dimension, with a learned scale and shift. */
  record LayerNorm(double epsilon) implements LayerSpec {
    public static final double DEFAULT_EPSILON = 1e-5;

    public LayerNorm {
      positiveEpsilon("layer-norm", epsilon);
    }

    public LayerNorm() {
      this(DEFAULT_EPSILON);
    }

    @Override
    public String type() {
      return "layer-norm";
    }

    @Override
    public int[] outputShape(int index, int[] inputShape) {
      return inputShape.clone();
    }

    @Override
    public long numParams(int[] inputShape) {
      return 2L * inputShape[inputShape.length - 1];
    }
  }

  /**
   * A learned vector per token: {@code [seqLen]} token ids (stored as floats) become {@code
   * [seqLen, dim]}. Must be the first layer, since ids have no gradient.
   */
  record Embedding(int vocabulary, int dim) implements LayerSpec {
    public Embedding {
      positive("embedding", "vocabulary", vocabulary);
      positive("embedding", "dim", dim);
    }

    @Override
    public String type() {
      return "embedding";
    }

    @Override
    public int[] outputShape(int index, int[] inputShape) {
      if (index != 0) {
        throw new ShapeException(
            "layer " + index + " (embedding) must be the first layer: its input is token ids");
      }
      requireRank(index, type(), inputShape, 1, "a [seqLen] token id", "");
      return new int[] {inputShape[0], dim};
    }

    @Override
    public long numParams(int[] inputShape) {
      return (long) vocabulary * dim;
    }
  }

  /** A learned {@code [seqLen, dim]} table added to a {@code [seqLen, dim]} input. */
  record PositionalEncoding() implements LayerSpec {
    @Override
    public String type() {
      return "positional-encoding";
    }

    @Override
    public int[] outputShape(int index, int[] inputShape) {
      requireRank(index, type(), inputShape, 2, "a [seqLen, dim]", "");
      return inputShape.clone();
    }

    @Override
    public long numParams(int[] inputShape) {
      return (long) inputShape[0] * inputShape[1];
    }
  }

  /**
   * Splits {@code [channels, height, width]} into {@code patch x patch} squares and projects each
   * linearly to {@code dim}: a convolution with kernel = stride = patch, giving {@code [numPatches,
   * dim]} in row-major patch order.
   */
  record PatchEmbedding(int patch, int dim, Init init) implements LayerSpec {
    public PatchEmbedding {
      positive("patch-embedding", "patch", patch);
      positive("patch-embedding", "dim", dim);
      requireNonNull("patch-embedding", init);
    }

    public PatchEmbedding(int patch, int dim) {
      this(patch, dim, Init.XAVIER_NORMAL);
    }

    @Override
    public String type() {
      return "patch-embedding";
    }

    @Override
    public int[] outputShape(int index, int[] inputShape) {
      requireRank(index, type(), inputShape, 3, "a [channels, height, width]", "");
      if (inputShape[1] % patch != 0 || inputShape[2] % patch != 0) {
        throw new ShapeException(
            "layer "
                + index
                + " (patch-embedding) needs height and width divisible by the patch size "
                + patch
                + " but gets shape "
                + Arrays.toString(inputShape));
      }
      return new int[] {(inputShape[1] / patch) * (inputShape[2] / patch), dim};
    }

    @Override
    public long numParams(int[] inputShape) {
      return (long) dim * inputShape[0] * patch * patch + dim;
    }

    Conv2d projection() {
      return new Conv2d(dim, patch, patch, patch, patch, Padding.VALID, Activation.IDENTITY, init);
    }
  }

  /**
   * Multi-head scaled dot-product self-attention over {@code [seqLen, dim]}: one fused query, key
   * and value projection, {@code heads} heads of {@code dim / heads}, an output projection, and
   * optionally a causal mask (position i attends only to positions up to i).
   */
  record SelfAttention(int heads, boolean causal, Init init) implements LayerSpec {
    public SelfAttention {
      positive("self-attention", "heads", heads);
      requireNonNull("self-attention", init);
    }

    public SelfAttention(int heads, boolean causal) {
      this(heads, causal, Init.XAVIER_NORMAL);
    }

    @Override
    public String type() {
      return "self-attention";
    }

    @Override
    public int[] outputShape(int index, int[] inputShape) {
      requireHeads(index, type(), inputShape, heads);
      return inputShape.clone();
    }

    @Override
    public long numParams(int[] inputShape) {
      long d = inputShape[1];
      return 4 * d * d + 4 * d;
    }
  }

  /**
   * A pre-norm transformer encoder block over {@code [seqLen, dim]}: {@code x + attention(ln(x))},
   * then {@code x + mlp(ln(x))} with a GELU MLP of {@code mlpRatio * dim} hidden units.
   */
  record TransformerEncoder(int heads, int mlpRatio, boolean causal, Init init)
      implements LayerSpec {
    public static final int DEFAULT_MLP_RATIO = 4;

    public TransformerEncoder {
      positive("transformer-encoder", "heads", heads);
      positive("transformer-encoder", "mlp-ratio", mlpRatio);
      requireNonNull("transformer-encoder", init);
    }

    public TransformerEncoder(int heads, int mlpRatio, boolean causal) {
      this(heads, mlpRatio, causal, Init.XAVIER_NORMAL);
    }

    @Override
    public String type() {
      return "transformer-encoder";
    }

    @Override
    public int[] outputShape(int index, int[] inputShape) {
      requireHeads(index, type(), inputShape, heads);
      return inputShape.clone();
    }

    @Override
    public long numParams(int[] inputShape) {
      long d = inputShape[1];
      long hidden = mlpRatio * d;
      return 2 * (2 * d) + (4 * d * d + 4 * d) + (d * hidden + hidden) + (hidden * d + d);
    }
  }

  /**
   * The mean over the spatial positions of {@code [channels, height, width]} or over the sequence
   * of {@code [seqLen, dim]}.
   */
  record GlobalAveragePooling() implements LayerSpec {
    @Override
    public String type() {
      return "global-average-pooling";
    }

    @Override
    public int[] outputShape(int index, int[] inputShape) {
      if (inputShape.length != 2 && inputShape.length != 3) {
        throw new ShapeException(
            "layer "
                + index
                + " (global-average-pooling) needs a [channels, height, width] or [seqLen, dim]"
                + " input but gets shape "
                + Arrays.toString(inputShape));
      }
      return new int[] {inputShape.length == 3 ? inputShape[0] : inputShape[1]};
    }

    @Override
    public long numParams(int[] inputShape) {
      return 0;
    }
  }

  private static void requireRank(
      int index, String type, int[] shape, int rank, String needs, String hint) {
    if (shape.length != rank) {
      throw new ShapeException(
          "layer "
              + index
              + " ("
              + type
              + ") needs "
              + needs
              + " input but gets shape "
              + Arrays.toString(shape)
              + (hint.isEmpty() ? "" : "; " + hint));
    }
  }

  private static void requireHeads(int index, String type, int[] shape, int heads) {
    requireRank(index, type, shape, 2, "a [seqLen, dim]", "");
    if (shape[1] % heads != 0) {
      throw new ShapeException(
          "layer "
              + index
              + " ("
              + type
              + ") splits dim "
              + shape[1]
              + " of input shape "
              + Arrays.toString(shape)
              + " into "
              + heads
              + " heads, which does not divide it");
    }
  }

  private static void positive(String type, String key, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(type + ": " + key + " must be positive, got " + value);
    }
  }

  private static void positiveEpsilon(String type, double epsilon) {
    if (!(epsilon > 0)) {
      throw new IllegalArgumentException(type + ": epsilon must be positive, got " + epsilon);
    }
  }

  private static void requireNonNull(String type, Object... values) {
    for (Object v : values) {
      if (v == null) {
        throw new IllegalArgumentException(type + ": a required setting is missing (null)");
      }
    }
  }
}
