package io.kindling.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The readers end to end against a real HDFS (one NameNode, one DataNode) and hdfs:// paths. */
class HdfsReadTest {
  @TempDir static Path base;

  static MiniDFSCluster cluster;
  static FileSystem hdfs;
  static Configuration hadoop;
  static String root;
  static SparkSession spark;

  @BeforeAll
  static void start() throws IOException {
    // Keeps the mini cluster's folders out of the source tree.
    System.setProperty("test.build.data", base.toString());
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, base.resolve("dfs").toString());
    cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    hdfs = cluster.getFileSystem();
    hadoop = cluster.getConfiguration(0);
    root = cluster.getURI().toString();
    spark = TestSpark.start();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
    if (cluster != null) {
      cluster.shutdown();
    }
  }

  private static String put(String path, byte[] bytes, boolean gzip) throws IOException {
    org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(root + path);
    try (OutputStream raw = hdfs.create(p);
        OutputStream out = gzip ? new GZIPOutputStream(raw) : raw) {
      out.write(bytes);
    }
    return p.toString();
  }

  @Test
  void idxFilesOnHdfs() throws IOException {
    String x = put("/mnist/train-images.gz", IdxFiles.images(6, 2, 2), true);
    String y = put("/mnist/train-labels", IdxFiles.labels(0, 1, 2, 3, 4, 5), false);
    LabeledData data = IdxReader.read(x, y, 6, BadRecordPolicy.FAIL, hadoop);
    assertThat(data.size()).isEqualTo(6);
    assertThat(data.shape()).containsExactly(2, 2);
    assertThat(data.examples().labels()).containsExactly(0, 1, 2, 3, 4, 5);
    assertThatThrownBy(() -> IdxReader.read(x, y, 5, BadRecordPolicy.FAIL, hadoop))
        .isInstanceOf(DataException.class)
        .hasMessage(
            y
                + ": record 5 (byte offset 13): label 5 is outside 0..4"
                + " (use bad-records = skip to drop such records)");
  }

  @Test
  void parquetOnHdfsWrittenByTheGeneratorAndReadBothWays() {
    String path = root + "/synthetic";
    new SyntheticData(500, 4, 3).withSeed(3).withPartitions(2).write(spark, path);
    FrameReader reader = new FrameReader(3);
    LabeledData data = reader.readParquet(spark, path);
    assertThat(data.size()).isEqualTo(500);
    assertThat(data.shape()).containsExactly(4);
    DistributedExamples blocks =
        reader.distribute(
            spark.read().parquet(path),
            path,
            2,
            org.apache.spark.storage.StorageLevel.MEMORY_ONLY());
    try {
      assertThat(blocks.size()).isEqualTo(500);
    } finally {
      blocks.release();
    }
  }

  @Test
  void aBadParquetRowOnHdfsNamesTheHdfsFile() throws IOException {
    String path = root + "/bad-parquet";
    StructType schema =
        new StructType()
            .add("features", org.apache.spark.ml.linalg.SQLDataTypes.VectorType())
            .add("label", "int");
    spark
        .createDataFrame(
            List.of(
                RowFactory.create(Vectors.dense(1, 2), 0),
                RowFactory.create(Vectors.dense(1, Double.NaN), 1)),
            schema)
        .coalesce(1)
        .write()
        .parquet(path);
    String part = null;
    for (FileStatus s : hdfs.listStatus(new org.apache.hadoop.fs.Path(path))) {
      if (s.getPath().getName().endsWith(".parquet")) {
        part = s.getPath().toString();
      }
    }
    String file = part;
    assertThatThrownBy(() -> new FrameReader(2).readParquet(spark, path))
        .isInstanceOf(DataException.class)
        .hasMessage(
            file + ": record 1: features[1] is NaN (use bad-records = skip to drop such records)");
  }

  @Test
  void csvAndLibSvmGlobsOnHdfs() throws IOException {
    put("/csv/part-0.csv", "label,a\n0,1\n".getBytes(StandardCharsets.UTF_8), false);
    put("/csv/part-1.csv.gz", "label,a\n1,2\n".getBytes(StandardCharsets.UTF_8), true);
    LabeledData csv = new CsvReader(2).read(root + "/csv/part-*", hadoop);
    assertThat(csv.examples().features()).containsExactly(1, 2);
    String svm = put("/svm/a.svm", "1 2:5\n0 1:x\n".getBytes(StandardCharsets.UTF_8), false);
    assertThatThrownBy(() -> new LibSvmReader(2).read(root + "/svm", hadoop))
        .hasMessage(
            svm
                + ": line 2: feature 1 value 'x' is not a number"
                + " (use bad-records = skip to drop such records)");
  }
}
