package io.kindling.kernels;

import java.util.Locale;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * How parameters are updated from gradients.
 *
 * @param kind the update rule
 * @param learningRate step size
 * @param momentum momentum for {@link Kind#NESTEROV}
 * @param beta1 first-moment decay for Adam and AdamW
 * @param beta2 second-moment decay for Adam and AdamW (and the decay of RMSProp)
 * @param epsilon added to denominators for numerical safety
 * @param l2 L2 penalty coefficient, added to the gradient as {@code l2 * w}
 * @param weightDecay decoupled weight decay for AdamW: {@code w -= lr * weightDecay * w}
 */
public record OptimizerSpec(
    Kind kind,
    double learningRate,
    double momentum,
    double beta1,
    double beta2,
    double epsilon,
    double l2,
    double weightDecay)
    implements java.io.Serializable {

  /** The update rules. */
  public enum Kind {
    SGD,
    NESTEROV,
    ADAM,
    ADAMW,
    RMSPROP,
    ADAGRAD;

    public static Kind parse(String name) {
      for (Kind k : values()) {
        if (k.name().equalsIgnoreCase(name)) {
          return k;
        }
      }
      throw new IllegalArgumentException(
          "unknown optimizer '" + name + "'; use one of " + Names.of(values()));
    }

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public OptimizerSpec {
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
    }
    if (l2 < 0 || weightDecay < 0) {
      throw new IllegalArgumentException("l2 and weight decay must not be negative");
    }
  }

  /** Adam with the usual defaults (beta1 0.9, beta2 0.999, epsilon 1e-8). */
  public static OptimizerSpec adam(double learningRate) {
    return new OptimizerSpec(Kind.ADAM, learningRate, 0, 0.9, 0.999, 1e-8, 0, 0);
  }

  public static OptimizerSpec sgd(double learningRate) {
    return new OptimizerSpec(Kind.SGD, learningRate, 0, 0.9, 0.999, 1e-8, 0, 0);
  }

  IUpdater updater() {
    return switch (kind) {
      case SGD -> new Sgd(learningRate);
      case NESTEROV -> new Nesterovs(learningRate, momentum);
      case ADAM, ADAMW -> new Adam(learningRate, beta1, beta2, epsilon);
      case RMSPROP -> new RmsProp(learningRate, beta2, epsilon);
      case ADAGRAD -> new AdaGrad(learningRate, epsilon);
    };
  }
}
