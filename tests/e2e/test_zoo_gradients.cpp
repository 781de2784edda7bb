// Training gradients of the zoo models against LibTorch. Each model's forward
// graph is prepared as for training (specialized to the zoo inputs,
// canonicalized and decomposed, batch norm not folded into weights), given
// loss = sum(output0 * w) for random weights w, differentiated w.r.t. every
// float input and parameter by passes::autodiff, compiled and run. LibTorch
// loads the same .pt file, computes the same loss and its gradients with
// autograd. Every gradient must agree within a relative error of 1e-4
// (1e-10 for a model in f64, differentiated in f64).
// A model with control flow between its parameters and its output is
// refused with autodiff's error, and the test says so.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "api/bind_inputs.h"
#include "api/compiled_graph.h"
#include "frontend/loader.h"
#include "ir/builder.h"
#include "ir/verifier.h"
#include "passes/autodiff.h"
#include "passes/eliminate_common_subexpressions.h"
#include "passes/eliminate_dead_code.h"
#include "passes/pipeline.h"
#include "runtime/npy.h"
#include "test_paths.h"

namespace wick {
namespace {

const char* const kModels[] = {"mlp_relu", "nn5", "cnn_bn", "embedding_classifier", "mobilenet_v2", "resnet18",
                               "transformer_block", "ops_linalg", "ops_pointwise", "ops_reduce", "ops_shape",
                               "two_inputs_tuple", "nested_tuple", "losses", "ctc", "control_flow", "attention_layers",
                               "attention_masks", "transformer", "multihead_attention",
                               "recurrent", "ops_extra", "writes", "ops_math", "cells_distances", "volumes", "ops_sort", "ops_scans_bits", "embedding_bags", "resampling", "scatter_reduce", "pool_indices", "masks", "sampling_grids", "ops_more", "ops_conveniences", "embedding_max_norm", "ops_special", "ops_select", "spectral", "float64"};

torch::Tensor to_torch(const Tensor& t) {
  Tensor c = t.contiguous();
  torch::ScalarType dt = torch::kFloat;
  switch (c.dtype()) {
    case DType::f32: dt = torch::kFloat; break;
    case DType::f64: dt = torch::kDouble; break;
    case DType::i64: dt = torch::kLong; break;
    case DType::i32: dt = torch::kInt; break;
    case DType::b8: dt = torch::kBool; break;
    default: throw std::runtime_error("test: unexpected dtype");
  }
  return torch::from_blob(c.data(), c.sizes(), dt).clone();
}

// An f32 or f64 tensor (`dtype`) from LibTorch's.
Tensor to_wick(const torch::Tensor& t, DType dtype) {
  torch::Tensor c = t.contiguous().to(dtype == DType::f64 ? torch::kDouble : torch::kFloat);
  Tensor w = Tensor::zeros(dtype, c.sizes().vec());
  std::memcpy(w.data(), c.data_ptr(), w.nbytes());
  return w;
}

// The zoo's input files of a model, from its meta.json ("file": "...").
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

// The pass pipeline up to dead code elimination, without folding batch norm
// into weights (which would change what the parameters mean), for a graph
// differentiated next.
void prepare(ir::Graph& g, const std::vector<ir::TypePtr>& types) {
  passes::specialize_stage(g, &types);
  passes::PipelineOptions options;
  options.fold_batch_norm = false;
  options.differentiated = true;
  passes::lower_stage(g, options);
  passes::eliminate_common_subexpressions(g);
  passes::eliminate_dead_code(g);
}

torch::Tensor first_tensor(const c10::IValue& v) {
  if (v.isTensor()) return v.toTensor();
  if (v.isTuple()) return first_tensor(v.toTupleRef().elements().at(0));
  if (v.isList()) return first_tensor(v.toListRef().at(0));
  throw std::runtime_error("test: the model returns no tensor");
}

class ZooGradients : public ::testing::TestWithParam<const char*> {};

TEST_P(ZooGradients, MatchLibTorch) {
  const std::string model = GetParam();
  const std::string pt = wick::test_paths::zoo_model(model);
  torch::manual_seed(std::random_device{}());
  std::vector<Tensor> inputs;
  std::vector<ir::TypePtr> types;
  for (const std::string& f : input_files(model)) {
    inputs.push_back(read_npy(std::string(wick::test_paths::zoo_dir()) + "/" + f));
    types.push_back(ir::Type::tensor_static(inputs.back().dtype(), inputs.back().sizes()));
  }
  auto m = load_torchscript(pt);
  // Optional inputs the zoo leaves out (nn.Transformer's masks) read as None.
  std::unique_ptr<ir::Graph> bound = bind_left_out_inputs(*m->method("forward"), std::vector<bool>(inputs.size(), true));
  ir::Graph& g = bound ? *bound : *m->method("forward");
  prepare(g, types);
  ir::Value* out = g.outputs().at(0);
  ASSERT_TRUE(out->type()->is_tensor() && out->type()->fully_static()) << out->type()->str();
  // Differentiated in the first output's dtype, w.r.t. the inputs and
  // parameters of that dtype.
  const DType dtype = *out->type()->dtype();
  if (dtype != DType::f32 && dtype != DType::f64) GTEST_SKIP() << model << ": its first output is not f32 or f64";

  // loss = sum(out * w), with w a new input.
  ir::Value* w = g.add_input(out->type(), "w");
  ir::Builder b(g);
  ir::Value* none = b.constant_none();
  ir::Value* loss = b.op("aten::sum", {b.op("aten::mul.Tensor", {out, w}), none});
  passes::AutodiffSpec spec;
  spec.outputs = {loss};
  std::vector<std::string> names;  // "input N" or the parameter's name
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].dtype() == dtype) {
      spec.wrt.push_back(g.inputs()[i]);
      names.push_back("input " + std::to_string(i));
    }
  for (ir::Node* n : *g.block()) {
    if (!n->is("prim::Param")) continue;
    const std::string& name = std::get<std::string>(*n->attrs().find("name"));
    const ir::NamedTensor* t = m->find_tensor(name);
    if (!t || t->role != ir::TensorRole::parameter || *n->output()->type()->dtype() != dtype) continue;
    spec.wrt.push_back(n->output());
    names.push_back(name);
  }
  if (spec.wrt.empty()) GTEST_SKIP() << model << " has no floating-point inputs or parameters";
  const size_t num_outputs = g.outputs().size();
  passes::autodiff(g, spec);
  ir::verify(*m);

  torch::Tensor wt = torch::randn(out->type()->static_sizes(), dtype == DType::f64 ? torch::kDouble : torch::kFloat);
  std::vector<Tensor> args = inputs;
  args.push_back(to_wick(wt, dtype));
  types.push_back(w->type());
  auto compiled = compile_graph(g, *m, types);
  std::vector<Tensor> got = compiled->executor().run(args);
  ASSERT_EQ(got.size(), num_outputs + names.size());

  torch::jit::Module tm = torch::jit::load(pt);
  std::map<std::string, torch::Tensor> params;
  for (const auto& p : tm.named_parameters()) params[p.name] = p.value;
  std::vector<torch::jit::IValue> tin;
  std::vector<torch::Tensor> leaves;
  for (const Tensor& t : inputs) {
    torch::Tensor x = to_torch(t);
    if (t.dtype() == dtype) leaves.push_back(x.requires_grad_(true));
    tin.push_back(x);
  }
  for (size_t k = leaves.size(); k < names.size(); ++k) {
    ASSERT_TRUE(params.count(names[k])) << names[k];
    leaves.push_back(params[names[k]]);
  }
  torch::Tensor tloss = (first_tensor(tm.forward(tin)) * wt).sum();
  std::vector<torch::Tensor> ref(leaves.size());
  if (tloss.requires_grad()) ref = torch::autograd::grad({tloss}, leaves, {}, false, false, true);
  for (size_t k = 0; k < names.size(); ++k) {
    torch::Tensor r = ref[k].defined() ? ref[k] : torch::zeros_like(leaves[k]);
    torch::Tensor o = to_torch(got[num_outputs + k]);
    ASSERT_EQ(o.sizes(), r.sizes()) << names[k];
    const double scale = r.abs().max().item<double>();
    const double err = (o - r).abs().max().item<double>() / (scale == 0 ? 1 : scale);
    EXPECT_LE(err, dtype == DType::f64 ? 1e-10 : 1e-4) << model << ": d loss / d " << names[k];
  }
}

INSTANTIATE_TEST_SUITE_P(Zoo, ZooGradients, ::testing::ValuesIn(kModels),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace wick
