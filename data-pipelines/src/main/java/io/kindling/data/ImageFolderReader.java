package io.kindling.data;

import static org.apache.spark.sql.functions.col;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * Reads a folder of images with one sub-folder per class ({@code root/cat/1.png}, {@code
 * root/dog/7.jpg}, ...; files in nested folders belong to their top class folder) through Spark's
 * {@code image} data source. The class index is the position of the folder name in sorted order.
 * Every image becomes {@code [channels, height, width]} floats 0..255, channels in RGB(A) order.
 *
 * <p>All images must have one shape: the declared one, else that of the first image in path order.
 * An image of another shape is a bad record, unless resizing is on: then it is resampled bilinearly
 * (pixel centres aligned, as OpenCV's INTER_LINEAR) and its channels converted (grey repeated to
 * RGB, RGB to grey as luminance 0.299 R + 0.587 G + 0.114 B, alpha dropped or set opaque). A file
 * that does not decode as an image is a bad record too.
 *
 * <p>Immutable: each {@code with...} returns a changed copy.
 */
public final class ImageFolderReader {
  private final int[] shape;
  private final boolean resize;
  private final BadRecordPolicy policy;

  /** A reader that takes the shape from the first image, does not resize and fails on bad files. */
  public ImageFolderReader() {
    this(null, false, BadRecordPolicy.FAIL);
  }

  private ImageFolderReader(int[] shape, boolean resize, BadRecordPolicy policy) {
    if (resize && shape == null) {
      throw new IllegalArgumentException("resizing images needs a declared shape");
    }
    this.shape = shape;
    this.resize = resize;
    this.policy = policy;
  }

  /** The shape every image must have (or is resized to): channels 1, 3 or 4, height, width. */
  public ImageFolderReader withShape(int channels, int height, int width) {
    if (channels != 1 && channels != 3 && channels != 4 || height < 1 || width < 1) {
      throw new IllegalArgumentException(
          "an image shape needs 1, 3 or 4 channels and a positive size, got "
              + Arrays.toString(new int[] {channels, height, width}));
    }
    return new ImageFolderReader(new int[] {channels, height, width}, resize, policy);
  }

  /** Whether images of another shape are resized to the declared one (default false). */
  public ImageFolderReader withResize(boolean resize) {
    return new ImageFolderReader(shape, resize, policy);
  }

  /** What to do with a file of the wrong shape or that is not an image (default FAIL). */
  public ImageFolderReader withPolicy(BadRecordPolicy policy) {
    return new ImageFolderReader(shape, resize, policy);
  }

  /** The class names, sorted: class {@code i} is the folder {@code classNames().get(i)}. */
  public List<String> classNames(SparkSession spark, String root) {
    return classFolders(spark, root).stream().map(Path::getName).toList();
  }

  /** Reads the images into the driver. */
  public LabeledData read(SparkSession spark, String root) {
    Plan plan = plan(spark, root);
    return SparkRows.collect(
        SparkRows.pack(
            plan.rows.toJavaRDD(), plan.decoder, root, plan.decoder.width(), policy, plan.classes),
        root,
        plan.decoder.shape.clone(),
        plan.classes,
        plan.decoder.width());
  }

  /**
   * Decodes and packs the images into {@code workers} cached blocks on the executors, when the
   * examples are first used.
   */
  public DistributedExamples distribute(
      SparkSession spark, String root, int workers, StorageLevel storage) {
    if (workers <= 0) {
      throw new IllegalArgumentException("workers must be positive, got " + workers);
    }
    Plan plan = plan(spark, root);
    // Decoding an image costs far more than moving its bytes: spread the files over the workers.
    return DistributedExamples.of(
        SparkRows.pack(
            plan.rows.repartition(workers).toJavaRDD(),
            plan.decoder,
            root,
            plan.decoder.width(),
            policy,
            plan.classes),
        root,
        plan.decoder.shape.clone(),
        plan.classes,
        workers,
        storage);
  }

  private record Plan(Dataset<Row> rows, Decoder decoder, int classes) {}

  private Plan plan(SparkSession spark, String root) {
    List<Path> folders = classFolders(spark, root);
    Map<String, Integer> classes = new HashMap<>();
    for (Path folder : folders) {
      classes.put(folder.getName(), classes.size());
    }
    int[] expected = shape != null ? shape : firstImageShape(spark, root, folders);
    String[] paths = folders.stream().map(Path::toString).toArray(String[]::new);
    Dataset<Row> rows =
        SparkRows.asData(
            root,
            () ->
                images(spark)
                    .load(paths)
                    .select(
                        col("image.origin"),
                        col("image.nChannels"),
                        col("image.height"),
                        col("image.width"),
                        col("image.data")));
    String rootPath = folders.get(0).getParent().toUri().getPath();
    return new Plan(
        rows, new Decoder(rootPath, new HashMap<>(classes), expected, resize), folders.size());
  }

  private static org.apache.spark.sql.DataFrameReader images(SparkSession spark) {
    // Nested folders hold more images of their class, not Hive-style partitions.
    return spark.read().format("image").option("recursiveFileLookup", "true");
  }

  /** The sub-folders of {@code root}, by name; hidden ones ({@code .x}, {@code _x}) left out. */
  private static List<Path> classFolders(SparkSession spark, String root) {
    Path path = new Path(root);
    try {
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      List<Path> folders = new ArrayList<>();
      for (FileStatus s : fs.listStatus(path)) {
        String name = s.getPath().getName();
        if (s.isDirectory() && !name.startsWith(".") && !name.startsWith("_")) {
          folders.add(fs.makeQualified(s.getPath()));
        }
      }
      if (folders.isEmpty()) {
        throw new DataException(
            root + ": no class folders; put each class's images in a folder of its own");
      }
      folders.sort((a, b) -> a.getName().compareTo(b.getName()));
      return folders;
    } catch (java.io.FileNotFoundException e) {
      throw new DataException(root + ": no such folder");
    } catch (IOException e) {
      throw new DataException(
          root + ": cannot list (" + DataException.excerpt(e.getMessage()) + ")", e);
    }
  }

  /** The shape of the first image in path order, so the check does not depend on file sizes. */
  private static int[] firstImageShape(SparkSession spark, String root, List<Path> folders) {
    Path first = null;
    try {
      FileSystem fs = folders.get(0).getFileSystem(spark.sparkContext().hadoopConfiguration());
      for (Path folder : folders) {
        RemoteIterator<LocatedFileStatus> files = fs.listFiles(folder, true);
        while (files.hasNext()) {
          Path p = files.next().getPath();
          if (!p.getName().startsWith(".")
              && !p.getName().startsWith("_")
              && (first == null || p.compareTo(first) < 0)) {
            first = p;
          }
        }
        if (first != null) {
          break;
        }
      }
    } catch (IOException e) {
      throw new DataException(
          root + ": cannot list (" + DataException.excerpt(e.getMessage()) + ")", e);
    }
    if (first == null) {
      throw new DataException(root + ": the class folders hold no files");
    }
    String file = first.toString();
    Row image =
        SparkRows.asData(
            file,
            () ->
                images(spark)
                    .load(file)
                    .select(col("image.nChannels"), col("image.height"), col("image.width"))
                    .first());
    if (image.getInt(0) < 0) {
      throw new DataException(
          file + ": not a readable image, so the image shape cannot be taken from it; declare it");
    }
    return new int[] {image.getInt(0), image.getInt(1), image.getInt(2)};
  }

  /** Turns one decoded image row (origin, channels, height, width, BGR(A) bytes) into floats. */
  private static final class Decoder implements SparkRows.Decoder<Row> {
    private final String root;
    private final HashMap<String, Integer> classes;
    private final int[] shape;
    private final boolean resize;

    Decoder(String root, HashMap<String, Integer> classes, int[] shape, boolean resize) {
      this.root = root.endsWith("/") ? root : root + "/";
      this.classes = classes;
      this.shape = shape;
      this.resize = resize;
    }

    int width() {
      return shape[0] * shape[1] * shape[2];
    }

    @Override
    public double decode(Row row, float[] x, RecordChecks checks, Supplier<String> where) {
      int c = row.getInt(1);
      int h = row.getInt(2);
      int w = row.getInt(3);
      if (c < 0) {
        checks.reject(where, SkippedRecords.NOT_AN_IMAGE, "not a readable image");
        return Double.NaN;
      }
      if (!resize && (c != shape[0] || h != shape[1] || w != shape[2])) {
        checks.reject(
            where,
            SkippedRecords.WRONG_IMAGE_SIZE,
            "image is "
                + c
                + "x"
                + h
                + "x"
                + w
                + " (channels x height x width), expected "
                + shape[0]
                + "x"
                + shape[1]
                + "x"
                + shape[2]);
        return Double.NaN;
      }
      resample((byte[]) row.get(4), c, h, w, x);
      return classOf(row.getString(0));
    }

    /**
     * Bilinear resampling with pixel centres aligned; at the same size it copies each pixel
     * exactly. Channels are converted from Spark's interleaved BGR(A) to planar RGB(A).
     */
    private void resample(byte[] data, int c, int h, int w, float[] x) {
      int outC = shape[0];
      int outH = shape[1];
      int outW = shape[2];
      for (int oy = 0; oy < outH; oy++) {
        double sy = Math.min(Math.max((oy + 0.5) * h / outH - 0.5, 0), h - 1);
        int y0 = (int) sy;
        int y1 = Math.min(y0 + 1, h - 1);
        double fy = sy - y0;
        for (int ox = 0; ox < outW; ox++) {
          double sx = Math.min(Math.max((ox + 0.5) * w / outW - 0.5, 0), w - 1);
          int x0 = (int) sx;
          int x1 = Math.min(x0 + 1, w - 1);
          double fx = sx - x0;
          for (int k = 0; k < outC; k++) {
            double top =
                (1 - fx) * channel(data, (y0 * w + x0) * c, c, k)
                    + fx * channel(data, (y0 * w + x1) * c, c, k);
            double bottom =
                (1 - fx) * channel(data, (y1 * w + x0) * c, c, k)
                    + fx * channel(data, (y1 * w + x1) * c, c, k);
            x[(k * outH + oy) * outW + ox] = (float) ((1 - fy) * top + fy * bottom);
          }
        }
      }
    }

    /** Output channel {@code k} (RGB(A) order) of the source pixel at byte {@code p}. */
    private float channel(byte[] data, int p, int c, int k) {
      if (c == 1) {
        return k == 3 ? 255f : data[p] & 0xff;
      }
      if (shape[0] == 1) {
        return 0.299f * (data[p + 2] & 0xff)
            + 0.587f * (data[p + 1] & 0xff)
            + 0.114f * (data[p] & 0xff);
      }
      if (k == 3) {
        return c == 4 ? data[p + 3] & 0xff : 255f;
      }
      return data[p + 2 - k] & 0xff;
    }

    private int classOf(String origin) {
      String path = decoded(origin).toUri().getPath();
      String relative = path.substring(root.length());
      return classes.get(relative.substring(0, relative.indexOf('/')));
    }

    @Override
    public String where(Row row) {
      return decoded(row.getString(0)).toString();
    }

    /** Spark gives the origin URL-encoded. */
    private static Path decoded(String origin) {
      try {
        return new Path(new URI(origin));
      } catch (URISyntaxException e) {
        return new Path(origin);
      }
    }
  }
}
