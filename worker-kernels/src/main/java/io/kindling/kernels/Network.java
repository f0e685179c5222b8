package io.kindling.kernels;

import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A network built from a {@link NetworkSpec}. All parameters live in one flat buffer, {@code
 * [trainable parameters | non-trainable state]}, and all gradients in another as long as the
 * trainable part; layers hold views, so shipping, averaging or saving a model is one vector, and
 * the optimizer works on one contiguous range.
 */
public final class Network {
  static {
    NativeBackend.select();
  }

  /** Frees each network's native generator once the network is unreachable. */
  private static final Cleaner GENERATORS = Cleaner.create();

  private final NetworkSpec spec;
  private final INDArray params;
  private final INDArray trainable;
  private final INDArray gradients;
  private final List<Layer> layers;

  /** Index of the first layer with parameters; the number of layers when none has any. */
  private final int firstTrainable;

  private final LossFunction loss;

  /** Dropout's generator, reseeded by every training step. */
  private final org.nd4j.linalg.api.rng.Random random;

  private Network(NetworkSpec spec, DataType dataType) {
    this.spec = spec;
    this.loss = LossFunction.of(spec.loss());
    this.random = Nd4j.getRandomFactory().getNewRandomInstance(0);
    org.nd4j.linalg.api.rng.Random generator = random;
    GENERATORS.register(this, () -> free(generator));
    List<Layer> built = new ArrayList<>();
    List<int[]> shapes = spec.shapes();
    long trainableCount = 0;
    long stateCount = 0;
    for (int i = 0; i < spec.layers().size(); i++) {
      Layer layer =
          i > 0 && built.get(i - 1) instanceof Conv2dLayer c && c.pools()
              ? new PooledBefore()
              : build(i, spec.layers(), shapes, dataType, trainableCount == 0);
      built.add(layer);
      trainableCount += layer.numParams();
      stateCount += layer.numState();
    }
    this.layers = Collections.unmodifiableList(built);
    int first = 0;
    while (first < built.size() && built.get(first).numParams() == 0) {
      first++;
    }
    this.firstTrainable = first;
    this.params = Nd4j.create(dataType, trainableCount + stateCount);
    this.gradients = Nd4j.create(dataType, trainableCount);
    this.trainable =
        stateCount == 0 ? params : params.get(NDArrayIndex.interval(0, trainableCount));
    long offset = 0;
    long stateOffset = trainableCount;
    for (Layer layer : layers) {
      long n = layer.numParams();
      if (n > 0) {
        layer.bind(
            params.get(NDArrayIndex.interval(offset, offset + n)),
            gradients.get(NDArrayIndex.interval(offset, offset + n)));
      }
      offset += n;
      long s = layer.numState();
      if (s > 0) {
        layer.bindState(params.get(NDArrayIndex.interval(stateOffset, stateOffset + s)));
      }
      stateOffset += s;
    }
  }

  private static void free(org.nd4j.linalg.api.rng.Random generator) {
    try {
      generator.close();
    } catch (Exception e) {
      throw new IllegalStateException("could not free a native random generator", e);
    }
  }

  /**
   * Whether layer {@code index} is a convolution with ReLU that max pooling follows. Such a pair is
   * built as the convolution without its ReLU and the pooling with a ReLU after it: max pooling
   * commutes with ReLU, and either way the gradient reaches a window's maximum only where it is
   * positive, so outputs and gradients are the same, but the ReLU then runs on the pooled values (a
   * quarter of them for 2x2 windows) and the convolution's output is not rewritten in between.
   */
  private static boolean rectifiesBeforeMaxPooling(List<LayerSpec> specs, int index) {
    return specs.get(index) instanceof LayerSpec.Conv2d c
        && c.activation() == Activation.RELU
        && maxPoolingAfter(specs, index) != null;
  }

  /** The max pooling that follows layer {@code index}, or null. */
  private static LayerSpec.Pooling2d maxPoolingAfter(List<LayerSpec> specs, int index) {
    return index + 1 < specs.size()
            && specs.get(index + 1) instanceof LayerSpec.Pooling2d p
            && p.pooling() == LayerSpec.Pooling.MAX
        ? p
        : null;
  }

  /**
   * Layer {@code index}, with {@code shapes} the network's shapes between its layers.
   *
   * @param first whether no earlier layer has parameters: the network will ask this layer for its
   *     parameter gradients only, never for its input gradient
   */
  private Layer build(
      int index, List<LayerSpec> specs, List<int[]> shapes, DataType dataType, boolean first) {
    LayerSpec spec = specs.get(index);
    int[] in = shapes.get(index);
    int[] out = shapes.get(index + 1);
    if (spec instanceof LayerSpec.Dense d) {
      return new DenseLayer(in[0], d);
    }
    if (spec instanceof LayerSpec.Conv2d c) {
      boolean rectifiedLater = rectifiesBeforeMaxPooling(specs, index);
      LayerSpec.Conv2d conv = rectifiedLater ? c.withActivation(Activation.IDENTITY) : c;
      // A first convolution computes the max pooling after it, whose gradient its backward pass
      // then scatters an example at a time (see Conv2dLayer).
      LayerSpec.Pooling2d next = maxPoolingAfter(specs, index);
      Pooling2dLayer pooling =
          first && conv.activation() == Activation.IDENTITY && next != null
              ? new Pooling2dLayer(out, shapes.get(index + 2), next, rectifiedLater)
              : null;
      return new Conv2dLayer(in, out, conv, first, pooling);
    }
    if (spec instanceof LayerSpec.Pooling2d p) {
      boolean rectify = index > 0 && rectifiesBeforeMaxPooling(specs, index - 1);
      return new Pooling2dLayer(in, out, p, rectify);
    }
    if (spec instanceof LayerSpec.Flatten) {
      return new FlattenLayer();
    }
    if (spec instanceof LayerSpec.Dropout d) {
      return new DropoutLayer(d, random);
    }
    if (spec instanceof LayerSpec.BatchNorm b) {
      return new BatchNormLayer(in, b);
    }
    if (spec instanceof LayerSpec.LayerNorm l) {
      return new LayerNormLayer(in[in.length - 1], l.epsilon());
    }
    if (spec instanceof LayerSpec.Embedding e) {
      return new EmbeddingLayer(index, e);
    }
    if (spec instanceof LayerSpec.PositionalEncoding) {
      return new PositionalEncodingLayer(in);
    }
    if (spec instanceof LayerSpec.PatchEmbedding p) {
      return new PatchEmbeddingLayer(in, out, p, first);
    }
    if (spec instanceof LayerSpec.SelfAttention a) {
      return new SelfAttentionLayer(in, a.heads(), a.causal(), a.init(), dataType);
    }
    if (spec instanceof LayerSpec.TransformerEncoder t) {
      return new TransformerEncoderLayer(in, t, dataType);
    }
    if (spec instanceof LayerSpec.GlobalAveragePooling) {
      return new GlobalAveragePoolingLayer(in);
    }
    throw new IllegalStateException("no implementation for layer type " + spec.type());
  }

  /** A new fp32 network with parameters initialised from the seed. */
  public static Network create(NetworkSpec spec, long seed) {
    return create(spec, seed, DataType.FLOAT);
  }

  /**
   * A new fp32 network holding {@code parameters} (laid out as {@link #readParams} writes them;
   * values after the network's own are ignored), with no initialisation drawn: for scoring and
   * predicting with parameters from elsewhere, without drawing an initialisation only to overwrite
   * it (the initialisers fill a double array per layer: 3 MB for a 784 x 512 layer).
   */
  public static Network withParameters(NetworkSpec spec, float[] parameters) {
    Network network = new Network(spec, DataType.FLOAT);
    if (parameters.length < network.numParams()) {
      throw new IllegalArgumentException(
          spec.describe()
              + " has "
              + network.numParams()
              + " parameters; got "
              + parameters.length
              + " values");
    }
    network.writeParams(parameters, 0);
    return network;
  }

  /** Double precision is for numerical gradient checks. */
  static Network create(NetworkSpec spec, long seed, DataType dataType) {
    Network network = new Network(spec, dataType);
    for (int i = 0; i < network.layers.size(); i++) {
      network.layers.get(i).initialise(new Random(seed * 1_000_003L + i));
    }
    return network;
  }

  public NetworkSpec spec() {
    return spec;
  }

  /** Length of the parameter vector: trainable parameters, then running statistics. */
  public int numParams() {
    return Math.toIntExact(params.length());
  }

  /** Copies the parameters into {@code dst} starting at {@code offset}. */
  public void readParams(float[] dst, int offset) {
    HostCopy.toHost(params, dst, offset);
  }

  /** Replaces the parameters with {@code src[offset, offset + numParams())}. */
  public void writeParams(float[] src, int offset) {
    HostCopy.toDevice(src, offset, params);
  }

  /** Length of the trainable prefix of the parameter vector, and of the gradient vector. */
  public int numTrainableParams() {
    return Math.toIntExact(trainable.length());
  }

  /** Replaces the trainable parameters with {@code src[offset, offset + numTrainableParams())}. */
  public void writeTrainableParams(float[] src, int offset) {
    HostCopy.toDevice(src, offset, params, 0, numTrainableParams());
  }

  /** Copies the gradient of the last {@link MinibatchGradient#compute} into {@code dst}. */
  public void readGradients(float[] dst, int offset) {
    HostCopy.toHost(gradients, dst, offset);
  }

  INDArray params() {
    return params;
  }

  /** The trainable prefix of {@link #params()}, as long as {@link #gradients()}. */
  INDArray trainable() {
    return trainable;
  }

  INDArray gradients() {
    return gradients;
  }

  LossFunction loss() {
    return loss;
  }

  /**
   * Runs {@code input} ([batch, inputSize]) through the layers; returns [batch, outputSize] (the
   * spec guarantees a vector output per example).
   */
  INDArray output(INDArray input, boolean training) {
    int[] shape = spec.inputShape();
    long[] batchShape = new long[shape.length + 1];
    batchShape[0] = input.size(0);
    for (int i = 0; i < shape.length; i++) {
      batchShape[i + 1] = shape[i];
    }
    INDArray x = input.reshape('c', batchShape);
    for (Layer layer : layers) {
      x = layer.forward(x, training);
    }
    return x;
  }

  /**
   * Forward, loss, backward: fills the gradient buffer and returns the mean batch loss. {@code
   * seed} fixes the step's randomness (dropout masks): the same seed and inputs give the same
   * result.
   */
  double computeGradient(INDArray input, INDArray targets, long seed) {
    ComputeThreads.applyToCurrentThread();
    random.setSeed(seed);
    INDArray out = output(input, true);
    INDArray grad = out.ulike();
    double value = loss.lossAndGradient(out, targets, grad);
    // Layers before the first with parameters need no gradient, nor does its input.
    for (int i = layers.size() - 1; i > firstTrainable && grad != null; i--) {
      grad = layers.get(i).backward(grad);
    }
    if (grad != null && firstTrainable < layers.size()) {
      layers.get(firstTrainable).backwardParameters(grad);
    }
    return value;
  }

  /**
   * Per-example outputs for {@code n} examples packed in {@code x}: class probabilities for
   * classification, raw values for regression.
   */
  public float[] predict(float[] x, int n) {
    int in = spec.inputSize();
    if (x.length < (long) n * in) {
      throw new IllegalArgumentException("need " + n * in + " input values, got " + x.length);
    }
    ComputeThreads.applyToCurrentThread();
    try (var ws = Workspaces.inference()) {
      INDArray input = Nd4j.create(params.dataType(), n, in);
      HostCopy.toDevice(x, 0, input);
      INDArray out = loss.outputTransform(output(input, false));
      if (out.isView() || out.ordering() != 'c') {
        out = out.dup('c'); // e.g. a flatten or dropout layer's view
      }
      float[] result = new float[n * spec.outputSize()];
      HostCopy.toHost(out, result, 0);
      return result;
    }
  }
}
