package io.kindling.sync;

import io.kindling.kernels.Network;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * Averages of the parameters computed in the background, for {@link RingAveraging}: at an averaging
 * step a worker hands a snapshot of its parameters to a thread of its own that sums it over the
 * ring, and trains on; a fixed number of steps later (the lag) it adds what the mean differed from
 * its snapshot ({@code x += mean - snapshot}), keeping the progress it made meanwhile. The exchange
 * leaves the critical path, and a worker ahead of its peers waits for them only when it is more
 * than the lag ahead, instead of at every average.
 *
 * <p>Deterministic: the step where an average is taken and the step where it lands are fixed by
 * step numbers alone, never by timing, and the ring's sum does not depend on timing either.
 *
 * <p>One owner thread calls {@link #next} and {@link #land}; the background thread touches the ring
 * only between a hand-over and its completion, while the owner does not.
 */
final class OverlappedAverage implements AutoCloseable {
  private final RingCollective ring;
  private final Network network;
  private final float inverse;
  private final float[] snapshot;
  private final float[] sum;
  private final Thread owner = Thread.currentThread();
  private Thread thread;

  /** Exchanges handed to the background thread; written by the owner. */
  private volatile int handedOver;

  /** Exchanges the background thread has finished, with or without failure. */
  private volatile int finished;

  /** Exchanges whose average the owner has added to its parameters. */
  private int landed;

  private volatile Throwable failure;
  private volatile boolean closed;
  private long waitNanos;

  /**
   * @param network the worker's network
   * @param numParams the parameters, which lead the network's state
   * @param contributors workers whose parameters make up the mean
   * @param contributes whether this worker is one of them; one without rows sends zeros and
   *     corrects nothing
   */
  OverlappedAverage(
      RingCollective ring, Network network, int numParams, int contributors, boolean contributes) {
    this.ring = ring;
    this.network = contributes ? network : null;
    this.inverse = 1f / contributors;
    this.snapshot = new float[numParams];
    this.sum = new float[numParams];
  }

  /**
   * At an averaging step that is not the round's last, with the average before landed: hands the
   * parameters as they now stand to the background exchange.
   *
   * @param landedNow whether {@link #land} ran since the last step, leaving the parameters in the
   *     snapshot already
   */
  void next(boolean landedNow) throws IOException {
    if (landed != handedOver) {
      throw new IllegalStateException("the average before has not landed");
    }
    if (!landedNow && network != null) {
      network.readParams(snapshot, 0);
    }
    if (network != null) {
      System.arraycopy(snapshot, 0, sum, 0, sum.length);
    } else {
      Arrays.fill(sum, 0f); // the last exchange left the sum here
    }
    if (thread == null) {
      thread = new Thread(this::exchange, "kindling-ring-average-" + ring.rank());
      thread.setDaemon(true);
      thread.start();
    }
    handedOver++;
    LockSupport.unpark(thread);
  }

  /**
   * Waits for the exchange in flight, if any, and adds its average's difference from the snapshot
   * to the parameters; returns whether it did, leaving the parameters as they now stand in the
   * snapshot.
   */
  boolean land() throws IOException {
    if (landed == handedOver) {
      return false;
    }
    awaitExchange();
    landed++;
    if (network == null) {
      return false;
    }
    float[] s = sum;
    float[] x = snapshot;
    for (int i = 0; i < s.length; i++) {
      s[i] = s[i] * inverse - x[i];
    }
    network.readParams(x, 0);
    for (int i = 0; i < s.length; i++) {
      x[i] += s[i];
    }
    network.writeParams(x, 0);
    return true;
  }

  /** How long the owner has waited for exchanges to finish. */
  long waitNanos() {
    return waitNanos;
  }

  private void awaitExchange() throws IOException {
    long began = System.nanoTime();
    while (finished != handedOver) {
      LockSupport.park(this);
      if (owner.isInterrupted()) {
        throw new InterruptedIOException("interrupted while waiting for a background average");
      }
    }
    waitNanos += System.nanoTime() - began;
    Throwable f = failure;
    if (f != null) {
      throw f instanceof IOException io
          ? io
          : new IOException("the background average failed: " + f.getMessage(), f);
    }
  }

  /** The background thread: one all-reduce per hand-over, until closed. */
  private void exchange() {
    ring.waitInBackground(true);
    int done = 0;
    while (!closed) {
      if (done == handedOver) {
        LockSupport.park(this);
        continue;
      }
      try {
        if (failure == null) {
          ring.allReduce(sum, 0, sum.length);
        }
      } catch (Throwable t) { // handed to the owner, which fails the task with it
        failure = t;
      }
      finished = ++done;
      LockSupport.unpark(owner);
    }
    ring.waitInBackground(false);
  }

  /**
   * Stops the background thread and waits for it, interrupting an exchange still in flight (the
   * round is failing): the ring must not be closed under it.
   */
  @Override
  public void close() {
    closed = true;
    if (thread == null) {
      return;
    }
    if (finished != handedOver) {
      thread.interrupt();
    }
    LockSupport.unpark(thread);
    boolean interrupted = false;
    while (thread.isAlive()) {
      try {
        thread.join();
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      owner.interrupt();
    }
  }
}
