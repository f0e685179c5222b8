package io.kindling.kernels;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_dgemm;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code C = alpha op(A) op(B) + beta C}, straight through the OpenBLAS that ND4J bundles (and caps
 * with {@link ComputeThreads}) when all three are row-major matrices of one floating type with unit
 * column stride, as the layers' parameter views and workspace arrays are; else through ND4J.
 *
 * <p>ND4J wraps every product in a custom op with its own shape buffers and native allocations:
 * 30-60 us a call, measured, which at batch 128 was about a fifth of the dense network's step.
 */
final class MatrixProduct {
  /** Reusable pointers for the calling thread: no allocation per product. */
  private static final ThreadLocal<Pointers> POINTERS = ThreadLocal.withInitial(Pointers::new);

  private MatrixProduct() {}

  static void into(
      INDArray a,
      INDArray b,
      INDArray c,
      boolean transposeA,
      boolean transposeB,
      double alpha,
      double beta) {
    DataType type = c.dataType();
    if (!direct(a, type) || !direct(b, type) || !direct(c, type)) {
      Nd4j.gemm(a, b, c, transposeA, transposeB, alpha, beta);
      return;
    }
    int k =
        inner(
            "matrix product",
            a,
            a.size(0),
            a.size(1),
            transposeA,
            b,
            b.size(0),
            b.size(1),
            transposeB,
            c);
    gemm(
        type,
        transposeA,
        transposeB,
        (int) c.size(0),
        (int) c.size(1),
        k,
        alpha,
        a,
        0,
        lead(a),
        b,
        0,
        lead(b),
        beta,
        c,
        lead(c));
  }

  /**
   * {@code c = sum over i of op(A_i) op(B_i)}, where {@code a} is [count, rows, columns]: count
   * matrices one after another, as a batch of per-example results lies; {@code b} is the same for
   * its B_i, or one matrix [rows, columns] shared by every product. One BLAS call per product,
   * adding into {@code c}: a weight or bias gradient summed over a batch without ever holding the
   * per-example terms. All three must be row-major and contiguous, of one floating type.
   */
  static void sumOverBatch(
      INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB) {
    DataType type = c.dataType();
    boolean sharedB = b.rank() == 2;
    if (a.rank() != 3
        || !contiguous(a, type)
        || !(sharedB || (b.rank() == 3 && b.size(0) == a.size(0)))
        || !contiguous(b, type)
        || c.rank() != 2
        || !contiguous(c, type)) {
      throw new IllegalArgumentException(
          "sum of products over a batch needs contiguous row-major "
              + type
              + " arrays [count, rows, columns] (B also [rows, columns]) and a matrix result; got "
              + java.util.Arrays.toString(a.shape())
              + ", "
              + java.util.Arrays.toString(b.shape())
              + " into "
              + java.util.Arrays.toString(c.shape()));
    }
    int count = (int) a.size(0);
    int aRows = (int) a.size(1);
    int aColumns = (int) a.size(2);
    int bRows = (int) b.size(b.rank() - 2);
    int bColumns = (int) b.size(b.rank() - 1);
    int m = (int) c.size(0);
    int n = (int) c.size(1);
    int k =
        inner("sum of products", a, aRows, aColumns, transposeA, b, bRows, bColumns, transposeB, c);
    long strideB = sharedB ? 0 : (long) bRows * bColumns;
    for (int i = 0; i < count; i++) {
      gemm(
          type,
          transposeA,
          transposeB,
          m,
          n,
          k,
          1.0,
          a,
          (long) i * aRows * aColumns,
          aColumns,
          b,
          i * strideB,
          bColumns,
          i == 0 ? 0.0 : 1.0,
          c,
          n);
    }
    if (count == 0) {
      c.assign(0);
    }
  }

  /**
   * The inner dimension of {@code op(A) op(B)} into C, for A of aRows x aColumns and B of bRows x
   * bColumns; an error naming the shapes when they do not fit.
   */
  private static int inner(
      String what,
      INDArray a,
      long aRows,
      long aColumns,
      boolean transposeA,
      INDArray b,
      long bRows,
      long bColumns,
      boolean transposeB,
      INDArray c) {
    long k = transposeA ? aRows : aColumns;
    if ((transposeA ? aColumns : aRows) != c.size(0)
        || (transposeB ? bRows : bColumns) != c.size(1)
        || (transposeB ? bColumns : bRows) != k) {
      throw new IllegalArgumentException(
          what
              + " of shapes "
              + java.util.Arrays.toString(a.shape())
              + (transposeA ? "^T" : "")
              + " and "
              + java.util.Arrays.toString(b.shape())
              + (transposeB ? "^T" : "")
              + " into "
              + java.util.Arrays.toString(c.shape()));
    }
    return (int) k;
  }

  /** One BLAS call on matrices starting {@code offsetX} elements into arrays {@code x}. */
  private static void gemm(
      DataType type,
      boolean transposeA,
      boolean transposeB,
      int m,
      int n,
      int k,
      double alpha,
      INDArray a,
      long offsetA,
      int lda,
      INDArray b,
      long offsetB,
      int ldb,
      double beta,
      INDArray c,
      int ldc) {
    int ta = transposeA ? CblasTrans : CblasNoTrans;
    int tb = transposeB ? CblasTrans : CblasNoTrans;
    Pointers p = POINTERS.get();
    if (type == DataType.FLOAT) {
      cblas_sgemm(
          CblasRowMajor,
          ta,
          tb,
          m,
          n,
          k,
          (float) alpha,
          p.fa.at(a, offsetA),
          lda,
          p.fb.at(b, offsetB),
          ldb,
          (float) beta,
          p.fc.at(c, 0),
          ldc);
    } else {
      cblas_dgemm(
          CblasRowMajor,
          ta,
          tb,
          m,
          n,
          k,
          alpha,
          p.da.at(a, offsetA),
          lda,
          p.db.at(b, offsetB),
          ldb,
          beta,
          p.dc.at(c, 0),
          ldc);
    }
  }

  /** A row-major fp32 or fp64 matrix of {@code type} whose rows BLAS can step through. */
  private static boolean direct(INDArray x, DataType type) {
    return x.rank() == 2
        && x.dataType() == type
        && (type == DataType.FLOAT || type == DataType.DOUBLE)
        && !x.isEmpty()
        && x.stride(1) == 1
        && lead(x) >= x.size(1);
  }

  /** An array of {@code type} whose elements lie in row-major order with no gaps. */
  private static boolean contiguous(INDArray x, DataType type) {
    return x.dataType() == type
        && (type == DataType.FLOAT || type == DataType.DOUBLE)
        && !x.isEmpty()
        && x.ordering() == 'c'
        && Shape.hasDefaultStridesForShape(x);
  }

  /** The distance between rows; for one row BLAS never steps, but wants at least its length. */
  private static int lead(INDArray x) {
    return (int) (x.size(0) == 1 ? Math.max(1, x.size(1)) : x.stride(0));
  }

  /** The address of element {@code index} of x's buffer: a view's buffer starts at its parent's. */
  private static long elementAddress(INDArray x, long index) {
    return x.data().address() + (x.offset() + index) * x.data().getElementSize();
  }

  private static final class Pointers {
    final Fp32 fa = new Fp32();
    final Fp32 fb = new Fp32();
    final Fp32 fc = new Fp32();
    final Fp64 da = new Fp64();
    final Fp64 db = new Fp64();
    final Fp64 dc = new Fp64();
  }

  /** A pointer moved to each matrix in turn; it owns no memory. */
  private static final class Fp32 extends FloatPointer {
    Fp32 at(INDArray x, long index) {
      address = elementAddress(x, index);
      return this;
    }
  }

  private static final class Fp64 extends DoublePointer {
    Fp64 at(INDArray x, long index) {
      address = elementAddress(x, index);
      return this;
    }
  }
}
