package io.kindling.kernels;

import java.io.IOException;

/**
 * A model or checkpoint that cannot be trusted: missing, truncated, altered or of another format.
 */
public final class ModelFileException extends IOException {
  public ModelFileException(String message) {
    super(message);
  }

  public ModelFileException(String message, Throwable cause) {
    super(message, cause);
  }
}
