// The IR emitter: turns one method of a loaded TorchScript module into a wick
// IR graph. Submodule methods and TorchScript functions are inlined,
// `self.x` resolves to parameters, buffers and constants, every call is
// matched against the op table's schemas (overloads by argument types,
// defaults filled), `if`/`for`/`while` stay structured as prim::If and
// prim::Loop, and what is known while emitting (`self.training`, `x is None`
// for a known x, constant conditions) is folded. Ops wick does not know are
// collected and reported together in one error.
#pragma once

#include <memory>
#include <string>

#include "frontend/code_index.h"
#include "frontend/pt_archive.h"
#include "ir/module.h"

namespace wick {

// Adds the module's tensors and the graph of `method` to a new ir::Module.
// `display_name` names the file in messages.
std::unique_ptr<ir::Module> emit_module(const PtArchive& archive, const CodeIndex& code,
                                        const std::string& display_name, const std::string& method);

}  // namespace wick
