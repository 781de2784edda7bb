// Plans as text, for debugging and for tests that compare plans: every field
// of every instruction is printed (fields left at their defaults are
// omitted), nested blocks indented, so two plans are structurally equal
// exactly when their texts are. Also the names of the plan's enums, which the
// plan reader uses to reject values out of range.
#pragma once

#include <string>

#include "runtime/plan.h"
#include "runtime/post_op.h"

namespace wick::rt {

std::string print_plan(const Plan& plan);
std::string print_instr(const Instr& instr);

// The name of an enum value; nullptr when the value names no enumerator.
const char* op_name(Op op);
const char* scalar_type_name(ScalarType type);
const char* scalar_op_name(ScalarOp op);
const char* extern_op_name(ExternOp op);
const char* post_op_name(PostOp op);
const char* plan_device_name(PlanDevice device);

}  // namespace wick::rt
