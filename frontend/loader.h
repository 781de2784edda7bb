// Loading a TorchScript .pt file into wick IR: open the archive, parse its
// code, and emit the requested method with the module's tensors.
#pragma once

#include <memory>
#include <string>

#include "ir/module.h"

namespace wick {

struct LoadOptions {
  std::string method = "forward";
  // Emit the method in training mode: `self.training` reads as true in
  // every submodule (see EmitOptions).
  bool training = false;
};

// Throws wick::Error naming the file (and the op and source line where there
// is one) for anything wrong with the file or unsupported in it.
std::unique_ptr<ir::Module> load_torchscript(const std::string& path, const LoadOptions& options = {});

}  // namespace wick
