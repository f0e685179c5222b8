package io.kindling.kernels;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastAddOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastMulOp;
import org.nd4j.linalg.api.ops.impl.broadcast.BroadcastSubOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Batch normalisation over axis 1 of [batch, C, H, W] or [batch, F]: {@code (x - mean) / sqrt(var +
 * epsilon) * gamma + beta}. Training normalises with the batch's statistics (and the gradient
 * includes their dependence on the input) and folds them into the running statistics; inference
 * uses the running statistics.
 *
 * <p>Written with ND4J reductions and broadcasts along axis 1: libnd4j's {@code batchnorm_bp}
 * agrees with the exact gradient only to about 1e-8 even in double precision, which a gradient
 * check sees.
 */
final class BatchNormLayer implements Layer {
  private final int channels;
  private final double momentum;
  private final double epsilon;
  private final int[] reduced;
  private INDArray gamma;
  private INDArray beta;
  private INDArray gammaGradient;
  private INDArray betaGradient;
  private INDArray runningMean;
  private INDArray runningVariance;
  private INDArray normalised;
  private INDArray inverseStd;

  BatchNormLayer(int[] inputShape, LayerSpec.BatchNorm spec) {
    this.channels = inputShape[0];
    this.momentum = spec.momentum();
    this.epsilon = spec.epsilon();
    this.reduced = inputShape.length == 3 ? new int[] {0, 2, 3} : new int[] {0};
  }

  @Override
  public long numParams() {
    return 2L * channels;
  }

  @Override
  public long numState() {
    return 2L * channels;
  }

  @Override
  public void bind(INDArray params, INDArray gradients) {
    gamma = params.get(NDArrayIndex.interval(0, channels));
    beta = params.get(NDArrayIndex.interval(channels, 2 * channels));
    gammaGradient = gradients.get(NDArrayIndex.interval(0, channels));
    betaGradient = gradients.get(NDArrayIndex.interval(channels, 2 * channels));
  }

  @Override
  public void bindState(INDArray state) {
    runningMean = state.get(NDArrayIndex.interval(0, channels));
    runningVariance = state.get(NDArrayIndex.interval(channels, 2 * channels));
  }

  @Override
  public void initialise(Random random) {
    gamma.assign(1);
    beta.assign(0);
    runningMean.assign(0);
    runningVariance.assign(1);
  }

  @Override
  public INDArray forward(INDArray x, boolean training) {
    INDArray mean = training ? x.mean(reduced) : runningMean;
    INDArray centred = perChannel(new BroadcastSubOp(x, mean, x.ulike(), 1));
    INDArray variance = training ? centred.mul(centred).mean(reduced) : runningVariance;
    if (training) {
      long n = x.length() / channels;
      // The running variance estimates the population's, hence the unbiased n / (n - 1).
      double unbiased = n > 1 ? (double) n / (n - 1) : 1;
      runningMean.muli(momentum).addi(mean.muli(1 - momentum));
      runningVariance.muli(momentum).addi(variance.mul((1 - momentum) * unbiased));
    }
    inverseStd = Transforms.pow(variance.add(epsilon), -0.5, false);
    normalised = perChannel(new BroadcastMulOp(centred, inverseStd, centred, 1));
    INDArray scaled = perChannel(new BroadcastMulOp(normalised, gamma, x.ulike(), 1));
    return perChannel(new BroadcastAddOp(scaled, beta, scaled, 1));
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    gammaGradient.assign(outputGradient.mul(normalised).sum(reduced));
    betaGradient.assign(outputGradient.sum(reduced));
    // dx = invStd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), per channel
    INDArray dNormalised =
        perChannel(new BroadcastMulOp(outputGradient, gamma, outputGradient.ulike(), 1));
    INDArray projection = dNormalised.mul(normalised).mean(reduced);
    INDArray correction =
        perChannel(new BroadcastMulOp(normalised, projection, normalised.ulike(), 1));
    perChannel(new BroadcastSubOp(dNormalised, dNormalised.mean(reduced), dNormalised, 1));
    return perChannel(new BroadcastMulOp(dNormalised.subi(correction), inverseStd, dNormalised, 1));
  }

  private static INDArray perChannel(org.nd4j.linalg.api.ops.BroadcastOp op) {
    return Nd4j.getExecutioner().exec(op);
  }
}
