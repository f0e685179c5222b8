package io.kindling.kernels;

import java.util.Random;
import org.nd4j.linalg.api.blas.params.MMulTranspose;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.Mmul;
import org.nd4j.linalg.api.ops.impl.transforms.custom.SoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Multi-head self-attention on [batch, seqLen, dim]: {@code softmax(Q K^T / sqrt(dh) + mask) V} per
 * head, then an output projection. Written with gemm, batched matmul and softmax because libnd4j's
 * {@code multi_head_dot_product_attention} has no projection biases and masks keys only, so it
 * cannot express a causal mask.
 *
 * <p>Parameters, row-major: W_qkv [dim, 3 dim] (columns: query, key, value, each head after head),
 * b_qkv [3 dim], W_o [dim, dim], b_o [dim].
 */
final class SelfAttentionLayer implements Layer {
  /** Added to masked scores: exp of it underflows to exactly 0, without inf arithmetic. */
  private static final double MASKED = -1e9;

  private final int seqLen;
  private final int dim;
  private final int heads;
  private final int headDim;
  private final double scale;
  private final Init init;

  /** [1, seqLen * seqLen]: 0 where attending is allowed, {@link #MASKED} above the diagonal. */
  private final INDArray causalMask;

  private INDArray qkvWeights;
  private INDArray qkvBias;
  private INDArray outWeights;
  private INDArray outBias;
  private INDArray qkvWeightGradient;
  private INDArray qkvBiasGradient;
  private INDArray outWeightGradient;
  private INDArray outBiasGradient;

  private INDArray input;
  private INDArray projected;
  private INDArray probabilities;
  private INDArray merged;

  SelfAttentionLayer(int[] inputShape, int heads, boolean causal, Init init, DataType dataType) {
    this.seqLen = inputShape[0];
    this.dim = inputShape[1];
    this.heads = heads;
    this.headDim = dim / heads;
    this.scale = 1 / Math.sqrt(headDim);
    this.init = init;
    this.causalMask = causal ? causalMask(seqLen, dataType) : null;
  }

  private static INDArray causalMask(int seqLen, DataType dataType) {
    INDArray mask = Nd4j.zeros(dataType, 1, (long) seqLen * seqLen);
    for (int i = 0; i < seqLen; i++) {
      for (int j = i + 1; j < seqLen; j++) {
        mask.putScalar(0, (long) i * seqLen + j, MASKED);
      }
    }
    return mask;
  }

  @Override
  public long numParams() {
    return 4L * dim * dim + 4L * dim;
  }

  @Override
  public void bind(INDArray params, INDArray gradients) {
    qkvWeights = slice(params, 0, dim, 3 * dim);
    qkvBias = slice(params, 3L * dim * dim, 1, 3 * dim);
    outWeights = slice(params, 3L * dim * dim + 3L * dim, dim, dim);
    outBias = slice(params, 4L * dim * dim + 3L * dim, 1, dim);
    qkvWeightGradient = slice(gradients, 0, dim, 3 * dim);
    qkvBiasGradient = slice(gradients, 3L * dim * dim, 1, 3 * dim);
    outWeightGradient = slice(gradients, 3L * dim * dim + 3L * dim, dim, dim);
    outBiasGradient = slice(gradients, 4L * dim * dim + 3L * dim, 1, dim);
  }

  private static INDArray slice(INDArray flat, long from, long rows, long columns) {
    return flat.get(NDArrayIndex.interval(from, from + rows * columns)).reshape('c', rows, columns);
  }

  @Override
  public void initialise(Random random) {
    init.fill(qkvWeights, dim, dim, random);
    init.fill(outWeights, dim, dim, random);
    qkvBias.assign(0);
    outBias.assign(0);
  }

  @Override
  public INDArray forward(INDArray x, boolean training) {
    long batch = x.size(0);
    input = x.reshape('c', batch * seqLen, dim);
    INDArray qkv = input.mmul(qkvWeights).addiRowVector(qkvBias);
    // [batch, seqLen, 3, heads, headDim] -> [3, batch, heads, seqLen, headDim], one copy
    projected = qkv.reshape('c', batch, seqLen, 3, heads, headDim).permute(2, 0, 3, 1, 4).dup('c');
    INDArray q = projected.slice(0).muli(scale);
    INDArray scores = Nd4j.createUninitialized(x.dataType(), batch, heads, seqLen, seqLen);
    matmul(q, projected.slice(1), scores, false, true);
    if (causalMask != null) {
      scores.reshape('c', batch * heads, (long) seqLen * seqLen).addiRowVector(causalMask);
    }
    INDArray rows = scores.reshape('c', batch * heads * seqLen, seqLen);
    probabilities = rows.ulike();
    Nd4j.exec(new SoftMax(rows, probabilities, 1));
    probabilities = probabilities.reshape('c', scores.shape());
    INDArray context = Nd4j.createUninitialized(x.dataType(), batch, heads, seqLen, headDim);
    matmul(probabilities, projected.slice(2), context, false, false);
    merged = context.permute(0, 2, 1, 3).dup('c').reshape('c', batch * seqLen, dim);
    return merged.mmul(outWeights).addiRowVector(outBias).reshape('c', x.shape());
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    long batch = outputGradient.size(0);
    INDArray dOut = outputGradient.reshape('c', batch * seqLen, dim);
    MatrixProduct.into(merged, dOut, outWeightGradient, true, false, 1.0, 0.0);
    outBiasGradient.assign(dOut.sum(true, 0));
    INDArray dContext =
        Nd4j.gemm(dOut, outWeights, false, true)
            .reshape('c', batch, seqLen, heads, headDim)
            .permute(0, 2, 1, 3)
            .dup('c');
    INDArray q = projected.slice(0);
    INDArray k = projected.slice(1);
    INDArray v = projected.slice(2);
    INDArray dProjected = projected.ulike();
    INDArray dProbabilities = probabilities.ulike();
    matmul(dContext, v, dProbabilities, false, true);
    matmul(probabilities, dContext, dProjected.slice(2), true, false);
    // softmax backward, row by row: dScores = p * (dp - sum(dp * p))
    INDArray p = probabilities.reshape('c', batch * heads * seqLen, seqLen);
    INDArray dScores = dProbabilities.reshape('c', p.shape());
    dScores.subiColumnVector(dScores.mul(p).sum(true, 1)).muli(p);
    dScores = dScores.reshape('c', probabilities.shape());
    matmul(dScores, k, dProjected.slice(0), false, false);
    dProjected.slice(0).muli(scale);
    matmul(dScores, q, dProjected.slice(1), true, false);
    INDArray dQkv =
        dProjected.permute(1, 3, 0, 2, 4).dup('c').reshape('c', batch * seqLen, 3L * dim);
    MatrixProduct.into(input, dQkv, qkvWeightGradient, true, false, 1.0, 0.0);
    qkvBiasGradient.assign(dQkv.sum(true, 0));
    return Nd4j.gemm(dQkv, qkvWeights, false, true).reshape('c', outputGradient.shape());
  }

  /** Batched {@code z = op(a) op(b)} over the leading [batch, heads] dimensions. */
  private static void matmul(INDArray a, INDArray b, INDArray z, boolean transA, boolean transB) {
    Nd4j.exec(new Mmul(a, b, z, 1.0, 0.0, new MMulTranspose(transA, transB, false)));
  }
}
