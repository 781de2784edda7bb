#include "passes/requantize_averages.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "ir/builder.h"
#include "ir/constant_value.h"
#include "passes/quantized_levels.h"

namespace wick::passes {
namespace {

constexpr int64_t kQuint8 = 13;  // c10::ScalarType::QUInt8

// How LibTorch's kernel rounds an average of levels q (zero point z) to a
// level. For pools the window's sum of q - z, over its size n:
//  - nhwc (a dense channels-last input): round(sum / n) + z;
//  - nchw (any other input): round(sum / n + z), the same but at a tie
//    when z is odd;
//  - dequantized, for a mean that is not over the innermost dims of a
//    contiguous tensor: the mean of q * s - z * s in float, quantized.
enum class Rounding { nhwc, nchw, dequantized };

// mean.dim(self, dim, keepdim, dtype) over the innermost dims, no dtype.
bool mean_over_innermost_dims(const ir::Node* mean) {
  if (!ir::is_none(mean->input(3))) return false;
  const int rank = mean->input(0)->type()->rank();
  if (ir::is_none(mean->input(1))) return true;
  std::optional<std::vector<int64_t>> dims = ir::constant_int_list(mean->input(1));
  if (!dims || rank < 0) return false;
  for (int64_t& d : *dims) d = d < 0 ? d + rank : d;
  std::sort(dims->begin(), dims->end());
  for (size_t i = 0; i < dims->size(); ++i)
    if ((*dims)[i] != rank - static_cast<int64_t>(dims->size() - i)) return false;
  return true;
}

Rounding rounding_of(const ir::Node* avg, TorchLayout layout) {
  if (avg->is("aten::mean.dim"))
    return layout.contiguous && mean_over_innermost_dims(avg) ? Rounding::nchw : Rounding::dequantized;
  return layout.channels_last ? Rounding::nhwc : Rounding::nchw;
}

// The values LibTorch's dequantize gives: q * s - z * s as one fused
// multiply-add, where the scale and zero point are known.
ir::Value* dequantized_as_aten(ir::Builder& b, ir::Value* values, const QuantizedLevels& levels) {
  const std::optional<double> scale = known_number(levels.scale);
  const std::optional<double> zero = known_number(levels.zero);
  if (!scale || !zero || *zero == 0) return values;
  const float s = static_cast<float>(*scale);
  ir::Value* steps = b.op("aten::round", {b.op("aten::div.Scalar", {values, levels.scale})});
  ir::Value* q = b.op("aten::add.Scalar", {steps, levels.zero, b.constant_int(1)});
  return b.op("wick::fma", {q, b.constant_float(s), b.constant_float(-(static_cast<float>(*zero) * s))});
}

// Static sizes of `v`, if all are.
std::optional<std::vector<int64_t>> static_sizes(const ir::Value* v) {
  const ir::Type& t = *v->type();
  if (!t.has_rank()) return std::nullopt;
  std::vector<int64_t> sizes;
  for (const ir::Dim& d : *t.shape()) {
    if (!d.is_static()) return std::nullopt;
    sizes.push_back(d.value());
  }
  return sizes;
}

// The sum over the last dim (n elements) of `v` in the order of ATen's
// cascade sum (multi_row_sum): blocks of 16 elements summed in order,
// each level's sums added in order into the next level every 16 of them,
// the leftovers of every level added at the end from the lowest up.
ir::Value* cascade_sum(ir::Builder& b, ir::Value* v, int64_t n) {
  constexpr int64_t kStep = 16;
  constexpr int kLevels = 4;
  ir::Value* minus_one = b.constant_int_list({-1});
  auto sum_last = [&](ir::Value* x) { return b.op("wick::sum_in_order", {x, minus_one, b.constant_bool(false)}); };
  auto last_range = [&](ir::Value* x, int64_t from, int64_t to) {
    if (from == 0 && to == static_sizes(x)->back()) return x;
    return b.op("aten::slice.Tensor", {x, b.constant_int(-1), b.constant_int(from), b.constant_int(to), b.constant_int(1)});
  };
  std::vector<ir::Value*> leftovers;
  for (int level = 0; level < kLevels && n > 0; ++level) {
    const int64_t full = level + 1 < kLevels ? n / kStep : 0;
    if (n > full * kStep) leftovers.push_back(sum_last(last_range(v, full * kStep, n)));
    if (full == 0) break;
    std::vector<int64_t> grouped = *static_sizes(v);
    grouped.back() = full;
    grouped.push_back(kStep);
    v = sum_last(b.op("aten::reshape", {last_range(v, 0, full * kStep), b.constant_int_list(grouped)}));
    n = full;
  }
  ir::Value* sum = leftovers.front();
  for (size_t i = 1; i < leftovers.size(); ++i) sum = b.op("aten::add.Tensor", {sum, leftovers[i], b.constant_int(1)});
  return sum;
}

// A mean of dequantized values as LibTorch's float mean adds them, where
// it runs one outer reduction (the input's innermost dim in memory kept,
// the reduced dims one run in memory whose order is their index order): the
// reduced dims moved last and flattened, summed in cascade order, divided.
// Null where it reduces otherwise, or a size is not static.
ir::Value* mean_in_aten_order(ir::Builder& b, const ir::Node* mean, ir::Value* values, TorchLayout layout) {
  const std::optional<std::vector<int64_t>> sizes = static_sizes(values);
  const std::optional<std::vector<int64_t>> out_sizes = static_sizes(mean->output());
  std::optional<std::vector<int64_t>> dims = ir::constant_int_list(mean->input(1));
  if (!sizes || !out_sizes || !dims || dims->empty() || !ir::is_none(mean->input(3))) return nullptr;
  const int64_t rank = static_cast<int64_t>(sizes->size());
  std::vector<bool> reduced(static_cast<size_t>(rank), false);
  for (int64_t d : *dims) reduced[static_cast<size_t>(d < 0 ? d + rank : d)] = true;
  // The reduced dims in memory order, outermost first.
  std::vector<int64_t> memory_order;
  for (int64_t d = 0; d < rank; ++d) memory_order.push_back(d);
  if (!layout.contiguous && layout.channels_last) memory_order = {0, 2, 3, 1};
  else if (!layout.contiguous) return nullptr;
  if (reduced[static_cast<size_t>(memory_order.back())]) return nullptr;
  std::vector<int64_t> run;
  for (int64_t d : memory_order)
    if (reduced[static_cast<size_t>(d)]) run.push_back(d);
  for (size_t i = 1; i < run.size(); ++i) {
    const auto at = [&](int64_t d) { return std::find(memory_order.begin(), memory_order.end(), d); };
    if (at(run[i]) != at(run[i - 1]) + 1 || run[i] < run[i - 1]) return nullptr;
  }
  std::vector<int64_t> order, flat;
  int64_t n = 1;
  for (int64_t d = 0; d < rank; ++d)
    if (!reduced[static_cast<size_t>(d)]) {
      order.push_back(d);
      flat.push_back((*sizes)[static_cast<size_t>(d)]);
    }
  for (int64_t d : run) {
    order.push_back(d);
    n *= (*sizes)[static_cast<size_t>(d)];
  }
  if (n > (int64_t{1} << 19)) return nullptr;  // ATen's cascade takes longer steps there
  flat.push_back(n);
  if (!std::is_sorted(order.begin(), order.end()))
    values = b.op("aten::permute", {values, b.constant_int_list(order)});
  ir::Value* rows = b.op("aten::reshape", {values, b.constant_int_list(flat)});
  ir::Value* mean_values = b.op("aten::div.Scalar", {cascade_sum(b, rows, n), b.constant_int(n)});
  flat.pop_back();
  if (flat == *out_sizes) return mean_values;
  return b.op("aten::reshape", {mean_values, b.constant_int_list(*out_sizes)});
}

void requantize(ir::Graph& graph, ir::Node* avg, const QuantizedLevels& levels) {
  ir::Builder b(graph);
  b.set_source(avg->source_location(), avg->source_line());
  const TorchLayout layout = torch_layout(avg->input(0));
  const Rounding rounding = rounding_of(avg, layout);
  ir::Value* out = avg->output();
  // Its readers, before the rounding below reads it too.
  const std::vector<ir::Use> readers = out->uses();
  b.set_insertion_point(avg);
  ir::Value* dtype = levels.dtype ? levels.dtype : b.constant_int(kQuint8);
  ir::Value* rounded;
  if (rounding == Rounding::dequantized) {
    avg->set_input(0, dequantized_as_aten(b, avg->input(0), levels));
    b.set_insertion_point(avg->next());
    ir::Value* in_order = mean_in_aten_order(b, avg, avg->input(0), layout);
    rounded = b.op("aten::quantize_per_tensor", {in_order ? in_order : out, levels.scale, levels.zero, dtype});
    if (in_order) {
      for (const ir::Use& use : readers) use.user->set_input(use.index, rounded);
      avg->destroy();
      return;
    }
  } else {
    // The levels less the zero point (q - z), exact integers in f32, so that
    // an average halfway between two levels is exactly halfway.
    avg->set_input(0, b.op("aten::round", {b.op("aten::div.Scalar", {avg->input(0), levels.scale})}));
    b.set_insertion_point(avg->next());
    ir::Value* q;
    if (rounding == Rounding::nhwc) {
      q = b.op("aten::quantize_per_tensor", {out, b.constant_float(1.0), levels.zero, dtype});
    } else {
      ir::Value* one = b.constant_int(1);
      ir::Value* raw = b.op("aten::add.Scalar", {out, levels.zero, one});
      q = b.op("aten::sub.Scalar",
               {b.op("aten::quantize_per_tensor", {raw, b.constant_float(1.0), b.constant_int(0), dtype}),
                levels.zero, one});
    }
    rounded = b.op("aten::mul.Scalar", {q, levels.scale});
  }
  for (const ir::Use& use : readers) use.user->set_input(use.index, rounded);
}

}  // namespace

bool requantize_averages(ir::Graph& graph) {
  std::vector<std::pair<ir::Node*, QuantizedLevels>> found;
  ir::walk(graph.block(), [&](ir::Node* n) {
    if (!is_average(n) || n->num_outputs() != 1) return;
    if (auto levels = levels_of(n->input(0))) found.emplace_back(n, *levels);
  });
  for (auto& [avg, levels] : found) requantize(graph, avg, levels);
  return !found.empty();
}

}  // namespace wick::passes
