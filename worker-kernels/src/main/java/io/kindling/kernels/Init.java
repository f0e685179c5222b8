package io.kindling.kernels;

import java.util.Locale;
import java.util.Random;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Weight initialisers, scaled by a layer's fan-in and fan-out so activations keep their variance
 * with depth: Xavier/Glorot for symmetric activations, He/Kaiming for the ReLU family. All draw
 * from a {@link Random} seeded from the network seed.
 */
public enum Init {
  XAVIER_UNIFORM,
  XAVIER_NORMAL,
  HE_UNIFORM,
  HE_NORMAL;

  public String configName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  public static Init parse(String name) {
    for (Init i : values()) {
      if (i.configName().equals(name) || i.name().equalsIgnoreCase(name)) {
        return i;
      }
    }
    throw new IllegalArgumentException(
        "unknown init '" + name + "'; use one of " + Names.of(values()));
  }

  /** He (normal) for the ReLU family, Xavier (normal) otherwise. */
  public static Init defaultFor(Activation activation) {
    return activation == Activation.RELU || activation == Activation.LEAKY_RELU
        ? HE_NORMAL
        : XAVIER_NORMAL;
  }

  /** Fills {@code weights} (any shape, row-major) with values drawn for the given fans. */
  void fill(INDArray weights, long fanIn, long fanOut, Random random) {
    double[] w = new double[Math.toIntExact(weights.length())];
    switch (this) {
      case XAVIER_NORMAL -> gaussian(w, Math.sqrt(2.0 / (fanIn + fanOut)), random);
      case HE_NORMAL -> gaussian(w, Math.sqrt(2.0 / fanIn), random);
      case XAVIER_UNIFORM -> uniform(w, Math.sqrt(6.0 / (fanIn + fanOut)), random);
      case HE_UNIFORM -> uniform(w, Math.sqrt(6.0 / fanIn), random);
    }
    weights.assign(Nd4j.create(w, weights.shape(), weights.dataType()));
  }

  /** Fills {@code weights} with a plain normal distribution (embedding tables). */
  static void gaussian(INDArray weights, double std, Random random) {
    double[] w = new double[Math.toIntExact(weights.length())];
    gaussian(w, std, random);
    weights.assign(Nd4j.create(w, weights.shape(), weights.dataType()));
  }

  private static void gaussian(double[] w, double std, Random random) {
    for (int i = 0; i < w.length; i++) {
      w[i] = random.nextGaussian() * std;
    }
  }

  private static void uniform(double[] w, double limit, Random random) {
    for (int i = 0; i < w.length; i++) {
      w[i] = (2 * random.nextDouble() - 1) * limit;
    }
  }
}
