package io.kindling.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.kindling.kernels.ExampleBlock;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class NormaliserTest {
  static JavaSparkContext spark;

  @BeforeAll
  static void start() {
    spark = JavaSparkContext.fromSparkContext(TestSpark.start().sparkContext());
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static ExampleBlock block(float... x) {
    return new ExampleBlock(x.length / 2, 2, x, new int[x.length / 2]);
  }

  @Test
  void minMaxPerFeatureMapsTrainingRangeToUnitInterval() {
    var rdd = spark.parallelize(java.util.List.of(block(0, 10, 4, 30), block(2, 20)), 2);
    Normaliser n = Normaliser.fit(rdd, Normaliser.Kind.MIN_MAX, true, 2);
    ExampleBlock out = n.apply(block(4, 30, 2, 20));
    assertThat(out.features()).containsExactly(1f, 1f, 0.5f, 0.5f);
  }

  @Test
  void standardGlobalGivesZeroMeanUnitVariance() {
    var rdd = spark.parallelize(java.util.List.of(block(1, 3), block(5, 7)), 2);
    Normaliser n = Normaliser.fit(rdd, Normaliser.Kind.STANDARD, false, 2);
    float[] out = n.apply(block(1, 3, 5, 7)).features();
    double mean = (out[0] + out[1] + out[2] + out[3]) / 4;
    double var =
        (out[0] * out[0] + out[1] * out[1] + out[2] * out[2] + out[3] * out[3]) / 4 - mean * mean;
    assertThat(mean).isCloseTo(0, within(1e-6));
    assertThat(var).isCloseTo(1, within(1e-5));
  }

  @Test
  void constantFeatureIsLeftUnscaledAndJsonRoundTrips() {
    var rdd = spark.parallelize(java.util.List.of(block(5, 1, 5, 2)), 1);
    Normaliser n = Normaliser.fit(rdd, Normaliser.Kind.MIN_MAX, true, 2);
    assertThat(n.apply(block(5, 2)).features()).containsExactly(0f, 1f);
    assertThat(Normaliser.fromJson(n.toJson())).isEqualTo(n);
  }
}
