package io.kindling.kernels;

import java.util.Locale;

/**
 * How the learning rate changes with the step number t (0-based), relative to the optimizer's base
 * rate. An optional linear warm-up first ramps the rate to the base over {@code warmupSteps} steps
 * ({@code base * (t + 1) / warmupSteps}); the decay then counts steps from the end of the warm-up.
 *
 * @param decay the decay rule
 * @param factor the multiplier of {@link Decay#STEP} and {@link Decay#EXPONENTIAL}
 * @param steps the period of STEP and EXPONENTIAL, the horizon of {@link Decay#COSINE}
 * @param floor the rate COSINE ends at (absolute, not relative)
 * @param warmupSteps length of the linear warm-up; 0 for none
 */
public record LearningRateSchedule(
    Decay decay, double factor, int steps, double floor, int warmupSteps)
    implements java.io.Serializable {

  /** The decay rules. */
  public enum Decay {
    /** The base rate throughout. */
    CONSTANT,
    /** {@code base * factor ^ floor(t / steps)}: a drop by factor every {@code steps} steps. */
    STEP,
    /** {@code base * factor ^ (t / steps)}: the same drop, spread smoothly over each period. */
    EXPONENTIAL,
    /**
     * {@code floor + (base - floor) (1 + cos(pi min(t, steps) / steps)) / 2}: half a cosine from
     * the base to the floor over {@code steps} steps, then the floor.
     */
    COSINE;

    public String configName() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Decay parse(String name) {
      for (Decay d : values()) {
        if (d.configName().equalsIgnoreCase(name)) {
          return d;
        }
      }
      throw new IllegalArgumentException(
          "unknown learning-rate schedule '" + name + "'; use one of " + Names.of(values()));
    }
  }

  public static final LearningRateSchedule CONSTANT =
      new LearningRateSchedule(Decay.CONSTANT, 1, 1, 0, 0);

  public LearningRateSchedule {
    if (decay == null) {
      throw new IllegalArgumentException("schedule: decay is missing");
    }
    if (!(factor > 0 && factor <= 1)) {
      throw new IllegalArgumentException("schedule: factor must be in (0, 1], got " + factor);
    }
    if (steps <= 0) {
      throw new IllegalArgumentException("schedule: steps must be positive, got " + steps);
    }
    if (!(floor >= 0)) {
      throw new IllegalArgumentException("schedule: floor must not be negative, got " + floor);
    }
    if (warmupSteps < 0) {
      throw new IllegalArgumentException(
          "schedule: warm-up steps must not be negative, got " + warmupSteps);
    }
  }

  /** Multiply the rate by {@code factor} every {@code every} steps. */
  public static LearningRateSchedule step(double factor, int every) {
    return new LearningRateSchedule(Decay.STEP, factor, every, 0, 0);
  }

  /** Multiply the rate by {@code factor} over every {@code every} steps, continuously. */
  public static LearningRateSchedule exponential(double factor, int every) {
    return new LearningRateSchedule(Decay.EXPONENTIAL, factor, every, 0, 0);
  }

  /** Cosine decay from the base rate to {@code floor} over {@code horizon} steps. */
  public static LearningRateSchedule cosine(int horizon, double floor) {
    return new LearningRateSchedule(Decay.COSINE, 1, horizon, floor, 0);
  }

  /** This schedule after a linear warm-up of {@code steps} steps. */
  public LearningRateSchedule withWarmup(int steps) {
    return new LearningRateSchedule(decay, factor, this.steps, floor, steps);
  }

  /** The learning rate at step {@code iteration} for base rate {@code base}. */
  public double rate(double base, long iteration) {
    if (iteration < warmupSteps) {
      return base * (iteration + 1) / warmupSteps;
    }
    long t = iteration - warmupSteps;
    return switch (decay) {
      case CONSTANT -> base;
      case STEP -> base * Math.pow(factor, t / steps);
      case EXPONENTIAL -> base * Math.pow(factor, (double) t / steps);
      case COSINE ->
          floor + (base - floor) * (1 + Math.cos(Math.PI * Math.min(t, steps) / steps)) / 2;
    };
  }
}
