#include "passes/requantize_averages.h"

#include <optional>
#include <utility>
#include <set>
#include <string>
#include <vector>

#include "ir/builder.h"

namespace wick::passes {
namespace {

constexpr int kMaxChain = 256;
constexpr int64_t kQuint8 = 13;  // c10::ScalarType::QUInt8

bool is_average(const ir::Node* n) {
  return n->is("aten::avg_pool2d") || n->is("aten::adaptive_avg_pool2d") || n->is("aten::mean.dim");
}

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

// The scale, zero point and dtype of the op that quantized `v`, if any.
struct Levels {
  ir::Value* scale = nullptr;
  ir::Value* zero = nullptr;
  ir::Value* dtype = nullptr;  // null: quint8
};

std::optional<Levels> levels_of(ir::Value* v) {
  for (int step = 0; step < kMaxChain; ++step) {
    ir::Node* n = v->node();
    const std::string name = n->op().schema.qualified_name();
    if (name == "aten::quantize_per_tensor") return Levels{n->input(1), n->input(2), n->input(3)};
    if (name == "quantized::conv2d.new" || name == "quantized::conv2d_relu.new")
      return Levels{n->input(7), n->input(8), nullptr};
    if (name == "quantized::linear" || name == "quantized::linear_relu")
      return Levels{n->input(5), n->input(6), nullptr};
    if (name == "quantized::add" || name == "quantized::add_relu" || name == "quantized::mul" ||
        name == "quantized::mul_relu")
      return Levels{n->input(2), n->input(3), nullptr};
    if (!keeps_levels(n) && !is_average(n)) return std::nullopt;
    if (n->num_inputs() == 0) return std::nullopt;
    v = n->input(0);
  }
  return std::nullopt;
}

}  // namespace

bool requantize_averages(ir::Graph& graph) {
  std::vector<std::pair<ir::Node*, Levels>> found;
  ir::walk(graph.block(), [&](ir::Node* n) {
    if (!is_average(n) || n->num_outputs() != 1) return;
    if (auto levels = levels_of(n->input(0))) found.emplace_back(n, *levels);
  });
  for (auto& [avg, levels] : found) {
    ir::Builder b(graph);
    b.set_source(avg->source_location(), avg->source_line());
    // The levels (q - zero_point), exact integers in f32, so that an average
    // halfway between two levels is exactly halfway.
    b.set_insertion_point(avg);
    ir::Value* level_steps = b.op("aten::round", {b.op("aten::div.Scalar", {avg->input(0), levels.scale})});
    avg->set_input(0, level_steps);
    b.set_insertion_point(avg->next());
    ir::Value* out = avg->output();
    ir::Value* dtype = levels.dtype ? levels.dtype : b.constant_int(kQuint8);
    ir::Value* rounded = b.op("aten::quantize_per_tensor", {out, b.constant_float(1.0), levels.zero, dtype});
    ir::Value* values = b.op("aten::mul.Scalar", {rounded, levels.scale});
    out->replace_all_uses_with(values);
    rounded->node()->set_input(0, out);
  }
  return !found.empty();
}

}  // namespace wick::passes
