package io.kindling.kernels;

import java.util.Arrays;
import org.bytedeco.javacpp.IntPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Max pooling of contiguous fp32 [batch, channels, height, width] arrays in Java, a few channel
 * planes at a time through heap buffers. The forward pass records which window position held each
 * maximum (the first in row-major order on a tie, as libnd4j picks), so the backward pass is a
 * scatter; libnd4j's {@code maxpool2d_bp} searches every window again, and its forward and backward
 * passes took a third of the convolutional network's training step (two fifths on an AVX2-only
 * host).
 *
 * <p>The forward pass compares {@link #key}s, ints that order as the floats do, a window position
 * at a time: each plane is copied as keys into a buffer with a border of {@link #PADDED} keys, the
 * values at one window position are gathered for every output of the chunk, and every output keeps
 * the larger of its maximum and that value by integer masks over contiguous arrays, which HotSpot
 * vectorises. Comparing one window's values in turn ran four times slower: the comparisons became
 * branches that mispredict on every other value, and masks over short loops cost as much.
 *
 * <p>A ReLU may follow the pooling (a convolution's, moved past it): the maxima are rectified as
 * they are written, and each output that is not positive has its winner marked by the sign bit, so
 * that the scatter drops its gradient. A separate ReLU pass over the outputs took as long each way
 * as the pooling's own backward pass, and reading the outputs again to mask the gradient cost an
 * eighth of it.
 */
final class MaxPooling {
  /** Input values per chunk, at least one plane: the chunk's buffers stay in the L2 cache. */
  private static final int CHUNK = 16384;

  /** A padded position's key: below every float's, minus NaN included. */
  private static final int PADDED = Integer.MIN_VALUE;

  private final int height;
  private final int width;
  private final int outHeight;
  private final int outWidth;
  private final int padTop;
  private final int padLeft;

  /** The padded plane's width and size. */
  private final int paddedWidth;

  private final int paddedPlane;

  private final int planesPerChunk;

  /** Each window position's offset from the window's top-left corner, in the padded plane. */
  private final int[] paddedOffsets;

  /** The same offsets in the input plane. */
  private final int[] offsets;

  /** For each output of a chunk, its window's top-left corner in the chunk's padded planes. */
  private final int[] paddedCorners;

  /**
   * For each output of a plane, its window's top-left corner in the input plane, maybe negative.
   */
  private final int[] corners;

  /** Whether a ReLU follows the pooling. */
  private final boolean rectify;

  private final float[] values;
  private final int[] keys;
  private final int[] gathered;
  private final int[] maxima;
  private final int[] positions;
  private final int[] bits;
  private final FloatCursor to = new FloatCursor();
  private final BitsCursor bitsIn = new BitsCursor();
  private final BitsCursor bitsOut = new BitsCursor();

  /**
   * Each output's window position of its maximum, from the last training forward pass, with the
   * sign bit set where a ReLU made the output 0.
   */
  private int[] winners = new int[0];

  /** The planes {@link #winners} describes; 0 after an inference pass. */
  private long recorded;

  /**
   * @param rectify whether a ReLU follows the pooling
   */
  MaxPooling(int[] inputShape, int[] outputShape, LayerSpec.Pooling2d spec, boolean rectify) {
    this.rectify = rectify;
    int kh = spec.kernelHeight();
    int kw = spec.kernelWidth();
    int sh = spec.strideHeight();
    int sw = spec.strideWidth();
    LayerSpec.Padding padding = spec.padding();
    this.height = inputShape[1];
    this.width = inputShape[2];
    this.outHeight = outputShape[1];
    this.outWidth = outputShape[2];
    this.padTop = padding.before(height, outHeight, kh, sh);
    this.padLeft = padding.before(width, outWidth, kw, sw);
    int paddedHeight = (outHeight - 1) * sh + kh;
    this.paddedWidth = (outWidth - 1) * sw + kw;
    this.paddedPlane = paddedHeight * paddedWidth;
    this.planesPerChunk = Math.max(1, CHUNK / (height * width));

    this.paddedOffsets = new int[kh * kw];
    this.offsets = new int[kh * kw];
    for (int k = 0; k < offsets.length; k++) {
      paddedOffsets[k] = k / kw * paddedWidth + k % kw;
      offsets[k] = k / kw * width + k % kw;
    }
    int outPlane = outHeight * outWidth;
    this.corners = new int[outPlane];
    this.paddedCorners = new int[planesPerChunk * outPlane];
    for (int p = 0, q = 0; p < planesPerChunk; p++) {
      for (int oh = 0; oh < outHeight; oh++) {
        for (int ow = 0; ow < outWidth; ow++, q++) {
          paddedCorners[q] = p * paddedPlane + oh * sh * paddedWidth + ow * sw;
          corners[q % outPlane] = (oh * sh - padTop) * width + ow * sw - padLeft;
        }
      }
    }
    this.values = new float[planesPerChunk * height * width];
    this.bits = new int[values.length];
    this.keys = new int[planesPerChunk * paddedPlane];
    // The border stays as filled here: the planes' copies write the same interior every time.
    Arrays.fill(keys, PADDED);
    this.gathered = new int[planesPerChunk * outPlane];
    this.maxima = new int[gathered.length];
    this.positions = new int[gathered.length];
  }

  /**
   * {@code z}, [batch, channels, outHeight, outWidth], gets the maxima of {@code x}'s windows,
   * rectified if a ReLU follows.
   */
  void forward(INDArray x, INDArray z, boolean training) {
    int plane = height * width;
    int outPlane = corners.length;
    long planes = x.length() / plane;
    if (training && winners.length < planes * outPlane) {
      winners = new int[Math.toIntExact(planes * outPlane)];
    }
    recorded = training ? planes : 0;
    int relu = rectify ? -1 : 0;
    BitsCursor in = bitsIn.at(x);
    BitsCursor out = bitsOut.at(z);
    for (long p = 0; p < planes; p += planesPerChunk) {
      int n = (int) Math.min(planesPerChunk, planes - p);
      readAsKeys(in.position(p * plane), n);
      maxima(n * outPlane);
      for (int q = 0; q < n * outPlane; q++) {
        int bits = key(maxima[q]);
        // -1 for +0 and the negative values (sign bit set, -0 included), which the ReLU zeroes.
        int zeroed = (((bits - 1) | bits) >> 31) & relu;
        maxima[q] = bits & ~zeroed;
        positions[q] |= zeroed & Integer.MIN_VALUE;
      }
      out.position(p * outPlane).put(maxima, 0, n * outPlane);
      if (training) {
        System.arraycopy(positions, 0, winners, (int) p * outPlane, n * outPlane);
      }
    }
  }

  /**
   * The chunk's {@code n} planes from {@code in} into {@link #keys}, inside their borders. The
   * values are read as their bits and made keys by integer operations, which HotSpot vectorises
   * (converting floats to their bits one at a time took twice as long as the rest of this class).
   */
  private void readAsKeys(IntPointer in, int n) {
    int plane = height * width;
    if (paddedPlane == plane && paddedWidth == width) {
      // No border (windows tile the plane exactly): the planes go straight into place.
      in.get(keys, 0, n * plane);
      for (int i = 0; i < n * plane; i++) {
        keys[i] = valueKey(keys[i]);
      }
      return;
    }
    in.get(bits, 0, n * plane);
    int rows = Math.min(height, paddedPlane / paddedWidth - padTop);
    int columns = Math.min(width, paddedWidth - padLeft);
    for (int p = 0; p < n; p++) {
      for (int r = 0; r < rows; r++) {
        int src = (p * height + r) * width;
        int dst = p * paddedPlane + (r + padTop) * paddedWidth + padLeft;
        for (int c = 0; c < columns; c++) {
          keys[dst + c] = valueKey(bits[src + c]);
        }
      }
    }
  }

  /** {@link #maxima} and {@link #positions} of the chunk's first {@code count} outputs. */
  private void maxima(int count) {
    for (int k = 0; k < paddedOffsets.length; k++) {
      int offset = paddedOffsets[k];
      for (int q = 0; q < count; q++) {
        gathered[q] = keys[paddedCorners[q] + offset];
      }
      if (k == 0) {
        System.arraycopy(gathered, 0, maxima, 0, count);
        Arrays.fill(positions, 0, count, 0);
        continue;
      }
      keepLarger(count, k);
    }
  }

  /**
   * Each of the first {@code count} outputs keeps the larger of its maximum and its gathered value,
   * the earlier on a tie; {@code k} is the window position gathered. A method of its own, which
   * HotSpot compiles and vectorises apart from the gather: in one loop nest with it, scratch
   * versions ran at half speed in some runs.
   */
  private void keepLarger(int count, int k) {
    int[] max = maxima;
    int[] value = gathered;
    int[] position = positions;
    for (int q = 0; q < count; q++) {
      int m = max[q];
      int v = value[q];
      int d = m - v;
      // -1 where m < v, else 0, without overflow (Hacker's Delight, 2-12).
      int larger = (d ^ ((m ^ v) & (d ^ m))) >> 31;
      max[q] = m ^ ((m ^ v) & larger);
      position[q] ^= (position[q] ^ k) & larger;
    }
  }

  /**
   * {@code dx}, [batch, channels, height, width], gets each output gradient at its window's maximum
   * (summed where windows overlap) and 0 elsewhere; with a ReLU, only the gradients of positive
   * outputs.
   */
  void backward(INDArray outputGradient, INDArray dx) {
    int plane = height * width;
    int outPlane = corners.length;
    long planes = dx.length() / plane;
    if (outputGradient.length() != planes * outPlane) {
      throw new IllegalArgumentException(
          "max pooling gradient of "
              + outputGradient.length()
              + " values for "
              + planes * outPlane);
    }
    if (recorded != planes) {
      throw new IllegalStateException(
          "max pooling backward pass without its training forward pass");
    }
    BitsCursor g = bitsIn.at(outputGradient);
    FloatCursor d = to.at(dx);
    for (long p = 0; p < planes; p += planesPerChunk) {
      int n = (int) Math.min(planesPerChunk, planes - p);
      scatter(g.position(p * outPlane), p, n, values);
      d.position(p * plane).put(values, 0, n * plane);
    }
  }

  /**
   * The input gradient of planes {@code [first, first + count)} of the last training pass into
   * {@code into}, from their output gradient in {@code gradient}, positioned at plane {@code
   * first}'s: each output's gradient at its window's maximum (summed where windows overlap), 0
   * elsewhere, and with a ReLU only the gradients of positive outputs.
   */
  void scatter(IntPointer gradient, long first, int count, float[] into) {
    int plane = height * width;
    int outPlane = corners.length;
    if (first + count > recorded) {
      throw new IllegalStateException(
          "max pooling gradient for planes up to "
              + (first + count)
              + ", but the last training forward pass recorded "
              + recorded);
    }
    long at = gradient.position();
    Arrays.fill(into, 0, count * plane, 0f);
    for (int p = 0; p < count; p += planesPerChunk) {
      int n = Math.min(planesPerChunk, count - p);
      int[] bits = gathered;
      gradient.position(at + (long) p * outPlane).get(bits, 0, n * outPlane);
      for (int i = 0, q = 0; i < n; i++) {
        int record = Math.toIntExact((first + p + i) * outPlane);
        int base = (p + i) * plane;
        for (int o = 0; o < outPlane; o++, q++) {
          int winner = winners[record + o];
          // A zeroed output's gradient becomes +0's bits.
          into[base + corners[o] + offsets[winner & Integer.MAX_VALUE]] +=
              Float.intBitsToFloat(bits[q] & ~(winner >> 31));
        }
      }
    }
  }

  /**
   * A float's bits as an int that orders as the floats do, and back: a negative value's magnitude
   * bits are flipped, which is its own inverse. Minus zero comes just below zero; a NaN comes above
   * infinity or below minus infinity, as its sign bit says.
   */
  private static int key(int bits) {
    return bits ^ ((bits >> 31) & 0x7fffffff);
  }

  /**
   * An input value's key, never {@link #PADDED}: the one NaN whose key that would be (all bits set)
   * gets the next, another NaN's, so that no window's maximum can be a padded position. Integer
   * operations only, which HotSpot vectorises.
   */
  private static int valueKey(int bits) {
    int k = key(bits);
    int other = k ^ PADDED;
    return k + (((other | -other) >>> 31) ^ 1);
  }
}
