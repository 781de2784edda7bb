// Memory planning: places the tensors a plan allocates in its top-level
// block into one arena, reusing bytes between tensors whose lifetimes do not
// overlap (a tensor lives from its alloc to the last instruction reading it
// or a view of it). Tensors that reach the plan's outputs, and those inside
// If/Loop blocks, keep their own allocation. Sets Instr::arena_offset and
// Plan::arena_bytes.
#pragma once

#include "runtime/plan.h"

namespace wick::codegen {

void plan_memory(rt::Plan& plan);

}  // namespace wick::codegen
