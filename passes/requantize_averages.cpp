#include "passes/requantize_averages.h"

#include <utility>
#include <vector>

#include "ir/builder.h"
#include "passes/quantized_levels.h"

namespace wick::passes {
namespace {

constexpr int64_t kQuint8 = 13;  // c10::ScalarType::QUInt8

}  // namespace

bool requantize_averages(ir::Graph& graph) {
  std::vector<std::pair<ir::Node*, QuantizedLevels>> found;
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
