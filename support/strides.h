// Stride arithmetic of strided tensors as torch does it: dense strides,
// contiguity, and the strides of a view (torch's computeStride). Shared by
// Tensor, the plan builder (which lays out views at compile time) and the
// passes that follow LibTorch's memory layouts.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace wick {

// Row-major strides for `sizes` (size-0 dims count as 1).
std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& sizes);
// torch's is_contiguous(): size-1 dims may have any stride.
bool is_contiguous(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides);

// Strides that view `sizes`/`strides` as `shape` without copying, as torch's
// view() computes them; nullopt when the data would have to move.
std::optional<std::vector<int64_t>> restride(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides,
                                             const std::vector<int64_t>& shape);

}  // namespace wick
