package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class StepThreadsTest {
  @Test
  void everyPartyRunsOnItsOwnThreadAndTheBarrierOrdersThem() {
    StepThreads team = new StepThreads(3);
    long[] written = new long[3];
    long[] seen = new long[3];
    Set<Thread> threads = ConcurrentHashMap.newKeySet();
    for (int run = 1; run <= 2000; run++) {
      long value = run;
      team.run(
          p -> {
            threads.add(Thread.currentThread());
            written[p] = value * 10 + p;
            team.await();
            // After the barrier every party's write of this run is visible to every party.
            seen[p] = written[0] + written[1] + written[2];
            team.await();
          });
      for (int p = 0; p < 3; p++) {
        assertThat(seen[p]).as("run %d, party %d", run, p).isEqualTo(30 * value + 3);
      }
    }
    assertThat(threads).contains(Thread.currentThread()).hasSize(3);
  }

  @Test
  void aPartysFailureEndsTheRunWithItsOwnErrorAndTheNextRunWorks() {
    StepThreads team = new StepThreads(3);
    for (int failing = 0; failing < 3; failing++) {
      int f = failing;
      assertThatThrownBy(
              () ->
                  team.run(
                      p -> {
                        if (p == f) {
                          throw new IllegalArgumentException("party " + p + " failed");
                        }
                        team.await(); // the others wait here until the failure ends the run
                      }))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessage("party " + f + " failed");
      Set<Integer> ran = new HashSet<>();
      team.run(
          p -> {
            team.await();
            synchronized (ran) {
              ran.add(p);
            }
          });
      assertThat(ran).containsExactlyInAnyOrder(0, 1, 2);
    }
  }

  @Test
  void onePartyRunsOnTheCaller() {
    StepThreads team = new StepThreads(1);
    Thread[] ran = new Thread[1];
    team.run(
        p -> {
          team.await();
          ran[p] = Thread.currentThread();
        });
    assertThat(ran[0]).isSameAs(Thread.currentThread());
  }
}
