package io.kindling.kernels;

import org.nd4j.linalg.schedule.ISchedule;

/** A {@link LearningRateSchedule} in the form ND4J's updaters read their learning rate. */
final class ScheduleAdapter implements ISchedule {
  private static final long serialVersionUID = 1L;
  private final double base;
  private final LearningRateSchedule schedule;

  ScheduleAdapter(double base, LearningRateSchedule schedule) {
    this.base = base;
    this.schedule = schedule;
  }

  @Override
  public double valueAt(int iteration, int epoch) {
    return schedule.rate(base, iteration);
  }

  @Override
  public ISchedule clone() {
    return this; // immutable
  }
}
