// The Fourier transforms of the lower_complex pass. On the CPU a transform
// along a dim is one call of the runtime's FFT kernels (runtime/fft.h), on the
// parts stacked as real pairs; a one-sided stft is one call that reads its
// windowed frames in place (wick::stft_r2c); istft's frames are inverted by the
// c2r kernel, windowed and added into place by col2im. Where those kernels do
// not run (CUDA plans), a transform along a dim of length n is a product with
// the matrix of cos and sin of 2 pi jk / n (jk reduced mod n first, so that the
// angle is exact before its cosine): O(n^2) work per transformed row, done by
// the GEMM library; stft's frames are multiplied by the windowed basis, and
// istft is a transposed 1-D convolution with it, which adds the overlapping
// frames.
#include <cmath>

#include "ir/constant_value.h"
#include "ir/fft_signal.h"
#include "ir/shape_rules.h"
#include "passes/decompose_arith.h"
#include "passes/lower_complex_parts.h"

namespace wick::passes::complex_detail {
namespace {

using decompose_detail::kPi;
using ir::Value;

Value* arange(Emitter& e, int64_t n) { return e.op("aten::arange", {e.int_(n), e.none(), e.none(), e.none(), e.none()}); }

Value* scaled(Emitter& e, Value* v, double s) { return s == 1 ? v : e.op("aten::mul.Scalar", {v, e.float_(s)}); }

Value* cat(Emitter& e, const std::vector<Value*>& parts, int64_t dim) { return e.op("aten::cat", {e.list(parts), e.int_(dim)}); }

Value* narrow(Emitter& e, Value* v, int64_t dim, int64_t start, int64_t length) {
  return e.op("aten::narrow", {v, e.int_(dim), e.int_(start), e.int_(length)});
}

Value* ones(Emitter& e, const std::vector<int64_t>& sizes, DType dtype) {
  return e.op("aten::ones", {e.ints(sizes), e.int_(*torch_code_of(dtype)), e.none(), e.none(), e.none()});
}

// cos and sin of 2 pi (r c mod n) / n, for r < rows and c < cols, computed
// on every call: in f64 for an f64 transform; else with the angle folded
// into [-pi, pi] (m > n / 2 taken as m - n), in f32, whose vectorized sin
// and cos are within 1.5 ulp, where f64's would cost a libm call apiece.
// Values that are 0 exactly (sin of 0 and pi, cos of pi / 2) come out as
// rounding noise, 1e-16 in f64 and 1e-7 in f32, while the transform of a
// real signal has exact zeros (the imaginary parts of bins 0 and n / 2):
// such small values are made 0 (every other value is at least
// sin(2 pi / n), which kMaxBasis keeps above 1e-5).
constexpr int64_t kMaxBasis = int64_t{1} << 24;

struct Basis {
  Value* cos;
  Value* sin;
};

Basis basis(Emitter& e, int64_t rows, int64_t cols, int64_t n, DType dtype) {
  if (rows * cols > kMaxBasis)
    throw e.node().error(e.node().kind() + ": a transform of " + std::to_string(n) +
                         " points needs a " + std::to_string(rows) + " x " + std::to_string(cols) +
                         " matrix of cos and sin, more than wick's limit of " + std::to_string(kMaxBasis) +
                         " elements (wick computes Fourier transforms as matrix products)");
  const bool wide = dtype == DType::f64;
  Value* r = e.op("aten::unsqueeze", {arange(e, rows), e.int_(1)});
  Value* c = e.op("aten::unsqueeze", {arange(e, cols), e.int_(0)});
  Value* m = e.op("aten::remainder.Scalar", {e.mul(r, c), e.int_(n)});
  if (!wide) m = e.op("aten::where.self", {e.op("aten::gt.Scalar", {m, e.int_(n / 2)}),
                                           e.op("aten::sub.Scalar", {m, e.int_(n), e.int_(1)}), m});
  Value* angle = scaled(e, e.cast(m, wide ? DType::f64 : DType::f32), 2 * kPi / static_cast<double>(n));
  auto exact = [&](Value* v) {
    Value* tiny = e.op("aten::lt.Scalar", {e.op("aten::abs", {v}), e.float_(wide ? 1e-12 : 1e-6)});
    Value* cleaned = e.op("aten::where.ScalarSelf", {tiny, e.float_(0), v});
    return *cleaned->type()->dtype() == dtype ? cleaned : e.cast(cleaned, dtype);
  };
  return {exact(e.op("aten::cos", {angle})), exact(e.op("aten::sin", {angle}))};
}

// The weight of bin k of a half spectrum of a real signal of length n in
// the full sum: bins 0 and n / 2 (n even) stand for themselves, the others
// for their mirror images too. [m, 1].
Value* half_spectrum_weights(Emitter& e, int64_t m, int64_t n, DType dtype) {
  Value* k = arange(e, m);
  Value* single = e.op("aten::eq.Scalar", {k, e.int_(0)});
  if (n % 2 == 0) single = e.op("aten::logical_or", {single, e.op("aten::eq.Scalar", {k, e.int_(n / 2)})});
  Value* w = e.op("aten::rsub.Scalar", {e.cast(single, dtype), e.float_(2), e.int_(1)});  // 2 - single
  return e.op("aten::unsqueeze", {w, e.int_(1)});
}

int64_t static_size(Emitter& e, Value* v, int64_t dim) {
  const ir::Dim& d = e.shape(v, "the transformed tensor")[static_cast<size_t>(dim)];
  if (!d.is_static())
    throw e.node().error("the transformed dims of " + e.node().kind() + " must have sizes known when compiling, got " +
                         d.str());
  return d.value();
}

// `v` trimmed or zero-padded at the end of `dim` to `length`.
Value* resized(Emitter& e, Value* v, int64_t dim, int64_t length) {
  if (!v) return v;
  const int64_t size = static_size(e, v, dim);
  if (size > length) return narrow(e, v, dim, 0, length);
  if (size == length) return v;
  const int64_t rank = static_cast<int64_t>(e.shape(v, "the transformed tensor").size());
  std::vector<int64_t> pad(static_cast<size_t>(2 * (rank - dim)), 0);
  pad[static_cast<size_t>(2 * (rank - 1 - dim) + 1)] = length - size;
  return e.op("aten::constant_pad_nd", {v, e.ints(pad), e.float_(0)});
}

Value* swapped(Emitter& e, Value* v, int64_t dim, int64_t rank) {
  if (!v || dim == rank - 1) return v;
  return e.op("aten::transpose.int", {v, e.int_(dim), e.int_(-1)});
}

// sum_j x_j e^(sign i 2 pi jk / n) over the last dim (n long) for k < m.
Parts complex_transform(Emitter& e, const Parts& x, int64_t n, int64_t m, double sign, DType dtype) {
  Basis b = basis(e, n, m, n, dtype);
  Value* sin = scaled(e, b.sin, sign);
  Value* w = cat(e, {b.cos, sin}, 1);  // what x's real part contributes: [n, 2m]
  Value* in = x.re;
  if (x.im) {
    w = cat(e, {w, cat(e, {e.op("aten::neg", {sin}), b.cos}, 1)}, 0);
    in = cat(e, {x.re, x.im}, -1);
  }
  Value* out = e.op("aten::matmul", {in, w});
  return {narrow(e, out, -1, 0, m), narrow(e, out, -1, m, m)};
}

// The real signal of length n whose half spectrum (m = n / 2 + 1 bins along
// the last dim) is x: sum_k w_k Re(x_k e^(sign i 2 pi jk / n)).
Value* real_transform(Emitter& e, const Parts& x, int64_t n, double sign, DType dtype) {
  const int64_t m = n / 2 + 1;
  Basis b = basis(e, m, n, n, dtype);
  Value* weights = half_spectrum_weights(e, m, n, dtype);
  Value* w = e.mul(b.cos, weights);
  Value* in = x.re;
  if (x.im) {
    w = cat(e, {w, e.mul(scaled(e, b.sin, -sign), weights)}, 0);
    in = cat(e, {x.re, x.im}, -1);
  }
  return e.op("aten::matmul", {in, w});
}

DType part_dtype_of(const ir::Value* v) {
  if (!v->type()->dtype()) throw v->node()->error(v->node()->kind() + " needs inputs of known dtype");
  const DType d = *v->type()->dtype();
  return is_complex(d) ? real_part_dtype(d) : d;
}

Parts cast_parts(Emitter& e, Parts x, DType dtype) {
  if (*x.re->type()->dtype() != dtype) x.re = e.cast(x.re, dtype);
  if (x.im && *x.im->type()->dtype() != dtype) x.im = e.cast(x.im, dtype);
  return x;
}

// The stft window, zero-padded on both sides to n_fft; null for no window.
Value* padded_window(Emitter& e, const ir::StftFrames& f, DType dtype) {
  Value* w = nullptr;
  if (!e.absent(4)) w = e.cast(e.input(4), dtype);
  else if (f.win_length < f.n_fft) w = ones(e, {f.win_length}, dtype);
  if (!w || f.win_length == f.n_fft) return w;
  const int64_t left = (f.n_fft - f.win_length) / 2;
  return e.op("aten::constant_pad_nd", {w, e.ints({left, f.n_fft - f.win_length - left}), e.float_(0)});
}

Value* zeros_like(Emitter& e, Value* v) {
  return e.op("aten::zeros_like", {v, e.none(), e.none(), e.none(), e.none(), e.none()});
}

// The tensor `part` selects from its last dim at `index`, or null.
Value* selected_from(Value* part, int64_t index) {
  const ir::Node* n = part ? part->node() : nullptr;
  if (!n || !n->is("aten::select.int") || ir::constant_int(n->input(1)) != -1 || ir::constant_int(n->input(2)) != index)
    return nullptr;
  return n->input(0);
}

// Parts as the runtime's FFT kernels take them: real pairs [.., 2]. Parts
// selected from one tensor of pairs (a view_as_complex) are that tensor.
Value* pairs_of(Emitter& e, const Parts& x) {
  Value* whole = selected_from(x.re, 0);
  if (whole && whole == selected_from(x.im, 1)) return whole;
  return e.op("aten::stack", {e.list({x.re, x.im ? x.im : zeros_like(e, x.re)}), e.int_(-1)});
}

Parts parts_of(Emitter& e, Value* pairs) {
  return {e.op("aten::select.int", {pairs, e.int_(-1), e.int_(0)}), e.op("aten::select.int", {pairs, e.int_(-1), e.int_(1)})};
}

// A value between FFT kernel calls: its parts, or the real pairs a kernel
// left (`pairs` set), which the next kernel takes as they are.
struct Spectrum {
  Parts parts;
  Value* pairs = nullptr;
};

Parts parts_of(Emitter& e, const Spectrum& x) { return x.pairs ? parts_of(e, x.pairs) : x.parts; }

// x as pairs, resized to `length` along dim.
Value* resized_pairs(Emitter& e, const Spectrum& x, int64_t dim, int64_t length) {
  if (x.pairs) return resized(e, x.pairs, dim, length);
  return pairs_of(e, {resized(e, x.parts.re, dim, length), resized(e, x.parts.im, dim, length)});
}

// One transform along `dim` by the runtime's FFT kernels (wick::fft_*): x
// resized to n points (to n / 2 + 1 bins for c2r). The r2c kernel has the
// forward sign and c2r the inverse one; the other signs are conjugates:
// ihfft is conj(rfft), hfft the c2r of the conjugate.
Spectrum kernel_transform(Emitter& e, const Spectrum& x, int64_t dim, int64_t n, ir::FftDomain domain, bool inverse) {
  if (domain == ir::FftDomain::c2r) {
    Spectrum in = x;
    if (!inverse) {
      Parts p = parts_of(e, x);
      in = {{p.re, p.im ? e.op("aten::neg", {p.im}) : nullptr}, nullptr};
    }
    return {{e.op("wick::fft_c2r", {resized_pairs(e, in, dim, n / 2 + 1), e.int_(dim), e.int_(n)}), nullptr}, nullptr};
  }
  if (domain == ir::FftDomain::r2c) {
    WICK_ASSERT(!x.pairs && !x.parts.im, "a real-to-complex transform of a complex value");
    Value* out = e.op("wick::fft_r2c", {resized(e, x.parts.re, dim, n), e.int_(dim)});
    if (!inverse) return {{}, out};
    Parts p = parts_of(e, out);
    return {{p.re, e.op("aten::neg", {p.im})}, nullptr};
  }
  if (!x.pairs && !x.parts.im && !inverse) {
    // A real signal's spectrum: its half spectrum, completed by symmetry
    // (X_(n-k) = conj(X_k)), as ATen completes it, so that the imaginary
    // parts of bins 0 and n / 2 are +0 as there.
    Value* half = e.op("wick::fft_r2c", {resized(e, x.parts.re, dim, n), e.int_(dim)});
    const int64_t mirrored = n - (n / 2 + 1);
    if (mirrored == 0) return {{}, half};
    Parts tail = parts_of(e, e.op("aten::flip", {narrow(e, half, dim, 1, mirrored), e.ints({dim})}));
    return {{}, cat(e, {half, pairs_of(e, {tail.re, e.op("aten::neg", {tail.im})})}, dim)};
  }
  return {{}, e.op("wick::fft_c2c", {resized_pairs(e, x, dim, n), e.int_(dim), e.bool_(inverse)})};
}

}  // namespace

Parts fourier_transform(Emitter& e, const Parts& input, bool kernels) {
  auto sig = ir::fft_signal(e.node());
  if (!sig) throw e.node().error("the transformed dims of " + e.node().kind() + " must have sizes known when compiling");
  const DType dtype = part_dtype_of(e.node().output());
  Parts x = cast_parts(e, input, dtype);
  const int64_t rank = static_cast<int64_t>(e.shape(x.re, "the transformed tensor").size());
  const double sign = sig->inverse ? 1 : -1;
  const size_t count = sig->dims.size();
  // A half spectrum is taken first and expanded last, so that every other
  // dim is transformed as complex.
  std::vector<size_t> order;
  if (sig->domain == ir::FftDomain::r2c) order.push_back(count - 1);
  for (size_t i = 0; i + 1 < count; ++i) order.push_back(i);
  if (sig->domain != ir::FftDomain::r2c) order.push_back(count - 1);
  Spectrum spectrum{x, nullptr};
  for (size_t i : order) {
    const int64_t dim = sig->dims[i], n = sig->lengths[i];
    const bool last = i + 1 == count;
    if (kernels) {
      spectrum = kernel_transform(e, spectrum, dim, n, last ? sig->domain : ir::FftDomain::c2c, sig->inverse);
      x = spectrum.pairs ? Parts{} : spectrum.parts;
      continue;
    }
    if (last && sig->domain == ir::FftDomain::c2r) {
      Parts in{swapped(e, resized(e, x.re, dim, n / 2 + 1), dim, rank),
               swapped(e, resized(e, x.im, dim, n / 2 + 1), dim, rank)};
      x = {swapped(e, real_transform(e, in, n, sign, dtype), dim, rank), nullptr};
      continue;
    }
    const int64_t m = last && sig->domain == ir::FftDomain::r2c ? n / 2 + 1 : n;
    Parts in{swapped(e, resized(e, x.re, dim, n), dim, rank), swapped(e, resized(e, x.im, dim, n), dim, rank)};
    Parts out = complex_transform(e, in, n, m, sign, dtype);
    x = {swapped(e, out.re, dim, rank), swapped(e, out.im, dim, rank)};
  }
  if (spectrum.pairs) x = parts_of(e, spectrum.pairs);
  const double s = sig->scale();
  return {scaled(e, x.re, s), x.im ? scaled(e, x.im, s) : nullptr};
}

Parts short_time_transform(Emitter& e, Value** real_result, bool kernels) {
  const ir::StftFrames f = ir::stft_frames(e.node());
  const bool onesided = e.absent(6) ? true : e.constant_bool(6, "onesided");
  const bool return_complex = e.constant_bool(7, "return_complex");
  const ir::Value* out = e.node().output();
  const DType dtype = part_dtype_of(out);
  const int64_t bins = onesided ? f.n_fft / 2 + 1 : f.n_fft;
  Value* x = e.input(0);
  if (*x->type()->dtype() != dtype) x = e.cast(x, dtype);
  const bool single = e.shape(x, "the signal").size() == 1;
  if (single) x = e.op("aten::unsqueeze", {x, e.int_(0)});
  const int64_t length = static_size(e, x, 1);
  if (length < f.n_fft)
    throw e.node().error("stft: the signal (" + std::to_string(length) + " samples) is shorter than n_fft = " +
                         std::to_string(f.n_fft));
  const int64_t frames = 1 + (length - f.n_fft) / f.hop;
  // Sample t * hop + j of frame t, at [j, t] (`by_sample`) or [t, j].
  auto gather_frames = [&](bool by_sample) {
    const int64_t t_dim = by_sample ? 0 : 1;
    Value* starts = e.op("aten::mul.Scalar", {e.op("aten::unsqueeze", {arange(e, frames), e.int_(t_dim)}), e.int_(f.hop)});
    Value* positions = e.add(starts, e.op("aten::unsqueeze", {arange(e, f.n_fft), e.int_(1 - t_dim)}));
    Value* gathered = e.op("aten::index_select", {x, e.int_(1), e.op("aten::reshape", {positions, e.ints({-1})})});
    return e.op("aten::reshape", {gathered, e.ints(by_sample ? std::vector<int64_t>{-1, f.n_fft, frames}
                                                              : std::vector<int64_t>{-1, frames, f.n_fft})});
  };
  if (kernels) {
    // One-sided: the kernel reads the windowed frames in place. Two-sided:
    // the frames gathered sample by sample, [B, n_fft, frames], windowed,
    // and transformed along dim 1. Either way the result is [B, bins,
    // frames, 2] as it stands.
    Value* window = padded_window(e, f, dtype);
    if (!window) window = ones(e, {f.n_fft}, dtype);
    if (e.constant_bool(5, "normalized")) window = scaled(e, window, 1 / std::sqrt(static_cast<double>(f.n_fft)));
    Value* y = nullptr;
    if (onesided) {
      y = e.op("wick::stft_r2c", {x, window, e.int_(f.n_fft), e.int_(f.hop)});
    } else {
      Value* gathered = e.mul(gather_frames(true), e.op("aten::unsqueeze", {window, e.int_(1)}));
      y = e.op("wick::fft_c2c", {pairs_of(e, {gathered, nullptr}), e.int_(1), e.bool_(false)});
    }
    if (single) y = e.op("aten::squeeze.dim", {y, e.int_(0)});
    if (return_complex) return parts_of(e, y);
    *real_result = y;
    return {};
  }
  Value* gathered = gather_frames(false);
  Basis b = basis(e, f.n_fft, bins, f.n_fft, dtype);
  Value* w = cat(e, {b.cos, e.op("aten::neg", {b.sin})}, 1);  // [n_fft, 2 bins]
  if (Value* window = padded_window(e, f, dtype)) w = e.mul(w, e.op("aten::unsqueeze", {window, e.int_(1)}));
  if (e.constant_bool(5, "normalized")) w = scaled(e, w, 1 / std::sqrt(static_cast<double>(f.n_fft)));
  Value* y = e.op("aten::transpose.int", {e.op("aten::matmul", {gathered, w}), e.int_(1), e.int_(2)});  // [B, 2 bins, frames]
  Parts p{narrow(e, y, 1, 0, bins), narrow(e, y, 1, bins, bins)};
  if (single) p = {e.op("aten::squeeze.dim", {p.re, e.int_(0)}), e.op("aten::squeeze.dim", {p.im, e.int_(0)})};
  if (return_complex) return p;
  *real_result = e.op("aten::stack", {e.list({p.re, p.im}), e.int_(-1)});
  return {};
}

Value* inverse_short_time_transform(Emitter& e, const Parts& spectrum, bool kernels) {
  const ir::StftFrames f = ir::stft_frames(e.node());
  const DType dtype = part_dtype_of(e.node().output());
  Parts x = cast_parts(e, spectrum, dtype);
  const auto& shape = e.shape(x.re, "the spectrogram");
  const bool single = shape.size() == 2;
  const int64_t bins = static_size(e, x.re, static_cast<int64_t>(shape.size()) - 2);
  const int64_t frames = static_size(e, x.re, static_cast<int64_t>(shape.size()) - 1);
  const bool onesided = e.absent(7) ? bins != f.n_fft : e.constant_bool(7, "onesided");
  const int64_t half = f.n_fft / 2 + 1;
  if (onesided ? bins != half : bins != f.n_fft)
    throw e.node().error("istft: a " + std::string(onesided ? "one-sided" : "two-sided") + " spectrogram of n_fft = " +
                         std::to_string(f.n_fft) + " has " + std::to_string(onesided ? half : f.n_fft) +
                         " frequency bins, got " + std::to_string(bins));
  if (single) x = {e.op("aten::unsqueeze", {x.re, e.int_(0)}), x.im ? e.op("aten::unsqueeze", {x.im, e.int_(0)}) : nullptr};
  if (!onesided) x = {narrow(e, x.re, 1, 0, half), x.im ? narrow(e, x.im, 1, 0, half) : nullptr};
  const int64_t expected = f.n_fft + f.hop * (frames - 1);
  const bool normalized = e.constant_bool(6, "normalized");
  const double scale = normalized ? 1 / std::sqrt(static_cast<double>(f.n_fft)) : 1 / static_cast<double>(f.n_fft);
  Value* window = padded_window(e, f, dtype);
  auto overlap_add = [&](Value* frames_in, Value* kernel) {
    return e.op("aten::conv_transpose1d", {frames_in, e.op("aten::unsqueeze", {kernel, e.int_(1)}), e.none(),
                                           e.ints({f.hop}), e.ints({0}), e.ints({0}), e.int_(1), e.ints({1})});
  };
  Value* y = nullptr;  // [B, 1, expected]
  if (kernels) {
    // Each frame's inverse by the c2r kernel, [B, frames, n_fft], windowed,
    // then added into place (col2im: F.fold with blocks of 1 x n_fft).
    Value* pairs = e.op("aten::transpose.int", {pairs_of(e, x), e.int_(1), e.int_(2)});  // [B, frames, half, 2]
    Value* signal = scaled(e, e.op("wick::fft_c2r", {pairs, e.int_(2), e.int_(f.n_fft)}), scale);
    if (window) signal = e.mul(signal, window);
    y = e.op("aten::col2im", {e.op("aten::transpose.int", {signal, e.int_(1), e.int_(2)}), e.ints({1, expected}),
                              e.ints({1, f.n_fft}), e.ints({1, 1}), e.ints({0, 0}), e.ints({1, f.hop})});
    y = e.op("aten::reshape", {y, e.ints({-1, 1, expected})});
  } else {
    // Each frame's inverse transform, windowed: w_k / n (cos, -sin) of
    // 2 pi kj / n for bin k and sample j.
    Basis b = basis(e, half, f.n_fft, f.n_fft, dtype);
    Value* weights = half_spectrum_weights(e, half, f.n_fft, dtype);
    Value* w = e.mul(b.cos, weights);
    Value* in = x.re;
    if (x.im) {
      w = cat(e, {w, e.op("aten::neg", {e.mul(b.sin, weights)})}, 0);
      in = cat(e, {x.re, x.im}, 1);
    }
    w = scaled(e, w, scale);
    if (window) w = e.mul(w, e.op("aten::unsqueeze", {window, e.int_(0)}));
    y = overlap_add(in, w);
  }
  // The envelope in the window's own dtype, as ATen computes it (an f32
  // window's envelope is rounded to f32 also for an f64 signal).
  const DType window_dtype = e.absent(4) ? dtype : *e.input(4)->type()->dtype();
  Value* own = window ? padded_window(e, f, window_dtype) : nullptr;
  Value* square = own ? e.mul(own, own) : ones(e, {f.n_fft}, dtype);
  Value* envelope = overlap_add(ones(e, {1, 1, frames}, own ? window_dtype : dtype),
                                e.op("aten::unsqueeze", {square, e.int_(0)}));
  if (*envelope->type()->dtype() != dtype) envelope = e.cast(envelope, dtype);

  const bool center = e.constant_bool(5, "center");
  const int64_t start = center ? f.n_fft / 2 : 0;
  int64_t end = center ? expected - f.n_fft / 2 : expected;
  if (!e.absent(8)) end = start + e.constant_int(8, "length");
  const int64_t stop = std::min(end, expected);
  if (stop < start) throw e.node().error("istft: the requested length is negative");
  y = narrow(e, y, 2, start, stop - start);
  envelope = narrow(e, envelope, 2, start, stop - start);
  Value* low = e.op("aten::lt.Scalar", {e.op("aten::abs", {envelope}), e.float_(1e-11)});
  e.raise_if(e.op("aten::Bool.Tensor", {e.op("aten::any", {low})}),
             "istft: window overlap add min below 1e-11: the window and hop length do not meet the NOLA condition");
  y = e.div(y, envelope);
  if (end > expected) y = e.op("aten::constant_pad_nd", {y, e.ints({0, end - expected}), e.float_(0)});
  y = e.op("aten::squeeze.dim", {y, e.int_(1)});
  if (single) y = e.op("aten::squeeze.dim", {y, e.int_(0)});
  return y;
}

Value* sample_frequencies(Emitter& e) {
  const int64_t n = e.constant_int(0, "the length");
  auto d = ir::constant_double(e.input(1));
  if (!d) throw e.node().error("the sample spacing d of " + e.node().kind() + " must be a constant");
  const DType dtype = *e.node().output()->type()->dtype();
  Value* k;
  if (e.node().is("aten::fft_rfftfreq")) {
    k = arange(e, n / 2 + 1);
  } else {
    // 0, 1, ..., (n - 1) / 2, then -(n / 2), ..., -1.
    k = e.op("aten::sub.Scalar",
             {e.op("aten::remainder.Scalar", {e.op("aten::add.Scalar", {arange(e, n), e.int_(n / 2), e.int_(1)}), e.int_(n)}),
              e.int_(n / 2), e.int_(1)});
  }
  return e.op("aten::mul.Scalar", {e.cast(k, dtype), e.float_(1.0 / (static_cast<double>(n) * *d))});
}

Value* spectrum_shift(Emitter& e, Value* part) {
  const auto& shape = e.shape(part, "the spectrum");
  const int64_t rank = static_cast<int64_t>(shape.size());
  std::vector<int64_t> dims;
  if (e.absent(1)) {
    for (int64_t d = 0; d < rank; ++d) dims.push_back(d);
  } else {
    auto given = ir::constant_int_list(e.input(1));
    if (!given) throw e.node().error("the dims of " + e.node().kind() + " must be constants");
    for (int64_t d : *given) dims.push_back(ir::shape::normalize_dim(e.node(), d, rank));
  }
  if (dims.empty()) return part;
  const bool inverse = e.node().is("aten::fft_ifftshift");
  std::vector<int64_t> shifts;
  for (int64_t d : dims) {
    const int64_t n = static_size(e, part, d);
    shifts.push_back(inverse ? (n + 1) / 2 : n / 2);
  }
  return e.op("aten::roll", {part, e.ints(shifts), e.ints(dims)});
}

}  // namespace wick::passes::complex_detail
