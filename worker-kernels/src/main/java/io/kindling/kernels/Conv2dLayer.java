package io.kindling.kernels;

import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@code activation(conv(x, W) + b)} on [batch, channels, height, width] by libnd4j's {@code
 * conv2d} and {@code conv2d_bp}, with W stored as [filters, channels, kernelHeight, kernelWidth].
 * As a network's first layer with parameters, where nobody needs dLoss/dInput, a training step goes
 * through {@link DirectConvolution} (fp32, stride 1) or {@link ColumnConvolution} instead.
 *
 * <p>Such a first layer may also compute the max pooling after it (which then passes its values
 * through, {@link PooledBefore}). With the direct loops, its backward pass then scatters each
 * example's pooled gradient into the heap buffer the loops read: the pooling's input gradient (1.6
 * million values for the CNN job's first layer at batch 128) is never written out and read back.
 */
final class Conv2dLayer implements Layer {
  private final int channels;
  private final int height;
  private final int width;
  private final LayerSpec.Conv2d spec;
  private final long[] outputShape;

  /** conv2d's integer arguments: kernel, stride, padding, dilation, same mode, NCHW, OIHW. */
  private final int[] args;

  /** For a first layer's fp32 training steps with stride 1; else null. */
  private final DirectConvolution direct;

  /** For a first layer's other training steps; null for the other layers. */
  private final ColumnConvolution columns;

  private final AppliedActivation activation;

  /** The max pooling after this layer, when this layer computes it; else null. */
  private final Pooling2dLayer pooling;

  /** At the pooled gradient, while the backward pass scatters it an example at a time. */
  private final BitsCursor pooledGradient = new BitsCursor();

  private final DirectConvolution.OutputGradients scatterExample = this::scatterExample;

  /**
   * Whether the last forward pass ran the direct loops and the Java max pooling, which recorded the
   * winners the backward pass scatters to.
   */
  private boolean pooledDirectly;

  private INDArray weights;
  private INDArray bias;
  private INDArray weightGradient;
  private INDArray biasGradient;
  private INDArray input;

  /** The last forward pass's activation output. */
  private INDArray output;

  /**
   * @param first whether no earlier layer has parameters, so that the network asks this one for its
   *     parameter gradients only
   */
  Conv2dLayer(int[] inputShape, int[] outputShape, LayerSpec.Conv2d spec, boolean first) {
    this(inputShape, outputShape, spec, first, null);
  }

  /**
   * @param pooling the max pooling after this layer, for this layer to compute (first layers
   *     without an activation only), or null
   */
  Conv2dLayer(
      int[] inputShape,
      int[] outputShape,
      LayerSpec.Conv2d spec,
      boolean first,
      Pooling2dLayer pooling) {
    if (pooling != null && (!first || spec.activation() != Activation.IDENTITY)) {
      throw new IllegalArgumentException(
          "only a first convolution without an activation computes the pooling after it: " + spec);
    }
    this.pooling = pooling;
    this.channels = inputShape[0];
    this.height = inputShape[1];
    this.width = inputShape[2];
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
    int padTop = spec.padding().before(height, outputShape[1], spec.kernelHeight(), args[2]);
    int padLeft = spec.padding().before(width, outputShape[2], spec.kernelWidth(), args[3]);
    boolean unitStride = spec.strideHeight() == 1 && spec.strideWidth() == 1;
    this.direct =
        first && unitStride
            ? new DirectConvolution(inputShape, outputShape, spec, padTop, padLeft)
            : null;
    this.columns =
        first
            ? new ColumnConvolution(inputShape, outputShape, spec.filters(), args, padTop, padLeft)
            : null;
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

  /** Whether this layer computes the max pooling after it. */
  boolean pools() {
    return pooling != null;
  }

  @Override
  public INDArray forward(INDArray x, boolean training) {
    input = x;
    INDArray output = convolve(x, training);
    if (pooling == null) {
      return output;
    }
    // The direct loops' output is a new contiguous fp32 array, which the Java max pooling takes.
    pooledDirectly = training && directly(x);
    return pooling.forward(output, training);
  }

  /**
   * One example's dLoss/dz: its pooled gradient, which {@link #pooledGradient} is at, scattered.
   */
  private void scatterExample(long n, float[] into) {
    int planes = spec.filters();
    pooling
        .max()
        .scatter(
            pooledGradient.position(n * pooling.outputsPerExample()), n * planes, planes, into);
  }

  private INDArray convolve(INDArray x, boolean training) {
    outputShape[0] = x.size(0);
    INDArray z = Nd4j.createUninitialized(x.dataType(), outputShape);
    if (training && directly(x)) {
      boolean rectify = activation.rectifies();
      direct.forward(x, weights, bias, z, rectify);
      output = rectify ? activation.rectified(z) : activation.forward(z, true);
      return output;
    }
    if (training && columns != null) {
      columns.forward(x, weights, bias, z);
      output = activation.forward(z, true);
      return output;
    }
    Nd4j.exec(
        DynamicCustomOp.builder("conv2d")
            .addInputs(x, weights, bias)
            .addOutputs(z)
            .addIntegerArguments(args)
            .build());
    output = activation.forward(z, training);
    return output;
  }

  private boolean directly(INDArray x) {
    return direct != null && FloatCursor.contiguous(x);
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    if (pooling != null) {
      // Only a first layer pools, and a network asks it for parameter gradients alone.
      throw new IllegalStateException("a first layer's input gradient is never needed");
    }
    return gradients(activation.backward(outputGradient));
  }

  /** dLoss/dInput, returned, and the parameter gradients, from dLoss/dPreActivation. */
  private INDArray gradients(INDArray dz) {
    INDArray dx = input.ulike();
    Nd4j.exec(
        DynamicCustomOp.builder("conv2d_bp")
            .addInputs(input, weights, bias, dz)
            .addOutputs(dx, weightGradient, biasGradient)
            .addIntegerArguments(args)
            .build());
    return dx;
  }

  @Override
  public void backwardParameters(INDArray gradient) {
    if (pooledDirectly) {
      pooledGradient.at(FloatCursor.contiguous(gradient) ? gradient : gradient.dup('c'));
      direct.parameterGradients(input, scatterExample, weightGradient, biasGradient);
      return;
    }
    INDArray outputGradient = pooling == null ? gradient : pooling.backward(gradient);
    if (directly(input)) {
      // With ReLU the direct pass applies its slope itself, saving a pass over the outputs.
      boolean fused = activation.rectifies() && FloatCursor.contiguous(outputGradient);
      INDArray dz = fused ? outputGradient : activation.backward(outputGradient);
      direct.parameterGradients(
          input,
          FloatCursor.contiguous(dz) ? dz : dz.dup('c'),
          fused ? output : null,
          weightGradient,
          biasGradient);
    } else if (columns != null) {
      columns.parameterGradients(
          input, activation.backward(outputGradient), weightGradient, biasGradient);
    } else {
      gradients(activation.backward(outputGradient));
    }
  }
}
