#include "passes/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/canonicalize.h"
#include "passes/cast_wrapped_numbers.h"
#include "passes/decompose.h"
#include "passes/eliminate_common_subexpressions.h"
#include "passes/eliminate_dead_code.h"
#include "passes/fold_batch_norm.h"
#include "passes/fuse.h"
#include "passes/guard_endless_loops.h"
#include "passes/infer_shapes.h"
#include "passes/lower_complex.h"
#include "passes/lower_nested_tensors.h"
#include "passes/lower_packed_sequences.h"
#include "passes/hoist_permutes.h"
#include "passes/sink_permutes.h"
#include "passes/squeeze_unit_batch.h"
#include "passes/integer_quantized_ops.h"
#include "passes/requantize_averages.h"
#include "passes/widen_library_calls.h"

namespace wick::passes {
namespace {

constexpr int kMaxSimplifyRounds = 16;

class Pipeline {
 public:
  explicit Pipeline(ir::Graph& g) : graph_(g) {
    const char* env = std::getenv("WICK_PRINT_IR");
    if (env && *env) print_ = env;
  }

  void step(const char* name, const std::function<void()>& pass) {
    auto start = std::chrono::steady_clock::now();
    pass();
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
#ifndef NDEBUG
    ir::verify(graph_);
#endif
    if (print_ == "1" || print_ == "all" || print_ == name)
      std::fprintf(stderr, "// after %s (%.3f ms)\n%s\n", name, ms, ir::print(graph_).c_str());
  }

 private:
  ir::Graph& graph_;
  std::string print_;
};

void collect_unsupported(const ir::Block& b, std::vector<std::string>& out) {
  for (const ir::Node* n : b) {
    if (n->is("prim::Unsupported"))
      if (const auto* what = n->attrs().find("what"))
        if (const auto* s = std::get_if<std::string>(what))
          if (std::find(out.begin(), out.end(), *s) == out.end()) out.push_back(*s);
    for (const ir::Block* c : n->blocks()) collect_unsupported(*c, out);
  }
}

// The front end's placeholders for ops it could not emit that folding has
// not removed: their branches run after all, so the ops are needed.
void reject_unsupported(const ir::Graph& graph) {
  std::vector<std::string> ops;
  collect_unsupported(*graph.block(), ops);
  if (ops.empty()) return;
  std::string msg = std::to_string(ops.size()) + " unsupported op" + (ops.size() == 1 ? "" : "s") +
                    " in method '" + graph.name() + "':";
  for (const std::string& op : ops) msg += "\n  " + op;
  throw Error(msg);
}

// Alternates folding and type inference until neither finds anything new:
// a folded size makes a shape static, a static shape folds a size. A
// contradiction in a branch waits until folding has removed the dead ones.
void simplify(ir::Graph& graph) {
  for (int round = 0; round < kMaxSimplifyRounds; ++round) {
    infer_shapes(graph, nullptr, BranchErrors::defer);
    if (!canonicalize(graph)) break;
  }
  // After folding, which may show a while condition to be fixed.
  guard_endless_loops(graph);
  reject_unsupported(graph);
  infer_shapes(graph);
}

}  // namespace

void specialize_stage(ir::Graph& graph, const std::vector<ir::TypePtr>* input_types) {
  Pipeline p(graph);
  p.step("specialize", [&] { infer_shapes(graph, input_types, BranchErrors::defer); });
  p.step("cast_wrapped_numbers", [&] { cast_wrapped_numbers(graph); });
  p.step("simplify", [&] { simplify(graph); });
}

void lower_stage(ir::Graph& graph, const PipelineOptions& options) {
  Pipeline p(graph);
  if (options.fold_batch_norm) p.step("fold_batch_norm", [&] { fold_batch_norm(graph); });
  // Folding leaves dead code behind; a composite's undefined result (the
  // attention weights nobody asked for) must have no uses left when it goes.
  p.step("eliminate_dead_code", [&] { eliminate_dead_code(graph); });
  p.step("lower_complex", [&] { lower_complex(graph, {.fft_kernels = options.device != TargetDevice::cuda}); });
  p.step("lower_nested_tensors", [&] { lower_nested_tensors(graph); });
  // The padded form's sizes fold once the packed ones are gone.
  p.step("lower_packed_sequences", [&] {
    if (lower_packed_sequences(graph)) simplify(graph);
  });
  p.step("integer_quantized_ops", [&] { integer_quantized_ops(graph); });
  p.step("requantize_averages", [&] { requantize_averages(graph); });
  DecomposeOptions decompose_options;
  decompose_options.for_gpu = options.device == TargetDevice::cuda;
  decompose_options.differentiated = options.differentiated;
  p.step("decompose", [&] { decompose(graph, decompose_options); });
  p.step("simplify", [&] { simplify(graph); });
  // After folding, which leaves the permutes it can undo next to each other.
  p.step("hoist_permutes", [&] {
    if (hoist_permutes(graph)) simplify(graph);
  });
  p.step("sink_permutes", [&] {
    if (sink_permutes(graph)) simplify(graph);
  });
}

void simplify_stage(ir::Graph& graph) {
  Pipeline p(graph);
  p.step("simplify", [&] { simplify(graph); });
}

FuseOptions fuse_options(TargetDevice device) {
  FuseOptions o;
  o.row_groups = true;
  if (device == TargetDevice::cuda) {
    // The GPU's small-MLP kernel unrolls every weight and keeps a row's
    // features in registers (codegen/gpu_mlp.cpp).
    o.mlp_max_features = 64;
    o.mlp_max_weights = 4096;
    o.mlp_dynamic_rows = false;
    o.gelu_epilogue = true;
    // The GPU's pointwise generator has not been run on groups whose
    // members iterate over smaller domains than the group.
    o.max_recompute = 1;
  }
  return o;
}

void finish_stage(ir::Graph& graph, const PipelineOptions& options) {
  Pipeline p(graph);
  p.step("widen_library_calls",
         [&] { widen_library_calls(graph, {.bf16_products = options.device != TargetDevice::cuda}); });
  p.step("eliminate_common_subexpressions", [&] { eliminate_common_subexpressions(graph); });
  p.step("eliminate_dead_code", [&] { eliminate_dead_code(graph); });
  p.step("fuse", [&] { fuse(graph, fuse_options(options.device)); });
  // The CPU executor splits kernels along dim 0; CUDA kernels split anyway.
  if (options.device != TargetDevice::cuda) p.step("squeeze_unit_batch", [&] { squeeze_unit_batch(graph); });
  ir::verify(graph);
}

void run_pipeline(ir::Graph& graph, const std::vector<ir::TypePtr>* input_types, const PipelineOptions& options) {
  specialize_stage(graph, input_types);
  lower_stage(graph, options);
  finish_stage(graph, options);
}

}  // namespace wick::passes
