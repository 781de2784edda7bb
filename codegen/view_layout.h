// Static layouts of views: given the sizes and strides of a view op's input,
// the sizes, strides and added element offset of its result. Every tensor in
// a compiled plan has a layout known at compile time (kernels write
// contiguous results; views restride them), so views cost nothing at run
// time and kernels are compiled for exact strides.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ir/graph.h"
#include "support/strides.h"

namespace wick::codegen {

struct StridedLayout {
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
  int64_t offset = 0;  // added to the input's offset, in elements
};

// The layout a view node gives its static input layout; nullopt when it
// needs a copy first (a reshape of data that cannot be restrided), or when a
// parameter is only known at run time (select with a dynamic index).
std::optional<StridedLayout> view_layout(const ir::Node& node, const StridedLayout& input);
// The same for a result of the given sizes (the node's output type with its
// dynamic dims bound to chosen values).
std::optional<StridedLayout> view_layout(const ir::Node& node, const StridedLayout& input,
                                         const std::vector<int64_t>& output_sizes);

}  // namespace wick::codegen
