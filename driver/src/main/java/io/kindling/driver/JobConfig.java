package io.kindling.driver;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import io.kindling.data.BadRecordPolicy;
import io.kindling.data.Normaliser;
import io.kindling.kernels.LearningRateSchedule;
import io.kindling.kernels.NetworkSpec;
import io.kindling.kernels.OptimizerSpec;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.storage.StorageLevel;
import org.nd4j.shade.jackson.databind.ObjectMapper;

/**
 * A job's typed configuration, resolved from (weakest first) {@code kindling-defaults.conf}, the
 * job file, {@code KINDLING_CONF_*} environment variables and {@code --set key=value}. Every key
 * must exist in the defaults; an unknown key or a value of the wrong type fails at load, naming the
 * key and where it came from.
 */
public final class JobConfig {
  static final String DEFAULTS = "kindling/kindling-defaults.conf";
  static final String ENV_PREFIX = "KINDLING_CONF_";
  private static final String MODEL = "model";

  private final Config config;
  private final String source;

  private JobConfig(Config config, String source) {
    this.config = config;
    this.source = source;
  }

  /**
   * Loads a job.
   *
   * @param job a job file path, or the name of a job in {@code conf/jobs/} or in the job jar
   * @param home the Kindling folder (holding {@code conf/}), or null inside spark-submit
   */
  public static JobConfig load(String job, Path home, Map<String, String> env, List<String> sets) {
    return resolve(jobFile(job, home), env, sets);
  }

  /**
   * The defaults overridden by {@code settings} in place of a job file: how the Spark ML API
   * configures a job from its parameters.
   *
   * @param settings values by key path, e.g. {@code train.epochs}; a nested map for {@code model}
   * @param origin names the settings in error messages
   */
  public static JobConfig fromSettings(Map<String, ?> settings, String origin) {
    return resolve(ConfigFactory.parseMap(settings, origin), Map.of(), List.of());
  }

  private static JobConfig resolve(Config jobConfig, Map<String, String> env, List<String> sets) {
    Config defaults =
        ConfigFactory.parseResources(
            DEFAULTS, ConfigParseOptions.defaults().setAllowMissing(false));
    Config envConfig = ConfigFactory.empty();
    for (var e : env.entrySet()) {
      if (e.getKey().startsWith(ENV_PREFIX)) {
        String key = envKey(e.getKey().substring(ENV_PREFIX.length()));
        envConfig =
            parseAssignment(key, e.getValue(), "environment variable " + e.getKey())
                .withFallback(envConfig);
      }
    }
    Config setConfig = ConfigFactory.empty();
    for (String s : sets) {
      int eq = s.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException("--set " + s + ": expected key=value");
      }
      setConfig =
          parseAssignment(s.substring(0, eq).trim(), s.substring(eq + 1), "--set " + s)
              .withFallback(setConfig);
    }
    Config user = setConfig.withFallback(envConfig).withFallback(jobConfig);
    rejectUnknownKeys(user, defaults);
    Config resolved;
    try {
      resolved = user.withFallback(defaults).resolve();
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(e.getMessage(), e);
    }
    JobConfig c = new JobConfig(resolved, jobConfig.origin().description());
    c.validate();
    return c;
  }

  /** {@code TRAIN_BATCH__SIZE} -> {@code train.batch-size}: one underscore is a dot, two a dash. */
  static String envKey(String name) {
    return name.toLowerCase(Locale.ROOT)
        .replace("__", "\u0000")
        .replace('_', '.')
        .replace('\u0000', '-');
  }

  private static Config parseAssignment(String key, String value, String origin) {
    try {
      Config parsed =
          ConfigFactory.parseString(
              "v = " + value, ConfigParseOptions.defaults().setOriginDescription(origin));
      return ConfigFactory.empty(origin).withValue(key, parsed.getValue("v"));
    } catch (com.typesafe.config.ConfigException e) {
      // Anything HOCON cannot parse is taken as a plain string: `--set job.name=my run`.
      return ConfigFactory.empty(origin)
          .withValue(key, ConfigValueFactory.fromAnyRef(value, origin));
    }
  }

  private static Config jobFile(String job, Path home) {
    ConfigParseOptions strict = ConfigParseOptions.defaults().setAllowMissing(false);
    try {
      File asFile = new File(job);
      if (asFile.isFile()) {
        return ConfigFactory.parseFile(asFile, strict);
      }
      if (home != null) {
        Path named = home.resolve("conf/jobs").resolve(job + ".conf");
        if (Files.isRegularFile(named)) {
          return ConfigFactory.parseFile(named.toFile(), strict);
        }
      }
      if (JobConfig.class.getClassLoader().getResource("kindling/jobs/" + job + ".conf") != null) {
        return ConfigFactory.parseResources("kindling/jobs/" + job + ".conf", strict);
      }
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(e.getMessage(), e);
    }
    throw new ConfigException(
        "job '"
            + job
            + "' not found: give a .conf file or the name of a job in conf/jobs/ ("
            + availableJobs(home)
            + ")");
  }

  private static String availableJobs(Path home) {
    Set<String> names = new TreeSet<>();
    if (home != null) {
      File[] files = home.resolve("conf/jobs").toFile().listFiles((d, n) -> n.endsWith(".conf"));
      if (files != null) {
        for (File f : files) {
          names.add(f.getName().replace(".conf", ""));
        }
      }
    }
    return names.isEmpty() ? "none found" : "available: " + String.join(", ", names);
  }

  private static void rejectUnknownKeys(Config user, Config defaults) {
    for (Map.Entry<String, ConfigValue> e : user.entrySet()) {
      String key = e.getKey();
      if (key.equals(MODEL) || key.startsWith(MODEL + ".")) {
        // A loss with settings is an object: model.loss.type, model.loss.label-smoothing, ...
        if (!List.of("model.input", "model.layers", "model.loss").contains(key)
            && !key.startsWith("model.loss.")) {
          throw unknown(key, e.getValue(), defaults);
        }
        continue;
      }
      if (!defaults.hasPath(key)) {
        throw unknown(key, e.getValue(), defaults);
      }
    }
  }

  private static ConfigException unknown(String key, ConfigValue value, Config defaults) {
    String suggestion = closest(key, defaults);
    return new ConfigException(
        describe(value)
            + ": unknown key '"
            + key
            + "'"
            + (suggestion == null ? "" : " (did you mean '" + suggestion + "'?)")
            + "; conf/kindling-defaults.conf lists every key");
  }

  private static String describe(ConfigValue value) {
    var origin = value.origin();
    String where = origin.filename() != null ? origin.filename() : origin.description();
    return origin.lineNumber() > 0 && origin.filename() != null
        ? where + ":" + origin.lineNumber()
        : where;
  }

  private static String closest(String key, Config defaults) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (var e : defaults.entrySet()) {
      int d = editDistance(key, e.getKey());
      if (d < bestDistance) {
        bestDistance = d;
        best = e.getKey();
      }
    }
    return bestDistance <= Math.max(2, key.length() / 4) ? best : null;
  }

  private static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /** Reads every typed value once, so a wrong type fails at load rather than mid-run. */
  private void validate() {
    jobName();
    seed();
    master();
    workers();
    threadsPerWorker();
    sparkUi();
    data();
    model();
    optimizer(1, 1);
    train();
    checkpoint();
    earlyStopping();
    runDir();
  }

  private <T> T typed(String key, java.util.function.Function<String, T> getter) {
    try {
      return getter.apply(key);
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException(e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          describe(config.getValue(key)) + ": " + key + ": " + e.getMessage(), e);
    }
  }

  public String source() {
    return source;
  }

  public String jobName() {
    return typed("job.name", config::getString);
  }

  public long seed() {
    return typed("job.seed", config::getLong);
  }

  public String master() {
    return typed("spark.master", config::getString);
  }

  public int workers() {
    return nonNegative("spark.workers");
  }

  public int threadsPerWorker() {
    return positive("spark.threads-per-worker");
  }

  public boolean sparkUi() {
    return typed("spark.ui", config::getBoolean);
  }

  /** The data section. */
  public record Data(
      String format,
      String path,
      String trainImages,
      String trainLabels,
      String testImages,
      String testLabels,
      String train,
      String test,
      int classes,
      int[] shape,
      String labelColumn,
      List<String> featureColumns,
      boolean csvHeader,
      char csvDelimiter,
      int libsvmFeatures,
      boolean resizeImages,
      double validationFraction,
      Normaliser.Kind normalise,
      boolean perFeature,
      BadRecordPolicy badRecords,
      int limit,
      StorageLevel storageLevel) {

    static final List<String> FORMATS = List.of("idx", "csv", "libsvm", "parquet", "images");

    /** A file of the data set: names that are already paths or URIs stay as they are. */
    public String file(String name) {
      return name.contains("/") ? name : path.replaceAll("/+$", "") + "/" + name;
    }
  }

  public Data data() {
    String format = typed("data.format", config::getString);
    if (!Data.FORMATS.contains(format)) {
      throw new ConfigException(
          describe(config.getValue("data.format"))
              + ": data.format '"
              + format
              + "' is not supported; use one of "
              + String.join(", ", Data.FORMATS));
    }
    double fraction = typed("data.validation-fraction", config::getDouble);
    if (fraction < 0 || fraction >= 1) {
      throw new ConfigException(
          describe(config.getValue("data.validation-fraction"))
              + ": data.validation-fraction must be in [0, 1)");
    }
    String train = typed("data.train", config::getString);
    String test = typed("data.test", config::getString);
    if (!format.equals("idx") && (train.isEmpty() || test.isEmpty())) {
      throw new ConfigException(
          describe(config.getValue("data.format"))
              + ": data.format "
              + format
              + " reads data.train and data.test: set both (a file, folder or glob)");
    }
    if (nonNegative("data.classes") == 0 && (format.equals("idx") || format.equals("images"))) {
      throw new ConfigException(
          describe(config.getValue("data.classes"))
              + ": data.classes = 0 (real-valued labels) needs csv, libsvm or parquet data; "
              + format
              + " labels are classes");
    }
    String delimiter = typed("data.csv-delimiter", config::getString);
    if (delimiter.length() != 1) {
      throw new ConfigException(
          describe(config.getValue("data.csv-delimiter"))
              + ": data.csv-delimiter must be one character, got '"
              + delimiter
              + "'");
    }
    List<Integer> shape = typed("data.shape", config::getIntList);
    return new Data(
        format,
        typed("data.path", config::getString),
        typed("data.train-images", config::getString),
        typed("data.train-labels", config::getString),
        typed("data.test-images", config::getString),
        typed("data.test-labels", config::getString),
        train,
        test,
        nonNegative("data.classes"),
        shape.stream().mapToInt(Integer::intValue).toArray(),
        typed("data.label-column", config::getString),
        typed("data.feature-columns", config::getStringList),
        typed("data.csv-header", config::getBoolean),
        delimiter.charAt(0),
        nonNegative("data.libsvm-features"),
        typed("data.resize-images", config::getBoolean),
        fraction,
        typed("data.normalise", k -> Normaliser.Kind.parse(config.getString(k))),
        typed("data.per-feature", config::getBoolean),
        typed("data.bad-records", k -> BadRecordPolicy.parse(config.getString(k))),
        nonNegative("data.limit"),
        typed("data.storage-level", k -> StorageLevel.fromString(config.getString(k))));
  }

  public NetworkSpec model() {
    if (config.getList("model.layers").isEmpty()) {
      throw new ConfigException(
          source + ": model.layers is empty: declare the network's layers in the job file");
    }
    String json = config.getConfig(MODEL).root().render(ConfigRenderOptions.concise());
    try {
      return NetworkSpec.fromJson(new ObjectMapper().readTree(json));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          describe(config.getValue("model.layers")) + ": " + e.getMessage(), e);
    } catch (java.io.IOException e) {
      throw new ConfigException("model: " + e.getMessage(), e);
    }
  }

  /**
   * The optimizer, its learning-rate schedule and gradient clipping.
   *
   * @param totalSteps the local steps of the whole run: the horizon of a schedule whose {@code
   *     optimizer.schedule-steps} is 0
   */
  /**
   * The optimizer section for a run of {@code totalSteps} local steps on {@code workers} workers,
   * its learning rate (and the schedule's floor) scaled as {@code train.learning-rate-scaling}
   * says.
   */
  public OptimizerSpec optimizer(long totalSteps, int workers) {
    double scale = train().learningRateScale(workers);
    try {
      int steps = nonNegative("optimizer.schedule-steps");
      int warmup = nonNegative("optimizer.warmup-steps");
      LearningRateSchedule schedule =
          new LearningRateSchedule(
              typed(
                  "optimizer.schedule", k -> LearningRateSchedule.Decay.parse(config.getString(k))),
              typed("optimizer.schedule-factor", config::getDouble),
              steps > 0
                  ? steps
                  : (int) Math.max(1, Math.min(Integer.MAX_VALUE, totalSteps - warmup)),
              scale * typed("optimizer.schedule-floor", config::getDouble),
              warmup);
      return new OptimizerSpec(
          typed("optimizer.kind", k -> OptimizerSpec.Kind.parse(config.getString(k))),
          scale * typed("optimizer.learning-rate", config::getDouble),
          typed("optimizer.momentum", config::getDouble),
          typed("optimizer.beta1", config::getDouble),
          typed("optimizer.beta2", config::getDouble),
          typed("optimizer.epsilon", config::getDouble),
          typed("optimizer.l2", config::getDouble),
          typed("optimizer.weight-decay", config::getDouble),
          schedule,
          typed("optimizer.clip-norm", config::getDouble));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          describe(config.getValue("optimizer")) + ": optimizer: " + e.getMessage(), e);
    }
  }

  /** The train section. */
  public record Train(
      int epochs,
      int batchSize,
      String sync,
      int averagingFrequency,
      boolean averageOptimizerState,
      int averageLag,
      String learningRateScaling,
      int aggregationDepth,
      double maxLossRatio,
      java.time.Duration allreduceTimeout,
      int allreduceAttempts,
      boolean allreduceBf16,
      double allreduceTopk,
      int allreduceRoundSteps,
      boolean ringSharedMemory) {

    /**
     * Local steps per round, i.e. per Spark job, for {@code workers} workers: {@code
     * averaging-frequency} when averaging through the driver; for the ring strategies (which
     * synchronise among the workers within a round), and for one worker, which has nothing to
     * average, {@code allreduce-round-steps}, by default a whole epoch, so a stage is set up once
     * per epoch and not once per k steps.
     */
    public int roundSteps(int workers) {
      if (sync.equals("averaging") && workers > 1) {
        return averagingFrequency;
      }
      return allreduceRoundSteps > 0 ? allreduceRoundSteps : Integer.MAX_VALUE;
    }

    /**
     * The factor on the configured learning rate for {@code workers} workers. Averaging W models,
     * each stepping as one worker would, moves them about 1/W as far per example as one worker
     * goes; the linear scaling rule makes up for it. The all-reduce is never scaled: it already
     * trains exactly as one worker at batch W x batch-size with the rate as configured.
     */
    public double learningRateScale(int workers) {
      if (sync.equals("allreduce")) {
        return 1;
      }
      return switch (learningRateScaling) {
        case "linear" -> workers;
        case "sqrt" -> Math.sqrt(workers);
        default -> 1;
      };
    }
  }

  /** The checkpoint section. */
  public record Checkpoint(int everyRounds, int everyEpochs, int keep, String dir) {}

  public Checkpoint checkpoint() {
    return new Checkpoint(
        nonNegative("checkpoint.every-rounds"),
        nonNegative("checkpoint.every-epochs"),
        positive("checkpoint.keep"),
        typed("checkpoint.dir", config::getString));
  }

  /** The early-stopping section. */
  public record EarlyStop(int patience, EarlyStopping.Metric metric, double minDelta) {}

  public EarlyStop earlyStopping() {
    return new EarlyStop(
        nonNegative("early-stopping.patience"),
        typed("early-stopping.metric", k -> EarlyStopping.Metric.parse(config.getString(k))),
        typed("early-stopping.min-delta", config::getDouble));
  }

  public Train train() {
    String sync = oneOf("train.sync", SyncStrategies.NAMES);
    return new Train(
        positive("train.epochs"),
        positive("train.batch-size"),
        sync,
        positive("train.averaging-frequency"),
        averageOptimizerState(sync),
        averageLag(sync),
        oneOf("train.learning-rate-scaling", List.of("none", "linear", "sqrt")),
        positive("train.aggregation-depth"),
        typed("train.max-loss-ratio", config::getDouble),
        typed("train.allreduce-timeout", config::getDuration),
        positive("train.allreduce-attempts"),
        typed("train.allreduce-bf16", config::getBoolean),
        allreduceTopk(),
        nonNegative("train.allreduce-round-steps"),
        typed("train.ring-shared-memory", config::getBoolean));
  }

  public String runDir() {
    return typed("output.run-dir", config::getString);
  }

  private String oneOf(String key, List<String> allowed) {
    String v = typed(key, config::getString);
    if (!allowed.contains(v)) {
      throw new ConfigException(
          describe(config.getValue(key))
              + ": "
              + key
              + " '"
              + v
              + "' is not available; use one of "
              + String.join(", ", allowed));
    }
    return v;
  }

  /** Only ring averaging has averages within a round, which may leave the optimizer state out. */
  private boolean averageOptimizerState(String sync) {
    String key = "train.average-optimizer-state";
    boolean every = typed(key, config::getBoolean);
    if (!every && !sync.equals("ring-averaging")) {
      throw new ConfigException(
          describe(config.getValue(key))
              + ": "
              + key
              + " = false needs train.sync = ring-averaging (under "
              + sync
              + " the optimizer state is always synchronised with the parameters)");
    }
    return every;
  }

  /** Averages that lag carry only the parameters, which only ring averaging can leave alone. */
  private int averageLag(String sync) {
    String key = "train.average-lag";
    int lag = nonNegative(key);
    int k = config.getInt("train.averaging-frequency");
    if (lag > k) {
      throw new ConfigException(
          describe(config.getValue(key))
              + ": "
              + key
              + " = "
              + lag
              + " is more than train.averaging-frequency = "
              + k
              + ": an average must land before the next is taken");
    }
    if (lag > 0
        && (!sync.equals("ring-averaging") || config.getBoolean("train.average-optimizer-state"))) {
      throw new ConfigException(
          describe(config.getValue(key))
              + ": "
              + key
              + " > 0 needs train.sync = ring-averaging and train.average-optimizer-state = false"
              + " (the averages it computes in the background carry only the parameters)");
    }
    return lag;
  }

  /** Top-k's share of gradient entries; it replaces bf16 gradients rather than combining. */
  private double allreduceTopk() {
    String key = "train.allreduce-topk";
    double v = typed(key, config::getDouble);
    if (!(v >= 0 && v <= 1)) {
      throw new ConfigException(
          describe(config.getValue(key)) + ": " + key + " must be in [0, 1] (0 = off), got " + v);
    }
    if (v > 0 && config.getBoolean("train.allreduce-bf16")) {
      throw new ConfigException(
          describe(config.getValue(key))
              + ": "
              + key
              + " sends fp32 (index, value) pairs; set train.allreduce-bf16 = false or"
              + " train.allreduce-topk = 0");
    }
    return v;
  }

  private int positive(String key) {
    int v = typed(key, config::getInt);
    if (v <= 0) {
      throw new ConfigException(
          describe(config.getValue(key)) + ": " + key + " must be positive, got " + v);
    }
    return v;
  }

  private int nonNegative(String key) {
    int v = typed(key, config::getInt);
    if (v < 0) {
      throw new ConfigException(
          describe(config.getValue(key)) + ": " + key + " must not be negative, got " + v);
    }
    return v;
  }

  /** A copy with {@code key} set: how command-line flags such as {@code --data} apply. */
  public JobConfig with(String key, Object value) {
    JobConfig c =
        new JobConfig(
            config.withValue(key, ConfigValueFactory.fromAnyRef(value, "command line")), source);
    c.validate();
    return c;
  }

  /** The resolved configuration as HOCON, with comments saying where each value came from. */
  public String render() {
    return config
        .root()
        .render(ConfigRenderOptions.defaults().setOriginComments(true).setJson(false));
  }
}
