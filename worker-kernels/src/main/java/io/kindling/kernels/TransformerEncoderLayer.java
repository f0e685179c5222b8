package io.kindling.kernels;

import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A pre-norm transformer encoder block on [batch, seqLen, dim]: {@code y = x + attention(ln1(x))},
 * then {@code y + mlp(ln2(y))} with {@code mlp = dense(dim) . gelu . dense(ratio * dim)} applied
 * token by token. Its parameters are its parts' parameters, one after another.
 */
final class TransformerEncoderLayer implements Layer {
  private final int seqLen;
  private final int dim;
  private final LayerNormLayer attentionNorm;
  private final SelfAttentionLayer attention;
  private final LayerNormLayer mlpNorm;
  private final DenseLayer expand;
  private final DenseLayer contract;
  private final List<Layer> parts;

  TransformerEncoderLayer(int[] inputShape, LayerSpec.TransformerEncoder spec, DataType dataType) {
    this.seqLen = inputShape[0];
    this.dim = inputShape[1];
    int hidden = spec.mlpRatio() * dim;
    this.attentionNorm = new LayerNormLayer(dim, LayerSpec.LayerNorm.DEFAULT_EPSILON);
    this.attention =
        new SelfAttentionLayer(inputShape, spec.heads(), spec.causal(), spec.init(), dataType);
    this.mlpNorm = new LayerNormLayer(dim, LayerSpec.LayerNorm.DEFAULT_EPSILON);
    this.expand = new DenseLayer(dim, new LayerSpec.Dense(hidden, Activation.GELU, spec.init()));
    this.contract =
        new DenseLayer(hidden, new LayerSpec.Dense(dim, Activation.IDENTITY, spec.init()));
    this.parts = List.of(attentionNorm, attention, mlpNorm, expand, contract);
  }

  @Override
  public long numParams() {
    return parts.stream().mapToLong(Layer::numParams).sum();
  }

  @Override
  public void bind(INDArray params, INDArray gradients) {
    long offset = 0;
    for (Layer part : parts) {
      long n = part.numParams();
      part.bind(
          params.get(NDArrayIndex.interval(offset, offset + n)),
          gradients.get(NDArrayIndex.interval(offset, offset + n)));
      offset += n;
    }
  }

  @Override
  public void initialise(Random random) {
    for (Layer part : parts) {
      part.initialise(random);
    }
  }

  @Override
  public INDArray forward(INDArray x, boolean training) {
    INDArray y = attention.forward(attentionNorm.forward(x, training), training).addi(x);
    long tokens = x.size(0) * seqLen;
    INDArray h = mlpNorm.forward(y, training).reshape('c', tokens, dim);
    INDArray mlp = contract.forward(expand.forward(h, training), training);
    return mlp.reshape('c', x.shape()).addi(y);
  }

  @Override
  public INDArray backward(INDArray outputGradient) {
    long tokens = outputGradient.size(0) * seqLen;
    INDArray dh = expand.backward(contract.backward(outputGradient.reshape('c', tokens, dim)));
    INDArray dy = mlpNorm.backward(dh.reshape('c', outputGradient.shape())).addi(outputGradient);
    return attentionNorm.backward(attention.backward(dy)).addi(dy);
  }
}
