package io.kindling.kernels;

import org.bytedeco.javacpp.IntPointer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link FloatCursor}'s twin for loops on fp32 values' raw bits: it reads and writes them as ints,
 * on which masks and shifts vectorise where float comparisons become branches.
 */
final class BitsCursor extends IntPointer {
  /** Points at fp32 {@code x}'s first element, spanning the whole array. */
  BitsCursor at(INDArray x) {
    address = x.data().address() + x.offset() * Float.BYTES;
    position = 0;
    limit = x.length();
    capacity = x.length();
    return this;
  }
}
