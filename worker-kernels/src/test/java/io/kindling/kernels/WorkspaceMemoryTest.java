package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import io.kindling.kernels.LayerSpec.Padding;
import java.util.Random;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.memory.abstracts.Nd4jWorkspace;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A warm training step must not grow native memory: every temporary comes from the training
 * workspace, whose block is sized by the first step and then reused.
 */
class WorkspaceMemoryTest {
  @Test
  void warmCnnStepsAllocateNothing() {
    NetworkSpec spec =
        NetworkSpec.input(1, 12, 12)
            .conv2d(4, 3, 1, Padding.SAME, Activation.RELU)
            .batchNorm()
            .maxPool2d(2, 2)
            .conv2d(6, 3, 1, Padding.VALID, Activation.RELU)
            .avgPool2d(2, 2)
            .flatten()
            .dropout(0.2)
            .dense(3)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertWarmStepsAllocateNothing(spec, images(64, 144), OptimizerSpec.adam(0.01));
  }

  @Test
  void warmTransformerStepsAllocateNothing() {
    NetworkSpec spec =
        NetworkSpec.input(6)
            .embedding(10, 8)
            .positionalEncoding()
            .transformerEncoder(2, 2, true)
            .layerNorm()
            .globalAveragePooling()
            .dense(3)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertWarmStepsAllocateNothing(spec, tokens(64, 6, 10), OptimizerSpec.adamw(0.01, 0.01));
  }

  private static ExampleBlock images(int n, int width) {
    Random r = new Random(1);
    float[] x = new float[n * width];
    int[] y = new int[n];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < n; i++) {
      y[i] = i % 3;
    }
    return new ExampleBlock(n, width, x, y);
  }

  private static ExampleBlock tokens(int n, int seqLen, int vocabulary) {
    Random r = new Random(2);
    float[] x = new float[n * seqLen];
    int[] y = new int[n];
    for (int i = 0; i < x.length; i++) {
      x[i] = r.nextInt(vocabulary);
    }
    for (int i = 0; i < n; i++) {
      y[i] = i % 3;
    }
    return new ExampleBlock(n, seqLen, x, y);
  }

  private static void assertWarmStepsAllocateNothing(
      NetworkSpec spec, ExampleBlock block, OptimizerSpec optimizer) {
    LocalTrainer trainer = new LocalTrainer(Network.create(spec, 5), optimizer, 16, 9);
    int[] order = new int[block.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    for (int step = 0; step < 5; step++) {
      trainer.step(block, order, (step * 16) % block.size(), 16, step, 0);
    }
    Nd4jWorkspace ws =
        (Nd4jWorkspace)
            Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(Workspaces.TRAINING);
    long block0 = ws.getCurrentSize();
    long perStep = ws.getLastCycleAllocations();
    long outside = nativeBytesOutsideWorkspaces();
    for (int step = 5; step < 15; step++) {
      double loss = trainer.step(block, order, (step * 16) % block.size(), 16, step, 0);
      assertThat(loss).isFinite();
      assertThat(ws.getCurrentSize()).as("workspace block").isEqualTo(block0);
      assertThat(ws.getLastCycleAllocations()).as("bytes a step takes").isEqualTo(perStep);
      assertThat(ws.getSpilledSize() + ws.getPinnedSize()).as("spilled bytes").isZero();
    }
    assertThat(nativeBytesOutsideWorkspaces()).as("native bytes held").isLessThanOrEqualTo(outside);
  }

  /**
   * Native bytes JavaCPP tracks, once unreachable arrays are collected: ND4J gives every array
   * object, even one inside a workspace, a small native handle that only the garbage collector
   * frees, so only what survives a collection counts as growth.
   */
  private static long nativeBytesOutsideWorkspaces() {
    for (int i = 0; i < 5; i++) {
      System.gc();
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Pointer.deallocateReferences();
    }
    return Pointer.totalBytes();
  }
}
