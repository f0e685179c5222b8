package io.kindling.kernels;

import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * An activation applied to a layer's pre-activation, remembering what the backward pass needs (the
 * pre-activation itself; nothing for the identity).
 */
final class AppliedActivation {
  private final Activation activation;
  private final IActivation function;
  private INDArray preActivation;

  AppliedActivation(Activation activation) {
    this.activation = activation;
    this.function = activation.function();
  }

  /** Applies the activation to {@code z}, in place where the function allows. */
  INDArray forward(INDArray z, boolean training) {
    if (activation == Activation.IDENTITY) {
      preActivation = null;
      return z;
    }
    preActivation = z.dup();
    return function.getActivation(z, training);
  }

  /** dLoss/dPreActivation from dLoss/dActivation. */
  INDArray backward(INDArray outputGradient) {
    return preActivation == null
        ? outputGradient
        : function.backprop(preActivation, outputGradient).getFirst();
  }
}
