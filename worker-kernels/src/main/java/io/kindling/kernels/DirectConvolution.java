package io.kindling.kernels;

import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A stride-1 convolution of contiguous fp32 [batch, channels, height, width] arrays computed in
 * Java, an example at a time through heap buffers, for a network's first layer with parameters:
 * nobody needs its input gradient, and it has few input channels (an image's), so a window holds
 * few values and a BLAS product over them is mostly overhead. On a batch of 128 28x28 images and 16
 * 3x3 filters, libnd4j's {@code conv2d_bp} (which always computes the input gradient) took 26 ms,
 * and a column matrix with two BLAS products per example 13 ms for both passes.
 *
 * <p>For each window position {@code k} (channel, row, column), {@code columns[k][q]} is the input
 * under output {@code q}'s window there. Every loop then runs over {@code q} with the same index
 * into each array, the form HotSpot vectorises: {@code out[f][q] += w[f][k] * columns[k][q]}
 * forward, and backward {@code sums[f][k][q] += dz[f][q] * columns[k][q]}, summed over {@code q}
 * once per batch. (Arrays indexed at different offsets, or a dot product's running sum, stay
 * scalar: four to seven times slower.) Each example is first copied into a zero-bordered buffer,
 * and an output row is as wide as a bordered input row, so each {@code columns[k]} is one slice of
 * that buffer; the extra outputs at the end of each row are never copied out. With a larger stride
 * (a patch embedding's) there are few outputs per filter and these loops lose to {@link
 * ColumnConvolution}'s products.
 */
final class DirectConvolution {
  /**
   * Examples whose products the backward pass adds to its running sums at once: each pass over the
   * sums (too many for the L1 cache) then does four times the work.
   */
  private static final int GROUP = 4;

  /** The most floats the backward pass's running sums take; more filters are done in turns. */
  private static final int SUMS = 1 << 18;

  private final int channels;
  private final int height;
  private final int width;
  private final int filters;
  private final int padTop;
  private final int padLeft;
  private final int outHeight;
  private final int outWidth;
  private final int paddedWidth;
  private final int paddedPlane;

  /** Outputs per filter in the working layout: {@code outHeight x paddedWidth}. */
  private final int span;

  /** Each window position's offset from its window's top-left corner in the bordered input. */
  private final int[] offsets;

  /** Filters per turn of the backward pass. */
  private final int turn;

  private final float[] example;
  private final float[] padded;

  /** Per slot of a group: {@code columns[k][q]}, and the outputs or their gradients per filter. */
  private final float[][][] columns;

  private final float[][][] work;
  private final float[] outputs;
  private final float[] weights;
  private final float[] bias;
  private final float[][] sums;
  private final float[][] biasSums;
  private final float[] rectifiedValues;
  private final FloatCursor from = new FloatCursor();
  private final FloatCursor to = new FloatCursor();
  private final FloatCursor mask = new FloatCursor();

  /** Gives each example's dLoss/dz, [filters, outHeight, outWidth], to the backward pass. */
  interface OutputGradients {
    void give(long example, float[] into);
  }

  /** The gradients from the array {@link #to} is at. */
  private final OutputGradients fromArray =
      (n, into) -> to.position(n * into.length).get(into, 0, into.length);

  /** The same, times ReLU's slope at the output {@link #mask} is at. */
  private final OutputGradients fromRectified =
      (n, into) -> rectifiedGradient(to, mask, n * into.length);

  DirectConvolution(
      int[] inputShape, int[] outputShape, LayerSpec.Conv2d spec, int padTop, int padLeft) {
    this.channels = inputShape[0];
    this.height = inputShape[1];
    this.width = inputShape[2];
    this.filters = spec.filters();
    int kh = spec.kernelHeight();
    int kw = spec.kernelWidth();
    if (spec.strideHeight() != 1 || spec.strideWidth() != 1) {
      throw new IllegalArgumentException("a direct convolution needs stride 1, not " + spec);
    }
    this.padTop = padTop;
    this.padLeft = padLeft;
    this.outHeight = outputShape[1];
    this.outWidth = outputShape[2];
    int paddedHeight = Math.max(height + padTop, outHeight - 1 + kh);
    this.paddedWidth = Math.max(width + padLeft, outWidth - 1 + kw);
    this.paddedPlane = paddedHeight * paddedWidth;
    this.span = outHeight * paddedWidth;
    int window = channels * kh * kw;
    this.offsets = new int[window];
    for (int k = 0; k < window; k++) {
      offsets[k] = k / (kh * kw) * paddedPlane + k / kw % kh * paddedWidth + k % kw;
    }
    this.turn = Math.max(1, Math.min(filters, SUMS / (window * span)));
    this.example = new float[channels * height * width];
    // The last window position's slice runs up to kw - 1 values past the last plane.
    this.padded = new float[channels * paddedPlane + kw];
    this.columns = new float[GROUP][window][span];
    this.work = new float[GROUP][filters][span];
    this.outputs = new float[filters * outHeight * outWidth];
    this.rectifiedValues = new float[outputs.length];
    this.weights = new float[filters * window];
    this.bias = new float[filters];
    this.sums = new float[turn * window][span];
    this.biasSums = new float[turn][span];
  }

  /**
   * {@code z = conv(x, weights) + bias}, or {@code max(that, 0)} if {@code rectify}: a ReLU in the
   * same pass saves reading and writing z again.
   */
  void forward(INDArray x, INDArray weightArray, INDArray biasArray, INDArray z, boolean rectify) {
    from.at(weightArray).get(weights);
    from.at(biasArray).get(bias);
    FloatCursor in = from.at(x);
    FloatCursor out = to.at(z);
    int window = offsets.length;
    for (long n = 0; n < x.size(0); n++) {
      in.position(n * example.length).get(example, 0, example.length);
      fillColumns(columns[0]);
      for (int f = 0; f < filters; f++) {
        float[] o = work[0][f];
        Arrays.fill(o, bias[f]);
        for (int k = 0; k < window; k++) {
          float w = weights[f * window + k];
          float[] c = columns[0][k];
          for (int q = 0; q < span; q++) {
            o[q] += w * c[q];
          }
        }
        if (rectify) {
          for (int q = 0; q < span; q++) {
            o[q] = Math.max(o[q], 0f);
          }
        }
      }
      compact();
      out.position(n * outputs.length).put(outputs, 0, outputs.length);
    }
  }

  /**
   * The parameter gradients, summed over the batch: {@code dW[f, k] = sum of dz[f, q] x
   * columns[k][q]} and {@code db[f] = sum of dz[f, q]}, over examples and outputs q.
   *
   * @param outputGradient dLoss/dz, or dLoss/d(max(z, 0)) if {@code rectified} is not null
   * @param rectified the forward pass's {@code max(z, 0)}, whose ReLU gradient this pass applies on
   *     the way (again a pass over z saved), or null
   */
  void parameterGradients(
      INDArray x,
      INDArray outputGradient,
      INDArray rectified,
      INDArray weightGradient,
      INDArray biasGradient) {
    to.at(outputGradient);
    if (rectified != null) {
      mask.at(rectified);
    }
    parameterGradients(
        x, rectified == null ? fromArray : fromRectified, weightGradient, biasGradient);
  }

  /** {@link #parameterGradients}, with each example's dLoss/dz from {@code gradients}. */
  void parameterGradients(
      INDArray x, OutputGradients gradients, INDArray weightGradient, INDArray biasGradient) {
    int window = offsets.length;
    FloatCursor in = from.at(x);
    for (int first = 0; first < filters; first += turn) {
      int count = Math.min(turn, filters - first);
      for (int s = 0; s < count * window; s++) {
        Arrays.fill(sums[s], 0f);
      }
      for (int f = 0; f < count; f++) {
        Arrays.fill(biasSums[f], 0f);
      }
      long batch = x.size(0);
      for (long n = 0; n < batch; n += GROUP) {
        for (int e = 0; e < GROUP; e++) {
          if (n + e < batch) {
            in.position((n + e) * example.length).get(example, 0, example.length);
            fillColumns(columns[e]);
            gradients.give(n + e, outputs);
            widen(work[e], first, count);
          } else { // past the batch's end: an example of zeros adds nothing
            for (float[] c : columns[e]) {
              Arrays.fill(c, 0f);
            }
            for (float[] w : work[e]) {
              Arrays.fill(w, 0f);
            }
          }
        }
        for (int f = 0; f < count; f++) {
          float[] d0 = work[0][first + f];
          float[] d1 = work[1][first + f];
          float[] d2 = work[2][first + f];
          float[] d3 = work[3][first + f];
          float[] b = biasSums[f];
          for (int q = 0; q < span; q++) {
            b[q] += d0[q] + d1[q] + d2[q] + d3[q];
          }
          for (int k = 0; k < window; k++) {
            float[] s = sums[f * window + k];
            float[] c0 = columns[0][k];
            float[] c1 = columns[1][k];
            float[] c2 = columns[2][k];
            float[] c3 = columns[3][k];
            for (int q = 0; q < span; q++) {
              s[q] += d0[q] * c0[q] + d1[q] * c1[q] + d2[q] * c2[q] + d3[q] * c3[q];
            }
          }
        }
      }
      for (int f = 0; f < count; f++) {
        bias[first + f] = sum(biasSums[f]);
        for (int k = 0; k < window; k++) {
          weights[(first + f) * window + k] = sum(sums[f * window + k]);
        }
      }
    }
    from.at(weightGradient).put(weights);
    from.at(biasGradient).put(bias);
  }

  /**
   * One example's dLoss/dz into {@link #outputs}: the gradient times {@link #slope} of the ReLU's
   * output.
   */
  private void rectifiedGradient(FloatCursor gradient, FloatCursor rectified, long at) {
    gradient.position(at).get(outputs, 0, outputs.length);
    rectified.position(at).get(rectifiedValues, 0, rectifiedValues.length);
    for (int i = 0; i < outputs.length; i++) {
      outputs[i] *= slope(rectifiedValues[i]);
    }
  }

  /**
   * ReLU's slope at a ReLU output (+0 or positive): 0 at 0, else 1, as {@code min(output x 2^254,
   * 1)}, subnormals included. Float operations that HotSpot vectorises, where an integer mask on
   * the values' bits needs a conversion per value that it does not (five times slower).
   */
  static float slope(float rectified) {
    return Math.min(rectified * 0x1p127f * 0x1p127f, 1f);
  }

  /** In four running sums: one would be a chain of dependent additions. */
  private static float sum(float[] values) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = 0;
    for (; i + 4 <= values.length; i += 4) {
      s0 += values[i];
      s1 += values[i + 1];
      s2 += values[i + 2];
      s3 += values[i + 3];
    }
    for (; i < values.length; i++) {
      s0 += values[i];
    }
    return (float) (s0 + s1 + s2 + s3);
  }

  /** The example into {@link #padded}, inside a border of zeros, then into {@code columns}. */
  private void fillColumns(float[][] columns) {
    for (int c = 0; c < channels; c++) {
      for (int r = 0; r < height; r++) {
        System.arraycopy(
            example,
            (c * height + r) * width,
            padded,
            c * paddedPlane + (r + padTop) * paddedWidth + padLeft,
            width);
      }
    }
    for (int k = 0; k < offsets.length; k++) {
      System.arraycopy(padded, offsets[k], columns[k], 0, span);
    }
  }

  /** The first slot of {@link #work} into {@link #outputs}, [filters, outHeight, outWidth]. */
  private void compact() {
    for (int f = 0; f < filters; f++) {
      for (int oh = 0; oh < outHeight; oh++) {
        System.arraycopy(
            work[0][f], oh * paddedWidth, outputs, (f * outHeight + oh) * outWidth, outWidth);
      }
    }
  }

  /**
   * Filters {@code [first, first + count)} of {@link #outputs} into {@code work}, with zeros for
   * the extra outputs of each row.
   */
  private void widen(float[][] work, int first, int count) {
    for (int f = first; f < first + count; f++) {
      Arrays.fill(work[f], 0f);
      for (int oh = 0; oh < outHeight; oh++) {
        System.arraycopy(
            outputs, (f * outHeight + oh) * outWidth, work[f], oh * paddedWidth, outWidth);
      }
    }
  }
}
