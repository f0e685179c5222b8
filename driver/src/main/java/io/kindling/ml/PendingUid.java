package io.kindling.ml;

/**
 * A stage's uid while its Scala superclass constructs. Spark's shared params ({@code featuresCol},
 * ...) are fields the superclass creates, and each records {@code uid()} as its owner; a Java
 * subclass cannot set its uid field before that, so {@code uid()} reads it from here meanwhile.
 */
final class PendingUid {
  private static final ThreadLocal<String> PENDING = new ThreadLocal<>();

  private final String uid;

  private PendingUid(String uid) {
    this.uid = uid;
  }

  /** Holds {@code uid} for the constructor about to run on this thread. */
  static PendingUid hold(String uid) {
    PENDING.set(uid);
    return new PendingUid(uid);
  }

  /** The uid of the stage under construction on this thread. */
  static String current() {
    return PENDING.get();
  }

  /** Ends the construction window; returns the uid for the stage's own field. */
  String release() {
    PENDING.remove();
    return uid;
  }
}
