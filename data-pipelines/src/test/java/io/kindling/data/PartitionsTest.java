package io.kindling.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.kindling.kernels.ExampleBlock;
import java.util.List;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import scala.reflect.ClassTag$;

class PartitionsTest {
  static JavaSparkContext spark;

  @BeforeAll
  static void start() {
    spark = JavaSparkContext.fromSparkContext(TestSpark.start().sparkContext());
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  static LabeledData data(int n, int width, int classes) {
    float[] x = new float[n * width];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = i % classes;
      for (int j = 0; j < width; j++) {
        x[i * width + j] = i * 1000 + j;
      }
    }
    return new LabeledData(
        "test", new int[] {width}, classes, new ExampleBlock(n, width, x, y), new SkippedRecords());
  }

  @Test
  void partitionsAreBalancedAndHoldEveryExampleOnce() {
    JavaRDD<ExampleBlock> rdd = Partitions.balanced(spark, data(1003, 3, 10), 4, 7);
    List<ExampleBlock> blocks = rdd.collect();
    assertThat(blocks).hasSize(4);
    assertThat(blocks).allSatisfy(b -> assertThat(b.size()).isBetween(250, 251));
    boolean[] seen = new boolean[1003];
    for (ExampleBlock b : blocks) {
      for (int i = 0; i < b.size(); i++) {
        int row = (int) (b.features()[i * 3] / 1000);
        assertThat(seen[row]).isFalse();
        seen[row] = true;
        assertThat(b.labels()[i]).isEqualTo(row % 10);
      }
    }
    assertThat(seen).doesNotContain(false);
  }

  @Test
  void tasksCarryNoExampleData() {
    JavaRDD<ExampleBlock> rdd = Partitions.balanced(spark, data(20_000, 50, 10), 2, 7).cache();
    rdd.count();
    SerializerInstance ser = SparkEnv.get().closureSerializer().newInstance();
    long partitionBytes =
        ser.serialize(rdd.partitions().get(0), ClassTag$.MODULE$.apply(Object.class)).limit();
    long rddBytes = ser.serialize(rdd.rdd(), ClassTag$.MODULE$.apply(Object.class)).limit();
    assertThat(partitionBytes).isLessThan(10_000);
    assertThat(rddBytes).isLessThan(100_000);
  }
}
