#include "passes/fold_batch_norm.h"

#include <cmath>

#include "ir/builder.h"
#include "ir/constant_value.h"
#include "ir/module.h"

namespace wick::passes {
namespace {

// The data of a module tensor read by a prim::Param, as f32, or an undefined
// tensor when `v` is not such a read.
Tensor param_data(const ir::Value* v) {
  if (!v->node()->is("prim::Param")) return {};
  const ir::Module* m = v->node()->graph()->module();
  if (!m) return {};
  const ir::NamedTensor* t = m->find_tensor(std::get<std::string>(*v->node()->attrs().find("name")));
  if (!t || !t->data.defined() || t->data.dtype() != DType::f32) return {};
  return t->data.contiguous();
}

std::string param_name(const ir::Value* v) { return std::get<std::string>(*v->node()->attrs().find("name")); }

void fold(ir::Node* bn) {
  if (ir::constant_bool(bn->input(5)).value_or(true)) return;  // training, or not known to be eval
  auto eps = ir::constant_double(bn->input(7));
  ir::Value* x = bn->input(0);
  ir::Node* conv = x->node();
  if (!eps || !conv->is("aten::conv2d") || x->uses().size() != 1) return;
  Tensor w = param_data(conv->input(1));
  Tensor mean = param_data(bn->input(3));
  Tensor var = param_data(bn->input(4));
  if (!w.defined() || !mean.defined() || !var.defined()) return;
  Tensor gamma = param_data(bn->input(1));
  Tensor beta = param_data(bn->input(2));
  Tensor bias = param_data(conv->input(2));
  const bool has_bias = !ir::is_none(conv->input(2));
  if ((!ir::is_none(bn->input(1)) && !gamma.defined()) || (!ir::is_none(bn->input(2)) && !beta.defined()) ||
      (has_bias && !bias.defined()))
    return;
  const int64_t c = w.size(0);
  if (mean.numel() != c || var.numel() != c) return;
  const int64_t per_channel = w.numel() / c;
  Tensor new_w = Tensor::zeros(DType::f32, w.sizes());
  Tensor new_b = Tensor::zeros(DType::f32, {c});
  for (int64_t o = 0; o < c; ++o) {
    const double g = gamma.defined() ? gamma.data_as<float>()[o] : 1.0;
    const double scale = g / std::sqrt(static_cast<double>(var.data_as<float>()[o]) + *eps);
    for (int64_t k = 0; k < per_channel; ++k)
      new_w.data_as<float>()[o * per_channel + k] =
          static_cast<float>(w.data_as<float>()[o * per_channel + k] * scale);
    const double b = has_bias ? bias.data_as<float>()[o] : 0.0;
    const double shift = beta.defined() ? beta.data_as<float>()[o] : 0.0;
    new_b.data_as<float>()[o] = static_cast<float>((b - mean.data_as<float>()[o]) * scale + shift);
  }
  ir::Module& module = *bn->graph()->module();
  const std::string base = param_name(conv->input(1)) + ".bn_folded." + param_name(bn->input(3));
  if (!module.find_tensor(base + ".weight")) {
    module.add_tensor(base + ".weight", ir::TensorRole::constant, new_w);
    module.add_tensor(base + ".bias", ir::TensorRole::constant, new_b);
  }
  ir::Builder b(*bn->graph());
  b.set_insertion_point(conv);
  b.set_source(conv->source_location(), conv->source_line());
  ir::Value* fw = b.param(base + ".weight", ir::Type::tensor_static(DType::f32, w.sizes()));
  ir::Value* fb = b.param(base + ".bias", ir::Type::tensor_static(DType::f32, {c}));
  std::vector<ir::Value*> inputs = conv->inputs();
  inputs[1] = fw;
  inputs[2] = fb;
  ir::Node* folded = b.create("aten::conv2d", inputs, {bn->output()->type()});
  std::string name = bn->output()->has_name() ? bn->output()->name() : std::string();
  bn->output()->replace_all_uses_with(folded->output());
  bn->destroy();
  conv->destroy();
  if (!name.empty()) folded->output()->set_name(name);
}

void block(ir::Block* b) {
  for (ir::Node* n : *b) {
    for (ir::Block* inner : n->blocks()) block(inner);
    if (n->is("aten::batch_norm")) fold(n);
  }
}

}  // namespace

void fold_batch_norm(ir::Graph& graph) {
  if (graph.module()) block(graph.block());
}

}  // namespace wick::passes
