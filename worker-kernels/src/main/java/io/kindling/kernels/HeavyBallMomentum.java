package io.kindling.kernels;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Plain (heavy-ball) momentum, which ND4J lacks: {@code v = momentum * v + g}, step {@code = lr *
 * v}. The velocity is a view of the optimizer-state buffer.
 */
final class HeavyBallMomentum implements UpdateRule {
  private final INDArray velocity;
  private final double momentum;
  private final double learningRate;
  private final LearningRateSchedule schedule;

  HeavyBallMomentum(
      INDArray velocity, double momentum, double learningRate, LearningRateSchedule schedule) {
    this.velocity = velocity;
    this.momentum = momentum;
    this.learningRate = learningRate;
    this.schedule = schedule;
  }

  @Override
  public void apply(INDArray gradient, int iteration, int epoch) {
    velocity.muli(momentum).addi(gradient);
    gradient.assign(velocity).muli(schedule.rate(learningRate, iteration));
  }
}
