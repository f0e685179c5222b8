package io.kindling.driver;

import io.kindling.kernels.ComputeThreads;
import io.kindling.kernels.ExampleBlock;
import io.kindling.kernels.LocalTrainer;
import io.kindling.kernels.Network;
import io.kindling.kernels.NetworkSpec;
import io.kindling.kernels.OptimizerSpec;
import java.util.Arrays;
import java.util.Random;

/** Times the local training step alone: the compute a worker does between synchronisations. */
final class StepTimer {
  private static final double TARGET_SECONDS = 3;

  /**
   * Untimed steps first: the JIT, the workspaces and the threads settle over the first seconds, and
   * a 2-thread step measured after half a second of warm-up ran at 36,600-37,800 examples/s where a
   * second measurement in the same JVM gave 53,200-58,300.
   */
  private static final double WARM_UP_SECONDS = 3;

  private StepTimer() {}

  /**
   * Median training examples per second over timed steps (after warm-up) of Adam on random data,
   * with {@code threads} threads sharing each minibatch.
   */
  static double examplesPerSecond(NetworkSpec spec, int batch, int threads) {
    ComputeThreads.set(1); // the threads share each minibatch, one BLAS thread apiece
    int n = batch * 8;
    int width = spec.inputSize();
    int classes = spec.outputSize();
    Random random = new Random(1);
    float[] x = new float[n * width];
    int[] y = new int[n];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextGaussian();
    }
    for (int i = 0; i < n; i++) {
      y[i] = i % classes;
    }
    ExampleBlock block = new ExampleBlock(n, width, x, y);
    int[] order = new int[n];
    Arrays.setAll(order, i -> i);
    LocalTrainer trainer =
        new LocalTrainer(Network.create(spec, 1), OptimizerSpec.adam(1e-3), batch, 0, threads);
    long warm = System.nanoTime();
    int warmSteps = 0;
    while (warmSteps < 3 || System.nanoTime() - warm < WARM_UP_SECONDS * 1e9) {
      trainer.step(block, order, (warmSteps % 8) * batch, batch, warmSteps, 0);
      warmSteps++;
    }
    double perStep = (System.nanoTime() - warm) / 1e9 / warmSteps;
    int steps = (int) Math.max(5, Math.min(200, TARGET_SECONDS / perStep));
    double[] seconds = new double[steps];
    for (int s = 0; s < steps; s++) {
      long t = System.nanoTime();
      trainer.step(block, order, (s % 8) * batch, batch, warmSteps + s, 0);
      seconds[s] = (System.nanoTime() - t) / 1e9;
    }
    Arrays.sort(seconds);
    return batch / seconds[steps / 2];
  }
}
