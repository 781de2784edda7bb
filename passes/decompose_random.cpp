// Decomposition rules for sampling, from the uniform numbers u in [0, 1) of
// draw_uniform (one random stream per draw):
//   rand, rand_like            = u
//   uniform(x, a, b)           = a + (b - a) u
//   randn, randn_like          = z = sqrt(-2 log(1 - u1)) cos(2 pi u2)
//                                (Box-Muller, two draws)
//   normal(mean, std)          = mean + std z, either a tensor or a number;
//   normal_functional(x, m, s) = m + s z shaped as x
//   randint(low, high)         = floor(low + (high - low) u), u drawn in f64
//   bernoulli(p), .p, .Tensor  = u < p, in self's dtype
//   exponential(x, lambd)      = -log(1 - u) / lambd
//   randperm(n)                = argsort of n draws in f64 (n known, up to 4096)
//   multinomial(p, k, True)    = searchsorted(cumsum(p) / sum(p), u, right),
//                                k draws per row (inverse transform sampling)
//   multinomial(p, k, False)   = the first k of argsort(log p - log(-log u),
//                                descending): the Gumbel top-k trick, a
//                                draw per category
// Floating results are drawn in f32 (f64 for f64) and cast to their dtype.
// The numbers are wick's, not LibTorch's: only their distributions agree.
#include <cmath>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

// Every size of x, as a List[int].
Value* sizes_of(Emitter& e, Value* x) {
  std::vector<Size> dims;
  for (size_t d = 0; d < e.shape(x, "input").size(); ++d) dims.push_back(Size::dim_of(static_cast<int>(d)));
  return e.sizes(x, dims);
}

// The node's result dtype, which must be floating for a floating sample.
DType result_dtype(Emitter& e, bool floating) {
  const auto& t = e.node().output()->type()->dtype();
  if (!t) throw e.node().error("needs its result's dtype known when compiling");
  if (floating && !is_floating(*t))
    throw e.node().error(std::string("draws floating-point numbers, not ") + std::string(dtype_name(*t)));
  return *t;
}

// The dtype samples are computed in: f64 for f64, else f32.
DType draw_dtype(DType t) { return t == DType::f64 ? DType::f64 : DType::f32; }

Value* finish(Emitter& e, Value* v, DType want) {
  const auto& have = v->type()->dtype();
  return have && *have == want ? v : e.cast(v, want);
}

// Standard normal numbers over `sizes`: Box-Muller on two draws.
Value* standard_normal(Emitter& e, Value* sizes, DType dtype) {
  Value* u1 = draw_uniform(e, sizes, dtype);
  Value* u2 = draw_uniform(e, sizes, dtype);
  Value* radius = e.op("aten::sqrt", {e.op("aten::mul.Scalar", {e.op("aten::log", {e.op("aten::rsub.Scalar", {u1, e.float_(1.0), e.int_(1)})}),
                                                                e.float_(-2.0)})});
  Value* angle = e.op("aten::mul.Scalar", {u2, e.float_(2 * M_PI)});
  return e.mul(radius, e.op("aten::cos", {angle}));
}

Value* rand(Emitter& e) {
  const DType t = result_dtype(e, true);
  const bool like = e.node().op().schema.name == "rand_like";
  return finish(e, draw_uniform(e, like ? sizes_of(e, e.input(0)) : e.input(0), draw_dtype(t)), t);
}

Value* randn(Emitter& e) {
  const DType t = result_dtype(e, true);
  const bool like = e.node().op().schema.name == "randn_like";
  return finish(e, standard_normal(e, like ? sizes_of(e, e.input(0)) : e.input(0), draw_dtype(t)), t);
}

// A number input as a Float constant's value, or the value itself.
double constant_number(Emitter& e, size_t i, const char* what) {
  auto v = ir::constant_double(e.input(i));
  if (!v) throw e.node().error(std::string(what) + " must be a constant");
  return *v;
}

Value* uniform(Emitter& e) {
  const DType t = result_dtype(e, true);
  const double from = constant_number(e, 1, "from"), to = constant_number(e, 2, "to");
  Value* u = draw_uniform(e, sizes_of(e, e.input(0)), draw_dtype(t));
  return finish(e, e.op("aten::add.Scalar", {e.op("aten::mul.Scalar", {u, e.float_(to - from)}), e.float_(from), e.int_(1)}), t);
}

Value* exponential(Emitter& e) {
  const DType t = result_dtype(e, true);
  const double lambd = constant_number(e, 1, "lambd");
  if (!(lambd > 0)) throw e.node().error("exponential_ expects lambd > 0.0, but found lambd=" + std::to_string(lambd));
  Value* u = draw_uniform(e, sizes_of(e, e.input(0)), draw_dtype(t));
  Value* log = e.op("aten::log", {e.op("aten::rsub.Scalar", {u, e.float_(1.0), e.int_(1)})});
  return finish(e, e.op("aten::mul.Scalar", {log, e.float_(-1.0 / lambd)}), t);
}

Value* normal(Emitter& e) {
  const DType t = result_dtype(e, true);
  const std::string& overload = e.node().op().schema.overload;
  Value* out = e.node().output();
  Value* sizes = nullptr;
  if (overload == "float_float") {
    sizes = e.input(2);
  } else if (e.node().op().schema.name == "normal_functional" || overload == "Tensor_float") {
    sizes = sizes_of(e, e.input(0));
  } else if (overload == "float_Tensor") {
    sizes = sizes_of(e, e.input(1));
  } else {  // Tensor_Tensor: the broadcast shape, read from an operand that has it
    Value* full = nullptr;
    for (size_t i = 0; i < 2 && !full; ++i)
      if (e.shape(e.input(i), "operand") == e.shape(out, "result")) full = e.input(i);
    if (full) {
      sizes = sizes_of(e, full);
    } else {
      std::vector<int64_t> fixed;
      for (const ir::Dim& d : e.shape(out, "result")) {
        if (!d.is_static()) throw e.node().error("needs the broadcast shape of mean and std known when compiling");
        fixed.push_back(d.value());
      }
      sizes = e.ints(fixed);
    }
  }
  Value* z = standard_normal(e, sizes, draw_dtype(t));
  Value* mean = overload == "float_Tensor" || overload == "float_float" ? e.input(0)
                : e.node().op().schema.name == "normal_functional" ? e.input(1)
                                                                     : e.input(0);
  Value* std = e.node().op().schema.name == "normal_functional" ? e.input(2) : e.input(1);
  Value* scaled = std->type()->is_tensor() ? e.mul(z, std) : e.op("aten::mul.Scalar", {z, std});
  Value* shifted = mean->type()->is_tensor() ? e.add(scaled, mean) : e.op("aten::add.Scalar", {scaled, mean, e.int_(1)});
  return finish(e, shifted, t);
}

Value* randint(Emitter& e) {
  const DType t = result_dtype(e, false);
  const std::string& name = e.node().op().schema.name;
  const std::string& overload = e.node().op().schema.overload;
  const bool like = name == "randint_like";
  const bool has_low = overload == "low" || overload == "low_dtype";
  const int64_t low = has_low ? e.constant_int(like ? 1 : 0, "low") : 0;
  const int64_t high = e.constant_int(like ? (has_low ? 2 : 1) : (has_low ? 1 : 0), "high");
  if (high <= low)
    throw e.node().error("random_ expects 'from' to be less than 'to', but got from=" + std::to_string(low) +
                         " >= to=" + std::to_string(high));
  Value* sizes = like ? sizes_of(e, e.input(0)) : e.input(has_low ? 2 : 1);
  Value* u = draw_uniform(e, sizes, DType::f64);
  Value* spread = e.op("aten::add.Scalar", {e.op("aten::mul.Scalar", {u, e.float_(static_cast<double>(high - low))}),
                                            e.float_(static_cast<double>(low)), e.int_(1)});
  return finish(e, e.op("aten::floor", {spread}), t);
}

Value* bernoulli(Emitter& e) {
  Value* x = e.input(0);
  const DType t = result_dtype(e, false);
  const std::string& overload = e.node().op().schema.overload;
  Value* p = overload.empty() ? x : e.input(1);
  const auto& pt = p->type()->dtype();
  const DType draw = pt && *pt == DType::f64 ? DType::f64 : DType::f32;
  Value* u = draw_uniform(e, sizes_of(e, x), draw);
  Value* hit = p->type()->is_tensor() ? e.op("aten::lt.Tensor", {u, p}) : e.op("aten::lt.Scalar", {u, p});
  return finish(e, hit, t);
}

Value* randperm(Emitter& e) {
  const DType t = result_dtype(e, false);
  const int64_t n = e.constant_int(0, "n");
  if (n > 4096) throw e.node().error("randperm of more than 4096 elements is not supported yet, got " + std::to_string(n));
  Value* u = draw_uniform(e, e.ints({n}), DType::f64);
  return finish(e, e.op("aten::argsort", {u, e.int_(0), e.bool_(false)}), t);
}

Value* multinomial(Emitter& e) {
  Value* p = e.input(0);
  const auto& shape = e.shape(p, "probabilities");
  const ir::Dim& c = shape.back();
  if (!c.is_static()) throw e.node().error("needs the number of categories known when compiling, got " + c.str());
  const int64_t k = e.constant_int(1, "num_samples");
  const DType dtype = e.float_dtype(p, "probabilities");
  std::vector<Size> sizes;
  for (size_t d = 0; d + 1 < shape.size(); ++d) sizes.push_back(Size::dim_of(static_cast<int>(d)));
  if (!e.constant_bool(2, "replacement")) {
    if (k > c.value())
      throw e.node().error("cannot sample n_sample > prob_dist.size(-1) samples without replacement (" +
                           std::to_string(k) + " of " + c.str() + ")");
    sizes.push_back(Size::fixed(c.value()));
    Value* u = draw_uniform(e, e.sizes(p, sizes), draw_dtype(dtype));
    Value* gumbel = e.op("aten::neg", {e.op("aten::log", {e.op("aten::neg", {e.op("aten::log", {u})})})});
    Value* keys = e.add(e.op("aten::log", {p}), gumbel);
    Value* order = e.op("aten::argsort", {keys, e.int_(-1), e.bool_(true)});
    return e.op("aten::slice.Tensor", {order, e.int_(-1), e.int_(0), e.int_(k), e.int_(1)});
  }
  sizes.push_back(Size::fixed(k));
  Value* sums = e.op("aten::cumsum", {p, e.int_(-1), e.none()});
  Value* total = e.op("aten::slice.Tensor", {sums, e.int_(-1), e.int_(c.value() - 1), e.int_(c.value()), e.int_(1)});
  Value* cdf = e.div(sums, total);
  Value* u = draw_uniform(e, e.sizes(p, sizes), draw_dtype(dtype));
  Value* index = e.op("aten::searchsorted.Tensor", {cdf, e.cast(u, dtype), e.bool_(false), e.bool_(true), e.none(), e.none()});
  return e.op("aten::clamp_max", {index, e.int_(c.value() - 1)});
}

}  // namespace

std::vector<NamedRule> random_rules() {
  return {{"aten::rand", rand},
          {"aten::rand_like", rand},
          {"aten::randn", randn},
          {"aten::randn_like", randn},
          {"aten::uniform", uniform},
          {"aten::exponential", exponential},
          {"aten::normal.Tensor_float", normal},
          {"aten::normal.float_Tensor", normal},
          {"aten::normal.Tensor_Tensor", normal},
          {"aten::normal.float_float", normal},
          {"aten::normal_functional", normal},
          {"aten::randint", randint},
          {"aten::randint.low", randint},
          {"aten::randint_like", randint},
          {"aten::randint_like.low_dtype", randint},
          {"aten::bernoulli", bernoulli},
          {"aten::bernoulli.p", bernoulli},
          {"aten::bernoulli.Tensor", bernoulli},
          {"aten::randperm", randperm},
          {"aten::multinomial", multinomial}};
}

}  // namespace wick::passes::decompose_detail
