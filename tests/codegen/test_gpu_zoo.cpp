// Every kernel of the zoo on the GPU: each zoo model (scripted variant, or
// traced for a model saved traced only) goes
// through the pass pipeline and the CPU plan builder (wick::plan_method),
// whose hooks hand over every kernel group and strided copy the plan
// generates; each becomes a GPU kernel (generate_gpu_kernel /
// generate_gpu_copy), whose PTX ptxas must assemble for sm_90. Groups the
// GPU generator refuses must be listed in kKnownGaps below, so that a new
// gap fails the test (and a closed one too, to keep the list true).
// Prints the count per model and the time per kernel.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <future>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <semaphore>
#include <set>
#include <sstream>

#include "api/bind_inputs.h"
#include "api/plan_method.h"
#include "api/train_graph.h"
#include "codegen/gpu_kernel_gen.h"
#include "codegen/ptxas.h"
#include "frontend/loader.h"
#include "gpu_test_util.h"
#include "ir/builder.h"
#include "ir/type.h"
#include "ir/op_table.h"
#include "passes/autodiff.h"
#include "passes/eliminate_common_subexpressions.h"
#include "passes/eliminate_dead_code.h"
#include "passes/fuse.h"
#include "passes/pipeline.h"
#include "passes/training_state.h"
#include "runtime/plan.h"
#include "runtime/npy.h"
#include "support/error.h"
#include "test_paths.h"

namespace wick {
namespace {

const char* const kModels[] = {"mlp_relu",          "nn5",           "cnn_bn",      "resnet18",
                               "mobilenet_v2",      "transformer_block", "embedding_classifier",
                               "ops_linalg",        "ops_pointwise", "ops_reduce",  "ops_shape",
                               "two_inputs_tuple",  "nested_tuple",  "losses",      "control_flow",
                               "attention_layers",  "attention_masks",   "transformer",
                               "multihead_attention", "recurrent", "ops_extra", "dense_block", "dict_model", "writes", "writes_loops", "ops_math", "cells_distances", "volumes", "ops_sort", "ops_scans_bits", "embedding_bags", "resampling", "scatter_reduce", "pool_indices", "sampling_grids", "ops_more", "ops_conveniences", "quantized_dynamic", "quantized_recurrent", "embedding_max_norm", "ops_special", "ops_select", "spectral", "bfloat16", "float16", "float64"};

// Groups the GPU generator does not take yet, by model: the first op of the
// group and the start of the error. Keep in sync with gpu_kernel_gen.h.
const std::multiset<std::string> kKnownGaps = {};
const std::multiset<std::string> kKnownTrainingGaps = {};

std::vector<std::string> input_files(const std::string& model) {
  std::ifstream in(std::string(wick::test_paths::zoo_dir()) + "/" + model + ".meta.json");
  std::stringstream s;
  s << in.rdbuf();
  const std::string text = s.str();
  std::vector<std::string> files;
  for (size_t at = text.find("\"file\""); at != std::string::npos; at = text.find("\"file\"", at + 1)) {
    const size_t open = text.find('"', text.find(':', at)) + 1;
    files.push_back(text.substr(open, text.find('"', open) - open));
  }
  return files;
}

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

struct ZooTotals {
  int kernels = 0, copies = 0, gaps = 0, distinct = 0;
  double generate_ms = 0, compile_ms = 0, ptxas_ms = 0;
};

// Generates the GPU kernel of every kernel group and copy that plans of the
// zoo's graphs need, assembles each (ptxas on another thread meanwhile),
// and collects refused groups as "model: first op: message".
class ZooRun {
 public:
  PlanMethodOptions options(const std::string& model) {
    PlanMethodOptions o;
    o.plan.on_kernel_group = [this, model](const codegen::KernelGroup& group) {
      const std::string name = "zoo_kernel";
      try {
        record(model, codegen::write_gpu_kernel(group, name), false);
      } catch (const Error& e) {
        const ir::Node* first = nullptr;
        for (const ir::Node* n : group.nodes)
          if (!n->is("prim::Constant") && !n->is("prim::ListConstruct") && !first) first = n;
        std::string message = e.what();
        const size_t at = message.find("kernel " + name + ": ");
        if (at != std::string::npos) message = message.substr(at + name.size() + 9);
        message = message.substr(0, message.find('\n'));
        gaps_.insert(model + ": " + (first ? first->kind() : "?") + ": " + message);
        ++totals_[model].gaps;
      }
    };
    o.plan.on_copy = [this, model](const codegen::TensorLayout& layout) {
      record(model, codegen::write_gpu_copy(layout, "zoo_kernel"), true);
    };
    return o;
  }

  // Waits for ptxas, prints the table, checks the gaps against `known`.
  void finish(const std::multiset<std::string>& known, int min_kernels) {
    for (auto& f : assembling_) f.get();
    ZooTotals all;
    std::cout << std::left << std::setw(22) << "model" << std::right << std::setw(9) << "kernels" << std::setw(8)
              << "copies" << std::setw(6) << "gaps" << std::setw(10) << "distinct" << std::setw(14) << "generate ms" << std::setw(13)
              << "compile ms" << std::setw(11) << "ptxas ms" << "\n";
    for (const auto& [model, t] : totals_) {
      std::cout << std::left << std::setw(22) << model << std::right << std::setw(9) << t.kernels << std::setw(8)
                << t.copies << std::setw(6) << t.gaps << std::setw(10) << t.distinct << std::fixed << std::setprecision(1) << std::setw(14)
                << t.generate_ms << std::setw(13) << t.compile_ms << std::setw(11) << t.ptxas_ms << "\n";
      all.kernels += t.kernels;
      all.copies += t.copies;
      all.gaps += t.gaps;
      all.distinct += t.distinct;
      all.generate_ms += t.generate_ms;
      all.compile_ms += t.compile_ms;
      all.ptxas_ms += t.ptxas_ms;
    }
    const int n = std::max(all.kernels + all.copies, 1), d = std::max(all.distinct, 1);
    std::cout << "total: " << all.kernels << " kernels, " << all.copies << " copies (" << all.distinct
              << " distinct), " << all.gaps << " known gaps; " << std::setprecision(1) << all.generate_ms / n
              << " ms to write a kernel, per distinct kernel " << all.compile_ms / d << " ms MLIR to PTX, "
              << all.ptxas_ms / d << " ms ptxas\n";
    EXPECT_GE(all.kernels, min_kernels);
    for (const std::string& g : gaps_)
      EXPECT_TRUE(known.count(g)) << "a new gap (add it to the known gaps if it is expected): " << g;
    for (const std::string& g : known)
      EXPECT_TRUE(gaps_.count(g)) << "a known gap is gone (remove it from the known gaps): " << g;
  }

 private:
  // Kernels of equal text (equal shapes, often) compile and assemble once,
  // as a plan shares them.
  void record(const std::string& model, codegen::GpuKernel k, bool copy) {
    ZooTotals& t = totals_[model];
    ++(copy ? t.copies : t.kernels);
    t.generate_ms += k.generate_ms;
    if (!distinct_.insert(k.mlir).second) return;
    ++t.distinct;
    codegen::compile_gpu_kernel(k, target_);
    t.compile_ms += k.compile.total_ms;
    // ptxas on another thread (at most two at a time) while the next kernel is written.
    assembling_.push_back(std::async(std::launch::async, [this, k = std::move(k), model] {
      ptxas_slots_.acquire();
      const auto start = std::chrono::steady_clock::now();
      std::string log;
      const std::string cubin = codegen::assemble_ptx(k.ptx, 90, &log);
      const double ms = ms_since(start);
      ptxas_slots_.release();
      std::lock_guard<std::mutex> lock(mutex_);
      totals_[model].ptxas_ms += ms;
      EXPECT_FALSE(cubin.empty()) << model << ": ptxas rejects kernel " << k.name << ":\n" << log << "\n" << k.mlir;
    }));
  }

  codegen::GpuTarget target_ = codegen::gpu_test::target(90);
  int index_ = 0;
  std::mutex mutex_;
  std::map<std::string, ZooTotals> totals_;
  std::multiset<std::string> gaps_;
  std::vector<std::future<void>> assembling_;
  std::set<std::string> distinct_;
  std::counting_semaphore<2> ptxas_slots_{2};
};

// A copy of the forward of `module` taking its first `given` inputs: Optional
// ones left out (nn.Transformer's masks) read as None.
std::unique_ptr<ir::Graph> forward_with(const ir::Module& module, size_t given) {
  const ir::Graph& g = *module.method("forward");
  std::unique_ptr<ir::Graph> bound = bind_left_out_inputs(g, std::vector<bool>(given, true));
  return bound ? std::move(bound) : g.clone();
}

std::vector<ir::TypePtr> input_types(const std::string& model) {
  std::vector<ir::TypePtr> types;
  for (const std::string& f : input_files(model)) {
    Tensor t = read_npy(std::string(wick::test_paths::zoo_dir()) + "/" + f);
    types.push_back(ir::Type::tensor_static(t.dtype(), t.sizes()));
  }
  return types;
}

TEST(GpuZoo, EveryKernelAssemblesForSm90) {
  WICK_REQUIRE_PTXAS();
  ZooRun run;
  for (const char* model : kModels) {
    SCOPED_TRACE(model);
    const std::vector<ir::TypePtr> types = input_types(model);
    ASSERT_FALSE(types.empty()) << "no inputs for " << model << " in " << wick::test_paths::zoo_dir();
    auto module = load_torchscript(wick::test_paths::zoo_model(model));
    try {
      plan_method(*module->method("forward"), *module, types, run.options(model));
    } catch (const Error& e) {
      ADD_FAILURE() << model << ": the CPU plan failed: " << e.what();
    }
  }
  run.finish(kKnownGaps, 100);
}

// Whole CUDA plans: every zoo model compiled for the GPU as `wick run
// --device cuda` compiles it (the GPU pipeline: row groups, small-MLP
// kernels within the GPU's limits, global pools as means), every kernel of the plan assembled by
// ptxas for sm_90. The plan builder refuses what a CUDA plan cannot run,
// so a model that plans here has every op covered.
TEST(GpuZoo, EveryModelPlansForCuda) {
  WICK_REQUIRE_PTXAS();
  std::set<std::string> distinct;
  std::vector<std::future<std::string>> assembling;
  std::counting_semaphore<2> slots{2};
  int kernels = 0;
  for (const char* model : kModels) {
    SCOPED_TRACE(model);
    const std::vector<ir::TypePtr> types = input_types(model);
    auto module = load_torchscript(wick::test_paths::zoo_model(model));
    PlanMethodOptions options;
    options.pipeline.device = passes::TargetDevice::cuda;
    options.plan.device = rt::PlanDevice::cuda;
    options.plan.gpu = codegen::gpu_test::target(90);
    PlannedMethod planned;
    try {
      planned = plan_method(*module->method("forward"), *module, types, options);
    } catch (const Error& e) {
      ADD_FAILURE() << model << ": no CUDA plan: " << e.what();
      continue;
    }
    EXPECT_EQ(planned.built.plan.device, rt::PlanDevice::cuda);
    EXPECT_EQ(planned.built.gpu_kernels.size(), planned.built.plan.kernels.size());
    if (std::string(model) == "nn5") {
      // The whole MLP is one small-MLP kernel: no GEMM call, one launch.
      int launches = 0, calls = 0;
      for (const rt::Instr& i : planned.built.plan.body.instrs) {
        launches += i.op == rt::Op::kernel;
        calls += i.op == rt::Op::extern_call;
      }
      EXPECT_EQ(launches, 1);
      EXPECT_EQ(calls, 0);
    }
    for (const codegen::GpuKernel& k : planned.built.gpu_kernels) {
      ++kernels;
      if (!distinct.insert(k.ptx).second) continue;
      assembling.push_back(std::async(std::launch::async, [&slots, ptx = k.ptx, name = std::string(model) + ": " + k.name] {
        slots.acquire();
        std::string log;
        const bool ok = !codegen::assemble_ptx(ptx, 90, &log).empty();
        slots.release();
        return ok ? std::string() : name + ":\n" + log;
      }));
    }
  }
  for (auto& f : assembling) {
    const std::string problem = f.get();
    EXPECT_TRUE(problem.empty()) << "ptxas rejects " << problem;
  }
  std::cout << kernels << " kernels in the zoo's CUDA plans, " << distinct.size() << " distinct\n";
  EXPECT_GE(kernels, 100);
}

// Selections the data sizes (the zoo's "masks") need dynamic dims, which
// CUDA plans lack: refused with a message naming the op, not planned.
TEST(GpuZoo, DataSizedSelectionsAreRefusedForCuda) {
  const std::vector<ir::TypePtr> types = input_types("masks");
  auto module = load_torchscript(std::string(wick::test_paths::zoo_dir()) + "/masks.scripted.pt");
  PlanMethodOptions options;
  options.pipeline.device = passes::TargetDevice::cuda;
  options.plan.device = rt::PlanDevice::cuda;
  options.plan.gpu = codegen::gpu_test::target(90);
  try {
    plan_method(*module->method("forward"), *module, types, options);
    ADD_FAILURE() << "masks planned for CUDA";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("aten::nonzero"), std::string::npos) << m;
    EXPECT_NE(m.find("dynamic dims"), std::string::npos) << m;
  }
}

// Whole training steps planned for CUDA as `wick train --device cuda`
// plans them: the step graph (training-mode forward, MSE loss, backward,
// Adam's update) lowered and fused for the GPU, then a CUDA plan, every
// kernel of which assembles for sm_90. The plan builder refuses what a CUDA
// plan cannot run; convolution and pooling gradients are cuDNN calls there.
TEST(GpuZoo, TrainingStepsPlanForCuda) {
  WICK_REQUIRE_PTXAS();
  for (const char* model : {"nn5", "mlp_relu", "cnn_bn", "transformer_block"}) {
    SCOPED_TRACE(model);
    std::vector<ir::TypePtr> types = input_types(model);
    const Tensor ref = read_npy(std::string(wick::test_paths::zoo_dir()) + "/" + model + ".scripted.ref0.npy");
    types.push_back(ir::Type::tensor_static(DType::f32, ref.sizes()));  // the target
    LoadOptions load;
    load.training = true;
    auto module = load_torchscript(wick::test_paths::zoo_model(model), load);
    for (const char* name : {passes::kStepTensor, passes::kSeedTensor})
      module->add_tensor(name, ir::TensorRole::buffer, Tensor::zeros(DType::i64, {}));
    OptimizerConfig adam;
    adam.kind = OptimizerKind::adam;
    std::unique_ptr<ir::Graph> step;
    try {
      step = train::build_step_graph(*module->method("forward"), *module, LossConfig{}, adam, types,
                                     passes::TargetDevice::cuda);
    } catch (const Error& e) {
      ADD_FAILURE() << model << ": no training step for the GPU: " << e.what();
      continue;
    }
    PlanMethodOptions options;
    options.run_pipeline = false;
    options.pipeline.device = passes::TargetDevice::cuda;
    options.plan.device = rt::PlanDevice::cuda;
    options.plan.gpu = codegen::gpu_test::target(90);
    PlannedMethod planned;
    try {
      planned = plan_method(*step, *module, types, options);
    } catch (const Error& e) {
      ADD_FAILURE() << model << ": no CUDA plan for its training step: " << e.what();
      continue;
    }
    EXPECT_FALSE(planned.built.gpu_kernels.empty());
    for (const codegen::GpuKernel& k : planned.built.gpu_kernels) {
      std::string log;
      EXPECT_FALSE(codegen::assemble_ptx(k.ptx, 90, &log).empty()) << model << ": " << k.name << ":\n" << log;
    }
  }
}

// The training graphs too (as test_zoo_gradients builds them): the
// forward graph, loss = sum(output0 * w), and the gradients of every f32
// input and parameter, where the scatters (index_add, index_put,
// slice_backward) and the reductions over the batch come from.
TEST(GpuZoo, TrainingGraphsAssembleForSm90) {
  WICK_REQUIRE_PTXAS();
  ZooRun run;
  for (const char* model : kModels) {
    SCOPED_TRACE(model);
    // mobilenet_v2's 140 distinct backward kernels would double the test's
    // time and add no kind of kernel that resnet18's do not have.
    if (std::string(model) == "mobilenet_v2") continue;
    // Its first output comes out of while loops, which autodiff refuses.
    if (std::string(model) == "writes_loops") continue;
    std::vector<ir::TypePtr> types = input_types(model);
    auto module = load_torchscript(wick::test_paths::zoo_model(model));
    std::unique_ptr<ir::Graph> forward = forward_with(*module, types.size());
    ir::Graph& g = *forward;
    passes::specialize_stage(g, &types);
    passes::PipelineOptions pipeline;
    pipeline.fold_batch_norm = false;  // the parameters keep their meaning
    passes::lower_stage(g, pipeline);
    passes::simplify_stage(g);
    ir::Value* out = g.outputs().at(0);
    if (!out->type()->is_tensor() || *out->type()->dtype() != DType::f32) continue;
    ir::Value* w = g.add_input(out->type(), "w");
    ir::Builder b(g);
    ir::Value* loss = b.op("aten::sum", {b.op("aten::mul.Tensor", {out, w}), b.constant_none()});
    passes::AutodiffSpec spec;
    spec.outputs = {loss};
    for (size_t i = 0; i + 1 < g.inputs().size(); ++i)
      if (g.inputs()[i]->type()->is_tensor() && *g.inputs()[i]->type()->dtype() == DType::f32)
        spec.wrt.push_back(g.inputs()[i]);
    for (ir::Node* n : *g.block())
      if (n->is("prim::Param") && *n->output()->type()->dtype() == DType::f32) spec.wrt.push_back(n->output());
    passes::autodiff(g, spec);
    types.push_back(w->type());
    PlanMethodOptions options = run.options(std::string(model));
    options.pipeline.fold_batch_norm = false;
    try {
      plan_method(g, *module, types, options);
    } catch (const Error& e) {
      ADD_FAILURE() << model << ": the CPU plan failed: " << e.what();
    }
  }
  run.finish(kKnownTrainingGaps, 150);
}

// The zoo fused with row groups (passes::FuseOptions::row_groups): every
// kernel group that holds a reduction, its inputs taken contiguous, becomes
// a GPU kernel. softmax and layer_norm (transformer_block), log_softmax and
// the losses' reductions each come out as one kernel.
TEST(GpuZoo, RowGroupsAssembleForSm90) {
  WICK_REQUIRE_PTXAS();
  ZooRun run;
  std::map<std::string, int> multi;  // groups with more than one reduction, per model
  for (const char* model : kModels) {
    SCOPED_TRACE(model);
    std::vector<ir::TypePtr> types = input_types(model);
    auto module = load_torchscript(wick::test_paths::zoo_model(model));
    std::unique_ptr<ir::Graph> forward = forward_with(*module, types.size());
    ir::Graph& g = *forward;
    passes::specialize_stage(g, &types);
    passes::lower_stage(g);
    passes::simplify_stage(g);
    passes::eliminate_common_subexpressions(g);
    passes::eliminate_dead_code(g);
    passes::fuse(g, passes::FuseOptions{.row_groups = true});
    const PlanMethodOptions options = run.options(model);
    ir::walk(g.block(), [&](ir::Node* n) {
      if (!n->is("prim::FusionGroup") || std::get<std::string>(*n->attrs().find("kind")) != "kernel") return;
      const ir::Block* body = n->block(0);
      codegen::KernelGroup group;
      int reductions = 0;
      for (const ir::Node* m : *body) {
        group.nodes.push_back(m);
        reductions += m->op().lowering == ir::Lowering::reduction;
      }
      if (reductions == 0 || !codegen::can_generate_group(group.nodes)) return;
      for (const ir::Value* p : body->params()) {
        group.inputs.push_back(p);
        group.input_layouts.push_back(p->type()->is_tensor() ? codegen::contiguous_layout(*p->type()->dtype(),
                                                                                           p->type()->static_sizes())
                                                             : codegen::TensorLayout{});
      }
      for (const ir::Value* r : body->results()) group.outputs.push_back(r);
      if (reductions > 1) ++multi[model];
      options.plan.on_kernel_group(group);
    });
  }
  for (const auto& [model, n] : multi) std::cout << model << ": " << n << " row groups of several reductions\n";
  EXPECT_GE(multi["transformer_block"], 3);  // a softmax and two layer norms
  run.finish({}, 10);
}

}  // namespace
}  // namespace wick
