package io.kindling.kernels;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The machine's fp32 matrix-product rate through ND4J's BLAS: the yardstick for kernel speed. */
public final class Sgemm {
  static {
    NativeBackend.select();
  }

  private Sgemm() {}

  /**
   * Median GFLOP/s of {@code size x size} products over {@code repetitions} timed runs (after
   * warm-up), with BLAS limited to {@code threads}. Leaves the thread limit at {@code threads}.
   */
  public static double gflops(int threads, int size, int repetitions) {
    ComputeThreads.set(threads);
    Nd4j.getRandom().setSeed(1);
    INDArray a = Nd4j.rand(DataType.FLOAT, size, size);
    INDArray b = Nd4j.rand(DataType.FLOAT, size, size);
    INDArray c = Nd4j.create(DataType.FLOAT, size, size);
    for (int i = 0; i < 3; i++) {
      Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
    }
    double[] seconds = new double[repetitions];
    for (int i = 0; i < repetitions; i++) {
      long t = System.nanoTime();
      Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
      seconds[i] = (System.nanoTime() - t) / 1e9;
    }
    Arrays.sort(seconds);
    return 2.0 * size * size * size / seconds[repetitions / 2] / 1e9;
  }
}
