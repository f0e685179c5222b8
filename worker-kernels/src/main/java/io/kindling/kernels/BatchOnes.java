package io.kindling.kernels;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A vector of ones as long as the batch, so that adding a bias to every example ({@code ones x
 * bias}) and summing a gradient over the examples ({@code ones^T x dZ}) are matrix products: one
 * BLAS call each instead of a broadcast or reduction op, which cost several times more per call.
 * Made once per batch size, outside any workspace, so warm steps allocate nothing.
 */
final class BatchOnes {
  private INDArray column;
  private INDArray row;

  /** [batch, 1]. */
  INDArray column(long batch, DataType dataType) {
    refresh(batch, dataType);
    return column;
  }

  /** [1, batch]. */
  INDArray row(long batch, DataType dataType) {
    refresh(batch, dataType);
    return row;
  }

  private void refresh(long batch, DataType dataType) {
    if (column == null || column.size(0) != batch || column.dataType() != dataType) {
      try (var detached = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        column = Nd4j.ones(dataType, batch, 1);
        row = column.reshape('c', 1, batch);
      }
    }
  }
}
