package io.kindling.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Max or average pooling on [batch, channels, height, width] by libnd4j's {@code maxpool2d} /
 * {@code avgpool2d} and their {@code _bp} ops. Padded positions never count: a max ignores them and
 * an average divides by the number of real values in the window. Max pooling of contiguous fp32
 * arrays, as training uses, goes through {@link MaxPooling} instead. A ReLU may follow the pooling
 * in the same layer: a convolution's, moved past it (see {@link Network}).
 */
final class Pooling2dLayer implements Layer {
  private final String op;
  private final long[] outputShape;

  /** The ops' integer arguments: kernel, stride, padding, dilation, same mode, divisor, NCHW. */
  private final int[] args;

  /** For max pooling; null for average pooling. */
  private final MaxPooling max;

  /** The ReLU after the pooling, or the identity, on libnd4j's path; {@link #max} has its own. */
  private final AppliedActivation activation;

  private INDArray input;

  /**
   * @param rectify whether a ReLU follows the pooling (max pooling only)
   */
  Pooling2dLayer(int[] inputShape, int[] outputShape, LayerSpec.Pooling2d spec, boolean rectify) {
    if (rectify && spec.pooling() != LayerSpec.Pooling.MAX) {
      throw new IllegalArgumentException("a ReLU moves past max pooling only, not " + spec);
    }
    this.op = spec.pooling() == LayerSpec.Pooling.MAX ? "maxpool2d" : "avgpool2d";
    this.outputShape = new long[] {0, outputShape[0], outputShape[1], outputShape[2]};
    this.args =
        new int[] {
          spec.kernelHeight(),
          spec.kernelWidth(),
          spec.strideHeight(),
          spec.strideWidth(),
          0,
          0,
          1,
          1,
          spec.padding() == LayerSpec.Padding.SAME ? 1 : 0,
          0,
          0
        };
    this.max =
        spec.pooling() == LayerSpec.Pooling.MAX
            ? new MaxPooling(inputShape, outputShape, spec, rectify)
            : null;
    this.activation = new AppliedActivation(rectify ? Activation.RELU : Activation.IDENTITY);
  }

  /**
   * The Java max pooling, for a convolution that pools its outputs itself; null for average
   * pooling.
   */
  MaxPooling max() {
    return max;
  }

  /** Outputs per example. */
  long outputsPerExample() {
    return outputShape[1] * outputShape[2] * outputShape[3];
  }

  @Override
  public INDArray forward(INDArray x, boolean training) {
    input = x;
    outputShape[0] = x.size(0);
    INDArray z = Nd4j.createUninitialized(x.dataType(), outputShape);
    if (inJava(x)) {
      max.forward(x, z, training); // and its ReLU
      return z;
    }
    Nd4j.exec(
        DynamicCustomOp.builder(op).addInputs(x).addOutputs(z).addIntegerArguments(args).build());
    return activation.forward(z, training);
  }

  private boolean inJava(INDArray x) {
    return max != null && FloatCursor.contiguous(x);
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    INDArray dx = input.ulike();
    if (inJava(input)) {
      max.backward(
          FloatCursor.contiguous(outputGradient) ? outputGradient : outputGradient.dup('c'), dx);
      return dx;
    }
    Nd4j.exec(
        DynamicCustomOp.builder(op + "_bp")
            .addInputs(input, activation.backward(outputGradient))
            .addOutputs(dx)
            .addIntegerArguments(args)
            .build());
    return dx;
  }
}
