package io.kindling.driver;

/** A configuration that cannot be used: an unknown key, a wrong type, a missing job file. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
