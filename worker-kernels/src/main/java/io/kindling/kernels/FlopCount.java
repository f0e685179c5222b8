package io.kindling.kernels;

import java.util.List;

/**
 * Multiply-adds of a network's forward pass per example, counting the matrix products that dominate
 * (dense, convolution, patch embedding, attention and its MLP) and ignoring element-wise work. A
 * training step costs about three forward passes, so FLOPs per trained example are {@code 6 x}
 * this: the yardstick the kernel benchmark divides by.
 */
public final class FlopCount {
  private FlopCount() {}

  public static long forwardMultiplyAdds(NetworkSpec spec) {
    List<int[]> shapes = spec.shapes();
    long total = 0;
    for (int i = 0; i < spec.layers().size(); i++) {
      total += multiplyAdds(spec.layers().get(i), shapes.get(i), shapes.get(i + 1));
    }
    return total;
  }

  private static long multiplyAdds(LayerSpec layer, int[] in, int[] out) {
    if (layer instanceof LayerSpec.Dense d) {
      return (long) in[0] * d.units();
    }
    if (layer instanceof LayerSpec.Conv2d c) {
      return (long) out[0] * out[1] * out[2] * in[0] * c.kernelHeight() * c.kernelWidth();
    }
    if (layer instanceof LayerSpec.PatchEmbedding p) {
      return (long) out[0] * out[1] * in[0] * p.patch() * p.patch();
    }
    if (layer instanceof LayerSpec.SelfAttention) {
      return attention(in[0], in[1]);
    }
    if (layer instanceof LayerSpec.TransformerEncoder t) {
      return attention(in[0], in[1]) + 2L * in[0] * in[1] * in[1] * t.mlpRatio();
    }
    return 0;
  }

  /** Q, K, V and output projections (4 T D^2) plus scores and weighted sum (2 T^2 D). */
  private static long attention(int tokens, int dim) {
    return 4L * tokens * dim * dim + 2L * tokens * tokens * dim;
  }
}
