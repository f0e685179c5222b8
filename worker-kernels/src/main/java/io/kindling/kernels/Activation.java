package io.kindling.kernels;

import java.util.Locale;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.activations.impl.ActivationLReLU;
import org.nd4j.linalg.activations.impl.ActivationReLU;
import org.nd4j.linalg.activations.impl.ActivationSigmoid;
import org.nd4j.linalg.activations.impl.ActivationSoftmax;
import org.nd4j.linalg.activations.impl.ActivationTanH;

/** Element-wise (and row-wise, for softmax) activation functions, computed by libnd4j. */
public enum Activation {
  IDENTITY,
  RELU,
  LEAKY_RELU,
  SIGMOID,
  TANH,
  GELU,
  SOFTMAX;

  /** The name used in configuration and model files: lower case with dashes. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Parses a configuration name such as {@code leaky-relu}; the error lists the valid names. */
  public static Activation parse(String name) {
    for (Activation a : values()) {
      if (a.configName().equals(name) || a.name().equalsIgnoreCase(name)) {
        return a;
      }
    }
    throw new IllegalArgumentException(
        "unknown activation '" + name + "'; use one of " + Names.of(values()));
  }

  IActivation function() {
    return switch (this) {
      case IDENTITY -> new ActivationIdentity();
      case RELU -> new ActivationReLU();
      case LEAKY_RELU -> new ActivationLReLU(0.01);
      case SIGMOID -> new ActivationSigmoid();
      case TANH -> new ActivationTanH();
      case GELU -> new ExactGelu();
      case SOFTMAX -> new ActivationSoftmax();
    };
  }
}
