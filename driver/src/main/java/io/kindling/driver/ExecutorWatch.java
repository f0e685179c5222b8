package io.kindling.driver;

import java.io.PrintStream;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;

/**
 * Reports a lost executor as it happens. Nothing else is needed: Spark reruns the lost tasks and
 * every round is deterministic, so the rerun returns exactly what the lost task would have.
 */
final class ExecutorWatch extends SparkListener {
  private final PrintStream out;

  ExecutorWatch(PrintStream out) {
    this.out = out;
  }

  @Override
  public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
    out.println(
        "kindling: lost executor "
            + removed.executorId()
            + " ("
            + removed.reason()
            + "); Spark reruns its tasks, which recompute the same results");
    out.flush();
  }
}
