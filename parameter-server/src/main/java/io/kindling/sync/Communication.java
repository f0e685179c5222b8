package io.kindling.sync;

/**
 * What the workers of a ring strategy (the sharded all-reduce, ring averaging) sent each other in
 * one round.
 *
 * @param workers the ring's size W
 * @param steps the synchronous steps of the round
 * @param seconds the longest any worker spent in collectives during the steps, waiting for slower
 *     peers included
 * @param bytesPerWorkerPerStep data bytes one worker sent per step, averaged over workers and steps
 *     (frame headers and the clipping norm included; set-up and the end-of-round averaging of
 *     running statistics excluded)
 * @param optimumBytesPerWorkerPerStep the ring optimum for what the strategy must sum per step,
 *     {@code 2 (W - 1) / W} times its fp32 bytes: the trainable parameters' gradients and
 *     parameters for the all-reduce, the averaged state (once per averaging period) for ring
 *     averaging
 */
public record Communication(
    int workers,
    int steps,
    double seconds,
    double bytesPerWorkerPerStep,
    double optimumBytesPerWorkerPerStep) {

  /**
   * The most values one frame of the ring carries. Each task of a ring strategy holds a frame's
   * send and receive buffers off the heap and a frame of received values on it.
   */
  public static final int FRAME_FLOATS = 1 << 20;

  /** The ring optimum per worker for summing {@code values} fp32 values. */
  static double optimumBytes(int workers, long values) {
    return 2.0 * (workers - 1) / workers * 4 * values;
  }
}
