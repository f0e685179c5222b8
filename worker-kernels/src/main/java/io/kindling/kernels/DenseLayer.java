package io.kindling.kernels;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** {@code activation(x W + b)} with W of shape [in, out], stored row-major in the flat buffer. */
final class DenseLayer implements Layer {
  private final int in;
  private final int out;
  private final Init init;
  private final AppliedActivation activation;
  private INDArray weights;
  private INDArray bias;
  private INDArray weightGradient;
  private INDArray biasGradient;
  private INDArray input;

  DenseLayer(int in, LayerSpec.Dense spec) {
    this.in = in;
    this.out = spec.units();
    this.init = spec.init();
    this.activation = new AppliedActivation(spec.activation());
  }

  @Override
  public long numParams() {
    return (long) in * out + out;
  }

  @Override
  public void bind(INDArray params, INDArray gradients) {
    long w = (long) in * out;
    weights = params.get(NDArrayIndex.interval(0, w)).reshape('c', in, out);
    bias = params.get(NDArrayIndex.interval(w, w + out)).reshape('c', 1, out);
    weightGradient = gradients.get(NDArrayIndex.interval(0, w)).reshape('c', in, out);
    biasGradient = gradients.get(NDArrayIndex.interval(w, w + out)).reshape('c', 1, out);
  }

  @Override
  public void initialise(Random random) {
    init.fill(weights, in, out, random);
    bias.assign(0);
  }

  /** {@code x} is [batch, in]. */
  @Override
  public INDArray forward(INDArray x, boolean training) {
    input = x;
    return activation.forward(x.mmul(weights).addiRowVector(bias), training);
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    INDArray dz = activation.backward(outputGradient);
    Nd4j.gemm(input, dz, weightGradient, true, false, 1.0, 0.0);
    biasGradient.assign(dz.sum(true, 0));
    return Nd4j.gemm(dz, weights, false, true);
  }
}
