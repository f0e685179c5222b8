package io.kindling.kernels;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@code activation(conv(x, W) + b)} on [batch, channels, height, width] by libnd4j's {@code
 * conv2d} and {@code conv2d_bp}, with W stored as [filters, channels, kernelHeight, kernelWidth].
 */
final class Conv2dLayer implements Layer {
  private final int channels;
  private final LayerSpec.Conv2d spec;
  private final long[] outputShape;

  /** conv2d's integer arguments: kernel, stride, padding, dilation, same mode, NCHW, OIHW. */
  private final int[] args;

  private final AppliedActivation activation;
  private INDArray weights;
  private INDArray bias;
  private INDArray weightGradient;
  private INDArray biasGradient;
  private INDArray input;

  Conv2dLayer(int[] inputShape, int[] outputShape, LayerSpec.Conv2d spec) {
    this.channels = inputShape[0];
    this.spec = spec;
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
          1
        };
    this.activation = new AppliedActivation(spec.activation());
  }

  @Override
  public long numParams() {
    return weightCount() + spec.filters();
  }

  private long weightCount() {
    return (long) spec.filters() * channels * spec.kernelHeight() * spec.kernelWidth();
  }

  @Override
  public void bind(INDArray params, INDArray gradients) {
    long w = weightCount();
    long[] shape = {spec.filters(), channels, spec.kernelHeight(), spec.kernelWidth()};
    weights = params.get(NDArrayIndex.interval(0, w)).reshape('c', shape);
    bias = params.get(NDArrayIndex.interval(w, w + spec.filters()));
    weightGradient = gradients.get(NDArrayIndex.interval(0, w)).reshape('c', shape);
    biasGradient = gradients.get(NDArrayIndex.interval(w, w + spec.filters()));
  }

  @Override
  public void initialise(Random random) {
    long window = (long) spec.kernelHeight() * spec.kernelWidth();
    spec.init().fill(weights, channels * window, spec.filters() * window, random);
    bias.assign(0);
  }

  @Override
  public INDArray forward(INDArray x, boolean training) {
    input = x;
    outputShape[0] = x.size(0);
    INDArray z = Nd4j.createUninitialized(x.dataType(), outputShape);
    Nd4j.exec(
        DynamicCustomOp.builder("conv2d")
            .addInputs(x, weights, bias)
            .addOutputs(z)
            .addIntegerArguments(args)
            .build());
    return activation.forward(z, training);
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    INDArray dz = activation.backward(outputGradient);
    INDArray dx = input.ulike();
    Nd4j.exec(
        DynamicCustomOp.builder("conv2d_bp")
            .addInputs(input, weights, bias, dz)
            .addOutputs(dx, weightGradient, biasGradient)
            .addIntegerArguments(args)
            .build());
    return dx;
  }
}
