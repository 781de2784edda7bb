// Gradient rules of the runtime's FFT kernels (wick::fft_*, on complex
// values as real pairs). Each is linear, and for a real loss the gradient
// of y = F x in pair form is F^H g (the conjugate transpose, unnormalized):
//   c2c:  the transform in the other direction
//   r2c:  y_k = sum_j x_j e^(-i 2 pi jk / n) for the m = n / 2 + 1 bins, so
//         dx_j = Re sum_(k < m) g_k e^(i 2 pi jk / n) = c2r(h), where h is g
//         with bins 1 .. n - m halved: c2r counts those bins twice
//   c2r:  y_j = Re sum over the completed spectrum, so dx = r2c(g) with
//         bins 1 .. n - m doubled, as torch's fft_c2r_backward
//   stft_r2c: r2c of the windowed frames w_j x_(t hop + j). With G the r2c
//         rule's gradient of the windowed frames, the signal's gradient is
//         G w added back where each frame was read (index_add: the
//         overlap-add) and the window's sum_(b, t) G x over the frames.
#include "ir/constant_value.h"
#include "ir/gradient_rule.h"

namespace wick::ir {
namespace {

using Grads = std::vector<Value*>;

int64_t constant_of(GradContext& c, size_t i) {
  auto v = constant_int(c.input(i));
  if (!v) throw c.error(std::string("argument ") + std::to_string(i) + " must be a constant");
  return *v;
}

// x with bins 1 .. n - m of `dim` (m bins in all) times `factor`.
Value* scale_mirrored_bins(GradContext& c, Value* x, int64_t dim, int64_t n, double factor) {
  const int64_t m = n / 2 + 1, twice = n - m;
  if (twice == 0) return x;
  auto narrow = [&](int64_t start, int64_t length) {
    return c.op("aten::slice.Tensor", {x, c.int_(dim), c.int_(start), c.int_(start + length), c.int_(1)});
  };
  std::vector<Value*> parts = {narrow(0, 1), c.scale(narrow(1, twice), factor)};
  if (1 + twice < m) parts.push_back(narrow(1 + twice, m - 1 - twice));
  Value* list = c.builder().create("prim::ListConstruct", parts, {Type::list(Type::tensor())})->output();
  return c.op("aten::cat", {list, c.int_(dim)});
}

Grads c2c(GradContext& c) {
  if (!c.needs_grad(0)) return c.no_grads();
  return c.only_first(c.op("wick::fft_c2c", {c.grad(), c.input(1), c.bool_(!c.constant_bool(2, "inverse"))}));
}

Grads r2c(GradContext& c) {
  if (!c.needs_grad(0)) return c.no_grads();
  const int64_t dim = constant_of(c, 1);
  const Dim& along = c.shape(c.input(0)).at(static_cast<size_t>(dim));
  if (!along.is_static()) throw c.error("the transformed dim must have a size known when compiling");
  const int64_t n = along.value();
  Value* h = scale_mirrored_bins(c, c.grad(), dim, n, 0.5);
  return c.only_first(c.op("wick::fft_c2r", {h, c.int_(dim), c.int_(n)}));
}

Grads c2r(GradContext& c) {
  if (!c.needs_grad(0)) return c.no_grads();
  const int64_t dim = constant_of(c, 1), n = constant_of(c, 2);
  Value* r = c.op("wick::fft_r2c", {c.grad(), c.int_(dim)});
  return c.only_first(scale_mirrored_bins(c, r, dim, n, 2.0));
}

Grads framed_r2c(GradContext& c) {
  Grads r = c.no_grads();
  if (!c.needs_grad(0) && !c.needs_grad(1)) return r;
  const int64_t n = constant_of(c, 2), hop = constant_of(c, 3);
  const Dim& frames = c.shape(c.output()).at(2);
  Value* g = c.op("wick::fft_c2r", {scale_mirrored_bins(c, c.grad(), 1, n, 0.5), c.int_(1), c.int_(n)});  // [B, n, T]
  // Sample t hop + j of the signal at [j, t], flattened.
  Value* starts = c.op("aten::mul.Scalar", {c.unsqueeze(c.op("aten::arange", {c.int_(frames.value())}), 0), c.int_(hop)});
  Value* positions = c.op("aten::reshape", {c.add(c.unsqueeze(c.op("aten::arange", {c.int_(n)}), 1), starts),
                                            c.ints({-1})});
  if (c.needs_grad(0)) {
    Value* source = c.op("aten::reshape", {c.mul(g, c.unsqueeze(c.input(1), 1)), c.ints({-1, n * frames.value()})});
    r[0] = c.op("aten::index_add", {c.zeros_like(c.input(0)), c.int_(1), positions, source});
  }
  if (c.needs_grad(1)) {
    Value* read = c.op("aten::reshape", {c.op("aten::index_select", {c.input(0), c.int_(1), positions}),
                                         c.ints({-1, n, frames.value()})});
    r[1] = c.sum(c.mul(read, g), {0, 2}, false);
  }
  return r;
}

}  // namespace

void add_complex_gradients(OpTableBuilder& t) {
  t.set_gradient("wick::fft_c2c", {c2c});
  t.set_gradient("wick::fft_r2c", {r2c});
  t.set_gradient("wick::fft_c2r", {c2r});
  t.set_gradient("wick::stft_r2c", {framed_r2c});
}

}  // namespace wick::ir
