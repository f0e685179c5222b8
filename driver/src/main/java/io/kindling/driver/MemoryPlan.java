package io.kindling.driver;

import io.kindling.kernels.NetworkSpec;
import io.kindling.sync.TrainingPlan;
import java.util.Locale;
import org.apache.spark.SparkConf;
import org.apache.spark.network.util.JavaUtils;
import org.bytedeco.javacpp.Pointer;

/**
 * The memory preflight: before the first round, work out what each executor needs, off the heap
 * (ND4J's runtime, parameter, gradient and optimizer copies, activations of a minibatch) and on it
 * (its share of the cached training data), and compare with what the configuration gives it. Too
 * little stops the job at once with the settings that would work, instead of an executor lost to
 * the resource manager an hour later.
 */
final class MemoryPlan {
  /** libnd4j, OpenBLAS and JavaCPP bookkeeping in one JVM, measured roughly on linux-x86_64. */
  static final long RUNTIME_BYTES = 320L << 20;

  private static final long MIB = 1L << 20;

  private MemoryPlan() {}

  /**
   * Native bytes one worker task needs while training: the full parameters and gradients, the
   * optimizer state (all of it when averaging; with the sharded all-reduce only the task's 1/W
   * shard, plus shard-sized copies of its parameters and gradients), and per layer the output, a
   * pre-activation copy, the gradient flowing back and a temporary, for a whole minibatch.
   */
  static long nativeBytesPerTask(TrainingPlan plan, boolean sharded, int workers) {
    NetworkSpec spec = plan.network();
    long activations = 0;
    for (int[] shape : spec.shapes()) {
      long n = 1;
      for (int d : shape) {
        n *= d;
      }
      activations += n;
    }
    long all = spec.numParams();
    long trainable = spec.numTrainableParams();
    int components = plan.optimizer().stateComponents();
    long optimizer =
        sharded
            ? (2L + components) * ((trainable + workers - 1) / workers)
            : (long) components * trainable;
    return 4L * (all + trainable + optimizer) + 4L * 4 * plan.batchSize() * activations;
  }

  /**
   * Throws a {@link ConfigException} naming the settings to change when memory is too small.
   *
   * @param sharded whether the optimizer state is split among the workers (all-reduce)
   */
  static void check(
      SparkConf conf, TrainingPlan plan, long trainingValues, int workers, boolean sharded) {
    long perTask = nativeBytesPerTask(plan, sharded, workers);
    boolean local = conf.get("spark.master", "local").startsWith("local");
    int tasksPerExecutor = local ? workers : conf.getInt("spark.executor.cores", 1);
    long nativeNeed = RUNTIME_BYTES + tasksPerExecutor * perTask;
    long heapNeed = 4L * trainingValues / workers * Math.min(workers, tasksPerExecutor) * 2;
    StringBuilder problems = new StringBuilder();
    if (local) {
      long physical = Pointer.maxPhysicalBytes();
      if (physical > 0 && nativeNeed + Runtime.getRuntime().maxMemory() > physical) {
        problems.append(
            String.format(
                Locale.ROOT,
                "the driver needs about %d MiB off-heap but JavaCPP allows %d MiB in all (set -Dorg.bytedeco.javacpp.maxphysicalbytes=%dm); ",
                nativeNeed / MIB,
                physical / MIB,
                (nativeNeed + Runtime.getRuntime().maxMemory()) / MIB + 512));
      }
      long heap = Runtime.getRuntime().maxMemory();
      if (heapNeed > heap * 6 / 10) {
        problems.append(
            String.format(
                Locale.ROOT,
                "the cached training data needs about %d MiB of heap but the driver has %d MiB (set KINDLING_DRIVER_MEMORY=%dg); ",
                heapNeed / MIB,
                heap / MIB,
                heapNeed * 2 / (1024 * MIB) + 1));
      }
    } else {
      long executorMemory = JavaUtils.byteStringAsBytes(conf.get("spark.executor.memory", "1g"));
      long overhead =
          conf.contains("spark.executor.memoryOverhead")
              ? JavaUtils.byteStringAsBytes(
                  withUnit(conf.get("spark.executor.memoryOverhead"), "m"))
              : Math.max(384 * MIB, executorMemory / 10);
      if (nativeNeed > overhead) {
        problems.append(
            String.format(
                Locale.ROOT,
                "each executor needs about %d MiB off-heap for ND4J (%d task(s) x %d MiB + %d MiB runtime) but spark.executor.memoryOverhead gives %d MiB (set --conf spark.executor.memoryOverhead=%dm); ",
                nativeNeed / MIB,
                tasksPerExecutor,
                perTask / MIB,
                RUNTIME_BYTES / MIB,
                overhead / MIB,
                nativeNeed / MIB + 256));
      }
      double storage = executorMemory * conf.getDouble("spark.memory.fraction", 0.6);
      if (heapNeed > storage) {
        problems.append(
            String.format(
                Locale.ROOT,
                "each executor caches about %d MiB of training data but spark.executor.memory=%s leaves %d MiB for storage (set --conf spark.executor.memory=%dg, or use more workers); ",
                heapNeed / MIB,
                conf.get("spark.executor.memory", "1g"),
                (long) storage / MIB,
                (long) (heapNeed / 0.6) / (1024 * MIB) + 1));
      }
    }
    if (problems.length() > 0) {
      throw new ConfigException(
          "memory preflight: " + problems.substring(0, problems.length() - 2));
    }
  }

  /** Spark reads a bare memory number as MiB in some keys: make the unit explicit. */
  private static String withUnit(String value, String unit) {
    return value.chars().allMatch(Character::isDigit) ? value + unit : value;
  }
}
