package io.kindling.driver;

import io.kindling.data.IdxReader;
import io.kindling.data.LabeledData;
import io.kindling.kernels.ExampleBlock;
import io.kindling.kernels.Network;
import io.kindling.kernels.NetworkSpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(
    name = "predict",
    mixinStandardHelpOptions = true,
    description =
        "Predict with a saved model and write one row per example: its index, the predicted class and each class's probability, as CSV or Parquet.")
final class PredictCommand implements Callable<Integer> {
  @ParentCommand Kindling kindling;

  @Mixin JobOptions job;

  @Parameters(
      index = "0",
      paramLabel = "MODEL",
      description = "The model folder (e.g. runs/<run>/model).")
  String model;

  @Option(
      names = {"-o", "--output"},
      required = true,
      paramLabel = "PATH",
      description = "Output folder (any Hadoop path).")
  String output;

  @Option(
      names = "--format",
      description = "csv or parquet (default: ${DEFAULT-VALUE}).",
      defaultValue = "csv")
  String format;

  @Option(
      names = "--images",
      paramLabel = "FILE",
      description = "IDX image file to predict (default: the job's test images).")
  String images;

  @Option(names = "--overwrite", description = "Replace the output folder if it exists.")
  boolean overwrite;

  @Override
  public Integer call() throws Exception {
    JobConfig config = job.load(kindling.home, System.getenv());
    if (!format.equals("csv") && !format.equals("parquet")) {
      throw new ConfigException("--format " + format + ": use csv or parquet");
    }
    JavaSparkContext spark = SparkRuntime.start("kindling predict", job.master, config);
    try {
      SavedModel saved = SavedModel.load(model, spark.hadoopConfiguration());
      JobConfig.Data data = config.data();
      String file = images != null ? images : data.file(data.testImages());
      LabeledData examples = IdxReader.readImages(file, spark.hadoopConfiguration());
      // One block keeps the example order, so row i of the output is example i of the file.
      JavaRDD<ExampleBlock> blocks = saved.blocks(spark, examples, 1, config.seed());
      NetworkSpec spec = saved.file().spec();
      Broadcast<float[]> params = spark.broadcast(saved.file().parameters());
      JavaRDD<Row> rows = blocks.mapPartitions(b -> predict(spec, params.value(), b));
      int classes = spec.outputSize();
      List<StructField> fields = new ArrayList<>();
      fields.add(DataTypes.createStructField("index", DataTypes.LongType, false));
      fields.add(DataTypes.createStructField("predicted", DataTypes.IntegerType, false));
      for (int c = 0; c < classes; c++) {
        fields.add(DataTypes.createStructField("probability_" + c, DataTypes.FloatType, false));
      }
      SparkSession session = SparkSession.builder().sparkContext(spark.sc()).getOrCreate();
      Dataset<Row> frame =
          session.createDataFrame(rows, new StructType(fields.toArray(StructField[]::new)));
      var writer = frame.write().mode(overwrite ? SaveMode.Overwrite : SaveMode.ErrorIfExists);
      if (format.equals("csv")) {
        writer.option("header", "true").csv(output);
      } else {
        writer.parquet(output);
      }
      kindling.out.printf(
          "kindling: wrote %,d predictions from %s to %s (%s)%n",
          examples.size(), model, output, format);
    } finally {
      spark.stop();
    }
    return 0;
  }

  private static Iterator<Row> predict(
      NetworkSpec spec, float[] params, Iterator<ExampleBlock> blocks) {
    Network network = Network.withParameters(spec, params);
    int classes = spec.outputSize();
    List<Row> rows = new ArrayList<>();
    while (blocks.hasNext()) {
      ExampleBlock block = blocks.next();
      Evaluator.predictInChunks(
          network,
          block,
          (from, p) -> {
            for (int i = 0; i < p.length / classes; i++) {
              Object[] values = new Object[2 + classes];
              values[0] = (long) (from + i);
              int best = 0;
              for (int c = 0; c < classes; c++) {
                values[2 + c] = p[i * classes + c];
                if (p[i * classes + c] > p[i * classes + best]) {
                  best = c;
                }
              }
              values[1] = best;
              rows.add(RowFactory.create(values));
            }
          });
    }
    return rows.iterator();
  }
}
