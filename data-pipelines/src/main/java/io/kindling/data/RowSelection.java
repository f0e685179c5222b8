package io.kindling.data;

import java.io.Serializable;

/**
 * Which rows of each cached source block belong to a split, decided per block from its partition
 * index, its size and a seed alone: the driver knows each split's size from the blocks' counts
 * without a pass over the data, and a recomputed block selects the same rows.
 */
interface RowSelection extends Serializable {
  /** Every row. */
  RowSelection ALL =
      new RowSelection() {
        @Override
        public long count(int partition, long size) {
          return size;
        }

        @Override
        public int[] rows(int partition, int size) {
          return null;
        }
      };

  /** How many of a block's {@code size} rows are selected. */
  long count(int partition, long size);

  /** The selected rows of a block, ascending; null means all of them. */
  int[] rows(int partition, int size);

  /**
   * A seeded hold-out: in every block, a random {@code round(size * fraction)} rows are held out.
   *
   * @param held the held-out rows (e.g. validation), or the rest (training)
   */
  static RowSelection holdOut(double fraction, long seed, boolean held) {
    if (fraction < 0 || fraction >= 1) {
      throw new IllegalArgumentException("hold-out fraction must be in [0, 1), got " + fraction);
    }
    return new HoldOut(fraction, seed, held);
  }

  /** Rows whose place in a seeded permutation of the block falls below the held-out count. */
  record HoldOut(double fraction, long seed, boolean held) implements RowSelection {
    @Override
    public long count(int partition, long size) {
      long heldRows = Math.round(size * fraction);
      return held ? heldRows : size - heldRows;
    }

    @Override
    public int[] rows(int partition, int size) {
      int[] rank = Partitions.permutation(size, seed * 31 + partition);
      int[] rows = new int[(int) count(partition, size)];
      long heldRows = Math.round(size * fraction);
      int n = 0;
      for (int r = 0; r < size; r++) {
        if (rank[r] < heldRows == held) {
          rows[n++] = r;
        }
      }
      return rows;
    }
  }
}
