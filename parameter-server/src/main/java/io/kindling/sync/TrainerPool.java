package io.kindling.sync;

import io.kindling.kernels.ComputeThreads;
import io.kindling.kernels.LocalTrainer;
import io.kindling.kernels.Network;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Trainers kept alive in each executor JVM between rounds, so a round reuses warm native buffers
 * and workspaces instead of building a network per task. A trainer's state is always overwritten
 * from the round's broadcast, so reuse cannot leak one round into the next.
 */
final class TrainerPool {
  private static final Map<TrainingPlan, Queue<LocalTrainer>> POOL = new ConcurrentHashMap<>();
  private static volatile int threads;

  private TrainerPool() {}

  static LocalTrainer borrow(TrainingPlan plan) {
    if (threads != plan.threadsPerWorker()) {
      synchronized (TrainerPool.class) {
        if (threads != plan.threadsPerWorker()) {
          ComputeThreads.set(plan.threadsPerWorker());
          threads = plan.threadsPerWorker();
        }
      }
    }
    LocalTrainer t = POOL.computeIfAbsent(plan, p -> new ConcurrentLinkedQueue<>()).poll();
    if (t != null) {
      return t;
    }
    return new LocalTrainer(
        Network.create(plan.network(), plan.seed()), plan.optimizer(), plan.batchSize());
  }

  static void release(TrainingPlan plan, LocalTrainer trainer) {
    POOL.get(plan).add(trainer);
  }
}
