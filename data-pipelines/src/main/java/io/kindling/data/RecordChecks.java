package io.kindling.data;

import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * The one place that judges a record's values and applies the bad-record policy, so every reader
 * words and counts the same problem the same way. Under {@link BadRecordPolicy#FAIL} a problem is a
 * {@link DataException} {@code "<where>: <problem>"}; under {@link BadRecordPolicy#SKIP} it is
 * counted by reason and the reader drops the record.
 *
 * <p>Callers pass where the record is as a supplier, so the location text is only built for a bad
 * record.
 */
final class RecordChecks {
  private static final String HINT = " (use bad-records = skip to drop such records)";

  private final BadRecordPolicy policy;
  private final int classes;
  private final SkippedRecords skipped = new SkippedRecords();

  /**
   * @param classes labels must be whole numbers in 0..classes-1; 0 means they are real-valued
   *     regression targets
   */
  RecordChecks(BadRecordPolicy policy, int classes) {
    this.policy = policy;
    this.classes = classes;
  }

  SkippedRecords skipped() {
    return skipped;
  }

  /**
   * Throws under FAIL; counts {@code reason} under SKIP, after which the caller drops the record.
   */
  void reject(Supplier<String> where, String reason, String problem) {
    if (policy == BadRecordPolicy.FAIL) {
      throw new DataException(where.get() + ": " + problem + HINT);
    }
    skipped.add(reason);
  }

  /**
   * A feature value as it will be stored, or NaN when the record is rejected: NaN, infinities and
   * values beyond the float range are bad records.
   *
   * @param names names feature {@code index} in a message, e.g. {@code column 'x3'}
   */
  float feature(double value, int index, IntFunction<String> names, Supplier<String> where) {
    float f = (float) value;
    if (Float.isFinite(f)) {
      return f;
    }
    String problem =
        Double.isNaN(value)
            ? " is NaN"
            : Double.isInfinite(value)
                ? " is infinite"
                : " value " + value + " is beyond the float range";
    reject(where, SkippedRecords.NAN, names.apply(index) + problem);
    return Float.NaN;
  }

  /** A feature given as text, parsed and checked like {@link #feature}; NaN when rejected. */
  float number(String token, int index, IntFunction<String> names, Supplier<String> where) {
    if (token.isBlank()) {
      reject(where, SkippedRecords.MISSING_VALUE, names.apply(index) + " is empty");
      return Float.NaN;
    }
    double value;
    try {
      value = parse(token);
    } catch (NumberFormatException e) {
      reject(
          where,
          SkippedRecords.NOT_A_NUMBER,
          names.apply(index) + " value '" + DataException.excerpt(token) + "' is not a number");
      return Float.NaN;
    }
    return feature(value, index, names, where);
  }

  /**
   * The label of a record: its class, or, with 0 classes (regression), the real-valued target
   * itself; NaN when the record is rejected.
   */
  double label(double value, Supplier<String> where) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      reject(where, SkippedRecords.NAN, "label is " + (Double.isNaN(value) ? "NaN" : "infinite"));
      return Double.NaN;
    }
    if (classes == 0) {
      return value;
    }
    if (value != Math.rint(value)) {
      reject(
          where,
          SkippedRecords.LABEL_OUT_OF_RANGE,
          "label " + value + " is not a whole number in 0.." + (classes - 1));
      return Double.NaN;
    }
    if (value < 0 || value >= classes) {
      reject(
          where,
          SkippedRecords.LABEL_OUT_OF_RANGE,
          "label "
              + java.math.BigDecimal.valueOf(value).stripTrailingZeros().toPlainString()
              + " is outside 0.."
              + (classes - 1));
      return Double.NaN;
    }
    return value;
  }

  /** A label given as text, parsed and checked like {@link #label(double, Supplier)}. */
  double label(String token, Supplier<String> where) {
    if (token.isBlank()) {
      reject(where, SkippedRecords.MISSING_VALUE, "label is empty");
      return Double.NaN;
    }
    try {
      return label(parse(token), where);
    } catch (NumberFormatException e) {
      reject(
          where,
          SkippedRecords.NOT_A_NUMBER,
          "label '" + DataException.excerpt(token) + "' is not a number");
      return Double.NaN;
    }
  }

  /**
   * A decimal number as text files write it. Unlike {@link Double#parseDouble} alone it refuses
   * Java's hexadecimal and {@code 1f}/{@code 1d} forms, and it reads the spellings of NaN and
   * infinity that numpy, pandas and R write (so they are reported as NaN, not as "not a number").
   */
  static double parse(String token) {
    String t = token.strip();
    switch (t.toLowerCase(java.util.Locale.ROOT)) {
      case "nan", "+nan", "-nan" -> {
        return Double.NaN;
      }
      case "inf", "+inf", "infinity", "+infinity" -> {
        return Double.POSITIVE_INFINITY;
      }
      case "-inf", "-infinity" -> {
        return Double.NEGATIVE_INFINITY;
      }
      default -> {}
    }
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (!(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) {
        throw new NumberFormatException(t);
      }
    }
    return Double.parseDouble(t);
  }
}
