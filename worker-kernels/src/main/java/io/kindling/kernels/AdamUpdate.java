package io.kindling.kernels;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Adam and AdamW on fp32 in one pass: clip, L2, both moments, the bias-corrected step and the
 * decoupled decay per element. Chunks of the parameters, gradient and moments are copied into small
 * heap buffers (every array of the loop indexed alike, which is what lets HotSpot vectorise it) and
 * the parameters and moments copied back. ND4J's {@code adam_updater} followed by its separate
 * subtract, L2 and decay passes took 0.7-0.9 ms a step for 235k parameters on one core, a quarter
 * of a dense training step; this takes about a third of that. Same formula as ND4J's: {@code m = b1
 * m + (1 - b1) g}, {@code v = b2 v + (1 - b2) g^2}, {@code w -= lr sqrt(1 - b2^t) / (1 - b1^t) m /
 * (sqrt(v) + eps)} with {@code t = iteration + 1}; the state is {@code [m | v]}, as ND4J's.
 */
final class AdamUpdate extends ParameterUpdate {
  /** Elements per chunk: the four chunks stay in the L1 cache. */
  private static final int CHUNK = 2048;

  private final int length;
  private final float[] p = new float[CHUNK];
  private final float[] g = new float[CHUNK];
  private final float[] m = new float[CHUNK];
  private final float[] v = new float[CHUNK];
  private final FloatPointer moments;
  private final Native params = new Native();
  private final Native grad = new Native();

  AdamUpdate(OptimizerSpec optimizer, int length) {
    super(optimizer, length, DataType.FLOAT);
    this.length = length;
    this.moments = new FloatPointer(state.data().addressPointer());
  }

  @Override
  void apply(INDArray params, INDArray grad, double gradientNorm, int iteration, int epoch) {
    if (params.length() != length || grad.length() != length) {
      throw new IllegalArgumentException(
          "Adam holds moments for "
              + length
              + " parameters, got "
              + params.length()
              + " parameters and "
              + grad.length()
              + " gradients");
    }
    double lr = optimizer.learningRate(iteration);
    int t = iteration + 1;
    float alpha =
        (float)
            (lr
                * Math.sqrt(1 - Math.pow(optimizer.beta2(), t))
                / (1 - Math.pow(optimizer.beta1(), t)));
    FloatPointer pp = this.params.of(params);
    FloatPointer gp = this.grad.of(grad);
    float clip = (float) clipScale(gradientNorm);
    float l2 = (float) optimizer.l2();
    float decay = (float) decayFactor(iteration);
    float b1 = (float) optimizer.beta1();
    float b2 = (float) optimizer.beta2();
    float eps = (float) optimizer.epsilon();
    for (int from = 0; from < length; from += CHUNK) {
      int count = Math.min(CHUNK, length - from);
      pp.position(from).get(p, 0, count);
      gp.position(from).get(g, 0, count);
      moments.position(from).get(m, 0, count);
      moments.position(length + from).get(v, 0, count);
      step(count, alpha, clip, l2, decay, b1, b2, eps);
      pp.position(from).put(p, 0, count);
      moments.position(from).put(m, 0, count);
      moments.position(length + from).put(v, 0, count);
    }
  }

  /** The per-element update of the chunk in the buffers. */
  private void step(
      int count, float alpha, float clip, float l2, float decay, float b1, float b2, float eps) {
    float c1 = 1 - b1;
    float c2 = 1 - b2;
    float[] p = this.p;
    float[] g = this.g;
    float[] m = this.m;
    float[] v = this.v;
    for (int i = 0; i < count; i++) {
      float w = p[i];
      float gi = g[i] * clip + l2 * w;
      float mi = b1 * m[i] + c1 * gi;
      float vi = b2 * v[i] + c2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] = (w - alpha * mi / ((float) Math.sqrt(vi) + eps)) * decay;
    }
  }

  /**
   * A pointer to a contiguous fp32 array's first element, kept while the same array comes back
   * (every step passes the same parameter and gradient buffers): no allocation per step.
   */
  private static final class Native {
    private INDArray array;
    private FloatPointer pointer;

    FloatPointer of(INDArray a) {
      if (a != array) {
        if (a.elementWiseStride() != 1 || (!a.isVector() && a.ordering() != 'c')) {
          throw new IllegalArgumentException("Adam's update needs contiguous fp32 arrays");
        }
        array = a;
        pointer = new FloatPointer(a.data().addressPointer());
      }
      return pointer;
    }
  }
}
