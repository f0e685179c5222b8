package io.kindling.ml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.BiFunction;
import org.apache.spark.ml.param.Params;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import scala.Option;

/**
 * A saved model on any Hadoop path: Spark's params metadata in {@code metadata/} (what {@code
 * Pipeline} and {@code CrossValidator} persistence expect), and the trained network in {@code
 * model/} (Kindling's model format: JSON plus little-endian arrays with checksums, written
 * atomically).
 */
final class ModelFolder {
  private ModelFolder() {}

  static final class Writer extends MLWriter {
    private final Params model;
    private final TrainedNetwork network;

    Writer(Params model, TrainedNetwork network) {
      this.model = model;
      this.network = network;
    }

    @Override
    public void saveImpl(String path) {
      DefaultParamsWriter.saveMetadata(model, path, sparkSession());
      try {
        network.write(path, sc().hadoopConfiguration());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the model to " + path, e);
      }
    }
  }

  /**
   * @param <M> the model class
   */
  static final class Reader<M extends Params> extends MLReader<M> {
    private final Class<M> type;
    private final BiFunction<String, TrainedNetwork, M> create;

    /**
     * @param create makes a model from its uid and network
     */
    Reader(Class<M> type, BiFunction<String, TrainedNetwork, M> create) {
      this.type = type;
      this.create = create;
    }

    @Override
    public M load(String path) {
      DefaultParamsReader.Metadata metadata =
          DefaultParamsReader.loadMetadata(path, sparkSession(), type.getName());
      TrainedNetwork network;
      try {
        network = TrainedNetwork.read(path, sc().hadoopConfiguration());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the model in " + path, e);
      }
      M model = create.apply(metadata.uid(), network);
      metadata.getAndSetParams(model, Option.empty());
      return model;
    }
  }
}
