#include "passes/lower_complex.h"

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/builder.h"
#include "ir/constant_value.h"
#include "ir/fft_signal.h"
#include "passes/lower_complex_parts.h"

namespace wick::passes {
namespace {

using complex_detail::Parts;
using decompose_detail::Emitter;
using ir::Node;
using ir::Value;

bool is_complex_value(const Value* v) {
  return v->type()->is_tensor() && v->type()->dtype() && is_complex(*v->type()->dtype());
}

// Ops that act on each part alone, with their other arguments unchanged:
// views, copies, data movement and sums.
const std::set<std::string>& partwise_ops() {
  static const std::set<std::string> ops = {
      "aten::view", "aten::reshape", "aten::permute", "aten::transpose.int", "aten::t", "aten::select.int",
      "aten::slice.Tensor", "aten::unsqueeze", "aten::squeeze", "aten::squeeze.dim", "aten::flatten.using_ints",
      "aten::expand", "aten::narrow", "aten::flip", "aten::roll", "aten::repeat", "aten::unflatten.int",
      "aten::movedim.int", "aten::movedim.intlist", "aten::index_select", "aten::contiguous", "aten::clone",
      "aten::detach", "aten::expand_as", "aten::neg", "aten::mul.Scalar", "aten::div.Scalar",
      "aten::tile", "aten::diagonal", "aten::tril", "aten::triu", "aten::gather", "aten::index.Tensor"};
  return ops;
}

// Ops with two tensor operands that are linear in each: their complex
// product is four real ones.
const std::set<std::string>& bilinear_ops() {
  static const std::set<std::string> ops = {"aten::mul.Tensor", "aten::matmul", "aten::mm", "aten::bmm",
                                            "aten::einsum"};
  return ops;
}

// Ops that make a tensor of a given dtype: a complex one is its real part
// made in the part dtype, with no imaginary part (every one fills with a
// real number).
const std::set<std::string>& constructor_ops() {
  static const std::set<std::string> ops = {
      "aten::zeros",     "aten::ones",      "aten::empty.memory_format", "aten::full",      "aten::zeros_like",
      "aten::ones_like", "aten::empty_like", "aten::full_like",           "aten::new_zeros", "aten::new_ones",
      "aten::new_empty", "aten::new_full",  "aten::fill.Scalar",         "aten::zero"};
  return ops;
}

// Ops that act on the parts of several operands (by input index) alike:
// writes of one tensor into another and choices between two.
const std::map<std::string, std::vector<size_t>>& joint_ops() {
  static const std::map<std::string, std::vector<size_t>> ops = {{"aten::slice_scatter", {0, 1}},
                                                                 {"aten::select_scatter", {0, 1}},
                                                                 {"aten::copy", {0, 1}},
                                                                 {"aten::where.self", {1, 2}}};
  return ops;
}

const std::set<std::string>& sum_ops() {
  static const std::set<std::string> ops = {"aten::sum", "aten::sum.dim_IntList", "aten::mean", "aten::mean.dim"};
  return ops;
}

// Ops that take real tensors (or none) and must go even so: the
// transforms and the parts' constructors.
bool own_op(const std::string& kind) {
  static const std::set<std::string> ops = {
      "aten::view_as_complex", "aten::view_as_real", "aten::complex", "aten::polar", "aten::real", "aten::imag",
      "aten::angle", "aten::conj", "aten::conj_physical", "aten::resolve_conj", "aten::resolve_neg",
      "aten::fft_fftshift", "aten::fft_ifftshift", "aten::fft_fftfreq", "aten::fft_rfftfreq", "aten::stft",
      "aten::istft"};
  return ops.count(kind) || ir::is_fft_transform(kind);
}

class ComplexLowering {
 public:
  ComplexLowering(ir::Graph& g, const LowerComplexOptions& options) : graph_(g), options_(options) {}

  void run() {
    for (Value* v : graph_.inputs())
      if (is_complex_value(v))
        throw Error("input " + v->name() + " of method '" + graph_.name() +
                    "' is complex: wick takes real tensors in (pass torch.view_as_real of it, and "
                    "torch.view_as_complex it inside)");
    std::vector<Node*> nodes;
    ir::walk(graph_.block(), [&](Node* n) { nodes.push_back(n); });
    for (Node* n : nodes) lower(n);
    for (Value* v : graph_.outputs())
      if (is_complex_value(v) || parts_.count(v))
        throw v->node()->error("method '" + graph_.name() +
                               "' returns a complex tensor: wick returns real tensors (return torch.view_as_real of it)");
    for (auto it = replaced_.rbegin(); it != replaced_.rend(); ++it) {
      Node* n = *it;
      for (const Value* out : n->outputs())
        if (!out->uses().empty())
          throw out->uses().front().user->error(out->uses().front().user->kind() +
                                                " of a complex tensor is not supported");
      n->destroy();
    }
  }

 private:
  void lower(Node* n) {
    bool involved = own_op(n->kind());
    for (const Value* v : n->inputs()) involved = involved || is_complex_value(v) || complex_lists_.count(v);
    for (const Value* v : n->outputs()) involved = involved || is_complex_value(v);
    if (!involved) return;
    for (const Value* v : n->outputs())
      if (v->type()->is_tensor() && !v->type()->dtype())
        throw n->error(n->kind() + " on complex tensors needs its result's dtype known when compiling");
    if (!n->blocks().empty() || n->is("prim::Loop") || n->is("prim::If"))
      throw n->error("a complex tensor carried through control flow (" + n->kind() + ") is not supported");
    if (n->is("prim::ListConstruct")) {
      complex_lists_.insert(n->output());
      replaced_.push_back(n);
      return;
    }
    Emitter e(graph_, *n);
    const std::string& k = n->kind();
    if (k == "aten::size" || k == "aten::size.int" || k == "aten::dim" || k == "aten::numel") {
      n->set_input(0, parts(n->input(0), *n).re);
      return;
    }
    if (partwise_ops().count(k) || k == "aten::constant_pad_nd" || k == "aten::pad") return partwise(e, *n);
    if (constructor_ops().count(k)) return constructor(e, *n);
    if (auto it = joint_ops().find(k); it != joint_ops().end()) return joint(e, *n, it->second);
    if (bilinear_ops().count(k)) return bilinear(e, *n);
    if (sum_ops().count(k)) return sum(e, *n);
    if (k == "aten::add.Tensor" || k == "aten::sub.Tensor" || k == "aten::rsub.Tensor") return add(e, *n);
    if (k == "aten::add.Scalar" || k == "aten::sub.Scalar") {
      Parts x = parts(n->input(0), *n);
      return define(*n, {e.op(k.c_str(), {x.re, n->input(1), n->input(2)}), x.im});
    }
    if (k == "aten::div.Tensor") return divide(e, *n);
    if (k == "aten::cat" || k == "aten::stack") return concatenate(e, *n);
    if (ir::is_fft_transform(k)) {
      Parts out = complex_detail::fourier_transform(e, parts(n->input(0), *n), options_.fft_kernels);
      return is_complex_value(n->output()) ? define(*n, out) : replace(*n, out.re);
    }
    if (k == "aten::stft") {
      unview_centre_padding(*n);
      Value* real = nullptr;
      Parts out = complex_detail::short_time_transform(e, &real, options_.fft_kernels);
      return real ? replace(*n, real) : define(*n, out);
    }
    if (k == "aten::istft") return replace(*n, complex_detail::inverse_short_time_transform(e, parts(n->input(0), *n), options_.fft_kernels));
    if (k == "aten::fft_fftfreq" || k == "aten::fft_rfftfreq") return replace(*n, complex_detail::sample_frequencies(e));
    if (k == "aten::fft_fftshift" || k == "aten::fft_ifftshift") {
      Parts x = parts(n->input(0), *n);
      Parts out{complex_detail::spectrum_shift(e, x.re), x.im ? complex_detail::spectrum_shift(e, x.im) : nullptr};
      return is_complex_value(n->output()) ? define(*n, out) : replace(*n, out.re);
    }
    return elementwise(e, *n);
  }

  // torch.functional.stft pads a centred signal [B, L] as a 3-D view
  // [1, B, L] and views the result back, and a view whose dynamic batch is
  // not its outermost dim cannot run: the padding goes on the signal itself
  // (it pads the last dim only, so the views change nothing).
  void unview_centre_padding(Node& stft) {
    Node* back = stft.input(0)->node();
    if (!back->is("aten::view") && !back->is("aten::reshape")) return;
    Node* pad = back->input(0)->node();
    if (!pad->is("aten::pad")) return;
    Node* up = pad->input(0)->node();
    if (!up->is("aten::view") && !up->is("aten::reshape")) return;
    Value* signal = up->input(0);
    const auto& in = signal->type()->shape();
    const auto& viewed = up->output()->type()->shape();
    const auto pads = ir::constant_int_list(pad->input(1));
    if (!in || !viewed || !pads || pads->size() != 2 || back->output()->type()->shape()->size() != in->size()) return;
    const size_t extra = viewed->size() - in->size();
    for (size_t d = 0; d < viewed->size(); ++d) {
      const ir::Dim& want = d < extra ? ir::Dim::constant(1) : (*in)[d - extra];
      if ((*viewed)[d] != want) return;
    }
    ir::Builder b(graph_);
    b.set_insertion_point(&stft);
    b.set_source(pad->source_location(), pad->source_line());
    std::vector<Value*> inputs = pad->inputs();
    inputs[0] = signal;
    stft.set_input(0, b.create("aten::pad", inputs)->output());
    remove_if_unused(back);
  }

  // Removes `n` when nothing reads it, and then what only it read (the
  // views and size queries of the padding just replaced).
  static void remove_if_unused(Node* n) {
    static const std::set<std::string> pure = {"aten::view", "aten::reshape", "aten::pad", "aten::size.int",
                                               "prim::ListConstruct"};
    if (!pure.count(n->kind())) return;
    for (const Value* out : n->outputs())
      if (!out->uses().empty()) return;
    std::vector<Node*> producers;
    for (const Value* in : n->inputs()) producers.push_back(in->node());
    n->destroy();
    for (Node* p : producers) remove_if_unused(p);
  }

  void elementwise(Emitter& e, Node& n) {
    const std::string& k = n.kind();
    if (k == "aten::view_as_complex") {
      Value* x = n.input(0);
      return define(n, {e.op("aten::select.int", {x, e.int_(-1), e.int_(0)}),
                        e.op("aten::select.int", {x, e.int_(-1), e.int_(1)})});
    }
    if (k == "aten::complex") return define(n, fitted(e, n, {n.input(0), n.input(1)}));
    if (k == "aten::polar") {
      Value* r = n.input(0);
      Value* theta = n.input(1);
      return define(n, fitted(e, n, {e.mul(r, e.op("aten::cos", {theta})), e.mul(r, e.op("aten::sin", {theta}))}));
    }
    Parts x = parts(n.input(0), n);
    if (k == "aten::view_as_real") return replace(n, e.op("aten::stack", {e.list({x.re, imaginary(e, x)}), e.int_(-1)}));
    if (k == "aten::real") return replace(n, x.re);
    if (k == "aten::imag") return replace(n, imaginary(e, x));
    if (k == "aten::conj" || k == "aten::conj_physical")
      return is_complex_value(n.output()) ? define(n, {x.re, x.im ? e.op("aten::neg", {x.im}) : nullptr})
                                          : replace(n, x.re);
    if (k == "aten::resolve_conj" || k == "aten::resolve_neg") return define_or_replace(n, x);
    if (k == "aten::abs") return replace(n, x.im ? e.op("aten::hypot", {x.re, x.im}) : e.op("aten::abs", {x.re}));
    if (k == "aten::angle") {
      if (x.im) return replace(n, e.op("aten::atan2", {x.im, x.re}));
      // A real number's angle: pi below 0, else 0; NaN stays NaN.
      Value* re = x.re;
      const DType dtype = *n.output()->type()->dtype();
      if (*re->type()->dtype() != dtype) re = e.cast(re, dtype);
      Value* negative = e.op("aten::lt.Scalar", {re, e.float_(0)});
      Value* angle = e.op("aten::mul.Scalar", {e.cast(negative, dtype), e.float_(3.14159265358979323846)});
      return replace(n, e.op("aten::where.self", {e.op("aten::isnan", {re}), re, angle}));
    }
    if (k == "aten::exp") {
      Value* m = e.op("aten::exp", {x.re});
      if (!x.im) return define(n, {m, nullptr});
      return define(n, {e.mul(m, e.op("aten::cos", {x.im})), e.mul(m, e.op("aten::sin", {x.im}))});
    }
    if (k == "aten::reciprocal") return define(n, reciprocal(e, x));
    if (k == "aten::log") return define(n, logarithm(e, x));
    if (k == "aten::log2" || k == "aten::log10") {
      Parts l = logarithm(e, x);
      const double scale = 1.0 / std::log(k == "aten::log2" ? 2.0 : 10.0);
      return define(n, {e.op("aten::mul.Scalar", {l.re, e.float_(scale)}), e.op("aten::mul.Scalar", {l.im, e.float_(scale)})});
    }
    if (k == "aten::sqrt") return define(n, square_root(e, x));
    if (k == "aten::rsqrt") return define(n, reciprocal(e, square_root(e, x)));
    if (k == "aten::square") return define(n, power(e, x, 2));
    if (k == "aten::sin" || k == "aten::cos" || k == "aten::sinh" || k == "aten::cosh")
      return define(n, trigonometric(e, k, x));
    if (k == "aten::tanh") return define(n, hyperbolic_tangent(e, x.re, imaginary(e, x)));
    if (k == "aten::tan") {
      // tan z = -i tanh(iz), iz = -im + i re.
      Parts t = hyperbolic_tangent(e, e.op("aten::neg", {imaginary(e, x)}), x.re);
      return define(n, {t.im, e.op("aten::neg", {t.re})});
    }
    if (k == "aten::atanh") return define(n, inverse_hyperbolic_tangent(e, x.re, imaginary(e, x)));
    if (k == "aten::atan" || k == "aten::arctan") {
      // atan z = -i atanh(iz).
      Parts t = inverse_hyperbolic_tangent(e, e.op("aten::neg", {imaginary(e, x)}), x.re);
      return define(n, {t.im, e.op("aten::neg", {t.re})});
    }
    if (k == "aten::asinh" || k == "aten::arcsinh") return define(n, inverse_hyperbolic_sine(e, x));
    if (k == "aten::asin" || k == "aten::arcsin" || k == "aten::acos" || k == "aten::arccos") {
      // asin z = -i asinh(iz); acos z = pi/2 - asin z.
      Parts s = inverse_hyperbolic_sine(e, {e.op("aten::neg", {imaginary(e, x)}), x.re});
      Parts asin{s.im, e.op("aten::neg", {s.re})};
      if (k == "aten::asin" || k == "aten::arcsin") return define(n, asin);
      return define(n, {e.op("aten::rsub.Scalar", {asin.re, e.float_(1.5707963267948966), e.int_(1)}),
                        e.op("aten::neg", {asin.im})});
    }
    if (k == "aten::acosh" || k == "aten::arccosh") {
      // log(z + sqrt(z + 1) sqrt(z - 1)), the principal branch.
      Value* im = imaginary(e, x);
      Parts p = square_root(e, {e.add_scalar(x.re, e.float_(1)), im});
      Parts q = square_root(e, {e.add_scalar(x.re, e.float_(-1)), im});
      Parts product{e.sub(e.mul(p.re, q.re), e.mul(p.im, q.im)), e.add(e.mul(p.re, q.im), e.mul(p.im, q.re))};
      return define(n, logarithm(e, {e.add(x.re, product.re), e.add(im, product.im)}));
    }
    if (k == "aten::sigmoid") {
      // 1 / (1 + e^-z).
      Value* m = e.op("aten::exp", {e.op("aten::neg", {x.re})});
      Value* angle = e.op("aten::neg", {imaginary(e, x)});
      Parts d{e.add_scalar(e.mul(m, e.op("aten::cos", {angle})), e.float_(1)), e.mul(m, e.op("aten::sin", {angle}))};
      return define(n, reciprocal(e, d));
    }
    if (k == "aten::sgn") {
      // z / |z|, and 0 at 0.
      Value* im = imaginary(e, x);
      Value* r = e.op("aten::hypot", {x.re, im});
      Value* zero = e.op("aten::eq.Scalar", {r, e.float_(0)});
      Value* safe = e.op("aten::where.ScalarSelf", {zero, e.float_(1), r});
      return define(n, {e.div(x.re, safe), e.div(im, safe)});
    }
    if (k == "aten::pow.Tensor_Scalar") {
      auto p = ir::constant_double(n.input(1));
      if (!p) throw n.error("pow of a complex tensor needs an exponent known when compiling");
      return define(n, power(e, x, *p));
    }
    if (k == "aten::to.dtype" || k == "aten::type_as" || k == "aten::to.other") {
      if (is_complex_value(n.output())) {
        const DType part = real_part_dtype(*n.output()->type()->dtype());
        auto cast = [&](Value* v) { return v && *v->type()->dtype() != part ? e.cast(v, part) : v; };
        return define(n, {cast(x.re), cast(x.im)});
      }
      throw n.error("casting a complex tensor to a real dtype discards its imaginary part; take torch.real of it");
    }
    throw n.error(k + " of a complex tensor is not supported");
  }

  // sin, cos, sinh, cosh of a + ib from the real functions of a and b.
  Parts trigonometric(Emitter& e, const std::string& k, const Parts& x) {
    Value* a = x.re;
    Value* b = imaginary(e, x);
    auto f = [&](const char* op, Value* v) { return e.op(op, {v}); };
    if (k == "aten::sin") return {e.mul(f("aten::sin", a), f("aten::cosh", b)), e.mul(f("aten::cos", a), f("aten::sinh", b))};
    if (k == "aten::cos")
      return {e.mul(f("aten::cos", a), f("aten::cosh", b)), f("aten::neg", e.mul(f("aten::sin", a), f("aten::sinh", b)))};
    if (k == "aten::sinh") return {e.mul(f("aten::sinh", a), f("aten::cos", b)), e.mul(f("aten::cosh", a), f("aten::sin", b))};
    return {e.mul(f("aten::cosh", a), f("aten::cos", b)), e.mul(f("aten::sinh", a), f("aten::sin", b))};
  }

  // tanh(a + ib) by Kahan's form, t = tanh a, u = tan b, s = sinh a:
  // ((1 + u^2) s sqrt(1 + s^2) + i u) / (1 + (1 + u^2) s^2), which neither
  // cancels nor overflows until s^2 does; past |a| = 20 (where tanh a is 1
  // in f64 too) it is sign(a) + i 4 sin b cos b e^(-2|a|), as C's ctanh.
  Parts hyperbolic_tangent(Emitter& e, Value* a, Value* b) {
    auto f = [&](const char* op, Value* v) { return e.op(op, {v}); };
    Value* u = f("aten::tan", b);
    Value* beta = e.add_scalar(e.mul(u, u), e.float_(1));
    Value* s = f("aten::sinh", a);
    Value* rho = f("aten::sqrt", e.add_scalar(e.mul(s, s), e.float_(1)));
    Value* d = e.add_scalar(e.mul(beta, e.mul(s, s)), e.float_(1));
    Value* re = e.div(e.mul(beta, e.mul(rho, s)), d);
    Value* im = e.div(u, d);
    Value* far = e.op("aten::gt.Scalar", {f("aten::abs", a), e.float_(20)});
    Value* tail = e.mul(e.op("aten::mul.Scalar", {e.mul(f("aten::sin", b), f("aten::cos", b)), e.float_(4)}),
                        f("aten::exp", e.op("aten::mul.Scalar", {f("aten::abs", a), e.float_(-2)})));
    return {e.op("aten::where.self", {far, f("aten::sign", a), re}), e.op("aten::where.self", {far, tail, im})};
  }

  // atanh(a + ib) = (log1p(z) - log1p(-z)) / 2: real part
  // log(((1 + a)^2 + b^2) / ((1 - a)^2 + b^2)) / 4, imaginary part
  // atan2(2b, (1 - a)(1 + a) - b^2) / 2.
  Parts inverse_hyperbolic_tangent(Emitter& e, Value* a, Value* b) {
    Value* one_plus = e.add_scalar(a, e.float_(1));
    Value* one_minus = e.op("aten::rsub.Scalar", {a, e.float_(1), e.int_(1)});
    Value* b2 = e.mul(b, b);
    Value* ratio = e.div(e.add(e.mul(one_plus, one_plus), b2), e.add(e.mul(one_minus, one_minus), b2));
    Value* re = e.op("aten::mul.Scalar", {e.op("aten::log", {ratio}), e.float_(0.25)});
    Value* im = e.op("aten::mul.Scalar", {e.op("aten::atan2", {e.op("aten::mul.Scalar", {b, e.float_(2)}),
                                                               e.sub(e.mul(one_minus, one_plus), b2)}),
                                          e.float_(0.5)});
    return {re, im};
  }

  // asinh z = log(z + sqrt(z^2 + 1)), computed for the z with Re z >= 0 (so
  // that the sum does not cancel) and negated back: asinh is odd.
  Parts inverse_hyperbolic_sine(Emitter& e, const Parts& x) {
    Value* im = imaginary(e, x);
    Value* negative = e.op("aten::lt.Scalar", {x.re, e.float_(0)});
    auto flip = [&](Value* v) { return e.op("aten::where.self", {negative, e.op("aten::neg", {v}), v}); };
    Parts w{flip(x.re), flip(im)};
    Parts w2 = power(e, w, 2);
    Parts r = square_root(e, {e.add_scalar(w2.re, e.float_(1)), w2.im});
    Parts l = logarithm(e, {e.add(w.re, r.re), e.add(w.im, r.im)});
    return {flip(l.re), flip(l.im)};
  }

  // 1 / z = conj(z) / |z|^2.
  Parts reciprocal(Emitter& e, const Parts& x) {
    Value* d = squared_magnitude(e, x);
    return {e.div(x.re, d), x.im ? e.op("aten::neg", {e.div(x.im, d)}) : nullptr};
  }

  // log z = log |z| + i arg z (log 0 = -inf + 0i, as torch).
  Parts logarithm(Emitter& e, const Parts& x) {
    Value* im = imaginary(e, x);
    return {e.op("aten::log", {e.op("aten::hypot", {x.re, im})}), e.op("aten::atan2", {im, x.re})};
  }

  // The principal square root, without cancellation: a = sqrt((|z| + |re|)
  // / 2) is the larger part's magnitude, the other is |im| / 2a; the
  // imaginary part takes im's sign (-0 included: sqrt(-4 - 0i) = -2i).
  Parts square_root(Emitter& e, const Parts& x) {
    Value* im = imaginary(e, x);
    Value* a = e.op("aten::sqrt", {e.op("aten::mul.Scalar", {e.add(e.op("aten::hypot", {x.re, im}), e.op("aten::abs", {x.re})),
                                                              e.float_(0.5)})});
    Value* twice = e.op("aten::mul.Scalar", {a, e.float_(2)});
    Value* zero = e.op("aten::eq.Scalar", {a, e.float_(0)});
    Value* other = e.op("aten::where.self", {zero, im, e.div(im, twice)});  // im / 2a, im itself at 0
    Value* negative = e.op("aten::lt.Scalar", {x.re, e.float_(0)});
    return {e.op("aten::where.self", {negative, e.div(e.op("aten::abs", {im}), twice), a}),
            e.op("aten::where.self", {negative, e.op("aten::copysign.Tensor", {a, im}), other})};
  }

  // z^p for a real p, as ATen computes it: 1 for p = 0, z z for 2, sqrt
  // for 1/2, 1 / z for -1, else |z|^p e^(i p arg z).
  Parts power(Emitter& e, const Parts& x, double p) {
    if (p == 1) return x;
    if (p == 0) {
      Value* one = e.op("aten::ones_like", {x.re, e.none(), e.none(), e.none(), e.none(), e.none()});
      return {one, nullptr};
    }
    if (p == 0.5) return square_root(e, x);
    if (p == -1) return reciprocal(e, x);
    Value* im = imaginary(e, x);
    if (p == 2)
      return {e.sub(e.mul(x.re, x.re), e.mul(im, im)), e.op("aten::mul.Scalar", {e.mul(x.re, im), e.float_(2)})};
    Parts l = logarithm(e, x);
    Value* m = e.op("aten::exp", {e.op("aten::mul.Scalar", {l.re, e.float_(p)})});
    Value* angle = e.op("aten::mul.Scalar", {l.im, e.float_(p)});
    return {e.mul(m, e.op("aten::cos", {angle})), e.mul(m, e.op("aten::sin", {angle}))};
  }

  void partwise(Emitter& e, Node& n) {
    Parts x = parts(n.input(0), n);
    auto apply = [&](Value* part) -> Value* {
      if (!part) return nullptr;
      std::vector<Value*> inputs = n.inputs();
      inputs[0] = part;
      // Padding with a number pads the imaginary part with 0.
      if (part == x.im && n.is("aten::constant_pad_nd")) inputs[2] = e.float_(0);
      if (part == x.im && n.is("aten::pad") && !ir::is_none(inputs[3])) inputs[3] = e.float_(0);
      return e.op(n.kind().c_str(), inputs);
    };
    for (size_t i = 1; i < n.num_inputs(); ++i)
      if (is_complex_value(n.input(i))) throw n.error(n.kind() + " with a complex " + ordinal(i) + " operand is not supported");
    define_or_replace(n, {apply(x.re), apply(x.im)});
  }

  void constructor(Emitter& e, Node& n) {
    std::vector<Value*> inputs = n.inputs();
    const auto& args = n.op().schema.args;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (is_complex_value(inputs[i])) inputs[i] = parts(inputs[i], n).re;  // zeros_like(z): z's shape
      if (i < args.size() && args[i].name == "dtype" && !ir::is_none(inputs[i])) {
        auto code = ir::constant_int(inputs[i]);
        auto dtype = code ? dtype_from_torch_code(*code) : std::nullopt;
        if (dtype && is_complex(*dtype)) inputs[i] = e.int_(*torch_code_of(real_part_dtype(*dtype)));
      }
    }
    define_or_replace(n, {e.op(n.kind().c_str(), inputs), nullptr});
  }

  void joint(Emitter& e, Node& n, const std::vector<size_t>& operands) {
    if (!is_complex_value(n.output())) throw n.error(n.kind() + " of a complex tensor into a real one is not supported");
    std::vector<Value*> re = n.inputs(), im = n.inputs();
    bool any_im = false;
    for (size_t i : operands) {
      Parts p = parts(n.input(i), n);
      re[i] = p.re;
      im[i] = imaginary(e, p);
      any_im = any_im || p.im;
    }
    define(n, {e.op(n.kind().c_str(), re), any_im ? e.op(n.kind().c_str(), im) : nullptr});
  }

  void sum(Emitter& e, Node& n) {
    Parts x = parts(n.input(0), n);
    std::vector<Value*> inputs = n.inputs();
    const size_t dtype_at = inputs.size() - 1;
    if (!ir::is_none(inputs[dtype_at])) {
      auto code = ir::constant_int(inputs[dtype_at]);
      auto dtype = code ? dtype_from_torch_code(*code) : std::nullopt;
      if (!dtype || !is_complex(*dtype)) throw n.error(n.kind() + " of a complex tensor to a real dtype is not supported");
      inputs[dtype_at] = e.int_(*torch_code_of(real_part_dtype(*dtype)));
    }
    auto apply = [&](Value* part) -> Value* {
      if (!part) return nullptr;
      inputs[0] = part;
      return e.op(n.kind().c_str(), inputs);
    };
    define(n, {apply(x.re), apply(x.im)});
  }

  // f(a, b) for f linear in each operand: Re = f(ar, br) - f(ai, bi),
  // Im = f(ar, bi) + f(ai, br).
  void bilinear(Emitter& e, Node& n) {
    const bool einsum = n.is("aten::einsum");
    Value* a = n.input(einsum ? 1 : 0);
    Value* b = nullptr;
    if (einsum) {
      const Node* list = a->node();
      if (!list->is("prim::ListConstruct") || list->num_inputs() != 2)
        throw n.error("einsum of complex tensors is supported for two operands");
      b = list->input(1);
      a = list->input(0);
    } else {
      b = n.input(1);
    }
    Parts pa = parts(a, n), pb = parts(b, n);
    auto f = [&](Value* x, Value* y) -> Value* {
      if (!x || !y) return nullptr;
      if (einsum) return e.op("aten::einsum", {n.input(0), e.list({x, y}), n.input(2)});
      return e.op(n.kind().c_str(), {x, y});
    };
    auto combine = [&](Value* p, Value* q, bool subtract) -> Value* {
      if (!q) return p;
      if (!p) return subtract ? e.op("aten::neg", {q}) : q;
      return subtract ? e.sub(p, q) : e.add(p, q);
    };
    Value* re = combine(f(pa.re, pb.re), f(pa.im, pb.im), true);
    Value* im = combine(f(pa.re, pb.im), f(pa.im, pb.re), false);
    define(n, {re, im});
  }

  void add(Emitter& e, Node& n) {
    const std::string& k = n.kind();
    Parts a = parts(n.input(0), n), b = parts(n.input(1), n);
    Value* alpha = n.input(2);
    if (k == "aten::rsub.Tensor") std::swap(a, b);  // other - alpha * self
    const char* op = k == "aten::add.Tensor" ? "aten::add.Tensor" : "aten::sub.Tensor";
    Value* re = e.op(op, {a.re, b.re, alpha});
    Value* im = nullptr;
    if (a.im && b.im) im = e.op(op, {a.im, b.im, alpha});
    else if (a.im) im = a.im;
    else if (b.im) im = e.op("aten::mul.Scalar", {b.im, op == std::string("aten::add.Tensor") ? alpha : negated(e, alpha)});
    define(n, fitted(e, n, {re, im}));
  }

  void divide(Emitter& e, Node& n) {
    Parts a = parts(n.input(0), n), b = parts(n.input(1), n);
    if (!b.im) return define(n, fitted(e, n, {e.div(a.re, b.re), a.im ? e.div(a.im, b.re) : nullptr}));
    // (ar + i ai) / (br + i bi) = ((ar br + ai bi) + i (ai br - ar bi)) / |b|^2
    Value* d = squared_magnitude(e, b);
    Value* re = e.mul(a.re, b.re);
    Value* im = e.op("aten::neg", {e.mul(a.re, b.im)});
    if (a.im) {
      re = e.add(re, e.mul(a.im, b.im));
      im = e.add(im, e.mul(a.im, b.re));
    }
    define(n, fitted(e, n, {e.div(re, d), e.div(im, d)}));
  }

  void concatenate(Emitter& e, Node& n) {
    const Node* list = n.input(0)->node();
    if (!list->is("prim::ListConstruct")) throw n.error(n.kind() + " of a list of complex tensors made elsewhere is not supported");
    std::vector<Value*> re, im;
    for (Value* v : list->inputs()) {
      Parts p = parts(v, n);
      re.push_back(p.re);
      im.push_back(imaginary(e, p));
    }
    define(n, {e.op(n.kind().c_str(), {e.list(re), n.input(1)}), e.op(n.kind().c_str(), {e.list(im), n.input(1)})});
  }

  Value* negated(Emitter& e, Value* alpha) {
    if (auto c = ir::constant_double(alpha)) return e.float_(-*c);
    throw e.node().error("alpha of " + e.node().kind() + " must be a constant for complex operands");
  }

  static Value* squared_magnitude(Emitter& e, const Parts& x) {
    Value* d = e.mul(x.re, x.re);
    return x.im ? e.add(d, e.mul(x.im, x.im)) : d;
  }

  static Value* imaginary(Emitter& e, const Parts& x) {
    return x.im ? x.im : e.op("aten::zeros_like", {x.re, e.none(), e.none(), e.none(), e.none(), e.none()});
  }

  // Both parts broadcast to the node's result shape (a part may have come
  // from an operand of fewer elements).
  Parts fitted(Emitter& e, Node& n, Parts p) {
    const auto& shape = n.output()->type()->shape();
    auto fit = [&](Value* v, Value* like) -> Value* {
      if (!v || v->type()->shape() == shape) return v;
      return e.op("aten::expand_as", {v, like});
    };
    Value* like = p.re->type()->shape() == shape ? p.re : (p.im && p.im->type()->shape() == shape ? p.im : nullptr);
    if (!like) {
      if (!shape || !n.output()->type()->fully_static())
        throw n.error(n.kind() + " of complex operands whose broadcast shape is not known when compiling");
      std::vector<int64_t> sizes;
      for (const ir::Dim& d : *shape) sizes.push_back(d.value());
      return {e.op("aten::expand", {p.re, e.ints(sizes), e.bool_(false)}),
              p.im ? e.op("aten::expand", {p.im, e.ints(sizes), e.bool_(false)}) : nullptr};
    }
    return {fit(p.re, like), fit(p.im, like)};
  }

  static std::string ordinal(size_t i) { return i == 1 ? "second" : i == 2 ? "third" : "later"; }

  Parts parts(Value* v, const Node& user) {
    auto it = parts_.find(v);
    if (it != parts_.end()) return it->second;
    if (is_complex_value(v)) throw user.error(user.kind() + " of a complex tensor whose origin wick cannot compute");
    if (!v->type()->is_tensor()) throw user.error(user.kind() + ": a complex operand must be a tensor");
    return {v, nullptr};
  }

  // The node's complex result is `p`; the node goes once its users have.
  void define(Node& n, Parts p) {
    WICK_ASSERT(p.re != nullptr, "a complex value without a real part");
    if (!is_complex_value(n.output())) {
      // A real result (an op on real tensors that lower_complex owns).
      WICK_ASSERT(p.im == nullptr, "an imaginary part for a real result of " + n.kind());
      return replace(n, p.re);
    }
    parts_[n.output()] = p;
    replaced_.push_back(&n);
  }

  void define_or_replace(Node& n, Parts p) { is_complex_value(n.output()) ? define(n, p) : replace(n, p.re); }

  void replace(Node& n, Value* v) { ir::replace_node(&n, {v}); }

  ir::Graph& graph_;
  std::map<const Value*, Parts> parts_;
  std::set<const Value*> complex_lists_;
  std::vector<Node*> replaced_;
  LowerComplexOptions options_;
};

}  // namespace

void lower_complex(ir::Graph& graph, const LowerComplexOptions& options) { ComplexLowering(graph, options).run(); }

}  // namespace wick::passes
