package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/** The fp32 ReLU loops against libnd4j's ReLU, step and product, which fp64 and views still use. */
class AppliedActivationTest {
  /** More values than one chunk, and not a whole number of chunks; edge values first. */
  private static float[] values(long seed) {
    float[] v = new float[3 * 1777];
    float[] edges = {
      0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-30f, -1e-30f, 3e38f, -3e38f, 1f, -1f
    };
    System.arraycopy(edges, 0, v, 0, edges.length);
    Random random = new Random(seed);
    for (int i = edges.length; i < v.length; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return v;
  }

  @Test
  void fp32ReluForwardAndBackwardMatchLibnd4j() {
    INDArray z = Nd4j.create(values(1), new long[] {3, 1777}, 'c');
    INDArray gradient = Nd4j.create(values(2), new long[] {3, 1777}, 'c');
    assertThat(z.dataType()).isEqualTo(DataType.FLOAT);
    INDArray expectedOutput = Transforms.relu(z.dup(), false);
    INDArray expectedGradient = Transforms.step(z.dup(), false).muli(gradient);

    AppliedActivation relu = new AppliedActivation(Activation.RELU);
    INDArray output = relu.forward(z.dup(), true);
    INDArray result = relu.backward(gradient);

    assertThat(output.ravel().toFloatVector())
        .containsExactly(expectedOutput.ravel().toFloatVector(), within(0f));
    assertThat(result.ravel().toFloatVector())
        .containsExactly(expectedGradient.ravel().toFloatVector(), within(0f));
    // A positive subnormal passes its gradient; zero, minus zero and a negative subnormal do not.
    assertThat(result.getFloat(2)).isEqualTo(gradient.getFloat(2));
    assertThat(result.getFloat(0)).isZero();
    assertThat(result.getFloat(1)).isZero();
    assertThat(result.getFloat(3)).isZero();
    assertThat(gradient.ravel().toFloatVector()).containsExactly(values(2)); // left as it was
  }

  @Test
  void aStridedViewTakesLibnd4jsPathToTheSameValues() {
    INDArray whole = Nd4j.create(values(3), new long[] {3, 1777}, 'c');
    INDArray view = whole.dup().get(NDArrayIndex.all(), NDArrayIndex.interval(100, 1700));
    INDArray gradient = Nd4j.create(Arrays.copyOf(values(4), 3 * 1600), new long[] {3, 1600}, 'c');
    AppliedActivation direct = new AppliedActivation(Activation.RELU);
    AppliedActivation throughViews = new AppliedActivation(Activation.RELU);

    INDArray a =
        direct.forward(whole.get(NDArrayIndex.all(), NDArrayIndex.interval(100, 1700)).dup(), true);
    INDArray b = throughViews.forward(view, true);

    assertThat(b.isView()).isTrue();
    assertThat(a.ravel().toFloatVector()).containsExactly(b.ravel().toFloatVector(), within(0f));
    assertThat(direct.backward(gradient).ravel().toFloatVector())
        .containsExactly(throughViews.backward(gradient).ravel().toFloatVector(), within(0f));
  }

  @Test
  void aContiguousViewIsRectifiedInPlaceAndNothingAroundIt() {
    INDArray whole = Nd4j.create(values(5), new long[] {3, 1777}, 'c');
    INDArray before = whole.dup();
    INDArray rows = whole.get(NDArrayIndex.interval(1, 2), NDArrayIndex.all());

    INDArray result = new AppliedActivation(Activation.RELU).forward(rows, true);

    assertThat(result).isSameAs(rows);
    assertThat(whole.getRow(0).toFloatVector()).containsExactly(before.getRow(0).toFloatVector());
    assertThat(whole.getRow(2).toFloatVector()).containsExactly(before.getRow(2).toFloatVector());
    assertThat(whole.getRow(1).toFloatVector())
        .containsExactly(Transforms.relu(before.getRow(1), true).toFloatVector(), within(0f));
  }
}
