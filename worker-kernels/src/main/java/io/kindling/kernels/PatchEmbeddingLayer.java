package io.kindling.kernels;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * [batch, C, H, W] to [batch, patches, dim]: a convolution with kernel = stride = patch gives
 * [batch, dim, H / patch, W / patch], whose spatial positions become the sequence.
 */
final class PatchEmbeddingLayer implements Layer {
  private final Conv2dLayer projection;
  private final int patches;
  private final int dim;
  private long[] gridShape;

  /**
   * @param first whether no earlier layer has parameters (see {@link Conv2dLayer})
   */
  PatchEmbeddingLayer(
      int[] inputShape, int[] outputShape, LayerSpec.PatchEmbedding spec, boolean first) {
    this.patches = outputShape[0];
    this.dim = spec.dim();
    LayerSpec.Conv2d conv = spec.projection();
    this.projection = new Conv2dLayer(inputShape, conv.outputShape(0, inputShape), conv, first);
  }

  @Override
  public long numParams() {
    return projection.numParams();
  }

  @Override
  public void bind(INDArray params, INDArray gradients) {
    projection.bind(params, gradients);
  }

  @Override
  public void initialise(Random random) {
    projection.initialise(random);
  }

  @Override
  public INDArray forward(INDArray x, boolean training) {
    INDArray grid = projection.forward(x, training);
    gridShape = grid.shape();
    return grid.reshape('c', x.size(0), dim, patches).permute(0, 2, 1).dup('c');
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    return projection.backward(grid(outputGradient));
  }

  @Override
  public void backwardParameters(INDArray outputGradient) {
    projection.backwardParameters(grid(outputGradient));
  }

  /** [batch, patches, dim] back to the convolution's [batch, dim, H / patch, W / patch]. */
  private INDArray grid(INDArray sequence) {
    return sequence.permute(0, 2, 1).dup('c').reshape('c', gridShape);
  }
}
