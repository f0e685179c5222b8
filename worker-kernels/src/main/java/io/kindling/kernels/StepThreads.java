package io.kindling.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The threads that share each training step: {@link #run} runs party 0 of a task on the caller and
 * parties 1, 2, ... on threads of their own, and {@link #await} is a barrier between them.
 * Hand-over, barrier and completion spin before they park: parking and waking a thread took 40-150
 * microseconds here, three times a step (with a thread pool's hand-over and a {@link
 * java.util.concurrent.Phaser} the 2-thread step of the dense network 784-256-128-10 took 1.68 ms,
 * with this 1.52).
 *
 * <p>An idle party thread parks after a short spin and ends after a minute without work, so a team
 * nobody uses any more leaves no thread behind; the next {@link #run} starts a new one.
 */
final class StepThreads {
  /**
   * How long a waiting thread spins before it parks: longer than the usual wait, far below a step.
   */
  private static final long SPIN_NANOS = 200_000;

  /** How long a parked waiter sleeps between checks. */
  private static final long POLL_NANOS = 20_000;

  /** How long a party thread waits for work before it ends. */
  private static final long IDLE_NANOS = 60_000_000_000L;

  private static final int WAITING = 0;
  private static final int POSTED = 1;
  private static final int ENDED = 2;

  /** What the threads share; holds no task between runs, so an idle thread pins nothing. */
  private static final class Shared {
    final AtomicInteger[] states;
    final AtomicInteger finished = new AtomicInteger();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    volatile IntConsumer task;
    volatile Barrier barrier;

    Shared(int parties) {
      this.states = new AtomicInteger[parties];
      for (int p = 1; p < parties; p++) {
        states[p] = new AtomicInteger(ENDED);
      }
      this.barrier = new Barrier(parties);
    }
  }

  private final Shared shared;
  private final Thread[] threads;

  StepThreads(int parties) {
    if (parties < 1) {
      throw new IllegalArgumentException("parties must be at least 1, got " + parties);
    }
    this.shared = new Shared(parties);
    this.threads = new Thread[parties];
  }

  /**
   * Runs {@code task} for every party, party 0 on the calling thread, and returns when all have
   * finished. A party's failure ends the others' waits at {@link #await} and is rethrown here.
   */
  void run(IntConsumer task) {
    Shared s = shared;
    s.task = task;
    s.finished.set(0);
    for (int p = 1; p < threads.length; p++) {
      if (s.states[p].compareAndSet(WAITING, POSTED)) {
        LockSupport.unpark(threads[p]);
      } else { // its thread ended after a long idle spell
        s.states[p].set(POSTED);
        threads[p] = start(s, p);
      }
    }
    runParty(s, 0);
    long began = System.nanoTime();
    while (s.finished.get() < threads.length - 1) {
      pause(began);
    }
    s.task = null;
    Throwable failure = s.failure.getAndSet(null);
    if (failure != null) {
      s.barrier = new Barrier(threads.length);
      if (failure instanceof Error e) {
        throw e;
      }
      throw (RuntimeException) failure;
    }
  }

  /** Waits until every party of the current {@link #run} has called this as often. */
  void await() {
    shared.barrier.await();
  }

  private static void runParty(Shared s, int party) {
    try {
      s.task.accept(party);
    } catch (RuntimeException | Error e) {
      // The first failure says why; the others only saw the barrier break.
      if (!(e instanceof PartyFailed)) {
        s.failure.compareAndSet(null, e);
      }
      s.barrier.breakBarrier();
    }
  }

  private static Thread start(Shared s, int party) {
    Thread t = new Thread(() -> serve(s, party), "kindling-step-part-" + party);
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** A party thread: waits for posted work, runs it, and ends after a long idle spell. */
  private static void serve(Shared s, int party) {
    AtomicInteger state = s.states[party];
    while (true) {
      long idle = System.nanoTime();
      while (state.get() != POSTED) {
        long waited = System.nanoTime() - idle;
        if (waited < SPIN_NANOS) {
          Thread.onSpinWait();
        } else if (waited < IDLE_NANOS) {
          LockSupport.parkNanos(IDLE_NANOS - waited); // the poster unparks
        } else if (state.compareAndSet(WAITING, ENDED)) {
          return;
        }
      }
      runParty(s, party);
      state.set(WAITING); // before finishing: the next run may post as soon as all have finished
      s.finished.incrementAndGet();
    }
  }

  /**
   * One turn of a wait within a run that began at {@code began}: spin at first, then sleep in short
   * naps (a party that waits this long waits on a much longer computation).
   */
  private static void pause(long began) {
    if (System.nanoTime() - began < SPIN_NANOS) {
      Thread.onSpinWait();
    } else {
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  /** Thrown at {@link #await} in the parties of a run in which another party failed. */
  static final class PartyFailed extends IllegalStateException {
    PartyFailed() {
      super("another thread of the training step failed");
    }
  }

  /** A reusable barrier of a fixed number of parties, broken for good by a failure. */
  private static final class Barrier {
    private final int parties;
    private final AtomicInteger arrived = new AtomicInteger();
    private volatile int generation;
    private volatile boolean broken;

    Barrier(int parties) {
      this.parties = parties;
    }

    void await() {
      int current = generation;
      if (broken) {
        throw new PartyFailed();
      }
      if (arrived.incrementAndGet() == parties) {
        arrived.set(0); // before the release: released parties may arrive at the next barrier
        generation = current + 1;
        return;
      }
      long began = System.nanoTime();
      while (generation == current) {
        if (broken) {
          throw new PartyFailed();
        }
        pause(began);
      }
    }

    void breakBarrier() {
      broken = true;
    }
  }
}
