package io.kindling.driver;

import io.kindling.kernels.LayerSpec;
import io.kindling.kernels.NetworkSpec;
import io.kindling.sync.Communication;
import io.kindling.sync.TrainingPlan;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.network.util.JavaUtils;
import org.bytedeco.javacpp.Pointer;

/**
 * The memory preflight: before the first round, work out what each executor needs, off the heap
 * (ND4J's runtime, parameter, gradient and optimizer copies, activations of a minibatch) and on it
 * (its share of the cached training data and the model state each round brings), and compare with
 * what the configuration gives it. Too little stops the job at once with the settings that would
 * work, instead of an executor lost to the resource manager an hour later.
 */
final class MemoryPlan {
  /** libnd4j, OpenBLAS and JavaCPP bookkeeping in one JVM, measured roughly on linux-x86_64. */
  static final long RUNTIME_BYTES = 320L << 20;

  private static final long MIB = 1L << 20;

  /**
   * JavaCPP's cap on a JVM's resident memory (heap included), which it enforces on ND4J's
   * allocations. Its {@code maxbytes} cap is not read: ND4J's arrays do not count towards it.
   */
  private static final Pattern MAX_PHYSICAL_BYTES =
      Pattern.compile(
          "-Dorg\\.bytedeco\\.javacpp\\.maxphysicalbytes=(\\S+)", Pattern.CASE_INSENSITIVE);

  private MemoryPlan() {}

  /**
   * How the workers synchronise, as far as memory goes.
   *
   * @param name {@code train.sync}
   * @param topK the all-reduce's share of gradient entries sent per step (0: dense)
   * @param lagging whether ring averaging's averages run in the background, each task holding a
   *     snapshot of its parameters and their sum in flight
   */
  record Sync(String name, double topK, boolean lagging) {
    static final Sync AVERAGING = new Sync("averaging", 0, false);
    static final Sync ALLREDUCE = new Sync("allreduce", 0, false);

    static Sync of(JobConfig.Train train) {
      return new Sync(
          train.sync(),
          train.sync().equals("allreduce") ? train.allreduceTopk() : 0,
          train.averageLag() > 0);
    }

    /** Whether each task holds only its 1/W of the optimizer state. */
    boolean sharded() {
      return name.equals("allreduce");
    }

    /** Whether the tasks talk over a ring, with its frame buffers. */
    boolean ring() {
      return !name.equals("averaging");
    }
  }

  /**
   * Native bytes one worker task needs while training: the full parameters and gradients, the
   * optimizer state (all of it when averaging; with the sharded all-reduce only the task's 1/W
   * shard, plus shard-sized copies of its parameters and gradients), and per layer the output, a
   * pre-activation copy, the gradient flowing back and a temporary, for a whole minibatch. A task
   * whose threads share each minibatch holds one more copy of the parameters and gradients per
   * extra thread; the minibatch's activations are split among them.
   */
  static long nativeBytesPerTask(TrainingPlan plan, Sync sync, int workers) {
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
    long columns = firstLayerColumns(spec);
    int components = plan.optimizer().stateComponents();
    long optimizer =
        sync.sharded()
            ? (2L + components) * shard(trainable, workers)
            : (long) components * trainable;
    long copies = plan.threadsPerWorker();
    long ringBuffers = sync.ring() ? 2L * 4 * (Communication.FRAME_FLOATS + 4) : 0;
    return 4L * (copies * (all + trainable) + optimizer)
        + 4L * plan.batchSize() * (4 * activations + columns)
        + ringBuffers;
  }

  /**
   * Values per example of the im2col matrix a convolution (or patch embedding) keeps from its
   * forward to its backward pass when it is the network's first layer with parameters (channels x
   * kernel x output positions), else 0.
   */
  static long firstLayerColumns(NetworkSpec spec) {
    List<int[]> shapes = spec.shapes();
    for (int i = 0; i < spec.layers().size(); i++) {
      LayerSpec layer = spec.layers().get(i);
      int[] in = shapes.get(i);
      if (layer.numParams(in) == 0) {
        continue;
      }
      int[] out = shapes.get(i + 1);
      if (layer instanceof LayerSpec.Conv2d c) {
        return (long) in[0] * c.kernelHeight() * c.kernelWidth() * out[1] * out[2];
      }
      if (layer instanceof LayerSpec.PatchEmbedding p) {
        return (long) in[0] * p.patch() * p.patch() * out[0]; // out: [patches, dim]
      }
      return 0;
    }
    return 0;
  }

  /**
   * Heap bytes the model state takes in one executor running {@code tasks} tasks. Every round
   * broadcasts the whole state, parameters and all the optimizer state in either mode, which an
   * executor holds twice (the fetched pieces and the value). Each averaging task fills a state
   * vector of its own and returns it; each all-reduce task copies the parameters and the gradient
   * and returns its optimizer shard, one of them the parameters too. A result is serialised for the
   * driver into a growing buffer and copied once more into its message: about three times its size
   * at the peak. A ring task also holds a frame of received values and, with top-k gradients, a
   * residual and magnitudes as long as the gradient and everyone's gathered pairs.
   */
  static long stateHeapBytes(TrainingPlan plan, Sync sync, int workers, int tasks) {
    long all = plan.network().numParams();
    long trainable = plan.network().numTrainableParams();
    int components = plan.optimizer().stateComponents();
    long state = all + components * trainable;
    long perTask;
    long results;
    if (sync.sharded()) {
      long optimizerShard = components * shard(trainable, workers);
      perTask = all + trainable + optimizerShard;
      results = all + tasks * optimizerShard;
    } else {
      perTask = state;
      results = tasks * state;
    }
    if (sync.ring()) {
      perTask += Communication.FRAME_FLOATS;
    }
    if (sync.lagging()) {
      perTask += 2 * all;
    }
    if (sync.topK() > 0) {
      perTask += 2 * trainable + 2 * (long) Math.ceil(sync.topK() * trainable) * workers;
    }
    return 4L * (2 * state + tasks * perTask + 3 * results);
  }

  /**
   * Throws a {@link ConfigException} naming the settings to change when memory is too small.
   *
   * @param sync how the workers synchronise
   */
  static void check(
      SparkConf conf, TrainingPlan plan, long trainingValues, int workers, Sync sync) {
    boolean local = conf.get("spark.master", "local").startsWith("local");
    int tasksPerExecutor = local ? workers : conf.getInt("spark.executor.cores", 1);
    long nativeNeed = nativeNeed(plan, sync, workers, tasksPerExecutor);
    long dataHeap = 4L * trainingValues / workers * Math.min(workers, tasksPerExecutor) * 2;
    long stateHeap = stateHeapBytes(plan, sync, workers, tasksPerExecutor);
    long heapNeed = dataHeap + stateHeap;
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
                "the cached training data and model state need about %d MiB of heap but the driver has %d MiB (set KINDLING_DRIVER_MEMORY=%dg); ",
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
                "each executor needs about %d MiB off-heap for ND4J (%d task(s) x %d MiB + %d MiB runtime) but spark.executor.memoryOverhead gives %d MiB (set --conf spark.executor.memoryOverhead=%dm%s); ",
                nativeNeed / MIB,
                tasksPerExecutor,
                nativeBytesPerTask(plan, sync, workers) / MIB,
                RUNTIME_BYTES / MIB,
                overhead / MIB,
                nativeNeed / MIB + 256,
                sync.sharded() ? "" : orSharded(plan, workers, tasksPerExecutor, overhead)));
      }
      long physical = executorPhysicalLimit(conf);
      if (physical > 0 && executorMemory + nativeNeed > physical) {
        problems.append(
            String.format(
                Locale.ROOT,
                "each executor may hold about %d MiB (spark.executor.memory plus %d MiB off-heap) but -Dorg.bytedeco.javacpp.maxphysicalbytes in spark.executor.extraJavaOptions caps it at %d MiB (set it to %dm); ",
                (executorMemory + nativeNeed) / MIB,
                nativeNeed / MIB,
                physical / MIB,
                (executorMemory + nativeNeed) / MIB + 256));
      }
      double storage = executorMemory * conf.getDouble("spark.memory.fraction", 0.6);
      if (heapNeed > storage) {
        problems.append(
            String.format(
                Locale.ROOT,
                "each executor's heap holds about %d MiB (cached training data %d MiB, model state %d MiB) but spark.executor.memory=%s leaves %d MiB for storage (set --conf spark.executor.memory=%dg, or use more workers); ",
                heapNeed / MIB,
                dataHeap / MIB,
                stateHeap / MIB,
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

  private static long nativeNeed(TrainingPlan plan, Sync sync, int workers, int tasksPerExecutor) {
    return RUNTIME_BYTES + tasksPerExecutor * nativeBytesPerTask(plan, sync, workers);
  }

  /** The all-reduce as the alternative, when sharding the optimizer state makes it fit. */
  private static String orSharded(TrainingPlan plan, int workers, int tasks, long overhead) {
    long need = nativeNeed(plan, Sync.ALLREDUCE, workers, tasks);
    return need > overhead
        ? ""
        : String.format(
            Locale.ROOT,
            ", or --set train.sync=allreduce, which shards the optimizer state over the %d workers and needs about %d MiB",
            workers,
            need / MIB);
  }

  /** The executors' JavaCPP cap on resident memory; 0 when unset or relative (a percentage). */
  private static long executorPhysicalLimit(SparkConf conf) {
    Matcher m = MAX_PHYSICAL_BYTES.matcher(conf.get("spark.executor.extraJavaOptions", ""));
    if (!m.find()) {
      return 0;
    }
    try {
      return JavaUtils.byteStringAsBytes(m.group(1));
    } catch (NumberFormatException e) {
      return 0; // e.g. "50%": relative to the heap, which JavaCPP resolves itself
    }
  }

  private static long shard(long trainable, int workers) {
    return (trainable + workers - 1) / workers;
  }

  /** Spark reads a bare memory number as MiB in some keys: make the unit explicit. */
  private static String withUnit(String value, String unit) {
    return value.chars().allMatch(Character::isDigit) ? value + unit : value;
  }
}
