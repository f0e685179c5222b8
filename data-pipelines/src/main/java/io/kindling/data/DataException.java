package io.kindling.data;

/**
 * Input that cannot be used as it is. The message is one line naming the source, the record (row or
 * byte offset) and the problem, e.g. {@code train-labels.gz: record 17: label 12 is outside 0..9}.
 */
public final class DataException extends RuntimeException {
  private static final int EXCERPT_CHARS = 120;

  public DataException(String message) {
    super(message);
  }

  public DataException(String message, Throwable cause) {
    super(message, cause);
  }

  /**
   * Foreign text (a token from a file, another library's error message) cut to fit in a one-line
   * message: its first line, control characters replaced, at most 120 characters.
   */
  static String excerpt(String text) {
    if (text == null) {
      return "no details";
    }
    text = text.strip();
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < text.length() && out.length() < EXCERPT_CHARS; i++) {
      char c = text.charAt(i);
      if (c == '\n' || c == '\r') {
        break;
      }
      out.append(Character.isISOControl(c) ? '?' : c);
    }
    return out.length() < text.length() ? out.append("...").toString() : out.toString();
  }
}
