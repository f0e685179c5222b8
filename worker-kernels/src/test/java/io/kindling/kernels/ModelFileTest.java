package io.kindling.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFileTest {
  private static final NetworkSpec SPEC =
      NetworkSpec.input(6).dense(5, Activation.RELU).dense(3).loss(Loss.SOFTMAX_CROSS_ENTROPY);

  @TempDir Path dir;

  private ModelFile sample() {
    Network net = Network.create(SPEC, 11);
    float[] params = new float[net.numParams()];
    net.readParams(params, 0);
    params[0] = Float.MIN_VALUE; // a subnormal must survive bit-exactly too
    params[1] = -0.0f;
    float[] state = {1f, 2f, 3f};
    var meta = NetworkSpec.JSON.createObjectNode().put("job", "test");
    return new ModelFile(
        SPEC, params, state, NetworkSpec.JSON.createObjectNode().put("kind", "none"), meta);
  }

  @Test
  void roundTripIsBitExact() throws IOException {
    ModelFile model = sample();
    model.write(ModelFile.folder(dir));
    ModelFile back = ModelFile.read(ModelFile.folder(dir));
    assertThat(back.spec()).isEqualTo(SPEC);
    assertThat(back.parameters().length).isEqualTo(model.parameters().length);
    for (int i = 0; i < model.parameters().length; i++) {
      assertThat(Float.floatToRawIntBits(back.parameters()[i]))
          .isEqualTo(Float.floatToRawIntBits(model.parameters()[i]));
    }
    assertThat(back.optimizerState()).containsExactly(1f, 2f, 3f);
    assertThat(back.metadata().get("job").asText()).isEqualTo("test");
    assertThat(back.preprocessing().get("kind").asText()).isEqualTo("none");
  }

  @Test
  void truncatedParametersAreRefused() throws IOException {
    sample().write(ModelFile.folder(dir));
    Path params = dir.resolve(ModelFile.PARAMETERS);
    try (RandomAccessFile f = new RandomAccessFile(params.toFile(), "rw")) {
      f.setLength(f.length() - 3);
    }
    assertThatThrownBy(() -> ModelFile.read(ModelFile.folder(dir)))
        .isInstanceOf(ModelFileException.class)
        .hasMessageContaining("parameters.bin")
        .hasMessageContaining("truncated");
  }

  @Test
  void alteredParametersFailTheChecksum() throws IOException {
    sample().write(ModelFile.folder(dir));
    Path params = dir.resolve(ModelFile.PARAMETERS);
    byte[] bytes = Files.readAllBytes(params);
    bytes[17] ^= 0x01;
    Files.write(params, bytes);
    assertThatThrownBy(() -> ModelFile.read(ModelFile.folder(dir)))
        .isInstanceOf(ModelFileException.class)
        .hasMessageContaining("checksum mismatch");
  }

  @Test
  void extraBytesAreRefused() throws IOException {
    sample().write(ModelFile.folder(dir));
    Files.write(
        dir.resolve(ModelFile.OPTIMIZER),
        new byte[] {0, 0, 0, 0},
        java.nio.file.StandardOpenOption.APPEND);
    assertThatThrownBy(() -> ModelFile.read(ModelFile.folder(dir)))
        .isInstanceOf(ModelFileException.class)
        .hasMessageContaining("optimizer.bin")
        .hasMessageContaining("longer than");
  }

  @Test
  void specThatDisagreesWithTheArraysIsRefused() throws IOException {
    sample().write(ModelFile.folder(dir));
    Path json = dir.resolve(ModelFile.MODEL_JSON);
    Files.writeString(json, Files.readString(json).replace("\"units\" : 5", "\"units\" : 4"));
    assertThatThrownBy(() -> ModelFile.read(ModelFile.folder(dir)))
        .isInstanceOf(ModelFileException.class)
        .hasMessageContaining("the network needs");
  }

  @Test
  void missingOrForeignFilesAreRefused() throws IOException {
    assertThatThrownBy(() -> ModelFile.read(ModelFile.folder(dir)))
        .isInstanceOf(ModelFileException.class)
        .hasMessageContaining("missing");
    Files.writeString(dir.resolve(ModelFile.MODEL_JSON), "{\"format\": \"something-else\"}");
    assertThatThrownBy(() -> ModelFile.read(ModelFile.folder(dir)))
        .hasMessageContaining("not a Kindling model");
    Files.writeString(dir.resolve(ModelFile.MODEL_JSON), "{not json");
    assertThatThrownBy(() -> ModelFile.read(ModelFile.folder(dir)))
        .hasMessageContaining("not valid JSON");
  }
}
