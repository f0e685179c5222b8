package io.kindling.kernels;

import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J workspaces for the hot paths: after the first step learns its size, every temporary of a
 * training or inference step reuses the same native block, so a warm step allocates nothing.
 */
final class Workspaces {
  private static final WorkspaceConfiguration CONFIG =
      WorkspaceConfiguration.builder()
          .initialSize(0)
          .policyAllocation(AllocationPolicy.STRICT)
          .policyLearning(LearningPolicy.FIRST_LOOP)
          .policyReset(ResetPolicy.BLOCK_LEFT)
          .policySpill(SpillPolicy.REALLOCATE)
          .build();

  static final String TRAINING = "kindling-training";

  private Workspaces() {}

  static MemoryWorkspace training() {
    return Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, TRAINING);
  }

  static MemoryWorkspace inference() {
    return Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, "kindling-inference");
  }
}
