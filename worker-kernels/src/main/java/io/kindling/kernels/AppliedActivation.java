package io.kindling.kernels;

import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * An activation applied to a layer's pre-activation, remembering what the backward pass needs:
 * nothing for the identity; for ReLU its output, which is positive exactly where the pre-activation
 * is (so no copy is kept and the backward pass is two cheap element-wise ops), which is why callers
 * must not modify a ReLU's result in place; for the others a copy of the pre-activation.
 */
final class AppliedActivation {
  private final Activation activation;
  private final IActivation function;
  private INDArray saved;

  AppliedActivation(Activation activation) {
    this.activation = activation;
    this.function = activation.function();
  }

  /** Applies the activation to {@code z}, in place where the function allows. */
  INDArray forward(INDArray z, boolean training) {
    return switch (activation) {
      case IDENTITY -> {
        saved = null;
        yield z;
      }
      case RELU -> {
        saved = Transforms.relu(z, false);
        yield saved;
      }
      default -> {
        saved = z.dup();
        yield function.getActivation(z, training);
      }
    };
  }

  /** dLoss/dPreActivation from dLoss/dActivation. */
  INDArray backward(INDArray outputGradient) {
    return switch (activation) {
      case IDENTITY -> outputGradient;
      case RELU -> Transforms.step(saved, true).muli(outputGradient);
      default -> function.backprop(saved, outputGradient).getFirst();
    };
  }
}
