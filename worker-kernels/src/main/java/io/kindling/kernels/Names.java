package io.kindling.kernels;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Renders enum constants the way configuration files spell them. */
final class Names {
  private Names() {}

  static String of(Enum<?>[] values) {
    return Arrays.stream(values)
        .map(v -> v.name().toLowerCase(Locale.ROOT).replace('_', '-'))
        .collect(Collectors.joining(", "));
  }
}
