package io.kindling.data;

import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** Records dropped under {@link BadRecordPolicy#SKIP}, counted by reason. */
public final class SkippedRecords implements Serializable {
  private static final long serialVersionUID = 1L;

  // The two reasons reported in summary.json even when zero.

  /** A NaN or infinite value (or one beyond the float range). */
  public static final String NAN = "nan";

  /** A label that is not a whole number in 0..classes-1. */
  public static final String LABEL_OUT_OF_RANGE = "label_out_of_range";

  // Reasons that only some readers report; they appear once counted.

  /** A CSV line with more or fewer fields than the header (or the first line). */
  public static final String WRONG_COLUMN_COUNT = "wrong_column_count";

  /** A text value that does not parse as a number. */
  public static final String NOT_A_NUMBER = "not_a_number";

  /** An empty CSV field, or a null in a DataFrame. */
  public static final String MISSING_VALUE = "missing_value";

  /** A LibSVM token that is not {@code index:value}, or a CSV line with an unclosed quote. */
  public static final String BAD_TOKEN = "bad_token";

  /** A LibSVM index that does not increase along its line. */
  public static final String INDEX_OUT_OF_ORDER = "index_out_of_order";

  /** A LibSVM index below 1 or above the declared feature count. */
  public static final String INDEX_OUT_OF_RANGE = "index_out_of_range";

  /** A feature vector or array whose length differs from the others'. */
  public static final String WRONG_VECTOR_SIZE = "wrong_vector_size";

  /** An image whose channels, height or width differ from the expected shape. */
  public static final String WRONG_IMAGE_SIZE = "wrong_image_size";

  /** A file in an image folder that does not decode as an image. */
  public static final String NOT_AN_IMAGE = "not_an_image";

  private final TreeMap<String, Long> counts = new TreeMap<>();

  public SkippedRecords() {
    counts.put(NAN, 0L);
    counts.put(LABEL_OUT_OF_RANGE, 0L);
  }

  public void add(String reason) {
    counts.merge(reason, 1L, Long::sum);
  }

  public SkippedRecords merge(SkippedRecords other) {
    other.counts.forEach((k, v) -> counts.merge(k, v, Long::sum));
    return this;
  }

  public long total() {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }

  public Map<String, Long> counts() {
    return Collections.unmodifiableMap(counts);
  }

  @Override
  public String toString() {
    return counts.toString();
  }
}
