// Structural checks of a Plan that came from outside the process (plan.bin):
// every slot index in range, every enum value known, every instruction with
// the operands, integer parameters and blocks the executor reads, tensor
// sizes within bounds. A plan that passes cannot make the executor index out
// of its vectors; what a kernel does with shapes it was not compiled for is
// guarded by the artifact's checksums, not here.
#pragma once

#include <string>

#include "runtime/plan.h"

namespace wick::rt {

// Limits on plans read from files; wick's own plans stay far below them.
inline constexpr int32_t kMaxPlanSlots = 1 << 22;
inline constexpr int kMaxPlanDepth = 64;  // nesting of If/Loop blocks
inline constexpr int kMaxTensorRank = 16;
// Operands plus results of a kernel: what the executor passes in one call.
inline constexpr size_t kMaxKernelArgs = 64;

// Throws wick::Error naming `file` and the offending instruction.
void validate_plan(const Plan& plan, const std::string& file);

}  // namespace wick::rt
