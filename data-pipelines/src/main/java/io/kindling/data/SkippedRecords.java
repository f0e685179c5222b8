package io.kindling.data;

import java.io.Serializable;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** Records dropped under {@link BadRecordPolicy#SKIP}, counted by reason. */
public final class SkippedRecords implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The reasons reported in {@code summary.json}, always present even when zero. */
  public static final String NAN = "nan";

  public static final String LABEL_OUT_OF_RANGE = "label_out_of_range";

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
