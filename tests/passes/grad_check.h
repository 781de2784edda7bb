// Helpers of the gradient tests: random inputs of a few kinds, and a tiny
// graph `loss = sum(y * w)` whose IR text body computes %y from inputs %x0,
// %x1, ...; its joint graph (passes::autodiff) is compiled with
// wick::compile_graph and run on the same tensors torch gets.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "api/compiled_graph.h"
#include "ir/module.h"

namespace wick::testing {

enum class Draw {
  normal,          // randn
  positive,        // in [0.5, 2)
  away_from_zero,  // |x| in [0.5, 1.5)
  ties,            // small integers: many equal values
  boundary,        // randn * 3 with a third of the entries from `special`
  choice,          // every entry from `special`
  index,           // int64 in [0, high)
  unique_index,    // 1-D int64 in [0, high), no value twice
  mask,            // bool
  // Batches of square matrices [*, n, n]:
  well_conditioned,   // the identity plus randn / (2 sqrt(n)): singular values near 1
  positive_definite,  // M M^T / n + I for a randn M: symmetric, eigenvalues at least 1
};

struct InputSpec {
  std::vector<int64_t> shape;
  Draw draw = Draw::normal;
  std::vector<double> special = {};  // boundary values
  int64_t high = 0;                  // index bound
  bool grad = true;                  // a float input that is differentiated
  torch::ScalarType dtype = torch::kFloat;  // of float inputs
};

torch::Tensor make_input(const InputSpec& s);

// IR text of a graph taking `inputs` (typed from the tensors), then `extra`
// parameters, holding `body` and returning what `tail` (lines after the body)
// returns.
std::string graph_text(const std::vector<torch::Tensor>& inputs, const std::string& extra, const std::string& body,
                       const std::string& tail);

// The loss graph for `body`: parsed, types inferred, with a weight input %w
// shaped like %y (returned in *w_shape and *w_dtype).
std::unique_ptr<ir::Module> loss_graph(const std::string& body, const std::vector<torch::Tensor>& inputs,
                                       std::vector<int64_t>* w_shape, torch::ScalarType* w_dtype);

Tensor to_wick(const torch::Tensor& t);  // a contiguous copy
torch::Tensor to_torch(const Tensor& t);  // a copy

// Compiles `graph` for the dtypes and shapes of `inputs`; runs a compiled graph.
std::shared_ptr<CompiledGraph> compile_for(const ir::Graph& graph, const ir::Module& module,
                                           const std::vector<torch::Tensor>& inputs);
std::vector<torch::Tensor> run(const CompiledGraph& compiled, const std::vector<torch::Tensor>& inputs);

// Compiles `graph` for the shapes of `inputs` and runs it.
std::vector<torch::Tensor> compile_and_run(const ir::Graph& graph, const ir::Module& module,
                                           const std::vector<torch::Tensor>& inputs);

struct GradRun {
  torch::Tensor loss;
  std::vector<torch::Tensor> grads;  // one per input with differentiate[i]
};

// wick's loss and gradients: the joint graph of the loss graph w.r.t. the
// inputs marked in `differentiate`, run on inputs + {w}.
GradRun wick_gradients(const std::string& body, const std::vector<torch::Tensor>& inputs,
                       const std::vector<bool>& differentiate, const torch::Tensor& w);

// max|a - b| / max|b| (max|a - b| when b is all zeros); shapes must match.
double relative_error(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace wick::testing
