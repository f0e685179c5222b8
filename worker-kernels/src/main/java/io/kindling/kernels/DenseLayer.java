package io.kindling.kernels;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@code activation(x W + b)} with W of shape [in, out], stored row-major in the flat buffer. Every
 * product, bias included, is a BLAS call writing straight into its row-major result: libnd4j's
 * matrix-product op allocates, and broadcast and reduction ops cost several times a small product.
 */
final class DenseLayer implements Layer {
  private final int in;
  private final int out;
  private final Init init;
  private final AppliedActivation activation;
  private final BatchOnes ones = new BatchOnes();
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
    long batch = x.size(0);
    INDArray z = Nd4j.createUninitialized(x.dataType(), batch, out);
    MatrixProduct.into(ones.column(batch, x.dataType()), bias, z, false, false, 1.0, 0.0);
    MatrixProduct.into(x, weights, z, false, false, 1.0, 1.0);
    return activation.forward(z, training);
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    INDArray dz = parameterGradients(outputGradient);
    INDArray dx = Nd4j.createUninitialized(dz.dataType(), dz.size(0), in);
    MatrixProduct.into(dz, weights, dx, false, true, 1.0, 0.0);
    return dx;
  }

  @Override
  public void backwardParameters(INDArray outputGradient) {
    parameterGradients(outputGradient);
  }

  /** Fills the weight and bias gradients; returns dLoss/dz. */
  private INDArray parameterGradients(INDArray outputGradient) {
    INDArray dz = activation.backward(outputGradient);
    MatrixProduct.into(input, dz, weightGradient, true, false, 1.0, 0.0);
    MatrixProduct.into(
        ones.row(dz.size(0), dz.dataType()), dz, biasGradient, false, false, 1.0, 0.0);
    return dz;
  }
}
