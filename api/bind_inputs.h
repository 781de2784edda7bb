// Inputs a caller leaves out. A method's Optional inputs (`mask:
// Optional[Tensor] = None`) may be left out: trailing ones by passing fewer
// inputs, any one by passing an undefined tensor. Each reads as None, and
// the graph compiled for that call no longer takes it, so branches on
// `mask is None` fold away.
#pragma once

#include <memory>
#include <vector>

#include "ir/graph.h"
#include "support/tensor.h"

namespace wick {

// `given[i]` says whether input i of `method` is given; inputs past the end
// of `given` are left out. Null when every input is given; otherwise a copy
// of `method` with each left-out input replaced by None and removed. Leaving
// out an input that is not Optional, or giving too many, is a wick::Error.
std::unique_ptr<ir::Graph> bind_left_out_inputs(const ir::Graph& method, const std::vector<bool>& given);

// Which of `inputs` are defined tensors.
std::vector<bool> given_inputs(const std::vector<Tensor>& inputs);

// The defined tensors of `inputs`, in order: what a graph bound by
// bind_left_out_inputs takes.
std::vector<Tensor> given_only(const std::vector<Tensor>& inputs);

}  // namespace wick
