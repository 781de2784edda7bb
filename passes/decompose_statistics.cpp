// Decomposition rules for covariances and trapezoid integrals, as ATen
// writes them:
//   cov(x, correction, fweights, aweights)
//       = (x - avg) ((x - avg) w)^T / norm, x [v, n] a variable per row (a
//       1-D x one variable), w = fweights aweights (or ones), avg the
//       w-weighted mean of each row, norm = sum(w) - correction (less
//       correction sum(w aweights) / sum(w) with aweights), 0 when not
//       positive (so infinities, as in torch); the [v, v] result squeezed
//   corrcoef(x)         = cov(x) / (s_i s_j), s the square roots of its
//       diagonal, clipped to [-1, 1] (c / c for a single variable)
//   trapezoid(y, dx, d) = (sum(y, d) - (y[0] + y[-1]) / 2) dx; trapz the same
//   trapezoid(y, x, d)  = sum((x[1:] - x[:-1]) (y[1:] + y[:-1]) / 2, d), x
//       1-D along d or broadcast from the right
//   cumulative_trapezoid = cumsum of the same terms along d
// Integer inputs compute in f32, as torch's results are floating.
#include <string>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

Value* floating(Emitter& e, Value* x) {
  const auto& t = x->type()->dtype();
  if (!t || is_floating(*t)) return x;
  return e.cast(x, DType::f32);
}

Value* scale(Emitter& e, Value* x, double c) { return e.op("aten::mul.Scalar", {x, e.float_(c)}); }

// The covariance of the node's x, with its weights when `weighted`.
Value* covariance(Emitter& e, int64_t correction, bool weighted) {
  Value* x = floating(e, e.input(0));
  const size_t rank = e.shape(x, "input").size();
  Value* obs = rank < 2 ? e.op("aten::reshape", {x, e.ints({1, -1})}) : x;
  const DType dtype = e.float_dtype(obs, "input");
  // Input i's weights in `dtype`, or null: 1-D, integers (fweights) or floating (aweights).
  auto weights = [&](size_t i, const char* what, bool integral) -> Value* {
    if (!weighted || e.absent(i)) return nullptr;
    Value* w = e.input(i);
    const auto& t = w->type()->dtype();
    if (t && (integral ? !is_integral(*t) : !is_floating(*t)))
      throw e.node().error(std::string(what) + (integral ? " must be integers" : " must be floating point"));
    if (e.shape(w, what).size() != 1) throw e.node().error(std::string(what) + " must be 1-D");
    return e.cast(w, dtype);
  };
  Value *fw = weights(2, "fweights", true), *aw = weights(3, "aweights", false);
  Value* w = fw && aw ? e.mul(fw, aw) : fw ? fw : aw;
  Value* row = e.op("aten::select.int", {obs, e.int_(0), e.int_(0)});
  Value* w_sum = e.sum(w ? w : e.op("aten::ones_like", {row, e.none(), e.none(), e.none(), e.none(), e.none()}), {0},
                       false);
  Value* avg = e.div(e.sum(w ? e.mul(obs, w) : obs, {1}, false), w_sum);
  Value* norm = e.op("aten::sub.Scalar", {w_sum, e.int_(correction), e.int_(1)});
  if (w && aw && correction != 0) {
    Value* shrink = e.div(e.sum(e.mul(w, aw), {0}, false), w_sum);
    norm = e.sub(w_sum, scale(e, shrink, static_cast<double>(correction)));
  }
  norm = e.op("aten::where.ScalarSelf", {e.op("aten::le.Scalar", {norm, e.int_(0)}), e.float_(0.0), norm});
  Value* centered = e.sub(obs, e.op("aten::unsqueeze", {avg, e.int_(1)}));
  Value* right = w ? e.mul(centered, w) : centered;
  Value* c = e.op("aten::mm", {centered, e.op("aten::t", {right})});
  return e.op("aten::squeeze", {e.div(c, norm)});
}

Value* cov(Emitter& e) { return covariance(e, e.constant_int(1, "correction"), true); }

Value* corrcoef(Emitter& e) {
  Value* c = covariance(e, 1, false);
  if (e.shape(c, "covariance").empty()) return e.div(c, c);
  Value* s = e.op("aten::sqrt", {e.op("aten::diagonal", {c, e.int_(0), e.int_(0), e.int_(1)})});
  c = e.div(c, e.op("aten::unsqueeze", {s, e.int_(1)}));
  c = e.div(c, e.op("aten::unsqueeze", {s, e.int_(0)}));
  return e.op("aten::clamp", {c, e.float_(-1.0), e.float_(1.0)});
}

struct Along {
  Value* y;
  int64_t dim, n;
};

Along along(Emitter& e) {
  Value* y = floating(e, e.input(0));
  const auto& s = e.shape(y, "y");
  const auto rank = static_cast<int64_t>(s.size());
  int64_t d = ir::constant_int(e.node().inputs().back()).value_or(-1);
  if (d < -rank || d >= rank) throw e.node().error("dim " + std::to_string(d) + " out of range");
  if (d < 0) d += rank;
  const ir::Dim& n = s[static_cast<size_t>(d)];
  if (!n.is_static()) throw e.node().error("needs the size of the integrated dim known when compiling, got " + n.str());
  return {y, d, n.value()};
}

Value* slice(Emitter& e, Value* x, int64_t d, int64_t from, int64_t to) {
  return e.op("aten::slice.Tensor", {x, e.int_(d), e.int_(from), e.int_(to), e.int_(1)});
}

// The spacing x of the .x overloads as a tensor shaped to broadcast along
// y's dim: a 1-D x lies along it, a shorter x gains leading dims of 1.
Value* spacing(Emitter& e, const Along& a) {
  Value* x = floating(e, e.input(1));
  const auto& sx = e.shape(x, "x");
  const size_t rank = e.shape(a.y, "y").size();
  if (sx.size() == 1) {
    if (sx[0].is_static() && sx[0].value() != a.n)
      throw e.node().error("x has " + sx[0].str() + " points but y has " + std::to_string(a.n) + " along the dim");
    std::vector<int64_t> shape(rank, 1);
    shape[static_cast<size_t>(a.dim)] = a.n;
    x = e.op("aten::reshape", {x, e.ints(shape)});
  } else {
    for (size_t i = sx.size(); i < rank; ++i) x = e.op("aten::unsqueeze", {x, e.int_(0)});
  }
  return e.sub(slice(e, x, a.dim, 1, a.n), slice(e, x, a.dim, 0, a.n - 1));
}

bool has_spacing_tensor(Emitter& e) { return e.node().op().schema.overload == "x"; }

Value* trapezoid(Emitter& e) {
  const Along a = along(e);
  if (a.n == 0) return e.sum(a.y, {a.dim}, false);  // zeros
  if (has_spacing_tensor(e)) {
    Value* sums = e.add(slice(e, a.y, a.dim, 1, a.n), slice(e, a.y, a.dim, 0, a.n - 1));
    return e.sum(scale(e, e.mul(spacing(e, a), sums), 0.5), {a.dim}, false);
  }
  auto dx = ir::constant_double(e.input(1));
  if (!dx) throw e.node().error("dx must be a constant");
  Value* ends = e.add(e.op("aten::select.int", {a.y, e.int_(a.dim), e.int_(0)}),
                      e.op("aten::select.int", {a.y, e.int_(a.dim), e.int_(-1)}));
  return scale(e, e.sub(e.sum(a.y, {a.dim}, false), scale(e, ends, 0.5)), *dx);
}

Value* cumulative_trapezoid(Emitter& e) {
  const Along a = along(e);
  if (a.n <= 1) return slice(e, a.y, a.dim, 0, 0);  // empty along the dim
  Value* sums = e.add(slice(e, a.y, a.dim, 0, a.n - 1), slice(e, a.y, a.dim, 1, a.n));
  Value* terms = nullptr;
  if (has_spacing_tensor(e)) {
    terms = scale(e, e.mul(spacing(e, a), sums), 0.5);
  } else {
    auto dx = ir::constant_double(e.input(1));
    if (!dx) throw e.node().error("dx must be a constant");
    terms = scale(e, sums, *dx / 2);
  }
  return e.op("aten::cumsum", {terms, e.int_(a.dim), e.none()});
}

}  // namespace

std::vector<NamedRule> statistics_rules() {
  return {{"aten::cov", cov},
          {"aten::corrcoef", corrcoef},
          {"aten::trapezoid.x", trapezoid},
          {"aten::trapezoid.dx", trapezoid},
          {"aten::trapz.x", trapezoid},
          {"aten::trapz.dx", trapezoid},
          {"aten::cumulative_trapezoid.x", cumulative_trapezoid},
          {"aten::cumulative_trapezoid.dx", cumulative_trapezoid}};
}

}  // namespace wick::passes::decompose_detail
