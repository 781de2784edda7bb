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
//    contiguous tensor: the mean of (q - z) * s in float, quantized.
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

// ATen's pool kernels multiply a window's sum by a reciprocal in f32 rather
// than divide, which decides a tie where n is not a power of 2. Each
// window's n and that reciprocal, as tensors or numbers the window's
// average broadcasts against; none where the windows are not known.
struct WindowScale {
  ir::Value* n = nullptr;
  ir::Value* reciprocal = nullptr;
};

// The sizes of adaptive pooling's windows along one dim, as ATen picks
// them: from floor(i * in / out) to ceil((i + 1) * in / out).
std::vector<int64_t> adaptive_window_sizes(int64_t in, int64_t out) {
  std::vector<int64_t> sizes;
  for (int64_t i = 0; i < out; ++i) sizes.push_back((i + 1) * in / out + ((i + 1) * in % out != 0) - i * in / out);
  return sizes;
}

// A [rows, cols] f32 constant.
ir::Value* table(ir::Builder& b, std::vector<double> values, int64_t rows, int64_t cols) {
  constexpr int64_t kFloat = 6;  // c10::ScalarType::Float
  ir::Value* none = b.constant_none();
  ir::Value* flat = b.op("aten::tensor", {b.constant(std::move(values), ir::Type::list(ir::Type::float_())),
                                          b.constant_int(kFloat), none, b.constant_bool(false)});
  return b.op("aten::view", {flat, b.constant_int_list({rows, cols})});
}

std::optional<WindowScale> window_scale(ir::Builder& b, const ir::Node* pool, Rounding rounding) {
  const ir::Type& in = *pool->input(0)->type();
  if (!in.has_rank() || in.rank() < 2) return std::nullopt;
  const ir::Dim& h = (*in.shape())[static_cast<size_t>(in.rank() - 2)];
  const ir::Dim& w = (*in.shape())[static_cast<size_t>(in.rank() - 1)];
  auto pair = [](const ir::Value* v) -> std::optional<std::pair<int64_t, int64_t>> {
    std::optional<std::vector<int64_t>> l = ir::constant_int_list(v);
    if (!l || l->empty() || l->size() > 2) return std::nullopt;
    return std::make_pair(l->front(), l->back());
  };
  if (pool->is("aten::adaptive_avg_pool2d")) {
    const auto out = pair(pool->input(1));
    if (!h.is_static() || !w.is_static() || !out || out->first <= 0 || out->second <= 0) return std::nullopt;
    const std::vector<int64_t> kh = adaptive_window_sizes(h.value(), out->first);
    const std::vector<int64_t> kw = adaptive_window_sizes(w.value(), out->second);
    // NCHW: ((1 / kD) / kH) / kW, each step in f32; NHWC: 1 / (kH * kW).
    std::vector<double> n, reciprocal;
    for (int64_t y : kh)
      for (int64_t x : kw) {
        n.push_back(static_cast<double>(y * x));
        reciprocal.push_back(rounding == Rounding::nchw ? (1.0f / static_cast<float>(y)) / static_cast<float>(x)
                                                        : static_cast<float>(1.0 / static_cast<double>(y * x)));
      }
    const auto all_equal = [](const std::vector<double>& v) {
      return std::count(v.begin(), v.end(), v.front()) == static_cast<std::ptrdiff_t>(v.size());
    };
    const bool uniform = all_equal(n) && all_equal(reciprocal);
    if (uniform) return WindowScale{b.constant_int(static_cast<int64_t>(n.front())), b.constant_float(reciprocal.front())};
    return WindowScale{table(b, n, out->first, out->second), table(b, reciprocal, out->first, out->second)};
  }
  if (!pool->is("aten::avg_pool2d")) return std::nullopt;
  const auto kernel = pair(pool->input(1));
  if (!kernel) return std::nullopt;
  int64_t n = kernel->first * kernel->second;
  if (const std::optional<int64_t> divisor = ir::constant_int(pool->input(6))) {
    n = *divisor;
  } else {
    // Without a divisor every window counts kH * kW elements unless padding
    // is left out of the count or ceil_mode lets a window run past it.
    const auto padding = pair(pool->input(3));
    const std::optional<bool> ceil_mode = ir::constant_bool(pool->input(4));
    const std::optional<bool> include_pad = ir::constant_bool(pool->input(5));
    if (!padding || !ceil_mode || !include_pad || *ceil_mode) return std::nullopt;
    if ((padding->first || padding->second) && !*include_pad) return std::nullopt;
  }
  if (n <= 0) return std::nullopt;
  return WindowScale{b.constant_int(n), b.constant_float(static_cast<float>(1.0 / static_cast<double>(n)))};
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

// A mean of dequantized values as LibTorch's float mean adds them. Its
// dequantize writes a dense tensor in the order the quantized one suggests;
// where the mean over that is one outer reduction (the innermost dim in
// memory kept, the reduced dims one run in memory, in their index order):
// the reduced dims moved last and flattened, summed in cascade order,
// divided. Null where it reduces otherwise, or a size is not static.
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
  if (layout.suggests_nhwc && rank == 4) memory_order = {0, 2, 3, 1};
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
    // The values are what LibTorch's dequantize() gives: (q - z) * s.
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
    const std::optional<WindowScale> window =
        avg->is("aten::mean.dim") ? std::nullopt : window_scale(b, avg, rounding);
    ir::Value* average = out;  // of q - z
    ir::Value* zero_before_rounding = levels.zero;
    if (window) {
      // The window's sum (exact: the average times n, rounded), times the
      // reciprocal ATen multiplies by, each product rounded on its own: a
      // clamp that changes nothing keeps LLVM from fusing it with the add
      // of the zero point after it.
      const char* times = window->n->type()->is_tensor() ? "aten::mul.Tensor" : "aten::mul.Scalar";
      ir::Value* sum = b.op("aten::round", {b.op(times, {out, window->n})});
      const bool raw = rounding == Rounding::nchw && avg->is("aten::adaptive_avg_pool2d");
      if (raw) {
        // ATen's NCHW adaptive pool sums the levels with their zero point.
        sum = window->n->type()->is_tensor()
                  ? b.op("aten::add.Tensor", {sum, b.op("aten::mul.Scalar", {window->n, levels.zero}), b.constant_int(1)})
                  : b.op("aten::add.Scalar", {sum, levels.zero, window->n});
        zero_before_rounding = b.constant_int(0);
      }
      average = b.op(times, {sum, window->reciprocal});
      const double bound = raw ? 512.0 : 256.0;
      average = b.op("aten::clamp", {average, b.constant_float(-bound), b.constant_float(bound)});
    }
    if (rounding == Rounding::nhwc) {
      q = b.op("aten::quantize_per_tensor", {average, b.constant_float(1.0), levels.zero, dtype});
    } else {
      ir::Value* one = b.constant_int(1);
      ir::Value* raw = b.op("aten::add.Scalar", {average, zero_before_rounding, one});
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
