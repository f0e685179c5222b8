package io.kindling.driver;

import io.kindling.kernels.ModelFile;
import io.kindling.kernels.ModelFileException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Model and checkpoint folders on any Hadoop path. {@link #writeAtomically} writes into a hidden
 * temporary folder beside the target and renames it into place, so a reader sees either the old
 * folder or the complete new one, never a half-written one.
 */
public final class HadoopStore implements ModelFile.Store {
  private final FileSystem fs;
  private final Path dir;

  private HadoopStore(FileSystem fs, Path dir) {
    this.fs = fs;
    this.dir = dir;
  }

  static HadoopStore at(String dir, Configuration hadoop) throws IOException {
    Path p = new Path(dir);
    return new HadoopStore(p.getFileSystem(hadoop), p);
  }

  /** Fills a folder through a Hadoop store; the unit of atomic writing. */
  @FunctionalInterface
  interface FolderWriter {
    void write(FileSystem fs, Path folder) throws IOException;
  }

  /** Writes a model into {@code dir}, replacing what was there only once it is complete. */
  public static void writeAtomically(ModelFile model, String dir, Configuration hadoop)
      throws IOException {
    writeAtomically(dir, hadoop, (fs, folder) -> model.write(new HadoopStore(fs, folder)));
  }

  /**
   * Writes a folder into a hidden temporary sibling, then renames it to {@code dir}: readers see
   * the old folder or the complete new one, never a half-written one.
   */
  static void writeAtomically(String dir, Configuration hadoop, FolderWriter writer)
      throws IOException {
    Path target = new Path(dir);
    FileSystem fs = target.getFileSystem(hadoop);
    Path temp = new Path(target.getParent(), "." + target.getName() + ".tmp-" + UUID.randomUUID());
    try {
      writer.write(fs, temp);
      if (fs.exists(target) && !fs.delete(target, true)) {
        throw new IOException("cannot replace " + target);
      }
      if (!fs.rename(temp, target)) {
        throw new IOException("cannot rename " + temp + " to " + target);
      }
    } finally {
      if (fs.exists(temp)) {
        fs.delete(temp, true);
      }
    }
  }

  /** A store for a folder on an already-open file system. */
  static HadoopStore on(FileSystem fs, Path folder) {
    return new HadoopStore(fs, folder);
  }

  /**
   * Reads and verifies the model in {@code dir}; a missing or corrupt one is a {@link
   * ModelFileException}.
   */
  public static ModelFile read(String dir, Configuration hadoop) throws IOException {
    HadoopStore store = at(dir, hadoop);
    if (!store.fs.exists(store.dir)) {
      throw new ModelFileException(dir + ": no such model folder");
    }
    try {
      return ModelFile.read(store);
    } catch (ChecksumException e) {
      throw new ModelFileException(dir + ": corrupt (" + e.getMessage() + ")", e);
    }
  }

  @Override
  public OutputStream create(String name) throws IOException {
    return fs.create(new Path(dir, name), true);
  }

  @Override
  public InputStream open(String name) throws IOException {
    try {
      return fs.open(new Path(dir, name));
    } catch (FileNotFoundException e) {
      throw new ModelFileException(describe(name) + ": missing", e);
    }
  }

  @Override
  public String describe(String name) {
    return new Path(dir, name).toString();
  }
}
