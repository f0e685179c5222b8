package io.kindling.ml;

import io.kindling.data.Normaliser;
import io.kindling.kernels.ExampleBlock;
import io.kindling.kernels.Network;
import io.kindling.kernels.NetworkSpec;
import java.io.Serializable;

/**
 * A trained network's spec, parameters and normaliser: small enough to broadcast, and all that
 * turns raw feature values into outputs.
 */
final class NetworkScorer implements Serializable {
  private static final long serialVersionUID = 1L;

  private final NetworkSpec spec;
  private final float[] parameters;
  private final Normaliser normaliser;

  NetworkScorer(NetworkSpec spec, float[] parameters, Normaliser normaliser) {
    this.spec = spec;
    this.parameters = parameters;
    this.normaliser = normaliser;
  }

  NetworkSpec spec() {
    return spec;
  }

  /** A network holding the parameters, for one thread's use (networks keep per-call buffers). */
  Network network() {
    return Network.withParameters(spec, parameters);
  }

  /**
   * The outputs (class probabilities, or regression values) for {@code n} raw examples packed in
   * {@code features}, normalised as in training first.
   */
  float[] outputs(Network network, float[] features, int n) {
    ExampleBlock raw = new ExampleBlock(n, spec.inputSize(), features, new int[n]);
    return network.predict(normaliser.apply(raw).features(), n);
  }
}
