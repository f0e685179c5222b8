package io.kindling.kernels;

import java.util.Random;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** {@code activation(x W + b)} with W of shape [in, out], stored row-major in the flat buffer. */
final class DenseLayer implements Layer {
  private final int in;
  private final int out;
  private final Activation activation;
  private final IActivation function;
  private INDArray weights;
  private INDArray bias;
  private INDArray weightGradient;
  private INDArray biasGradient;
  private INDArray input;
  private INDArray preActivation;

  DenseLayer(int in, LayerSpec.Dense spec) {
    this.in = in;
    this.out = spec.units();
    this.activation = spec.activation();
    this.function = activation.function();
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
    // He for the ReLU family, Glorot otherwise: keeps activations' variance stable with depth.
    boolean relu = activation == Activation.RELU || activation == Activation.LEAKY_RELU;
    double std = relu ? Math.sqrt(2.0 / in) : Math.sqrt(2.0 / (in + out));
    double[] w = new double[in * out];
    for (int i = 0; i < w.length; i++) {
      w[i] = random.nextGaussian() * std;
    }
    weights.assign(Nd4j.create(w, new long[] {in, out}, weights.dataType()));
    bias.assign(0);
  }

  @Override
  public INDArray forward(INDArray x, boolean training) {
    input = x;
    INDArray z = x.mmul(weights).addiRowVector(bias);
    if (activation == Activation.IDENTITY) {
      preActivation = null;
      return z;
    }
    preActivation = z.dup();
    return function.getActivation(z, training);
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    INDArray dz =
        preActivation == null
            ? outputGradient
            : function.backprop(preActivation, outputGradient).getFirst();
    Nd4j.gemm(input, dz, weightGradient, true, false, 1.0, 0.0);
    biasGradient.assign(dz.sum(true, 0));
    return Nd4j.gemm(dz, weights, false, true);
  }
}
