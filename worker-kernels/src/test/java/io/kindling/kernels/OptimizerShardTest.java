package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A network updated shard by shard (the sharded all-reduce's step, here with one worker) follows
 * the whole-network step of {@link LocalTrainer} exactly, for every update rule, and its shards'
 * optimizer states laid side by side are the trainer's state.
 */
class OptimizerShardTest {
  private static final NetworkSpec SPEC =
      NetworkSpec.input(5)
          .dense(7, Activation.TANH)
          .batchNorm()
          .dense(3)
          .loss(Loss.SOFTMAX_CROSS_ENTROPY);
  private static final int BATCH = 8;
  private static final int STEPS = 4;

  private static ExampleBlock block() {
    Random r = new Random(3);
    float[] x = new float[BATCH * STEPS * 5];
    int[] y = new int[BATCH * STEPS];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) r.nextGaussian();
    }
    for (int i = 0; i < y.length; i++) {
      y[i] = r.nextInt(3);
    }
    return new ExampleBlock(y.length, 5, x, y);
  }

  private static int[] identity(int n) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    return order;
  }

  private static float[] wholeNetwork(OptimizerSpec optimizer, ExampleBlock block) {
    LocalTrainer trainer = new LocalTrainer(Network.create(SPEC, 2), optimizer, BATCH);
    for (int s = 0; s < STEPS; s++) {
      trainer.step(block, identity(block.size()), s * BATCH, BATCH, s, 0, 100 + s);
    }
    float[] state = new float[trainer.stateSize()];
    trainer.exportState(state);
    return state;
  }

  /** Three shards, one of them empty, as with more workers than a layer has parameters. */
  private static float[] sharded(OptimizerSpec optimizer, ExampleBlock block) {
    Network network = Network.create(SPEC, 2);
    MinibatchGradient minibatch = new MinibatchGradient(network, BATCH);
    int n = network.numTrainableParams();
    int[] bounds = {0, 0, n / 3, n};
    List<OptimizerShard> shards =
        List.of(
            new OptimizerShard(optimizer, bounds[0], bounds[1]),
            new OptimizerShard(optimizer, bounds[1], bounds[2]),
            new OptimizerShard(optimizer, bounds[2], bounds[3]));
    float[] params = new float[network.numParams()];
    network.readParams(params, 0);
    float[] gradient = new float[n];
    for (int s = 0; s < STEPS; s++) {
      minibatch.compute(block, identity(block.size()), s * BATCH, BATCH, 100 + s);
      network.readGradients(gradient, 0);
      double squares = 0;
      for (float g : gradient) {
        squares += g * g;
      }
      for (OptimizerShard shard : shards) {
        shard.update(params, gradient, Math.sqrt(squares), s, 0);
      }
      network.writeTrainableParams(params, 0);
    }
    int components = optimizer.stateComponents();
    float[] state = new float[network.numParams() + components * n];
    network.readParams(state, 0);
    for (OptimizerShard shard : shards) {
      int length = shard.to() - shard.from();
      assertThat(shard.stateSize()).isEqualTo(components * length);
      float[] own = new float[shard.stateSize()];
      shard.exportState(own, 0);
      for (int c = 0; c < components; c++) {
        System.arraycopy(
            own, c * length, state, network.numParams() + c * n + shard.from(), length);
      }
      shard.close();
    }
    return state;
  }

  @Test
  void shardsTogetherTakeTheWholeNetworksStep() {
    ExampleBlock block = block();
    List<OptimizerSpec> optimizers =
        List.of(
            OptimizerSpec.sgd(0.1).withL2(0.01),
            OptimizerSpec.momentum(0.05, 0.9),
            OptimizerSpec.nesterov(0.05, 0.9),
            OptimizerSpec.adam(0.01).withClipNorm(0.5),
            OptimizerSpec.adamw(0.01, 0.1)
                .withSchedule(LearningRateSchedule.cosine(4, 0.001).withWarmup(1)),
            OptimizerSpec.rmsprop(0.01),
            OptimizerSpec.adagrad(0.05));
    for (OptimizerSpec optimizer : optimizers) {
      float[] expected = wholeNetwork(optimizer, block);
      float[] actual = sharded(optimizer, block);
      assertThat(actual).as(optimizer.kind().configName()).containsExactly(expected, within(1e-6f));
    }
  }
}
