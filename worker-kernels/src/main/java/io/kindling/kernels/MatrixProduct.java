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
            c,
            c.size(0),
            c.size(1));
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
        0,
        lead(c));
  }

  /**
   * Matrix products over a batch: for i below the batch size, {@code op(A_i) op(B_i)}, where each
   * of A and B is either [count, rows, columns], count matrices one after another as a batch of
   * per-example values lies, or one matrix [rows, columns] shared by every product. A C of [count,
   * rows, columns] gets {@code C_i = op(A_i) op(B_i) + beta C_i}; a matrix C gets their sum (plus
   * {@code beta C}), so a weight gradient summed over the batch never holds the per-example terms.
   * One BLAS call per example; all three must be row-major and contiguous, of one floating type.
   */
  static void overBatch(
      INDArray a, INDArray b, INDArray c, boolean transposeA, boolean transposeB, double beta) {
    DataType type = c.dataType();
    long count = Math.max(a.rank() == 3 ? a.size(0) : 0, b.rank() == 3 ? b.size(0) : 0);
    count = Math.max(count, c.rank() == 3 ? c.size(0) : 0);
    if (!batchOrMatrix(a, count, type)
        || !batchOrMatrix(b, count, type)
        || !batchOrMatrix(c, count, type)
        || (a.rank() == 2 && b.rank() == 2 && c.rank() == 2)) {
      throw new IllegalArgumentException(
          "products over a batch need contiguous row-major "
              + type
              + " arrays, each [count, rows, columns] for one count or one matrix [rows, columns],"
              + " and at least one a batch; got "
              + java.util.Arrays.toString(a.shape())
              + ", "
              + java.util.Arrays.toString(b.shape())
              + " into "
              + java.util.Arrays.toString(c.shape()));
    }
    long aRows = a.size(a.rank() - 2);
    long aColumns = a.size(a.rank() - 1);
    long bRows = b.size(b.rank() - 2);
    long bColumns = b.size(b.rank() - 1);
    int m = (int) c.size(c.rank() - 2);
    int n = (int) c.size(c.rank() - 1);
    int k =
        inner(
            "products over a batch",
            a,
            aRows,
            aColumns,
            transposeA,
            b,
            bRows,
            bColumns,
            transposeB,
            c,
            m,
            n);
    long strideA = a.rank() == 3 ? aRows * aColumns : 0;
    long strideB = b.rank() == 3 ? bRows * bColumns : 0;
    long strideC = c.rank() == 3 ? (long) m * n : 0;
    for (long i = 0; i < count; i++) {
      gemm(
          type,
          transposeA,
          transposeB,
          m,
          n,
          k,
          1.0,
          a,
          i * strideA,
          (int) aColumns,
          b,
          i * strideB,
          (int) bColumns,
          strideC == 0 && i > 0 ? 1.0 : beta,
          c,
          i * strideC,
          n);
    }
    if (count == 0 && c.rank() == 2) {
      c.muli(beta);
    }
  }

  /** A contiguous array of {@code type}: [count, rows, columns] or a matrix. */
  private static boolean batchOrMatrix(INDArray x, long count, DataType type) {
    return (x.rank() == 2 || (x.rank() == 3 && x.size(0) == count)) && contiguous(x, type);
  }

  /**
   * The inner dimension of {@code op(A) op(B)} into an m x n matrix, for A of aRows x aColumns and
   * B of bRows x bColumns; an error naming the shapes when they do not fit.
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
      INDArray c,
      long m,
      long n) {
    long k = transposeA ? aRows : aColumns;
    if ((transposeA ? aColumns : aRows) != m
        || (transposeB ? bRows : bColumns) != n
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
      long offsetC,
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
          p.fc.at(c, offsetC),
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
          p.dc.at(c, offsetC),
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

  /**
   * An array of {@code type} whose elements lie in row-major order with no gaps (the stride of a
   * dimension of size 1 never matters).
   */
  private static boolean contiguous(INDArray x, DataType type) {
    if (x.dataType() != type
        || (type != DataType.FLOAT && type != DataType.DOUBLE)
        || x.isEmpty()) {
      return false;
    }
    long step = 1;
    for (int d = x.rank() - 1; d >= 0; d--) {
      if (x.size(d) > 1 && x.stride(d) != step) {
        return false;
      }
      step *= x.size(d);
    }
    return true;
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
