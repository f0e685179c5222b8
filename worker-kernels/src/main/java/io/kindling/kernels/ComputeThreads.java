package io.kindling.kernels;

import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * Caps the BLAS and OpenMP threads ND4J uses in this JVM. Each executor should use as many as it
 * has task cores: left unset, every executor grabs every core and they fight.
 *
 * <p>OpenMP keeps its team size per calling thread, so the cap reaches a thread only through {@link
 * #applyToCurrentThread()}, which every training and inference entry point calls. Without it, a
 * thread set to one core still runs libnd4j's OpenMP regions with a team of every core, whose idle
 * member spin-waits: on a loaded machine that made a 0.3 ms matrix product take 10-20 ms.
 */
public final class ComputeThreads {
  static {
    NativeBackend.select();
  }

  /** The JVM-wide cap; 0 until {@link #set} is first called (ND4J's defaults apply). */
  private static volatile int threads;

  private static final ThreadLocal<Integer> APPLIED = ThreadLocal.withInitial(() -> 0);

  private ComputeThreads() {}

  public static void set(int threads) {
    if (threads <= 0) {
      throw new IllegalArgumentException("threads must be positive, got " + threads);
    }
    Nd4j.getEnvironment().setMaxThreads(threads);
    Nd4j.getEnvironment().setMaxMasterThreads(threads);
    Nd4j.factory().blas().setMaxThreads(threads);
    ComputeThreads.threads = threads;
    applyToCurrentThread();
  }

  /**
   * {@link #set}, unless the cap already is {@code threads}: for code that runs often and must not
   * inherit a cap someone else set (a benchmark measuring BLAS on more threads, say).
   */
  public static void ensure(int threads) {
    if (ComputeThreads.threads != threads) {
      synchronized (ComputeThreads.class) {
        if (ComputeThreads.threads != threads) {
          set(threads);
        }
      }
    }
  }

  /** Gives the calling thread's OpenMP regions the JVM-wide cap; a no-op once it has it. */
  static void applyToCurrentThread() {
    int cap = threads;
    if (cap > 0 && APPLIED.get() != cap) {
      NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(cap);
      APPLIED.set(cap);
    }
  }
}
