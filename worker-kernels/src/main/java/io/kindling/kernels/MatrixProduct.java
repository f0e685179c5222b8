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
    int m = (int) c.size(0);
    int n = (int) c.size(1);
    int k = (int) (transposeA ? a.size(0) : a.size(1));
    if ((transposeA ? a.size(1) : a.size(0)) != m
        || (transposeB ? b.size(0) : b.size(1)) != n
        || (transposeB ? b.size(1) : b.size(0)) != k) {
      throw new IllegalArgumentException(
          "matrix product of shapes "
              + java.util.Arrays.toString(a.shape())
              + (transposeA ? "^T" : "")
              + " and "
              + java.util.Arrays.toString(b.shape())
              + (transposeB ? "^T" : "")
              + " into "
              + java.util.Arrays.toString(c.shape()));
    }
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
          p.fa.at(a),
          lead(a),
          p.fb.at(b),
          lead(b),
          (float) beta,
          p.fc.at(c),
          lead(c));
    } else {
      cblas_dgemm(
          CblasRowMajor,
          ta,
          tb,
          m,
          n,
          k,
          alpha,
          p.da.at(a),
          lead(a),
          p.db.at(b),
          lead(b),
          beta,
          p.dc.at(c),
          lead(c));
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

  /** The distance between rows; for one row BLAS never steps, but wants at least its length. */
  private static int lead(INDArray x) {
    return (int) (x.size(0) == 1 ? Math.max(1, x.size(1)) : x.stride(0));
  }

  /** The address of a matrix's first element: a view's buffer starts at its parent's. */
  private static long firstElement(INDArray x) {
    return x.data().address() + x.offset() * x.data().getElementSize();
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
    Fp32 at(INDArray x) {
      address = firstElement(x);
      return this;
    }
  }

  private static final class Fp64 extends DoublePointer {
    Fp64 at(INDArray x) {
      address = firstElement(x);
      return this;
    }
  }
}
