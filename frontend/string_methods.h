// Python's str methods that TorchScript code calls (`torch.upper(s)`,
// `torch.startswith(name, "SUM")`), folded while emitting: wick has no
// strings at run time, so they apply to strings known when compiling,
// such as module attributes and literals.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ir/attribute.h"

namespace wick {

// The result of `op` ("aten::upper") on constant arguments, or nullopt when
// op is no str method handled here or the arguments do not fit it.
std::optional<ir::AttrValue> fold_string_method(const std::string& op, const std::vector<const ir::AttrValue*>& args);

}  // namespace wick
