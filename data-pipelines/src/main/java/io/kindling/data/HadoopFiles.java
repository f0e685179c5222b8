package io.kindling.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** Finding and opening input files on any Hadoop file system, with one-line errors. */
final class HadoopFiles {
  private HadoopFiles() {}

  /** Reads an opened file; the caller names the file in its own errors. */
  interface Parser<T> {
    T parse(InputStream in) throws IOException;
  }

  /**
   * The files a path or glob names, sorted. A folder stands for the files directly in it, leaving
   * out names starting with {@code _} or {@code .} ({@code _SUCCESS}, checksums), as Spark does.
   */
  static List<Path> expand(String pattern, Configuration hadoop) {
    Path path = new Path(pattern);
    try {
      FileSystem fs = path.getFileSystem(hadoop);
      FileStatus[] matches = fs.globStatus(path);
      if (matches == null || matches.length == 0) {
        throw new DataException(pattern + ": no such file");
      }
      List<Path> files = new ArrayList<>();
      for (FileStatus match : matches) {
        if (!match.isDirectory()) {
          files.add(match.getPath());
          continue;
        }
        for (FileStatus child : fs.listStatus(match.getPath())) {
          String name = child.getPath().getName();
          if (child.isFile() && !name.startsWith("_") && !name.startsWith(".")) {
            files.add(child.getPath());
          }
        }
      }
      if (files.isEmpty()) {
        throw new DataException(pattern + ": no files in the folder");
      }
      files.sort(null);
      return files;
    } catch (IOException e) {
      throw new DataException(
          pattern + ": cannot list (" + DataException.excerpt(e.getMessage()) + ")", e);
    }
  }

  /**
   * Opens {@code path} (un-gzipping it when it starts with the gzip magic bytes) and parses it,
   * turning I/O failures into DataExceptions naming {@code file}.
   */
  static <T> T read(String file, Path path, Configuration hadoop, Parser<T> parser) {
    try (InputStream in = open(path, hadoop)) {
      return parser.parse(in);
    } catch (FileNotFoundException e) {
      throw new DataException(file + ": no such file");
    } catch (ZipException e) {
      throw new DataException(
          file + ": corrupt gzip stream (" + DataException.excerpt(e.getMessage()) + ")", e);
    } catch (EOFException e) {
      throw new DataException(
          file
              + ": truncated: the compressed stream ends early"
              + (e.getMessage() == null ? "" : " (" + DataException.excerpt(e.getMessage()) + ")"),
          e);
    } catch (IOException e) {
      throw new DataException(
          file + ": cannot read (" + DataException.excerpt(e.getMessage()) + ")", e);
    }
  }

  private static InputStream open(Path path, Configuration hadoop) throws IOException {
    FileSystem fs = path.getFileSystem(hadoop);
    InputStream in = new BufferedInputStream(fs.open(path), 1 << 16);
    in.mark(2);
    int b0 = in.read();
    int b1 = in.read();
    in.reset();
    if (b0 == 0x1f && b1 == 0x8b) {
      return new BufferedInputStream(new GZIPInputStream(in, 1 << 16), 1 << 16);
    }
    return in;
  }
}
