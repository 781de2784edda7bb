#include "passes/quantized_levels.h"

#include <set>
#include <string>

#include "ir/constant_value.h"
#include "ir/module.h"
#include "ir/op_table.h"

namespace wick::passes {
namespace {

constexpr int kMaxChain = 256;

// Ops whose result holds only values of their first input's levels.
bool keeps_levels(const ir::Node* n) {
  static const std::set<std::string> ops = {
      "aten::relu",          "aten::relu_",           "aten::max_pool2d",        "aten::flatten.using_ints",
      "aten::view",          "aten::reshape",         "aten::contiguous",        "aten::clone",
      "aten::dropout",       "aten::squeeze.dim",     "aten::squeeze",           "aten::unsqueeze",
      "aten::permute",       "aten::transpose.int",   "aten::select.int",        "aten::slice.Tensor",
      "aten::detach",        "aten::adaptive_max_pool2d"};
  return ops.count(n->op().schema.qualified_name()) > 0;
}

// Where each quantizing op keeps its output's scale and zero point.
struct OutputParameters {
  const char* op;
  size_t scale_at;
};

std::optional<size_t> output_scale_at(const std::string& name) {
  static const OutputParameters table[] = {
      {"quantized::conv2d.new", 9},     {"quantized::conv2d_relu.new", 9}, {"wick::quantized_conv2d", 9},
      {"quantized::linear", 5},         {"quantized::linear_relu", 5},     {"wick::quantized_linear", 5},
      {"quantized::add", 2},            {"quantized::add_relu", 2},        {"quantized::mul", 2},
      {"quantized::mul_relu", 2},       {"wick::quantized_add", 6},        {"wick::quantized_mul", 6},
      {"quantized::cat", 2},            {"quantized::hardswish", 1},       {"wick::quantized_hardswish", 3},
      {"wick::quantized_hardsigmoid", 3}};
  for (const OutputParameters& p : table)
    if (name == p.op) return p.scale_at;
  return std::nullopt;
}

}  // namespace

bool is_average(const ir::Node* n) {
  return n->is("aten::avg_pool2d") || n->is("aten::adaptive_avg_pool2d") || n->is("aten::mean.dim");
}

std::optional<QuantizedLevels> levels_of(ir::Value* v) {
  for (int step = 0; step < kMaxChain; ++step) {
    ir::Node* n = v->node();
    const std::string name = n->op().schema.qualified_name();
    if (name == "aten::quantize_per_tensor") return QuantizedLevels{n->input(1), n->input(2), n->input(3)};
    if (auto at = output_scale_at(name)) {
      if (ir::is_none(n->input(*at))) return std::nullopt;
      return QuantizedLevels{n->input(*at), n->input(*at + 1), nullptr};
    }
    if (!keeps_levels(n) && !is_average(n)) return std::nullopt;
    if (n->num_inputs() == 0) return std::nullopt;
    v = n->input(0);
  }
  return std::nullopt;
}

std::optional<double> known_number(const ir::Value* v) {
  if (auto d = ir::constant_double(v)) return d;
  if (auto i = ir::constant_int(v)) return static_cast<double>(*i);
  const ir::Node* n = v->node();
  if (!(n->is("aten::Float.Tensor") || n->is("aten::Int.Tensor"))) return std::nullopt;
  const ir::Node* read = n->input(0)->node();
  if (!read->is("prim::Param")) return std::nullopt;
  const ir::Module* m = read->graph()->module();
  if (!m) return std::nullopt;
  const ir::NamedTensor* t = m->find_tensor(std::get<std::string>(*read->attrs().find("name")));
  if (!t || !t->data.defined() || t->data.numel() != 1) return std::nullopt;
  const Tensor c = t->data.contiguous();
  switch (c.dtype()) {
    case DType::f32: return c.data_as<float>()[0];
    case DType::f64: return c.data_as<double>()[0];
    case DType::i64: return static_cast<double>(c.data_as<int64_t>()[0]);
    case DType::i32: return c.data_as<int32_t>()[0];
    default: return std::nullopt;
  }
}

}  // namespace wick::passes
