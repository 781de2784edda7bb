// Decomposition rules for statistics over dims:
//   var(x, dims, correction) = sum((x - mean(x, dims))^2, dims) / (N - correction),
//       N the number of elements reduced; correction 1 (unbiased) by default
//   std = sqrt(var); var_mean and std_mean give the mean too
//   any(x) = amax(x != 0), all(x) = amin(x != 0)
//   logsumexp(x, dims) = log(sum(exp(x - m), dims)) + m, m = amax(x, dims)
//       taken as 0 where it is infinite, as PyTorch does
//   cumsum(x, dim) = a product with a triangle of ones (below)
//   norm / linalg_vector_norm(x, p, dims) = sum(|x|^p, dims)^(1/p); p = 2 as
//       sqrt(sum(x * x)), p = 1 as sum(|x|), p = inf as amax(|x|), p = 0 as
//       the count of non-zeros
#include <cmath>
#include <limits>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

// The dims a reduction covers, from the list at input `i` (None or empty:
// every dim), as non-negative dims.
std::vector<int64_t> reduced_dims(Emitter& e, Value* x, size_t i) {
  const int64_t rank = static_cast<int64_t>(e.shape(x, "input").size());
  std::vector<int64_t> dims;
  if (i != 0 && !e.absent(i)) {
    auto list = ir::constant_int_list(e.input(i));
    if (!list) throw e.node().error("dim must be a constant list");
    dims = *list;
  }
  if (dims.empty())
    for (int64_t d = 0; d < rank; ++d) dims.push_back(d);
  for (int64_t& d : dims) {
    if (rank == 0 && (d == 0 || d == -1)) continue;
    if (d < -rank || d >= rank) throw e.node().error("dim " + std::to_string(d) + " out of range");
    if (d < 0) d += rank;
  }
  return dims;
}

// Whether the bool at input `i` is true (i = 0: no such input, false).
bool flag(Emitter& e, size_t i, const char* what) { return i != 0 && e.constant_bool(i, what); }

Value* as_float(Emitter& e, Value* x) {
  const auto& dt = x->type()->dtype();
  if (dt && !is_floating(*dt)) return e.cast(x, DType::f32);
  return x;
}

// var or std (and var_mean, std_mean): dims at input 1 (0: all), keepdim
// at 3 (0: false), the correction from `unbiased` (input 1 or 2) or
// `correction` (input 2). `mean`, when given, receives the mean over the
// dims, kept as keepdim says.
Value* variance(Emitter& e, bool root, Value** mean = nullptr) {
  Value* x = as_float(e, e.input(0));
  const std::string& overload = e.node().op().schema.overload;
  const bool all = overload.empty();
  const std::vector<int64_t> dims = reduced_dims(e, x, all ? 0 : 1);
  const bool keepdim = !all && flag(e, 3, "keepdim");
  double correction = 1;
  if (overload == "correction") {
    if (!e.absent(2)) correction = static_cast<double>(e.constant_int(2, "correction"));
  } else {
    correction = e.constant_bool(all ? 1 : 2, "unbiased") ? 1 : 0;
  }
  const auto& shape = e.shape(x, "input");
  int64_t n = 1;
  for (int64_t d : dims) {
    if (shape.empty()) break;
    if (!shape[d].is_static()) throw e.node().error("needs the sizes of the reduced dims, got " + shape[d].str());
    n *= shape[d].value();
  }
  Value* centered = e.sub(x, e.mean(x, dims, true));
  Value* sum = e.sum(e.mul(centered, centered), dims, keepdim);
  const double divisor = std::max(static_cast<double>(n) - correction, 0.0);
  Value* var = e.op("aten::div.Scalar", {sum, e.float_(divisor)});
  if (mean) *mean = e.mean(x, dims, keepdim);
  return root ? e.op("aten::sqrt", {var}) : var;
}

Value* var(Emitter& e) { return variance(e, false); }
Value* std_(Emitter& e) { return variance(e, true); }

std::vector<Value*> with_mean(Emitter& e, bool root) {
  Value* mean = nullptr;
  Value* stat = variance(e, root, &mean);
  return {stat, mean};
}
std::vector<Value*> var_mean(Emitter& e) { return with_mean(e, false); }
std::vector<Value*> std_mean(Emitter& e) { return with_mean(e, true); }

// any(x) = amax(x != 0), all(x) = amin(x != 0): over one dim, or all dims.
Value* truth_test(Emitter& e, const char* extremum) {
  Value* x = e.input(0);
  Value* nonzero = e.op("aten::ne.Scalar", {x, e.int_(0)});
  const bool over_dim = e.node().num_inputs() > 1;
  Value* dims = e.ints(over_dim ? std::vector<int64_t>{e.constant_int(1, "dim")} : std::vector<int64_t>{});
  Value* r = e.op(extremum, {nonzero, dims, e.bool_(over_dim && e.constant_bool(2, "keepdim"))});
  const auto& out = e.node().output()->type()->dtype();
  return out && *out != DType::b8 ? e.cast(r, *out) : r;
}
Value* any(Emitter& e) { return truth_test(e, "aten::amax"); }
Value* all(Emitter& e) { return truth_test(e, "aten::amin"); }

Value* logsumexp(Emitter& e) {
  Value* x = as_float(e, e.input(0));
  const std::vector<int64_t> dims = reduced_dims(e, x, 1);
  const bool keepdim = flag(e, 2, "keepdim");
  auto finite_max = [&](bool keep) {
    Value* m = e.op("aten::amax", {x, e.ints(dims), e.bool_(keep)});
    Value* infinite = e.op("aten::eq.Scalar", {e.op("aten::abs", {m}), e.float_(INFINITY)});
    return e.op("aten::masked_fill.Scalar", {m, infinite, e.int_(0)});
  };
  Value* shifted = e.op("aten::exp", {e.sub(x, finite_max(true))});
  return e.add(e.op("aten::log", {e.sum(shifted, dims, keepdim)}), finite_max(keepdim));
}

// p-norm of the value at input `p_at` (None: 2), dims at `dims_at` (0: all),
// keepdim at `keep_at` (0: false).
Value* p_norm(Emitter& e, size_t p_at, size_t dims_at, size_t keep_at) {
  Value* x = as_float(e, e.input(0));
  double p = 2;
  if (!e.absent(p_at)) {
    auto v = ir::constant_double(e.input(p_at));
    if (!v) throw e.node().error("the norm's order must be a constant");
    p = *v;
  }
  const std::vector<int64_t> dims = reduced_dims(e, x, dims_at);
  const bool keepdim = flag(e, keep_at, "keepdim");
  Value* a = e.op("aten::abs", {x});
  if (std::isinf(p)) return e.op(p > 0 ? "aten::amax" : "aten::amin", {a, e.ints(dims), e.bool_(keepdim)});
  if (p == 0) return e.sum(e.cast(e.op("aten::ne.Scalar", {x, e.int_(0)}), *x->type()->dtype()), dims, keepdim);
  if (p == 1) return e.sum(a, dims, keepdim);
  if (p == 2) return e.op("aten::sqrt", {e.sum(e.mul(x, x), dims, keepdim)});
  Value* powered = e.op("aten::pow.Tensor_Scalar", {a, e.float_(p)});
  return e.op("aten::pow.Tensor_Scalar", {e.sum(powered, dims, keepdim), e.float_(1.0 / p)});
}

// cumsum(x, dim) = x (dim moved last) @ U, U[i][j] = 1 for i <= j: a
// product with an [n, n] triangle of ones, in f32 (integers below 2^24 stay
// exact) and cast to the result's dtype.
constexpr int64_t kMaxCumsumLength = 4096;

Value* cumsum(Emitter& e) {
  Value* x = e.input(0);
  const auto& shape = e.shape(x, "input");
  const int64_t rank = static_cast<int64_t>(shape.size());
  int64_t dim = e.constant_int(1, "dim");
  if (rank == 0) return e.cast(x, *e.node().output()->type()->dtype());
  if (dim < -rank || dim >= rank) throw e.node().error("dim " + std::to_string(dim) + " out of range");
  if (dim < 0) dim += rank;
  if (!shape[dim].is_static()) throw e.node().error("needs the size of the summed dim, got " + shape[dim].str());
  const int64_t n = shape[dim].value();
  if (n > kMaxCumsumLength)
    throw e.node().error("a running sum over " + std::to_string(n) + " elements (more than " +
                         std::to_string(kMaxCumsumLength) + ") is not supported yet");
  const auto& out_dtype = e.node().output()->type()->dtype();
  if (!out_dtype) throw e.node().error("needs a result of known dtype");
  const DType compute = *out_dtype == DType::f64 ? DType::f64 : DType::f32;
  Value* moved = e.op("aten::transpose.int", {e.cast(x, compute), e.int_(dim), e.int_(-1)});
  Value* ones = e.op("aten::ones", {e.ints({n, n}), e.int_(*torch_code_of(compute)), e.none(), e.none(), e.none()});
  Value* upper = e.op("aten::triu", {ones, e.int_(0)});
  Value* summed = e.op("aten::transpose.int", {e.op("aten::matmul", {moved, upper}), e.int_(dim), e.int_(-1)});
  return *out_dtype == compute ? summed : e.cast(summed, *out_dtype);
}

Value* norm(Emitter& e) {
  const bool with_dims = e.node().op().schema.overload == "ScalarOpt_dim";
  return with_dims ? p_norm(e, 1, 2, 3) : p_norm(e, 1, 0, 0);
}

Value* vector_norm(Emitter& e) {
  if (!e.absent(4)) throw e.node().error("a dtype argument is not supported yet");
  return p_norm(e, 1, 2, 3);
}

// nansum(x, dims?, keepdim, dtype): NaNs summed as zeros.
Value* without_nans(Emitter& e, Value* x) {
  const auto& t = x->type()->dtype();
  if (t && !is_floating(*t)) return x;
  return e.op("aten::where.ScalarSelf", {e.op("aten::isnan", {x}), e.float_(0.0), x});
}

Value* nansum(Emitter& e) {
  return e.op("aten::sum.dim_IntList", {without_nans(e, e.input(0)), e.input(1), e.input(2), e.input(3)});
}

// nanmean(x, dims?, keepdim, dtype): the sum without NaNs over their count.
Value* nanmean(Emitter& e) {
  Value* x = e.input(0);
  e.float_dtype(x, "input");
  Value* total = e.op("aten::sum.dim_IntList", {without_nans(e, x), e.input(1), e.input(2), e.input(3)});
  Value* kept = e.op("aten::logical_not", {e.op("aten::isnan", {x})});
  Value* count = e.op("aten::sum.dim_IntList", {kept, e.input(1), e.input(2), e.none()});
  return e.div(total, count);
}

// count_nonzero(x, dim?) and count_nonzero.dim_IntList(x, dims).
Value* count_nonzero(Emitter& e) {
  Value* dims = e.input(1);
  if (auto d = ir::constant_int(dims)) dims = e.ints({*d});
  return e.op("aten::sum.dim_IntList", {e.op("aten::ne.Scalar", {e.input(0), e.int_(0)}), dims, e.bool_(false),
                                        e.none()});
}

}  // namespace

std::vector<NamedRule> reduction_rules() {
  return {{"aten::var", var},         {"aten::var.dim", var},           {"aten::var.correction", var},
          {"aten::std", std_},        {"aten::std.dim", std_},          {"aten::std.correction", std_},
          {"aten::logsumexp", logsumexp}, {"aten::norm.Scalar", norm},  {"aten::norm.ScalarOpt_dim", norm},
          {"aten::linalg_vector_norm", vector_norm}, {"aten::cumsum", cumsum},
          {"aten::any", any}, {"aten::any.dim", any}, {"aten::all", all}, {"aten::all.dim", all},
          {"aten::nansum", nansum}, {"aten::nanmean", nanmean}, {"aten::count_nonzero", count_nonzero},
          {"aten::count_nonzero.dim_IntList", count_nonzero}};
}

namespace {

// aminmax(x, dim?, keepdim): amin and amax over dim, or everything.
std::vector<Value*> aminmax(Emitter& e) {
  Value* dims = e.absent(1) ? e.ints({}) : e.ints({e.constant_int(1, "dim")});
  const bool keepdim = e.constant_bool(2, "keepdim");
  Value* x = e.input(0);
  if (e.shape(x, "input").empty()) return {x, x};
  return {e.op("aten::amin", {x, dims, e.bool_(keepdim)}), e.op("aten::amax", {x, dims, e.bool_(keepdim)})};
}

}  // namespace

std::vector<NamedMultiRule> reduction_multi_rules() {
  return {{"aten::var_mean", var_mean}, {"aten::var_mean.dim", var_mean}, {"aten::var_mean.correction", var_mean},
          {"aten::std_mean", std_mean}, {"aten::std_mean.dim", std_mean}, {"aten::std_mean.correction", std_mean},
          {"aten::aminmax", aminmax}};
}

}  // namespace wick::passes::decompose_detail
