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
#include <optional>
#include <string>

#include "frontend/code_index.h"
#include "frontend/pt_archive.h"
#include "ir/module.h"

namespace wick {

struct EmitOptions {
  // What `self.training` reads as in every submodule: the pickled value when
  // unset. Training (true) also turns an in-place op on a module tensor
  // (batch norm's `num_batches_tracked.add_(1)`) into a prim::StoreParam of
  // the result, which later reads of the tensor see.
  std::optional<bool> training;
};

// Adds the module's tensors and the graph of `method` to a new ir::Module.
// `display_name` names the file in messages.
std::unique_ptr<ir::Module> emit_module(const PtArchive& archive, const CodeIndex& code,
                                        const std::string& display_name, const std::string& method,
                                        const EmitOptions& options = {});

// The graph of `method`, reading the tensors of `module` (added to it when
// missing), not added to the module's methods: another view of a module
// already emitted (e.g. its eval-mode forward beside its training one).
std::unique_ptr<ir::Graph> emit_graph(const PtArchive& archive, const CodeIndex& code, ir::Module& module,
                                      const std::string& display_name, const std::string& method,
                                      const EmitOptions& options = {});

}  // namespace wick
