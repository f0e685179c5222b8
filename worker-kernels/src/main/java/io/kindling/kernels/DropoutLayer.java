package io.kindling.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.BernoulliDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Inverted dropout. The mask is drawn from the network's generator, which each training step
 * reseeds, so a step is reproducible from its seed alone.
 */
final class DropoutLayer implements Layer {
  private final double keep;
  private final Random random;
  private INDArray mask;

  DropoutLayer(LayerSpec.Dropout spec, Random random) {
    this.keep = 1 - spec.rate();
    this.random = random;
  }

  @Override
  public INDArray forward(INDArray x, boolean training) {
    if (!training || keep == 1) {
      mask = null;
      return x;
    }
    mask = x.ulike();
    Nd4j.getExecutioner().exec(new BernoulliDistribution(mask, keep), random);
    mask.divi(keep);
    return x.mul(mask);
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    return mask == null ? outputGradient : outputGradient.mul(mask);
  }
}
