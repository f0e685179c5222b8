package io.kindling.sync;

import io.kindling.kernels.ComputeThreads;
import io.kindling.kernels.LocalTrainer;
import io.kindling.kernels.MinibatchGradient;
import io.kindling.kernels.Network;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;

/**
 * Trainers kept alive in each executor JVM between rounds, so a round reuses warm native buffers
 * and workspaces instead of building a network per task. A trainer's state is always overwritten
 * from the round's broadcast, so reuse cannot leak one round into the next. Parameter averaging
 * borrows whole trainers; the sharded all-reduce borrows only the gradient computation, since each
 * of its tasks holds just its own shard of the optimizer state.
 */
final class TrainerPool {
  private static final Map<TrainingPlan, Queue<LocalTrainer>> TRAINERS = new ConcurrentHashMap<>();
  private static final Map<TrainingPlan, Queue<MinibatchGradient>> GRADIENTS =
      new ConcurrentHashMap<>();

  private TrainerPool() {}

  static LocalTrainer borrow(TrainingPlan plan) {
    return borrow(
        TRAINERS,
        plan,
        p ->
            new LocalTrainer(
                Network.create(p.network(), p.seed()),
                p.optimizer(),
                p.batchSize(),
                0,
                p.threadsPerWorker()));
  }

  static void release(TrainingPlan plan, LocalTrainer trainer) {
    TRAINERS.get(plan).add(trainer);
  }

  static MinibatchGradient borrowGradient(TrainingPlan plan) {
    return borrow(
        GRADIENTS,
        plan,
        p ->
            new MinibatchGradient(
                Network.create(p.network(), p.seed()), p.batchSize(), p.threadsPerWorker()));
  }

  static void release(TrainingPlan plan, MinibatchGradient gradient) {
    GRADIENTS.get(plan).add(gradient);
  }

  private static <T> T borrow(
      Map<TrainingPlan, Queue<T>> pool, TrainingPlan plan, Function<TrainingPlan, T> create) {
    // A worker's threads each take a part of every minibatch (see MinibatchGradient), with one
    // BLAS/OpenMP thread apiece: more would have the tasks of an executor fight for its cores.
    ComputeThreads.ensure(1);
    T pooled = pool.computeIfAbsent(plan, p -> new ConcurrentLinkedQueue<>()).poll();
    return pooled != null ? pooled : create.apply(plan);
  }
}
