package io.kindling.data;

/**
 * Input that cannot be used as it is. The message is one line naming the source, the record (row or
 * byte offset) and the problem, e.g. {@code train-labels.gz: record 17: label 12 is outside 0..9}.
 */
public final class DataException extends RuntimeException {
  public DataException(String message) {
    super(message);
  }

  public DataException(String message, Throwable cause) {
    super(message, cause);
  }
}
