package io.kindling.kernels;

import java.util.Locale;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.AdaGrad;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.config.Nesterovs;
import org.nd4j.linalg.learning.config.RmsProp;
import org.nd4j.linalg.learning.config.Sgd;

/**
 * How parameters are updated from gradients. Each step the gradient is clipped to {@code clipNorm}
 * (global L2 norm), the L2 penalty is added, the update rule turns it into a step at the scheduled
 * learning rate, and AdamW's decoupled decay shrinks the weights. All of this touches trainable
 * parameters only, never running statistics.
 *
 * @param kind the update rule
 * @param learningRate base step size (see {@code schedule})
 * @param momentum momentum for {@link Kind#MOMENTUM} and {@link Kind#NESTEROV}
 * @param beta1 first-moment decay for Adam and AdamW
 * @param beta2 second-moment decay for Adam and AdamW (and the decay of RMSProp)
 * @param epsilon added to denominators for numerical safety
 * @param l2 L2 penalty coefficient, added to the gradient as {@code l2 * w}
 * @param weightDecay decoupled weight decay for AdamW: {@code w -= lr(t) * weightDecay * w}
 * @param schedule how the learning rate changes with the step number
 * @param clipNorm largest global L2 norm of the gradient, larger ones are scaled down; 0 for none
 */
public record OptimizerSpec(
    Kind kind,
    double learningRate,
    double momentum,
    double beta1,
    double beta2,
    double epsilon,
    double l2,
    double weightDecay,
    LearningRateSchedule schedule,
    double clipNorm)
    implements java.io.Serializable {

  /** The update rules. */
  public enum Kind {
    SGD,
    /** Heavy-ball momentum: {@code v = momentum v + g; w -= lr v}. */
    MOMENTUM,
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
    if (kind == null || schedule == null) {
      throw new IllegalArgumentException("optimizer kind and schedule must be given");
    }
    if (!(learningRate > 0)) {
      throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
    }
    if (l2 < 0 || weightDecay < 0) {
      throw new IllegalArgumentException("l2 and weight decay must not be negative");
    }
    if (!(clipNorm >= 0)) {
      throw new IllegalArgumentException("clip norm must not be negative, got " + clipNorm);
    }
    if (schedule.floor() > learningRate) {
      throw new IllegalArgumentException(
          "schedule floor " + schedule.floor() + " is above the learning rate " + learningRate);
    }
  }

  /** A constant learning rate and no clipping. */
  public OptimizerSpec(
      Kind kind,
      double learningRate,
      double momentum,
      double beta1,
      double beta2,
      double epsilon,
      double l2,
      double weightDecay) {
    this(
        kind,
        learningRate,
        momentum,
        beta1,
        beta2,
        epsilon,
        l2,
        weightDecay,
        LearningRateSchedule.CONSTANT,
        0);
  }

  /** Adam with the usual defaults (beta1 0.9, beta2 0.999, epsilon 1e-8). */
  public static OptimizerSpec adam(double learningRate) {
    return new OptimizerSpec(Kind.ADAM, learningRate, 0, 0.9, 0.999, 1e-8, 0, 0);
  }

  /** AdamW: Adam with decoupled weight decay. */
  public static OptimizerSpec adamw(double learningRate, double weightDecay) {
    return new OptimizerSpec(Kind.ADAMW, learningRate, 0, 0.9, 0.999, 1e-8, 0, weightDecay);
  }

  public static OptimizerSpec sgd(double learningRate) {
    return new OptimizerSpec(Kind.SGD, learningRate, 0, 0.9, 0.999, 1e-8, 0, 0);
  }

  public static OptimizerSpec momentum(double learningRate, double momentum) {
    return new OptimizerSpec(Kind.MOMENTUM, learningRate, momentum, 0.9, 0.999, 1e-8, 0, 0);
  }

  public static OptimizerSpec nesterov(double learningRate, double momentum) {
    return new OptimizerSpec(Kind.NESTEROV, learningRate, momentum, 0.9, 0.999, 1e-8, 0, 0);
  }

  /** RMSProp with decay 0.95 and epsilon 1e-8. */
  public static OptimizerSpec rmsprop(double learningRate) {
    return new OptimizerSpec(Kind.RMSPROP, learningRate, 0, 0.9, 0.95, 1e-8, 0, 0);
  }

  /** AdaGrad with epsilon 1e-6. */
  public static OptimizerSpec adagrad(double learningRate) {
    return new OptimizerSpec(Kind.ADAGRAD, learningRate, 0, 0.9, 0.999, 1e-6, 0, 0);
  }

  public OptimizerSpec withSchedule(LearningRateSchedule schedule) {
    return new OptimizerSpec(
        kind, learningRate, momentum, beta1, beta2, epsilon, l2, weightDecay, schedule, clipNorm);
  }

  public OptimizerSpec withClipNorm(double clipNorm) {
    return new OptimizerSpec(
        kind, learningRate, momentum, beta1, beta2, epsilon, l2, weightDecay, schedule, clipNorm);
  }

  public OptimizerSpec withL2(double l2) {
    return new OptimizerSpec(
        kind, learningRate, momentum, beta1, beta2, epsilon, l2, weightDecay, schedule, clipNorm);
  }

  /** The learning rate at step {@code iteration}. */
  public double learningRate(long iteration) {
    return schedule.rate(learningRate, iteration);
  }

  /** Length of the optimizer state for {@code n} trainable parameters. */
  long stateSize(long n) {
    return n * stateComponents();
  }

  /**
   * How many vectors as long as the trainable parameters the optimizer state holds, one after the
   * other: 0 for SGD, 1 for the velocity or running average of momentum, Nesterov, RMSProp and
   * AdaGrad, 2 for Adam's first and second moments. A shard {@code [from, to)} of the parameters
   * owns {@code [from, to)} of each.
   */
  public int stateComponents() {
    return kind == Kind.MOMENTUM ? 1 : (int) updater().stateSize(1);
  }

  /** The update rule, its state in {@code state} ({@link #stateSize} long; null when 0). */
  UpdateRule rule(INDArray state) {
    if (kind == Kind.MOMENTUM) {
      return new HeavyBallMomentum(state, momentum, learningRate, schedule);
    }
    // Stateless rules (plain SGD) refuse a view; the others keep theirs in the flat buffer.
    GradientUpdater<?> updater =
        updater().instantiate(state == null ? null : state.reshape(1, state.length()), true);
    return updater::applyUpdater;
  }

  private IUpdater updater() {
    IUpdater config =
        switch (kind) {
          case SGD -> new Sgd(learningRate);
          case NESTEROV -> new Nesterovs(learningRate, momentum);
          case ADAM, ADAMW -> new Adam(learningRate, beta1, beta2, epsilon);
          case RMSPROP -> new RmsProp(learningRate, beta2, epsilon);
          case ADAGRAD -> new AdaGrad(learningRate, epsilon);
          case MOMENTUM -> throw new IllegalStateException("momentum has its own rule");
        };
    config.setLrAndSchedule(Double.NaN, new ScheduleAdapter(learningRate, schedule));
    return config;
  }
}
