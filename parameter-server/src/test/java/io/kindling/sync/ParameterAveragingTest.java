package io.kindling.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.kindling.kernels.Activation;
import io.kindling.kernels.ExampleBlock;
import io.kindling.kernels.Loss;
import io.kindling.kernels.NetworkSpec;
import io.kindling.kernels.OptimizerSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;

class ParameterAveragingTest {
  static final JavaSparkContext spark = LocalSpark.get();
  static final TrainingPlan PLAN =
      new TrainingPlan(
          NetworkSpec.input(8).dense(16, Activation.TANH).dense(4).loss(Loss.SOFTMAX_CROSS_ENTROPY),
          OptimizerSpec.adam(0.01),
          16,
          1,
          5);

  static List<ExampleBlock> blocks(int count, int size) {
    Random r = new Random(1);
    List<ExampleBlock> blocks = new ArrayList<>();
    for (int b = 0; b < count; b++) {
      float[] x = new float[size * 8];
      int[] y = new int[size];
      for (int i = 0; i < size; i++) {
        y[i] = r.nextInt(4);
        for (int j = 0; j < 8; j++) {
          x[i * 8 + j] = (float) r.nextGaussian() + (j % 4 == y[i] ? 1 : 0);
        }
      }
      blocks.add(new ExampleBlock(size, 8, x, y));
    }
    return blocks;
  }

  @Test
  void averageEqualsTheSerialMeanOfEachWorkersSteps() {
    List<ExampleBlock> blocks = blocks(3, 100);
    JavaRDD<ExampleBlock> rdd = spark.parallelize(blocks, 3);
    ParameterAveraging averaging = new ParameterAveraging(spark, PLAN, 2);
    float[] start = averaging.initialState();
    Round round = new Round(0, 0, 0, 4, 0);
    RoundResult result = averaging.run(rdd, round, start);

    float[] mean = new float[start.length];
    double loss = 0;
    for (int p = 0; p < 3; p++) {
      Contribution c = LocalSteps.run(PLAN, round, p, blocks.get(p), start);
      for (int i = 0; i < mean.length; i++) {
        mean[i] += c.state[i] / 3f;
      }
      loss += c.lossSum / 12;
    }
    assertThat(result.examples()).isEqualTo(3 * 4 * 16);
    assertThat(result.loss()).isCloseTo(loss, within(1e-9));
    assertThat(result.state()).containsExactly(mean, within(1e-6f));
    assertThat(result.state()).isNotEqualTo(start);
  }

  @Test
  void aRetriedTaskRepeatsItsContributionExactly() {
    ExampleBlock block = blocks(1, 64).get(0);
    float[] start = new ParameterAveraging(spark, PLAN, 2).initialState();
    Round round = new Round(2, 1, 1, 3, 40);
    Contribution first = LocalSteps.run(PLAN, round, 1, block, start);
    LocalSteps.run(PLAN, new Round(0, 0, 0, 4, 0), 0, block, start); // the pooled trainer moves on
    Contribution retry = LocalSteps.run(PLAN, round, 1, block, start);
    assertThat(retry.state).containsExactly(first.state);
    assertThat(retry.lossSum).isEqualTo(first.lossSum);
  }

  @Test
  void lastRoundOfAnEpochStopsAtThePartitionsEnd() {
    ExampleBlock block = blocks(1, 50).get(0); // 4 steps of 16: 16, 16, 16, 2
    float[] start = new ParameterAveraging(spark, PLAN, 2).initialState();
    Contribution c = LocalSteps.run(PLAN, new Round(0, 1, 3, 10, 3), 0, block, start);
    assertThat(c.batches).isEqualTo(1);
    assertThat(c.examples).isEqualTo(2);
  }
}
