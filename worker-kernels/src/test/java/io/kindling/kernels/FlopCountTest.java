package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FlopCountTest {
  @Test
  void denseCountsEveryWeightOnce() {
    NetworkSpec mlp =
        NetworkSpec.input(784)
            .dense(256, Activation.RELU)
            .dense(128, Activation.RELU)
            .dense(10)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    assertThat(FlopCount.forwardMultiplyAdds(mlp)).isEqualTo(234_752);
  }

  @Test
  void convolutionCountsEveryOutputTimesItsReceptiveField() {
    NetworkSpec cnn =
        NetworkSpec.input(1, 28, 28)
            .conv2d(16, 3, 1, LayerSpec.Padding.SAME, Activation.RELU)
            .maxPool2d(2, 2)
            .flatten()
            .dense(10)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    // 28 x 28 x 16 outputs x 9 inputs each, then 16 x 14 x 14 x 10.
    assertThat(FlopCount.forwardMultiplyAdds(cnn))
        .isEqualTo(28L * 28 * 16 * 9 + 16L * 14 * 14 * 10);
  }

  @Test
  void transformerCountsProjectionsScoresAndMlp() {
    NetworkSpec vit =
        NetworkSpec.input(1, 28, 28)
            .patchEmbedding(7, 8)
            .transformerEncoder(2, 2, false)
            .globalAveragePooling()
            .dense(10)
            .loss(Loss.SOFTMAX_CROSS_ENTROPY);
    long patches = 16L * 8 * 49;
    long attention = 4L * 16 * 8 * 8 + 2L * 16 * 16 * 8;
    long mlp = 2L * 16 * 8 * 8 * 2;
    assertThat(FlopCount.forwardMultiplyAdds(vit)).isEqualTo(patches + attention + mlp + 8 * 10);
  }
}
