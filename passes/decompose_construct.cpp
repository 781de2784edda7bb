// Decomposition rules for tensors built from others' sizes or values:
//   tril_indices(r, c, offset), triu_indices = the rows and columns of the
//       lower (upper) triangle, row by row: position k's row counts the rows
//       starting at or before k (each row's start a closed form in arange
//       arithmetic), its column is k less that start plus the row's first
//       column
//   cartesian_prod(a, b, ...) = each 1-D tensor viewed along its own dim,
//       expanded to [n_a, n_b, ...], flattened and stacked as columns
//   block_diag(t...)          = each block (0-d as [1, 1], 1-d as a row)
//       padded with zeros left and right to the total width, concatenated
//       as rows, in the promoted dtype
//   vander(x, N, increasing)  = columns 1, x, x x, ... (each the previous
//       times x, as ATen's cumprod), reversed unless increasing; integers
//       in int64
//   linspace(a, b, n)         = a + s i for i below n / 2, b - s (n - 1 - i)
//       from there, s = (b - a) / (n - 1), in the result's float type (f64
//       for integer results, truncated at the end), as ATen counts
//   logspace(a, b, n, base)   = base ** the same, in f64
//   windows of length N       = formulas of n = 0 .. N-1 in f64, cast to the
//       dtype, with M = N + 1 when periodic (else N) and p = 2 pi n / (M - 1):
//       hann 0.5 - 0.5 cos p; hamming alpha - beta cos p; blackman 0.42 -
//       0.5 cos p + 0.08 cos 2p; bartlett 1 - |2n / (M - 1) - 1|; kaiser
//       i0(beta sqrt(1 - ((n - c) / c)^2)) / i0(beta), c = (M - 1) / 2;
//       ones for N = 1
#include <algorithm>
#include <cmath>
#include <string>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

// vander's columns are one product each.
constexpr int64_t kMaxVanderColumns = 4096;

Value* triangle_indices(Emitter& e) {
  const int64_t rows = e.constant_int(0, "row"), cols = e.constant_int(1, "col"), offset = e.constant_int(2, "offset");
  if (rows < 0 || cols < 0) throw e.node().error("row and col must be non-negative");
  const bool lower = e.node().op().schema.name == "tril_indices";
  Value* at = e.op("aten::transpose.int", {triangle_positions(e, rows, cols, offset, lower), e.int_(0), e.int_(1)});
  Value* dtype = e.absent(3) ? e.int_(4) : e.input(3);
  return e.op("aten::to.dtype", {at, dtype, e.bool_(false), e.bool_(false), e.none()});
}

std::vector<Value*> list_items(Emitter& e, Value* list, const char* op) {
  const ir::Node* n = list->node();
  if (!n->is("prim::ListConstruct")) throw e.node().error(std::string(op) + " needs a list of tensors written in place");
  return {n->inputs().begin(), n->inputs().end()};
}

Value* length(Emitter& e, Value* t) {
  const ir::Dim& d = e.shape(t, "input")[0];
  return d.is_static() ? e.int_(d.value()) : e.op("aten::size.int", {t, e.int_(0)});
}

Value* cartesian_prod(Emitter& e) {
  std::vector<Value*> items = list_items(e, e.input(0), "cartesian_prod");
  if (items.size() == 1) return items[0];
  const int64_t k = static_cast<int64_t>(items.size());
  std::vector<Value*> sizes;
  for (Value* t : items) sizes.push_back(length(e, t));
  Value* full = e.list(sizes);
  std::vector<Value*> columns;
  for (int64_t i = 0; i < k; ++i) {
    std::vector<int64_t> view(static_cast<size_t>(k), 1);
    view[static_cast<size_t>(i)] = -1;
    Value* spread = e.op("aten::expand", {e.op("aten::reshape", {items[i], e.ints(view)}), full, e.bool_(false)});
    columns.push_back(e.op("aten::reshape", {spread, e.ints({-1})}));
  }
  return e.op("aten::stack", {e.list(columns), e.int_(1)});
}

Value* block_diag(Emitter& e) {
  std::vector<Value*> items = list_items(e, e.input(0), "block_diag");
  const auto& out_dtype = e.node().output()->type()->dtype();
  if (!out_dtype) throw e.node().error("needs blocks of known dtype");
  std::vector<Value*> blocks;
  std::vector<int64_t> widths;
  for (Value* t : items) {
    const auto& s = e.shape(t, "block");
    if (s.size() > 2) throw e.node().error("block_diag takes tensors of at most 2 dims");
    if (s.size() < 2) t = e.op("aten::reshape", {t, e.ints({1, -1})});
    if (s.size() == 2 && !s[1].is_static()) throw e.node().error("needs the width of every block, got " + s[1].str());
    widths.push_back(s.empty() ? 1 : s.back().value());
    if (t->type()->dtype() != out_dtype) t = e.cast(t, *out_dtype);
    blocks.push_back(t);
  }
  if (blocks.empty()) throw e.node().error("block_diag needs at least one tensor");
  int64_t total = 0;
  for (int64_t w : widths) total += w;
  std::vector<Value*> rows;
  int64_t left = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const int64_t right = total - left - widths[i];
    rows.push_back(e.op("aten::constant_pad_nd", {blocks[i], e.ints({left, right}), e.int_(0)}));
    left += widths[i];
  }
  return e.op("aten::cat", {e.list(rows), e.int_(0)});
}

Value* vander(Emitter& e) {
  Value* x = e.input(0);
  const auto& shape = e.shape(x, "input");
  if (shape.size() != 1) throw e.node().error("vander takes a 1-D tensor");
  int64_t n = 0;
  if (e.absent(1)) {
    if (!shape[0].is_static()) throw e.node().error("needs N, or the input's size, got " + shape[0].str());
    n = shape[0].value();
  } else {
    n = e.constant_int(1, "N");
  }
  if (n < 0) throw e.node().error("N must be non-negative, got " + std::to_string(n));
  if (n > kMaxVanderColumns)
    throw e.node().error(std::to_string(n) + " columns are more than vander supports (" +
                         std::to_string(kMaxVanderColumns) + ")");
  const bool increasing = e.constant_bool(2, "increasing");
  const auto& out_dtype = e.node().output()->type()->dtype();
  if (!out_dtype) throw e.node().error("needs an input of known dtype");
  if (x->type()->dtype() != out_dtype) x = e.cast(x, *out_dtype);
  Value* ones = e.op("aten::ones_like", {x, e.none(), e.none(), e.none(), e.none(), e.none()});
  if (n == 0) return e.op("aten::slice.Tensor", {e.op("aten::unsqueeze", {ones, e.int_(1)}), e.int_(1), e.int_(0),
                                                 e.int_(0), e.int_(1)});
  std::vector<Value*> columns{ones};
  for (int64_t j = 1; j < n; ++j) columns.push_back(j == 1 ? x : e.mul(columns.back(), x));
  if (!increasing) std::reverse(columns.begin(), columns.end());
  return e.op("aten::stack", {e.list(columns), e.int_(1)});
}

}  // namespace

namespace {

// k .. as i64 arithmetic with scalars.
Value* times(Emitter& e, Value* v, int64_t c) { return e.op("aten::mul.Scalar", {v, e.int_(c)}); }
Value* plus(Emitter& e, Value* v, int64_t c) { return e.op("aten::add.Scalar", {v, e.int_(c), e.int_(1)}); }
Value* clamped(Emitter& e, Value* v, int64_t lo, int64_t hi) { return e.op("aten::clamp", {v, e.int_(lo), e.int_(hi)}); }

// G(m) = sum_{j=1..m} min(j, cols) (0 for m <= 0), of an i64 tensor and of a number.
Value* clamped_sum(Emitter& e, Value* m, int64_t cols) {
  Value* low = clamped(e, m, 0, cols);  // the terms below cols: low (low + 1) / 2
  Value* tri = e.op("aten::floor_divide.Scalar", {e.mul(low, plus(e, low, 1)), e.int_(2)});
  Value* above = e.op("aten::clamp_min", {plus(e, m, -cols), e.int_(0)});
  return e.add(tri, times(e, above, cols));
}

int64_t clamped_sum(int64_t m, int64_t cols) {
  const int64_t low = std::clamp<int64_t>(m, 0, cols);
  return low * (low + 1) / 2 + std::max<int64_t>(m - cols, 0) * cols;
}

// The first position (row-major count) of each row r of the triangle:
// the lengths of the rows before it summed. A tril row i holds
// clamp(i + offset + 1, 0, cols) positions, a triu row cols - clamp(i + offset, 0, cols).
Value* row_start(Emitter& e, Value* r, int64_t cols, int64_t offset, bool lower) {
  const int64_t a = lower ? offset + 1 : offset;
  Value* before = e.op("aten::sub.Scalar", {clamped_sum(e, plus(e, r, a - 1), cols), e.int_(clamped_sum(a - 1, cols)),
                                            e.int_(1)});
  return lower ? before : e.sub(times(e, r, cols), before);
}


}  // namespace

Value* triangle_positions(Emitter& e, int64_t rows, int64_t cols, int64_t offset, bool lower) {
  int64_t count = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t edge = r + offset;  // the diagonal's column in row r
    count += lower ? std::clamp<int64_t>(edge + 1, 0, cols) : cols - std::clamp<int64_t>(edge, 0, cols);
  }
  if (count == 0) return e.op("aten::zeros", {e.ints({0, 2}), e.int_(4), e.none(), e.none(), e.none()});
  // Each position k's row is the number of rows after the first that start
  // at or before k: count x rows comparisons.
  constexpr int64_t kMaxComparisons = int64_t{1} << 27;
  if (rows > 1 && count > kMaxComparisons / rows)
    throw e.node().error("the " + std::to_string(count) + " positions of a triangle of " + std::to_string(rows) +
                         " rows are more than supported (" + std::to_string(kMaxComparisons) +
                         " position-row pairs)");
  auto range = [&](int64_t n) { return e.op("aten::arange", {e.int_(n), e.int_(4), e.none(), e.none(), e.none()}); };
  Value* k = range(count);
  Value* starts = row_start(e, range(rows), cols, offset, lower);  // [rows]
  Value* later = e.op("aten::slice.Tensor", {starts, e.int_(0), e.int_(1), e.int_(rows), e.int_(1)});
  Value* reached = e.op("aten::le.Tensor", {later, e.op("aten::unsqueeze", {k, e.int_(1)})});  // [count, rows - 1]
  Value* row = rows > 1 ? e.sum(e.cast(reached, DType::i64), {1}, false)
                        : e.op("aten::zeros_like", {k, e.none(), e.none(), e.none(), e.none(), e.none()});
  Value* first_column = lower ? e.op("aten::zeros_like", {row, e.none(), e.none(), e.none(), e.none(), e.none()})
                              : clamped(e, plus(e, row, offset), 0, cols);
  Value* column = e.add(e.sub(k, row_start(e, row, cols, offset, lower)), first_column);
  return e.op("aten::stack", {e.list({row, column}), e.int_(1)});
}

// linspace and logspace: each half counted from its own end, so both ends
// are exact, with ATen's step and rounding.
Value* spaced(Emitter& e) {
  const bool log = e.node().op().schema.name == "logspace";
  const int64_t steps = e.constant_int(2, "steps");
  const ir::Type& t = *e.node().output()->type();
  if (!t.dtype()) throw e.node().error("needs a dtype known when compiling");
  const DType dtype = *t.dtype();
  if (dtype == DType::b8) throw e.node().error("does not support bool results");
  auto code = [](DType d) { return *torch_code_of(d); };
  auto filled = [&](const std::vector<int64_t>& sizes, Value* v, DType d) {
    return e.op("aten::full", {e.ints(sizes), v, e.int_(code(d)), e.none(), e.none(), e.none()});
  };
  if (steps == 0) return e.op("aten::zeros", {e.ints({0}), e.int_(code(dtype)), e.none(), e.none(), e.none()});
  // The bounds in the result's type first, as ATen converts them.
  Value* first = filled({}, e.input(0), dtype);
  Value* last = filled({}, e.input(1), dtype);
  if (steps == 1) return log ? e.cast(e.op("aten::pow.Scalar", {e.input(3), e.cast(first, DType::f64)}), dtype)
                             : e.op("aten::reshape", {first, e.ints({1})});
  const DType work = log || !is_floating(dtype) ? DType::f64 : dtype;
  // logspace subtracts in the result's type, then divides in f64.
  Value* span = log ? e.cast(e.sub(last, first), work) : e.sub(e.cast(last, work), e.cast(first, work));
  Value* step = e.div(span, filled({}, e.float_(static_cast<double>(steps - 1)), work));
  auto range = [&](int64_t from, int64_t by) {
    return e.op("aten::arange.start_step",
                {e.int_(from), e.int_(from + by * steps), e.int_(by), e.int_(code(work)), e.none(), e.none(), e.none()});
  };
  Value* i = range(0, 1);
  Value* low = e.add(e.cast(first, work), e.mul(step, i));
  Value* high = e.sub(e.cast(last, work), e.mul(step, range(steps - 1, -1)));
  Value* lower_half = e.op("aten::lt.Scalar", {i, e.int_(steps / 2)});
  Value* r = e.op("aten::where.self", {lower_half, low, high});
  if (log) r = e.op("aten::pow.Scalar", {e.input(3), r});
  return e.cast(r, dtype);
}

namespace {

Value* window(Emitter& e) {
  const std::string name = e.node().op().schema.name;
  const std::string& overload = e.node().op().schema.overload;
  const int64_t n = e.constant_int(0, "window_length");
  const bool periodic = overload.empty() ? true : e.constant_bool(1, "periodic");
  auto number = [&](size_t i, const char* what) {
    auto v = ir::constant_double(e.input(i));
    if (!v) throw e.node().error(std::string(what) + " must be a constant");
    return *v;
  };
  const DType dtype = *e.node().output()->type()->dtype();
  Value* f64 = e.int_(*torch_code_of(DType::f64));
  if (n <= 1) {
    Value* w = e.op("aten::ones", {e.ints({n}), f64, e.none(), e.none(), e.none()});
    return e.cast(w, dtype);
  }
  const double m = static_cast<double>(periodic ? n + 1 : n) - 1;  // M - 1
  Value* k = e.op("aten::arange", {e.int_(n), f64, e.none(), e.none(), e.none()});
  auto scaled = [&](Value* x, double s) { return e.op("aten::mul.Scalar", {x, e.float_(s)}); };
  auto plus = [&](Value* x, double s) { return e.op("aten::add.Scalar", {x, e.float_(s), e.int_(1)}); };
  Value* phase = scaled(k, 2 * M_PI / m);
  Value* w = nullptr;
  if (name == "hann_window" || name == "hamming_window") {
    double alpha = 0.5, beta = 0.5;
    if (name == "hamming_window") {
      alpha = overload == "periodic_alpha" || overload == "periodic_alpha_beta" ? number(2, "alpha") : 0.54;
      beta = overload == "periodic_alpha_beta" ? number(3, "beta") : 0.46;
    }
    w = plus(scaled(e.op("aten::cos", {phase}), -beta), alpha);
  } else if (name == "blackman_window") {
    Value* twice = e.op("aten::cos", {scaled(phase, 2.0)});
    w = e.add(plus(scaled(e.op("aten::cos", {phase}), -0.5), 0.42), scaled(twice, 0.08));
  } else if (name == "bartlett_window") {
    w = e.op("aten::rsub.Scalar", {e.op("aten::abs", {plus(scaled(k, 2.0 / m), -1.0)}), e.float_(1.0), e.int_(1)});
  } else {  // kaiser
    const double beta = overload == "beta" ? number(2, "beta") : 12.0;
    const double c = m / 2;
    Value* r = plus(scaled(k, 1.0 / c), -1.0);  // (n - c) / c
    Value* inside = e.op("aten::rsub.Scalar", {e.mul(r, r), e.float_(1.0), e.int_(1)});
    Value* arg = scaled(e.op("aten::sqrt", {e.op("aten::clamp_min", {inside, e.float_(0.0)})}), beta);
    w = scaled(e.op("aten::i0", {arg}), 1.0 / std::cyl_bessel_i(0.0, beta));
  }
  return e.cast(w, dtype);
}

}  // namespace

std::vector<NamedRule> construct_rules() {
  std::vector<NamedRule> windows;
  for (const char* name : {"aten::hann_window", "aten::hann_window.periodic", "aten::hamming_window",
                           "aten::hamming_window.periodic", "aten::hamming_window.periodic_alpha",
                           "aten::hamming_window.periodic_alpha_beta", "aten::bartlett_window",
                           "aten::bartlett_window.periodic", "aten::blackman_window", "aten::blackman_window.periodic",
                           "aten::kaiser_window", "aten::kaiser_window.periodic", "aten::kaiser_window.beta"})
    windows.push_back({name, window});
  std::vector<NamedRule> rules = {{"aten::tril_indices", triangle_indices},
                                  {"aten::triu_indices", triangle_indices},
                                  {"aten::cartesian_prod", cartesian_prod},
                                  {"aten::block_diag", block_diag},
                                  {"aten::vander", vander},
                                  {"aten::linspace", spaced},
                                  {"aten::logspace", spaced}};
  rules.insert(rules.end(), windows.begin(), windows.end());
  return rules;
}

}  // namespace wick::passes::decompose_detail
