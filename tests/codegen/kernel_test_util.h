// Helpers for the kernel generation tests: parse a small graph from IR text,
// make a kernel group of it, compile and run the kernel on LibTorch tensors
// (wrapped as wick::Tensor, any strides), and compute LibTorch's answer for a
// node by calling torch's own implementation of the same schema.
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "codegen/kernel_gen.h"
#include "ir/module.h"

namespace wick::codegen::test {

// Parses one graph (types of node results may be partial, e.g. `Tensor`:
// each op's type rule fills them in, in order).
std::unique_ptr<ir::Module> parse_graph(const std::string& text);
ir::Graph& graph_of(ir::Module& m);

// Every node of the graph, its inputs and its outputs as one group. Tensor
// layouts are taken from `inputs` when given (parallel to the graph inputs;
// non-tensors ignored), else contiguous.
KernelGroup whole_graph_group(const ir::Graph& g, const std::vector<c10::IValue>& inputs = {});

struct KernelResult {
  std::vector<torch::Tensor> outputs;
  int64_t status = 0;  // the out-of-range flag, when the kernel has one
  GeneratedKernel kernel;
};

// Generates, compiles (cache off) and runs `group`; `inputs` are parallel to
// group.inputs: tensors (any strides) or Int/Float/Bool scalars.
KernelResult run_group(const KernelGroup& group, const std::vector<c10::IValue>& inputs,
                       const std::string& name = "kernel");
// The same for a whole graph.
KernelResult run_graph(const std::string& text, const std::vector<c10::IValue>& inputs);

// A compiled kernel run on its own (for kernels made without a group).
std::vector<torch::Tensor> run_kernel(const GeneratedKernel& kernel, const std::vector<c10::IValue>& inputs);

// torch's result for `node`, with graph inputs bound to `values`.
std::vector<torch::Tensor> torch_reference(const ir::Node& node,
                                           const std::map<const ir::Value*, c10::IValue>& values);
// torch's results for every output of a graph, evaluating it node by node.
std::vector<torch::Tensor> torch_graph(const ir::Graph& g, const std::vector<c10::IValue>& inputs);

// Same dtype and shape; floats within max|out-ref|/max|ref| <= tol with NaN
// in the same places and infinities equal; other dtypes exactly equal.
::testing::AssertionResult matches(const torch::Tensor& out, const torch::Tensor& ref, double tol = 1e-5);

torch::ScalarType torch_dtype(DType t);
DType wick_dtype(torch::ScalarType t);

}  // namespace wick::codegen::test
