package io.kindling.kernels;

import java.util.Arrays;
import java.util.Random;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@code activation(conv(x, W) + b)} on [batch, channels, height, width] by libnd4j's {@code
 * conv2d} and {@code conv2d_bp}, with W stored as [filters, channels, kernelHeight, kernelWidth].
 *
 * <p>As a network's first layer with parameters, where nobody needs dLoss/dInput, a training step
 * goes through a column matrix and BLAS instead: the forward pass builds the matrix once ({@code z
 * = W x cols + b}, one product per example) and the backward pass reuses it ({@code dW = sum over
 * examples of dZ x cols^T}, {@code db = sum of dZ x ones}). {@code conv2d_bp} always computes the
 * input gradient too, and with one input channel (images) its oneDNN path took 26 ms a batch of 128
 * 28x28 images, where the two products of this backward pass take under 1. On fp32 the column
 * matrix is built here, an example at a time through heap buffers, rows of the image copied whole:
 * 0.65-0.98 ms for that batch where libnd4j's {@code im2col} took 2.8-3.0 (same values).
 */
final class Conv2dLayer implements Layer {
  private final int channels;
  private final int height;
  private final int width;
  private final LayerSpec.Conv2d spec;
  private final long[] outputShape;

  /** conv2d's integer arguments: kernel, stride, padding, dilation, same mode, NCHW, OIHW. */
  private final int[] args;

  /** im2col's: kernel, stride, padding, dilation, same mode. */
  private final int[] im2colArgs;

  /** [batch, channels, kernelHeight, kernelWidth, outputHeight, outputWidth]. */
  private final long[] colsShape;

  /** Whether this is the network's first layer with parameters (see the class comment). */
  private final boolean first;

  private final BatchOnes ones = new BatchOnes();

  private final AppliedActivation activation;
  private INDArray weights;
  private INDArray bias;
  private INDArray weightGradient;
  private INDArray biasGradient;
  private INDArray input;

  /** The last training forward pass's im2col matrix, when {@link #first}. */
  private INDArray columns;

  /** One example's input and column matrix, for building the columns on fp32. */
  private float[] exampleInput;

  private float[] exampleColumns;

  /**
   * @param first whether no earlier layer has parameters, so that the network asks this one for its
   *     parameter gradients only
   */
  Conv2dLayer(int[] inputShape, int[] outputShape, LayerSpec.Conv2d spec, boolean first) {
    this.first = first;
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
    this.im2colArgs = Arrays.copyOf(args, 9);
    if (spec.padding() == LayerSpec.Padding.SAME) {
      // im2col takes same mode's output size but not its padding: conv2d's, any odd pixel below
      // and to the right.
      im2colArgs[4] = samePadding(inputShape[1], outputShape[1], spec.kernelHeight(), args[2]);
      im2colArgs[5] = samePadding(inputShape[2], outputShape[2], spec.kernelWidth(), args[3]);
    }
    this.colsShape =
        new long[] {
          0, channels, spec.kernelHeight(), spec.kernelWidth(), outputShape[1], outputShape[2]
        };
    this.activation = new AppliedActivation(spec.activation());
  }

  private static int samePadding(int in, int out, int kernel, int stride) {
    return Math.max(0, ((out - 1) * stride + kernel - in) / 2);
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
    long batch = x.size(0);
    outputShape[0] = batch;
    INDArray z = Nd4j.createUninitialized(x.dataType(), outputShape);
    columns = first && training ? im2col(x) : null;
    if (columns == null) {
      Nd4j.exec(
          DynamicCustomOp.builder("conv2d")
              .addInputs(x, weights, bias)
              .addOutputs(z)
              .addIntegerArguments(args)
              .build());
    } else {
      INDArray perExample = z.reshape('c', batch, spec.filters(), positions());
      MatrixProduct.overBatch(
          bias.reshape('c', spec.filters(), 1),
          ones.row(positions(), x.dataType()),
          perExample,
          false,
          false,
          0.0);
      MatrixProduct.overBatch(
          weights.reshape('c', spec.filters(), window()), columns, perExample, false, false, 1.0);
    }
    return activation.forward(z, training);
  }

  /** [batch, channels x kernel, output positions]. */
  private INDArray im2col(INDArray x) {
    colsShape[0] = x.size(0);
    INDArray cols = Nd4j.createUninitialized(x.dataType(), colsShape);
    if (x.dataType() == DataType.FLOAT) {
      fillColumns(x.ordering() == 'c' && x.elementWiseStride() == 1 ? x : x.dup('c'), cols);
    } else {
      Nd4j.exec(
          DynamicCustomOp.builder("im2col")
              .addInputs(x)
              .addOutputs(cols)
              .addIntegerArguments(im2colArgs)
              .addFloatingPointArguments(0.0)
              .build());
    }
    return cols.reshape('c', x.size(0), window(), positions());
  }

  /** libnd4j's {@code im2col} of a contiguous fp32 {@code x} into {@code cols}, in Java. */
  private void fillColumns(INDArray x, INDArray cols) {
    int in = Math.toIntExact(x.length() / x.size(0));
    int out = Math.toIntExact(window() * positions());
    if (exampleInput == null) {
      exampleInput = new float[in];
      exampleColumns = new float[out];
    }
    FloatPointer xp = new FloatPointer(x.data().addressPointer());
    FloatPointer cp = new FloatPointer(cols.data().addressPointer());
    for (long n = 0; n < x.size(0); n++) {
      xp.position(n * in).get(exampleInput, 0, in);
      columns(exampleInput, exampleColumns);
      cp.position(n * out).put(exampleColumns, 0, out);
    }
  }

  /**
   * One example's columns, [channels, kernel height, kernel width, output height, output width]:
   * each run of an output row is a run of an input row (every sw-th value of it), zero where the
   * window hangs over the padding.
   */
  private void columns(float[] x, float[] cols) {
    int kh = args[0];
    int kw = args[1];
    int sh = args[2];
    int sw = args[3];
    int padTop = im2colArgs[4];
    int padLeft = im2colArgs[5];
    int outHeight = (int) colsShape[4];
    int outWidth = (int) colsShape[5];
    int o = 0;
    for (int c = 0; c < channels; c++) {
      for (int i = 0; i < kh; i++) {
        for (int j = 0; j < kw; j++) {
          // The outputs whose input column ow sw + j - padLeft lies in the image: [first, last).
          int first = Math.min(outWidth, Math.max(0, ceilDiv(padLeft - j, sw)));
          int last = Math.max(first, Math.min(outWidth, ceilDiv(width + padLeft - j, sw)));
          for (int oh = 0; oh < outHeight; oh++, o += outWidth) {
            int row = oh * sh + i - padTop;
            if (row < 0 || row >= height) {
              Arrays.fill(cols, o, o + outWidth, 0f);
              continue;
            }
            int base = (c * height + row) * width + j - padLeft;
            Arrays.fill(cols, o, o + first, 0f);
            if (sw == 1) {
              System.arraycopy(x, base + first, cols, o + first, last - first);
            } else {
              for (int ow = first; ow < last; ow++) {
                cols[o + ow] = x[base + ow * sw];
              }
            }
            Arrays.fill(cols, o + last, o + outWidth, 0f);
          }
        }
      }
    }
  }

  /** The ceiling of {@code a / b} for {@code b > 0}. */
  private static int ceilDiv(int a, int b) {
    return -Math.floorDiv(-a, b);
  }

  /** Values in one filter's window: channels x kernel height x kernel width. */
  private long window() {
    return colsShape[1] * colsShape[2] * colsShape[3];
  }

  private long positions() {
    return colsShape[4] * colsShape[5];
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

  @Override
  public void backwardParameters(INDArray outputGradient) {
    INDArray dz = activation.backward(outputGradient);
    long batch = dz.size(0);
    INDArray cols = columns != null && columns.size(0) == batch ? columns : im2col(input);
    INDArray perExample = dz.reshape('c', batch, spec.filters(), positions());
    MatrixProduct.overBatch(
        perExample, cols, weightGradient.reshape('c', spec.filters(), window()), false, true, 0.0);
    MatrixProduct.overBatch(
        perExample,
        ones.column(positions(), dz.dataType()),
        biasGradient.reshape('c', spec.filters(), 1),
        false,
        false,
        0.0);
  }
}
