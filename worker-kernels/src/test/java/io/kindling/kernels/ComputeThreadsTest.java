package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * OpenMP keeps its team size per thread, so the cap set on one thread must reach the threads that
 * train (Spark runs tasks on pool threads that never called {@link ComputeThreads#set}).
 */
class ComputeThreadsTest {
  @Test
  void threadsThatPredictOrTrainRunUnderTheCap() throws InterruptedException {
    ComputeThreads.set(1);
    Network network =
        Network.create(NetworkSpec.input(2).dense(2).loss(Loss.SOFTMAX_CROSS_ENTROPY), 1);
    AtomicInteger teamSize = new AtomicInteger();
    Thread task =
        new Thread(
            () -> {
              network.predict(new float[] {1, 2}, 1);
              teamSize.set(NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads());
            });
    task.start();
    task.join();
    assertThat(teamSize.get()).isEqualTo(1);
  }

  @Test
  void ensureRestoresACapThatSomeoneElseChanged() {
    ComputeThreads.set(1);
    ComputeThreads.set(2); // e.g. a benchmark measuring BLAS on two threads
    ComputeThreads.ensure(1);
    assertThat(Nd4j.getEnvironment().maxThreads()).isEqualTo(1);
    assertThat(NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads()).isEqualTo(1);
  }
}
