package io.kindling.kernels;

import org.nd4j.linalg.factory.Nd4j;

/**
 * Caps the BLAS and OpenMP threads ND4J uses in this JVM. Each executor should use as many as it
 * has task cores: left unset, every executor grabs every core and they fight.
 */
public final class ComputeThreads {
  static {
    NativeBackend.select();
  }

  private ComputeThreads() {}

  public static void set(int threads) {
    if (threads <= 0) {
      throw new IllegalArgumentException("threads must be positive, got " + threads);
    }
    Nd4j.getEnvironment().setMaxThreads(threads);
    Nd4j.getEnvironment().setMaxMasterThreads(threads);
    Nd4j.factory().blas().setMaxThreads(threads);
  }
}
