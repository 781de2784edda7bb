// Model inputs named on the command line: a .npy file, a shape such as
// 200x14 for seeded standard-normal float32 data, or `none` for an Optional
// input left out (an undefined tensor).
#pragma once

#include <cstdint>
#include <string>

#include "support/tensor.h"

namespace wick::tools {

// `seed` makes generated inputs reproducible; each input gets its own stream.
Tensor read_input(const std::string& spec, uint64_t seed, int index);

}  // namespace wick::tools
