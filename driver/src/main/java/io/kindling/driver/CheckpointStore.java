package io.kindling.driver;

import io.kindling.kernels.ModelFile;
import io.kindling.kernels.ModelFileException;
import io.kindling.kernels.NetworkSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.nd4j.shade.jackson.databind.node.ObjectNode;

/**
 * A run's checkpoints on any Hadoop path: one folder per checkpoint ({@code round-000000123}),
 * written atomically, holding the parameters and optimizer state as a model file whose metadata is
 * the training position, plus the best epoch's state under {@code best/} when early stopping keeps
 * one. Only the newest {@code keep} survive. Loading falls back past unreadable ones, with a
 * warning.
 */
final class CheckpointStore {
  private static final String PREFIX = "round-";
  private static final String BEST = "best";

  private final Path dir;
  private final FileSystem fs;
  private final Configuration hadoop;
  private final int keep;

  CheckpointStore(String dir, Configuration hadoop, int keep) throws IOException {
    this.dir = new Path(dir);
    this.fs = this.dir.getFileSystem(hadoop);
    this.hadoop = hadoop;
    this.keep = keep;
  }

  /** A saved position: the state vector, where training stands, and the best state if any. */
  record Checkpoint(String location, float[] state, ObjectNode position, float[] bestState) {}

  void save(
      NetworkSpec spec, float[] state, ObjectNode position, float[] bestState, long roundsCompleted)
      throws IOException {
    int p = (int) spec.numParams();
    ModelFile current =
        new ModelFile(
            spec,
            Arrays.copyOf(state, p),
            Arrays.copyOfRange(state, p, state.length),
            null,
            position);
    String target = new Path(dir, String.format("%s%09d", PREFIX, roundsCompleted)).toString();
    HadoopStore.writeAtomically(
        target,
        hadoop,
        (fs, folder) -> {
          current.write(HadoopStore.on(fs, folder));
          if (bestState != null) {
            new ModelFile(
                    spec,
                    Arrays.copyOf(bestState, p),
                    Arrays.copyOfRange(bestState, p, bestState.length),
                    null,
                    null)
                .write(HadoopStore.on(fs, new Path(folder, BEST)));
          }
        });
    List<Path> all = list();
    for (int i = 0; i < all.size() - keep; i++) {
      fs.delete(all.get(i), true);
    }
  }

  /** The newest checkpoint that reads back whole, or empty when there is none. */
  Optional<Checkpoint> newestValid(NetworkSpec spec, PrintStream warnings) throws IOException {
    List<Path> all = list();
    for (int i = all.size() - 1; i >= 0; i--) {
      Path folder = all.get(i);
      try {
        ModelFile file = ModelFile.read(HadoopStore.on(fs, folder));
        if (!file.spec().equals(spec)) {
          throw new DifferentNetwork(
              folder
                  + " holds a different network ("
                  + file.spec().describe()
                  + ") than this job ("
                  + spec.describe()
                  + ")");
        }
        float[] best = null;
        Path bestFolder = new Path(folder, BEST);
        if (fs.exists(bestFolder)) {
          best = concat(ModelFile.read(HadoopStore.on(fs, bestFolder)));
        }
        return Optional.of(new Checkpoint(folder.toString(), concat(file), file.metadata(), best));
      } catch (DifferentNetwork e) {
        throw new ModelFileException(e.getMessage());
      } catch (IOException e) {
        warnings.println(
            "kindling: warning: checkpoint "
                + folder
                + " is unreadable ("
                + e.getMessage()
                + ")"
                + (i > 0
                    ? "; falling back to " + all.get(i - 1).getName()
                    : "; no older checkpoint"));
      }
    }
    return Optional.empty();
  }

  /** A readable checkpoint of another job: an error to report, not a reason to fall back. */
  private static final class DifferentNetwork extends RuntimeException {
    DifferentNetwork(String message) {
      super(message);
    }
  }

  private static float[] concat(ModelFile file) {
    float[] a = file.parameters();
    float[] b = file.optimizerState() == null ? new float[0] : file.optimizerState();
    float[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  /** Checkpoint folders, oldest first (the zero-padded round count sorts them). */
  private List<Path> list() throws IOException {
    if (!fs.exists(dir)) {
      return List.of();
    }
    List<Path> found = new ArrayList<>();
    for (FileStatus s : fs.listStatus(dir)) {
      if (s.isDirectory() && s.getPath().getName().startsWith(PREFIX)) {
        found.add(s.getPath());
      }
    }
    found.sort(Comparator.comparing(Path::getName));
    return found;
  }
}
