// Decomposition rules for the library calls on f64 tensors, which the CPU's
// library (oneDNN 2.x) and the CUDA plan do not take, written as products,
// sums and gathers that generated kernels compute in f64:
//   matmul, mm, bmm, addmm, linear (for CUDA plans only: the CPU runtime
//     has an f64 GEMM, runtime/gemm_f64.h): each result element the sum over k of
//     a[.., m, k] * b[.., n, k], one fused multiply-and-reduce kernel (the
//     product is never stored);
//   conv1d/2d/3d (for CUDA plans only, as the products): the padded
//     input's windows gathered one spatial dim at a
//     time (index_select at o * stride + i * dilation), laid out as
//     [N, L, groups, C/groups * k...] and multiplied with the weight
//     [groups, O/groups, C/groups * k...] the same way;
//   wick::conv_input_backward (transposed convolutions): a plain
//     convolution over the input spread with zeros (decompose_conv.cpp);
//   max_pool2d: the window maxima of max pooling with indices
//     (decompose_pool_indices.cpp), its indices unused;
//   avg_pool2d: separable, each pooled dim in turn a weighted sum of its
//     window (weight 1 / count inside the input, 0 in the padding or past
//     it), the counts ATen's per dim (with or without the padding), or a
//     divisor_override dividing once at the end;
//   adaptive_avg_pool2d: a mean, or adaptive pooling one dim at a time
//     (decompose_pooling.cpp).
// Sums run in another order than a BLAS's, so results differ from
// LibTorch's in the last bits. Gradients come with the primitives.
#include <algorithm>
#include <optional>
#include <set>
#include <string>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Dim;
using ir::Value;

Value* unsqueeze(Emitter& e, Value* x, int64_t d) { return e.op("aten::unsqueeze", {x, e.int_(d)}); }
Value* transpose(Emitter& e, Value* x, int64_t a, int64_t b) {
  return e.op("aten::transpose.int", {x, e.int_(a), e.int_(b)});
}

size_t rank_of(Emitter& e, Value* v, const char* what) { return e.shape(v, what).size(); }

// a [..., M, K] times b [..., K, N], batch dims broadcast: [..., M, N].
// The sum runs over the middle dim of [..., M, K, N], so the kernel adds
// a[m, k] times b's row k into the output row m, vectorized along N.
Value* batched_product(Emitter& e, Value* a, Value* b) {
  Value* rows = unsqueeze(e, a, -1);     // [..., M, K, 1]
  Value* columns = unsqueeze(e, b, -3);  // [..., 1, K, N]
  return e.sum(e.mul(rows, columns), {-2}, false);
}

// torch.matmul's cases by rank.
Value* product(Emitter& e, Value* a, Value* b) {
  const size_t ra = rank_of(e, a, "first operand"), rb = rank_of(e, b, "second operand");
  if (ra == 0 || rb == 0) throw e.node().error("needs operands of at least one dim");
  if (ra == 1 && rb == 1) return e.op("aten::sum", {e.mul(a, b), e.none()});
  if (rb == 1) return e.sum(e.mul(a, b), {-1}, false);
  if (ra == 1) return e.sum(e.mul(unsqueeze(e, a, -1), b), {-2}, false);
  return batched_product(e, a, b);
}

Value* matmul(Emitter& e) { return product(e, e.input(0), e.input(1)); }

Value* matrix_product(Emitter& e) {
  for (size_t i : {0, 1})
    if (rank_of(e, e.input(i), "operand") != (e.node().op().schema.name == "bmm" ? 3u : 2u))
      throw e.node().error("needs operands of rank " + std::string(e.node().op().schema.name == "bmm" ? "3" : "2"));
  return batched_product(e, e.input(0), e.input(1));
}

// x times a Scalar input; the identity when it is the constant 1.
Value* scaled(Emitter& e, Value* x, size_t scalar) {
  auto v = ir::constant_double(e.input(scalar));
  if (v && *v == 1.0) return x;
  return e.op("aten::mul.Scalar", {x, e.input(scalar)});
}

// addmm(self, mat1, mat2, beta, alpha) = beta self + alpha mat1 mat2; with
// beta 0, self is not read (a NaN there does not propagate), as in ATen.
Value* addmm(Emitter& e) {
  Value* prod = scaled(e, batched_product(e, e.input(1), e.input(2)), 4);
  auto beta = ir::constant_double(e.input(3));
  if (beta && *beta == 0.0) return prod;
  return e.add(prod, scaled(e, e.input(0), 3));
}

// linear(x [..., K], w [N, K] or [K], b): a weight row per output.
Value* linear(Emitter& e) {
  Value* x = e.input(0);
  Value* w = e.input(1);
  Value* y = nullptr;
  if (rank_of(e, w, "weight") == 1) {
    y = e.sum(e.mul(x, w), {-1}, false);
  } else {
    // [K, N], copied once per call so that the kernel reads its rows.
    Value* columns = e.op("aten::contiguous", {transpose(e, w, 0, 1), e.int_(0)});
    y = e.sum(e.mul(unsqueeze(e, x, -1), columns), {-2}, false);
  }
  return e.absent(2) ? y : e.add(y, e.input(2));
}

int64_t static_size(Emitter& e, const Dim& d, const char* what) {
  if (!d.is_static()) throw e.node().error(std::string("needs ") + what + " of known size, got " + d.str());
  return d.value();
}

Value* arange(Emitter& e, int64_t n) {
  return e.op("aten::arange", {e.int_(n), e.int_(4), e.none(), e.none(), e.none()});  // int64
}

// Positions [k, out] of the windows along a dim: o * stride + i * dilation.
Value* window_positions(Emitter& e, int64_t k, int64_t out, int64_t stride, int64_t dilation) {
  Value* o = e.op("aten::reshape", {e.op("aten::mul.Scalar", {arange(e, out), e.int_(stride)}), e.ints({1, out})});
  Value* i = e.op("aten::reshape", {e.op("aten::mul.Scalar", {arange(e, k), e.int_(dilation)}), e.ints({k, 1})});
  return e.add(o, i);
}

// conv1d/2d/3d(x, w, b, stride, padding, dilation, groups).
Value* conv(Emitter& e) {
  const std::string& name = e.node().op().schema.name;
  const size_t n = name == "conv1d" ? 1 : name == "conv2d" ? 2 : 3;
  Value* x = e.input(0);
  const size_t rank = rank_of(e, x, "input");
  const bool batched = rank == n + 2;
  if (!batched) x = unsqueeze(e, x, 0);
  const std::vector<int64_t> stride = e.constant_ints(3, n, "stride"), padding = e.constant_ints(4, n, "padding"),
                             dilation = e.constant_ints(5, n, "dilation");
  const int64_t groups = e.constant_int(6, "groups");
  std::vector<int64_t> ws;
  for (const Dim& d : e.shape(e.input(1), "weight")) ws.push_back(static_size(e, d, "a weight"));
  const std::vector<Dim>& xs = e.shape(x, "input");
  for (size_t i = 0; i < n; ++i) static_size(e, xs[2 + i], "spatial dims");
  const std::vector<Dim>& ys = e.shape(e.node().output(0), "result");
  std::vector<int64_t> out;
  for (size_t i = 0; i < n; ++i) out.push_back(static_size(e, ys[ys.size() - n + i], "spatial dims"));
  const int64_t channels = static_size(e, xs[1], "input channels");
  if (groups <= 0 || channels % groups != 0 || ws[0] % groups != 0)
    throw e.node().error("the channels do not divide into groups");
  if (std::any_of(padding.begin(), padding.end(), [](int64_t p) { return p != 0; })) {
    std::vector<int64_t> pads;
    for (size_t i = n; i-- > 0;) {
      pads.push_back(padding[i]);
      pads.push_back(padding[i]);
    }
    x = e.op("aten::constant_pad_nd", {x, e.ints(pads), e.int_(0)});
  }
  // [N, C, L0, L1, ...] -> [N, C, k0, O0, k1, O1, ...].
  int64_t taps = 1, positions = 1;
  for (size_t i = 0; i < n; ++i) {
    const int64_t k = ws[2 + i];
    x = gather_windows(e, x, static_cast<int64_t>(2 + 2 * i), window_positions(e, k, out[i], stride[i], dilation[i]), k,
                       out[i]);
    taps *= k;
    positions *= out[i];
  }
  // -> [N, O0, O1, ..., C, k0, k1, ...] -> [N, L, groups, C/groups * k...].
  std::vector<int64_t> order = {0};
  for (size_t i = 0; i < n; ++i) order.push_back(static_cast<int64_t>(3 + 2 * i));
  order.push_back(1);
  for (size_t i = 0; i < n; ++i) order.push_back(static_cast<int64_t>(2 + 2 * i));
  const int64_t depth = channels / groups * taps;
  x = e.op("aten::reshape", {e.op("aten::permute", {x, e.ints(order)}),
                             e.sizes(x, {Size::dim_of(0), Size::fixed(positions), Size::fixed(groups), Size::fixed(depth)})});
  Value* w = e.op("aten::reshape", {e.input(1), e.ints({groups, ws[0] / groups, depth})});
  Value* y = e.sum(e.mul(unsqueeze(e, x, -2), w), {-1}, false);  // [N, L, groups, O/groups]
  // -> [N, O0, O1, ..., O] -> [N, O, O0, O1, ...].
  std::vector<Size> sizes = {Size::dim_of(0)};
  for (int64_t o : out) sizes.push_back(Size::fixed(o));
  sizes.push_back(Size::fixed(ws[0]));
  y = e.op("aten::reshape", {y, e.sizes(x, sizes)});
  std::vector<int64_t> back = {0, static_cast<int64_t>(n + 1)};
  for (size_t i = 0; i < n; ++i) back.push_back(static_cast<int64_t>(1 + i));
  y = e.op("aten::permute", {y, e.ints(back)});
  if (!e.absent(2)) {
    std::vector<int64_t> view(n + 1, 1);
    view[0] = ws[0];
    y = e.add(y, e.op("aten::reshape", {e.input(2), e.ints(view)}));
  }
  return batched ? y : e.op("aten::squeeze.dim", {y, e.int_(0)});
}

// avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad,
// divisor_override).
Value* avg_pool2d(Emitter& e) {
  Value* x = e.input(0);
  const std::vector<Dim>& xs = e.shape(x, "input");
  if (xs.size() != 3 && xs.size() != 4) throw e.node().error("needs a 3-D or 4-D input, got rank " + std::to_string(xs.size()));
  const std::vector<int64_t> k = e.constant_ints(1, 2, "kernel_size");
  const std::vector<int64_t> s = e.constant_ints(2, 2, "stride", &k);
  const std::vector<int64_t> p = e.constant_ints(3, 2, "padding");
  const bool include_pad = e.constant_bool(5, "count_include_pad");
  std::optional<int64_t> divisor;
  if (!e.absent(6)) divisor = e.constant_int(6, "divisor_override");
  if (divisor && *divisor == 0) throw e.node().error("divisor_override must be nonzero");
  const std::vector<Dim>& ys = e.shape(e.node().output(0), "result");
  const DType dtype = e.float_dtype(x, "input");
  const int64_t rank = static_cast<int64_t>(xs.size());
  for (int64_t j = 0; j < 2; ++j) {
    const int64_t dim = rank - 2 + j;
    const int64_t length = static_size(e, xs[static_cast<size_t>(dim)], "pooled dims");
    const int64_t out = static_size(e, ys[static_cast<size_t>(dim)], "pooled dims");
    const int64_t kj = k[static_cast<size_t>(j)], sj = s[static_cast<size_t>(j)], pj = p[static_cast<size_t>(j)];
    // Window o covers [o s - p, min(o s - p + k, L + p)), its elements
    // inside the input weighted by 1 / count.
    Value* start = e.op("aten::reshape", {e.op("aten::add.Scalar", {e.op("aten::mul.Scalar", {arange(e, out), e.int_(sj)}),
                                                                    e.int_(-pj), e.int_(1)}),
                                          e.ints({1, out})});
    Value* at = e.add(start, e.op("aten::reshape", {arange(e, kj), e.ints({kj, 1})}));
    Value* inside = e.op("aten::logical_and", {e.op("aten::ge.Scalar", {at, e.int_(0)}), e.op("aten::lt.Scalar", {at, e.int_(length)})});
    Value* weight = e.cast(inside, dtype);
    if (!divisor) {
      Value* end = e.op("aten::add.Scalar", {start, e.int_(kj), e.int_(1)});
      Value* clipped_start = include_pad ? nullptr : e.op("aten::clamp_min", {start, e.int_(0)});
      Value* count = include_pad ? e.sub(e.op("aten::clamp_max", {end, e.int_(length + pj)}), start)
                                 : e.sub(e.op("aten::clamp_max", {end, e.int_(length)}), clipped_start);
      weight = e.div(weight, e.cast(count, dtype));
    }
    Value* clamped = e.op("aten::clamp", {at, e.int_(0), e.int_(length - 1)});
    Value* windows = gather_windows(e, x, dim, clamped, kj, out);  // [..., k, out, ...]
    std::vector<int64_t> view = {kj, out};
    for (int64_t i = dim + 1; i < rank; ++i) view.push_back(1);
    x = e.sum(e.mul(windows, e.op("aten::reshape", {weight, e.ints(view)})), {dim}, false);
  }
  return divisor ? e.op("aten::div.Scalar", {x, e.int_(*divisor)}) : x;
}

Value* adaptive_avg_pool2d(Emitter& e) { return adaptive_avg_pool2d_by_dims(e); }
Value* max_pool2d(Emitter& e) { return max_pool_values(e); }
Value* conv_input_backward(Emitter& e) { return spread_input_backward(e, /*volumes_only=*/false); }

}  // namespace

bool is_double_library_call(const ir::Node& n) {
  static const std::set<std::string> calls = {"aten::matmul", "aten::mm",     "aten::bmm",    "aten::addmm",
                                              "aten::linear", "aten::conv1d", "aten::conv2d", "aten::conv3d"};
  return calls.count(n.kind()) > 0;
}

std::vector<NamedRule> double_rules() {
  return {{"aten::matmul", matmul},
          {"aten::mm", matrix_product},
          {"aten::bmm", matrix_product},
          {"aten::addmm", addmm},
          {"aten::linear", linear},
          {"aten::conv1d", conv},
          {"aten::conv2d", conv},
          {"aten::conv3d", conv},
          {"wick::conv_input_backward", conv_input_backward},
          {"aten::max_pool2d", max_pool2d},
          {"aten::avg_pool2d", avg_pool2d},
          {"aten::adaptive_avg_pool2d", adaptive_avg_pool2d}};
}

}  // namespace wick::passes::decompose_detail
