package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The direct BLAS product agrees with ND4J's, on views with offsets, transposed or not. */
class MatrixProductTest {
  /** A [rows, cols] view into the middle of a larger buffer, as the layers' parameters are. */
  private static INDArray view(DataType type, long rows, long cols, long seed) {
    Nd4j.getRandom().setSeed(seed);
    INDArray buffer = Nd4j.rand(type, 17 + rows * cols + 5).subi(0.5);
    return buffer.get(NDArrayIndex.interval(17, 17 + rows * cols)).reshape('c', rows, cols);
  }

  @Test
  void agreesWithNd4jForEveryTransposeOnViews() {
    for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
      double tolerance = type == DataType.FLOAT ? 1e-4 : 1e-12;
      for (boolean ta : new boolean[] {false, true}) {
        for (boolean tb : new boolean[] {false, true}) {
          long m = 7;
          long k = 5;
          long n = 3;
          INDArray a = ta ? view(type, k, m, 1) : view(type, m, k, 1);
          INDArray b = tb ? view(type, n, k, 2) : view(type, k, n, 2);
          Nd4j.getRandom().setSeed(3);
          INDArray around = Nd4j.rand(type, 9 + m * n + 4);
          INDArray expected = around.dup();
          INDArray c = around.get(NDArrayIndex.interval(9, 9 + m * n)).reshape('c', m, n);
          Nd4j.gemm(
              a,
              b,
              expected.get(NDArrayIndex.interval(9, 9 + m * n)).reshape('c', m, n),
              ta,
              tb,
              0.7,
              1.0);
          MatrixProduct.into(a, b, c, ta, tb, 0.7, 1.0);
          assertThat(c.offset()).isPositive();
          // C holds the product, and the buffer around it is untouched.
          assertThat(around.sub(expected).amaxNumber().doubleValue())
              .as("%s transposeA=%s transposeB=%s", type, ta, tb)
              .isLessThan(tolerance);
          assertThat(around.get(NDArrayIndex.interval(0, 9)))
              .isEqualTo(expected.get(NDArrayIndex.interval(0, 9)));
        }
      }
    }
  }

  @Test
  void handlesAColumnOfOnesAndASingleRow() {
    INDArray ones = Nd4j.ones(DataType.FLOAT, 4, 1);
    INDArray bias = view(DataType.FLOAT, 1, 6, 4);
    INDArray z = Nd4j.create(DataType.FLOAT, 4, 6);
    MatrixProduct.into(ones, bias, z, false, false, 1.0, 0.0);
    for (int i = 0; i < 4; i++) {
      assertThat(z.getRow(i).sub(bias.getRow(0)).amaxNumber().doubleValue()).isZero();
    }
    INDArray sums = Nd4j.create(DataType.FLOAT, 1, 6);
    MatrixProduct.into(ones.reshape('c', 1, 4), z, sums, false, false, 1.0, 0.0);
    assertThat(sums.sub(bias.mul(4)).amaxNumber().doubleValue()).isLessThan(1e-6);
  }

  @Test
  void fallsBackToNd4jForAColumnMajorView() {
    INDArray a = view(DataType.FLOAT, 4, 3, 5).transpose(); // [3, 4], column stride 3
    INDArray b = view(DataType.FLOAT, 4, 2, 6);
    INDArray expected = Nd4j.create(DataType.FLOAT, 3, 2);
    INDArray actual = Nd4j.create(DataType.FLOAT, 3, 2);
    Nd4j.gemm(a, b, expected, false, false, 1.0, 0.0);
    MatrixProduct.into(a, b, actual, false, false, 1.0, 0.0);
    assertThat(actual.sub(expected).amaxNumber().doubleValue()).isLessThan(1e-6);
  }

  @Test
  void refusesShapesThatDoNotChain() {
    INDArray a = Nd4j.create(DataType.FLOAT, 3, 4);
    INDArray b = Nd4j.create(DataType.FLOAT, 5, 2);
    INDArray c = Nd4j.create(DataType.FLOAT, 3, 2);
    assertThatThrownBy(() -> MatrixProduct.into(a, b, c, false, false, 1.0, 0.0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[3, 4] and [5, 2]");
  }

  @Test
  void sumsProductsOverABatchWithPerExampleOrSharedB() {
    for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
      double tolerance = type == DataType.FLOAT ? 1e-4 : 1e-12;
      Nd4j.getRandom().setSeed(7);
      INDArray a = Nd4j.rand(type, 4, 3, 5).subi(0.5); // 4 examples of [3, 5]
      INDArray b = Nd4j.rand(type, 4, 2, 5).subi(0.5); // 4 examples of [2, 5], used transposed
      INDArray shared = Nd4j.rand(type, 5, 1).subi(0.5);
      INDArray c = Nd4j.rand(type, 3, 2);
      INDArray expected = c.mul(0.5);
      INDArray expectedShared = Nd4j.zeros(type, 3, 1);
      for (int i = 0; i < 4; i++) {
        INDArray ai = a.slice(i);
        expected.addi(ai.mmul(b.slice(i).transpose()));
        expectedShared.addi(ai.mmul(shared));
      }
      MatrixProduct.overBatch(a, b, c, false, true, 0.5);
      assertThat(c.sub(expected).amaxNumber().doubleValue()).as("%s", type).isLessThan(tolerance);
      INDArray cShared = Nd4j.rand(type, 3, 1); // overwritten with beta 0, not added to
      MatrixProduct.overBatch(a, shared, cShared, false, false, 0.0);
      assertThat(cShared.sub(expectedShared).amaxNumber().doubleValue())
          .as("%s, shared B", type)
          .isLessThan(tolerance);
    }
  }

  @Test
  void multipliesEachExampleBySharedA() {
    Nd4j.getRandom().setSeed(8);
    INDArray w = Nd4j.rand(DataType.FLOAT, 3, 5).subi(0.5);
    INDArray x = Nd4j.rand(DataType.FLOAT, 4, 5, 6).subi(0.5);
    INDArray z = Nd4j.rand(DataType.FLOAT, 4, 3, 6);
    INDArray expected = z.dup();
    for (int i = 0; i < 4; i++) {
      expected.slice(i).addi(w.mmul(x.slice(i)));
    }
    MatrixProduct.overBatch(w, x, z, false, false, 1.0);
    assertThat(z.sub(expected).amaxNumber().doubleValue()).isLessThan(1e-5);
  }

  @Test
  void refusesANonContiguousBatchOrMismatchedShapes() {
    INDArray a = Nd4j.rand(DataType.FLOAT, 4, 3, 5);
    INDArray c = Nd4j.create(DataType.FLOAT, 3, 2);
    assertThatThrownBy(
            () ->
                MatrixProduct.overBatch(
                    a.permute(0, 2, 1), Nd4j.rand(DataType.FLOAT, 4, 3, 2), c, true, false, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("contiguous");
    assertThatThrownBy(
            () -> MatrixProduct.overBatch(a, Nd4j.rand(DataType.FLOAT, 4, 2, 4), c, false, true, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("products over a batch of shapes [4, 3, 5] and [4, 2, 4]^T");
    assertThatThrownBy(
            () ->
                MatrixProduct.overBatch(a, Nd4j.rand(DataType.FLOAT, 3, 5, 2), c, false, false, 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("for one count");
  }
}
