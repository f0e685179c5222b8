package io.kindling.kernels;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A network built from a {@link NetworkSpec}. All parameters live in one flat buffer and all
 * gradients in another; layers hold views, so shipping, averaging or saving a model is one vector.
 */
public final class Network {
  private final NetworkSpec spec;
  private final INDArray params;
  private final INDArray gradients;
  private final List<Layer> layers;
  private final LossFunction loss;

  private Network(NetworkSpec spec, DataType dataType) {
    this.spec = spec;
    this.loss = spec.loss().function();
    List<Layer> built = new ArrayList<>();
    List<int[]> shapes = spec.shapes();
    long total = 0;
    for (int i = 0; i < spec.layers().size(); i++) {
      Layer layer = build(spec.layers().get(i), shapes.get(i));
      built.add(layer);
      total += layer.numParams();
    }
    this.layers = Collections.unmodifiableList(built);
    this.params = Nd4j.create(dataType, total);
    this.gradients = Nd4j.create(dataType, total);
    long offset = 0;
    for (Layer layer : layers) {
      long n = layer.numParams();
      layer.bind(
          params.get(NDArrayIndex.interval(offset, offset + n)),
          gradients.get(NDArrayIndex.interval(offset, offset + n)));
      offset += n;
    }
  }

  private static Layer build(LayerSpec spec, int[] inputShape) {
    if (spec instanceof LayerSpec.Dense d) {
      return new DenseLayer(inputShape[0], d);
    }
    throw new IllegalStateException("no implementation for layer type " + spec.type());
  }

  /** A new fp32 network with parameters initialised from the seed. */
  public static Network create(NetworkSpec spec, long seed) {
    return create(spec, seed, DataType.FLOAT);
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

  INDArray params() {
    return params;
  }

  INDArray gradients() {
    return gradients;
  }

  LossFunction loss() {
    return loss;
  }

  INDArray output(INDArray input, boolean training) {
    INDArray x = input;
    for (Layer layer : layers) {
      x = layer.forward(x, training);
    }
    return x;
  }

  /** Forward, loss, backward: fills the gradient buffer and returns the mean batch loss. */
  double computeGradient(INDArray input, INDArray targets) {
    INDArray out = output(input, true);
    INDArray grad = out.ulike();
    double value = loss.lossAndGradient(out, targets, grad);
    for (int i = layers.size() - 1; i >= 0; i--) {
      grad = layers.get(i).backward(grad);
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
    try (var ws = Workspaces.inference()) {
      INDArray input = Nd4j.create(params.dataType(), n, in);
      HostCopy.toDevice(x, 0, input);
      INDArray out = loss.outputTransform(output(input, false));
      float[] result = new float[n * spec.outputSize()];
      HostCopy.toHost(out, result, 0);
      return result;
    }
  }
}
