package io.kindling.kernels;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A network's first convolution trained through a column matrix and BLAS, where {@link
 * DirectConvolution} does not apply (a stride above 1, as a patch embedding has, or fp64): the
 * forward pass builds the matrix once ({@code z = W x cols + b}, one product per example) and the
 * backward pass reuses it ({@code dW = sum over examples of dZ x cols^T}, {@code db = sum of dZ x
 * ones}). With few outputs per filter (16 for 7x7 patches of a 28x28 image) these products beat
 * Java loops, whose vectors are then mostly overhead: 0.7 against 1.7-3.1 ms forward for a batch of
 * 64 images and 64 filters. On fp32 the column matrix is built here, an example at a time through
 * heap buffers, rows of the image copied whole: 0.65-0.98 ms for a batch of 128 28x28 images where
 * libnd4j's {@code im2col} took 2.8-3.0 (same values).
 */
final class ColumnConvolution {
  private final int channels;
  private final int height;
  private final int width;
  private final int filters;

  /** im2col's integer arguments: kernel, stride, padding, dilation, same mode. */
  private final int[] im2colArgs;

  /** [batch, channels, kernelHeight, kernelWidth, outputHeight, outputWidth]. */
  private final long[] colsShape;

  private final BatchOnes ones = new BatchOnes();

  /** The last forward pass's column matrix. */
  private INDArray columns;

  /** One example's input and column matrix, for building the columns on fp32. */
  private float[] exampleInput;

  private float[] exampleColumns;

  private final FloatCursor from = new FloatCursor();
  private final FloatCursor to = new FloatCursor();

  /**
   * @param args conv2d's integer arguments: kernel, stride, padding, dilation, same mode
   */
  ColumnConvolution(
      int[] inputShape, int[] outputShape, int filters, int[] args, int padTop, int padLeft) {
    this.channels = inputShape[0];
    this.height = inputShape[1];
    this.width = inputShape[2];
    this.filters = filters;
    this.im2colArgs = Arrays.copyOf(args, 9);
    // im2col takes same mode's output size but not its padding: conv2d's, any odd pixel below and
    // to the right.
    im2colArgs[4] = padTop;
    im2colArgs[5] = padLeft;
    this.colsShape = new long[] {0, channels, args[0], args[1], outputShape[1], outputShape[2]};
  }

  /** {@code z = conv(x, weights) + bias}, before the activation; keeps the column matrix. */
  void forward(INDArray x, INDArray weights, INDArray bias, INDArray z) {
    long batch = x.size(0);
    columns = im2col(x);
    INDArray perExample = z.reshape('c', batch, filters, positions());
    MatrixProduct.overBatch(
        bias.reshape('c', filters, 1),
        ones.row(positions(), x.dataType()),
        perExample,
        false,
        false,
        0.0);
    MatrixProduct.overBatch(
        weights.reshape('c', filters, window()), columns, perExample, false, false, 1.0);
  }

  /** The parameter gradients, summed over the batch, from dLoss/dz. */
  void parameterGradients(INDArray x, INDArray dz, INDArray weightGradient, INDArray biasGradient) {
    long batch = dz.size(0);
    INDArray cols = columns != null && columns.size(0) == batch ? columns : im2col(x);
    INDArray perExample = dz.reshape('c', batch, filters, positions());
    MatrixProduct.overBatch(
        perExample, cols, weightGradient.reshape('c', filters, window()), false, true, 0.0);
    MatrixProduct.overBatch(
        perExample,
        ones.column(positions(), dz.dataType()),
        biasGradient.reshape('c', filters, 1),
        false,
        false,
        0.0);
  }

  /** [batch, channels x kernel, output positions]. */
  private INDArray im2col(INDArray x) {
    colsShape[0] = x.size(0);
    INDArray cols = Nd4j.createUninitialized(x.dataType(), colsShape);
    if (x.dataType() == DataType.FLOAT) {
      fillColumns(FloatCursor.contiguous(x) ? x : x.dup('c'), cols);
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
    FloatCursor xp = from.at(x);
    FloatCursor cp = to.at(cols);
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
    int kh = im2colArgs[0];
    int kw = im2colArgs[1];
    int sh = im2colArgs[2];
    int sw = im2colArgs[3];
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
}
