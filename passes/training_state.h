// The module tensors a training step keeps its own state in, next to the
// model's parameters and buffers. Their names contain "::", which no
// TorchScript attribute path can, so they never collide with the model's and
// are never written back to a .pt file.
#pragma once

#include <string>

namespace wick::passes {

// int64 []: how many steps were taken; the dropout stream and Adam's bias
// correction read it, the step increments it.
inline constexpr const char* kStepTensor = "wick::step";
// int64 []: the seed of the dropout stream.
inline constexpr const char* kSeedTensor = "wick::seed";

// Optimizer state of a parameter, e.g. "wick::exp_avg.fc1.weight".
inline std::string optimizer_state_name(const std::string& kind, const std::string& param) {
  return "wick::" + kind + "." + param;
}

}  // namespace wick::passes
