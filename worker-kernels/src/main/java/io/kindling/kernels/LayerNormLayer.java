package io.kindling.kernels;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Layer normalisation over the last dimension: {@code (x - mean) / sqrt(var + epsilon) * gain +
 * bias}, on the input viewed as [rows, features]. Written with ND4J's row and column broadcasts
 * because libnd4j's {@code layer_norm} divides by the bare standard deviation (no epsilon), which
 * is NaN for a constant row.
 */
final class LayerNormLayer implements Layer {
  private final int features;
  private final double epsilon;
  private INDArray gain;
  private INDArray bias;
  private INDArray gainGradient;
  private INDArray biasGradient;
  private INDArray normalised;
  private INDArray inverseStd;

  LayerNormLayer(int features, double epsilon) {
    this.features = features;
    this.epsilon = epsilon;
  }

  @Override
  public long numParams() {
    return 2L * features;
  }

  @Override
  public void bind(INDArray params, INDArray gradients) {
    gain = params.get(NDArrayIndex.interval(0, features)).reshape('c', 1, features);
    bias = params.get(NDArrayIndex.interval(features, 2 * features)).reshape('c', 1, features);
    gainGradient = gradients.get(NDArrayIndex.interval(0, features)).reshape('c', 1, features);
    biasGradient =
        gradients.get(NDArrayIndex.interval(features, 2 * features)).reshape('c', 1, features);
  }

  @Override
  public void initialise(Random random) {
    gain.assign(1);
    bias.assign(0);
  }

  @Override
  public INDArray forward(INDArray x, boolean training) {
    INDArray rows = x.reshape('c', x.length() / features, features);
    INDArray centred = rows.subColumnVector(rows.mean(true, 1));
    INDArray variance = centred.mul(centred).mean(true, 1);
    inverseStd = Transforms.pow(variance.addi(epsilon), -0.5, false);
    normalised = centred.muliColumnVector(inverseStd);
    return normalised.mulRowVector(gain).addiRowVector(bias).reshape('c', x.shape());
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    INDArray dy = outputGradient.reshape('c', normalised.shape());
    gainGradient.assign(dy.mul(normalised).sum(true, 0));
    biasGradient.assign(dy.sum(true, 0));
    // dx = invStd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), per row
    INDArray dNormalised = dy.mulRowVector(gain);
    INDArray projection = dNormalised.mul(normalised).mean(true, 1);
    INDArray dx =
        dNormalised
            .subiColumnVector(dNormalised.mean(true, 1))
            .subi(normalised.mulColumnVector(projection))
            .muliColumnVector(inverseStd);
    return dx.reshape('c', outputGradient.shape());
  }
}
