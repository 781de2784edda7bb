// Matching a TorchScript call against the op table: picks the overload of
// `aten::add` (or any op) whose schema accepts the arguments, binds keyword
// arguments, fills defaults, and makes the few conversions TorchScript makes
// implicitly (an int constant where a float is expected, one int for an
// int[N], an empty list literal for any list type).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ir/builder.h"
#include "ir/op_table.h"

namespace wick {

struct OpCall {
  std::vector<ir::Value*> positional;
  std::vector<std::pair<std::string, ir::Value*>> keywords;
};

struct MatchedOp {
  const ir::OpDef* op = nullptr;
  std::vector<ir::Value*> inputs;  // in schema order, defaults filled
};

// Tries exact matches first, then matches needing conversions; creates any
// constants it needs through `b`. Nullopt when no overload accepts the call;
// `why` then explains the closest failure.
std::optional<MatchedOp> match_op(const std::vector<const ir::OpDef*>& overloads, const OpCall& call,
                                  ir::Builder& b, std::string* why);

// "(Tensor, int, float)": the argument types of a call, for messages.
std::string describe_call(const OpCall& call);

}  // namespace wick
