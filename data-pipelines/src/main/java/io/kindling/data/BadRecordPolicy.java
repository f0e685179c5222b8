package io.kindling.data;

/** What a reader does with a record it cannot use. */
public enum BadRecordPolicy {
  /** Stop with a {@link DataException} naming the file, the record and the problem. */
  FAIL,
  /** Drop the record and count it by reason in {@link SkippedRecords}. */
  SKIP;

  public static BadRecordPolicy parse(String name) {
    return switch (name.toLowerCase(java.util.Locale.ROOT)) {
      case "fail" -> FAIL;
      case "skip" -> SKIP;
      default ->
          throw new IllegalArgumentException(
              "unknown bad-record policy '" + name + "'; use fail or skip");
    };
  }
}
