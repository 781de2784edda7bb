// Type rules of convolutions and pooling, following PyTorch's output-size
// formulas (including ceil_mode for pooling), and of the normalizations,
// whose parameters must fit the input as ATen checks.
#include "ir/constant_value.h"
#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir::shape {
namespace {

// An int[N] argument: a list of N ints, or one int meaning N copies.
std::optional<std::vector<int64_t>> int_n(const Node& node, size_t i, size_t n, const char* what) {
  auto v = constant_int_list(node.input(i));
  if (!v) {
    if (auto one = constant_int(node.input(i))) v = std::vector<int64_t>{*one};
    else return std::nullopt;
  }
  if (v->size() == 1 && n > 1) v = std::vector<int64_t>(n, v->front());
  if (v->size() != n)
    throw node.error(std::string(what) + " needs " + std::to_string(n) + " values, got " +
                     std::to_string(v->size()));
  return v;
}

std::vector<TypePtr> unknown_spatial(const Type& x, int rank) {
  std::optional<std::vector<Dim>> shape;
  if (rank > 0) shape = std::vector<Dim>(static_cast<size_t>(rank), Dim::unknown());
  return {Type::tensor(x.dtype(), shape, x.tensor_device())};
}

int64_t pooled_size(const Node& node, int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
  int64_t span = in + 2 * p - d * (k - 1) - 1;
  if (span < 0) throw node.error("kernel larger than the padded input");
  int64_t out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  // The last window must start inside the input or its left padding.
  if (ceil_mode && (out - 1) * s >= in + p) --out;
  return out;
}

// max_pool / avg_pool over the last `n` dims (1, 2 or 3) of a batched or
// unbatched input.
std::vector<TypePtr> pool(const Node& node, bool has_dilation, size_t n) {
  const Type& x = input_type(node, 0);
  const int rank_lo = static_cast<int>(n) + 1, rank_hi = static_cast<int>(n) + 2;
  if (x.has_rank() && x.rank() != rank_lo && x.rank() != rank_hi)
    throw node.error("pooling needs a " + std::to_string(rank_lo) + "-D or " + std::to_string(rank_hi) +
                     "-D input, got " + shape_str(*x.shape()));
  auto k = int_n(node, 1, n, "kernel_size");
  auto s = constant_int_list(node.input(2));
  auto p = int_n(node, 3, n, "padding");
  std::optional<std::vector<int64_t>> d = std::vector<int64_t>(n, 1);
  if (has_dilation) d = int_n(node, 4, n, "dilation");
  auto ceil_mode = constant_bool(node.input(has_dilation ? 5 : 4));
  if (!x.has_rank() || !k || !s || !p || !d || !ceil_mode) return unknown_spatial(x, x.rank());
  std::vector<int64_t> stride = s->empty() ? *k : *s;
  if (stride.size() == 1) stride = std::vector<int64_t>(n, stride[0]);
  if (stride.size() != n) throw node.error("stride needs " + std::to_string(n) + " values");
  std::vector<Dim> out = *x.shape();
  for (size_t i = 0; i < n; ++i) {
    if ((*k)[i] <= 0 || stride[i] <= 0 || (*d)[i] <= 0) throw node.error("kernel, stride and dilation must be positive");
    if ((*p)[i] < 0 || (*p)[i] * 2 > (*k)[i])
      throw node.error("padding must be non-negative and at most half the kernel size");
    Dim& dim = out[out.size() - n + i];
    if (!dim.is_static()) {
      dim = Dim::unknown();
      continue;
    }
    dim = Dim::constant(pooled_size(node, dim.value(), (*k)[i], stride[i], (*p)[i], (*d)[i], *ceil_mode));
  }
  return {Type::tensor(x.dtype(), out, x.tensor_device())};
}

// x with its last `n` dims made output_size (adaptive pooling, unpooling).
std::vector<TypePtr> resized(const Node& node, const Type& x, const std::optional<std::vector<int64_t>>& size,
                             size_t n) {
  if (!x.has_rank() || !size) return unknown_spatial(x, x.rank());
  std::vector<Dim> out = *x.shape();
  for (size_t i = 0; i < n; ++i) {
    if ((*size)[i] < 0) throw node.error("output_size must be non-negative");
    out[out.size() - n + i] = Dim::constant((*size)[i]);
  }
  return {Type::tensor(x.dtype(), out, x.tensor_device())};
}

// adaptive_avg_pool over the last `n` dims: they become output_size.
std::vector<TypePtr> adaptive_pool(const Node& node, size_t n) {
  const Type& x = input_type(node, 0);
  auto size = int_n(node, 1, n, "output_size");
  const int rank_lo = static_cast<int>(n) + 1, rank_hi = static_cast<int>(n) + 2;
  if (x.has_rank() && x.rank() != rank_lo && x.rank() != rank_hi)
    throw node.error("adaptive pooling needs a " + std::to_string(rank_lo) + "-D or " + std::to_string(rank_hi) +
                     "-D input, got " + shape_str(*x.shape()));
  return resized(node, x, size, n);
}

}  // namespace

namespace {

struct ConvParams {
  int spatial;
  std::optional<std::vector<int64_t>> stride, padding, dilation, output_padding;
  std::optional<int64_t> groups;
  bool transposed;
};

// The output of a convolution of x by w with the given parameters.
std::vector<TypePtr> conv_output(const Node& node, const Type& x, const Type& w, const ConvParams& c) {
  const int spatial = c.spatial;
  if (w.has_rank() && w.rank() != spatial + 2)
    throw node.error("weight must have rank " + std::to_string(spatial + 2) + ", got " + shape_str(*w.shape()));
  if (x.has_rank() && x.rank() != spatial + 2 && x.rank() != spatial + 1)
    throw node.error("input must have rank " + std::to_string(spatial + 2) + ", got " + shape_str(*x.shape()));
  if (!x.has_rank() || !w.has_rank() || !c.stride || !c.padding || !c.dilation || !c.groups || !c.output_padding)
    return unknown_spatial(x, x.rank());
  const int64_t groups = *c.groups;
  if (groups <= 0) throw node.error("groups must be positive");
  const bool batched = x.rank() == spatial + 2;
  const auto& xs = *x.shape();
  const auto& ws = *w.shape();
  const Dim& in_channels = xs[batched ? 1 : 0];
  const Dim& w_in = ws[c.transposed ? 0 : 1];
  if (!c.transposed && in_channels.is_static() && w_in.is_static() && in_channels.value() != w_in.value() * groups)
    throw node.error("input has " + in_channels.str() + " channels but the weight expects " +
                     std::to_string(w_in.value() * groups) + " (" + w_in.str() + " x " + std::to_string(groups) +
                     " groups)");
  std::vector<Dim> out;
  if (batched) out.push_back(xs[0]);
  Dim out_channels = c.transposed ? ws[1] * Dim::constant(groups) : ws[0];
  out.push_back(out_channels);
  for (int i = 0; i < spatial; ++i) {
    const Dim& in = xs[xs.size() - spatial + i];
    const Dim& k = ws[2 + i];
    int64_t s = (*c.stride)[i], p = (*c.padding)[i], d = (*c.dilation)[i];
    if (s <= 0 || d <= 0 || p < 0) throw node.error("stride and dilation must be positive, padding non-negative");
    if (!in.is_static() || !k.is_static()) {
      out.push_back(Dim::unknown());
      continue;
    }
    int64_t size;
    if (c.transposed) {
      size = (in.value() - 1) * s - 2 * p + d * (k.value() - 1) + (*c.output_padding)[i] + 1;
    } else {
      int64_t span = in.value() + 2 * p - d * (k.value() - 1) - 1;
      if (span < 0)
        throw node.error("kernel size " + k.str() + " (dilated) is larger than the padded input size " +
                         std::to_string(in.value() + 2 * p));
      size = span / s + 1;
    }
    out.push_back(Dim::constant(size));
  }
  return {Type::tensor(x.dtype(), out, x.tensor_device())};
}

}  // namespace

std::vector<TypePtr> conv(const Node& node) {
  const Type& x = input_type(node, 0);
  const Type& w = input_type(node, 1);
  require_same_dtype(node, x, w, "the input", "the weight");
  const std::string& name = node.op().schema.name;
  const bool is_generic = name == "_convolution";
  const bool transpose_op = name == "conv_transpose1d" || name == "conv_transpose2d" || name == "conv_transpose3d";
  int spatial = name == "conv1d" || name == "conv_transpose1d"   ? 1
                : name == "conv2d" || name == "conv_transpose2d" ? 2
                : name == "conv3d" || name == "conv_transpose3d" ? 3
                                                                 : (w.has_rank() ? w.rank() - 2 : -1);
  if (spatial < 1) return unknown_spatial(x, -1);
  ConvParams c{spatial, int_n(node, 3, spatial, "stride"), int_n(node, 4, spatial, "padding"),
               int_n(node, transpose_op ? 7 : 5, spatial, "dilation"), std::vector<int64_t>(spatial, 0),
               std::nullopt, transpose_op};
  size_t groups_index = 6;
  if (transpose_op) c.output_padding = int_n(node, 5, spatial, "output_padding");
  if (is_generic) {
    auto t = constant_bool(node.input(6));
    if (!t) return unknown_spatial(x, x.rank());
    c.transposed = *t;
    c.output_padding = int_n(node, 7, spatial, "output_padding");
    groups_index = 8;
  }
  c.groups = constant_int(node.input(groups_index));
  return conv_output(node, x, w, c);
}

namespace {

// A 2-d convolution's stride, padding, dilation and groups, from input
// `stride_at` on.
ConvParams conv2d_params(const Node& node, size_t stride_at) {
  return ConvParams{2,
                    int_n(node, stride_at, 2, "stride"),
                    int_n(node, stride_at + 1, 2, "padding"),
                    int_n(node, stride_at + 2, 2, "dilation"),
                    std::vector<int64_t>(2, 0),
                    constant_int(node.input(stride_at + 3)),
                    false};
}

}  // namespace

std::vector<TypePtr> conv2d_at(const Node& node, size_t x_at, size_t w_at, size_t stride_at) {
  return conv_output(node, input_type(node, x_at), input_type(node, w_at), conv2d_params(node, stride_at));
}

std::vector<TypePtr> conv2d_channels_last_at(const Node& node, size_t x_at, size_t w_at, size_t stride_at) {
  const Type& x = input_type(node, x_at);
  if (x.has_rank() && x.rank() != 4)
    throw node.error("a channels-last input must have rank 4, got " + shape_str(*x.shape()));
  if (!x.has_rank()) return {Type::tensor(DType::f32, std::nullopt, x.tensor_device())};
  const auto& s = *x.shape();
  const TypePtr nchw = Type::tensor(x.dtype(), std::vector<Dim>{s[0], s[3], s[1], s[2]}, x.tensor_device());
  const TypePtr out = conv_output(node, *nchw, input_type(node, w_at), conv2d_params(node, stride_at))[0];
  if (!out->has_rank()) return {Type::tensor(DType::f32, std::nullopt, x.tensor_device())};
  const auto& o = *out->shape();
  return {Type::tensor(DType::f32, std::vector<Dim>{o[0], o[2], o[3], o[1]}, x.tensor_device())};
}

std::vector<TypePtr> conv1d_over_height_at(const Node& node, size_t x_at, size_t w_at, size_t stride_at) {
  const Type& x = input_type(node, x_at);
  if (x.has_rank() && x.rank() != 3)
    throw node.error("a 1-d convolution's input must have rank 3 [N, C, L], got " + shape_str(*x.shape()));
  if (!x.has_rank()) return {Type::tensor(DType::f32, std::nullopt, x.tensor_device())};
  const auto& s = *x.shape();
  const TypePtr nchw = Type::tensor(x.dtype(), std::vector<Dim>{s[0], s[1], Dim::constant(1), s[2]}, x.tensor_device());
  const TypePtr out = conv_output(node, *nchw, input_type(node, w_at), conv2d_params(node, stride_at))[0];
  if (!out->has_rank()) return {Type::tensor(DType::f32, std::nullopt, x.tensor_device())};
  const auto& o = *out->shape();
  return {Type::tensor(DType::f32, std::vector<Dim>{o[0], o[1], o[3]}, x.tensor_device())};
}

std::vector<TypePtr> max_pool2d(const Node& node) { return pool(node, true, 2); }
std::vector<TypePtr> avg_pool2d(const Node& node) { return pool(node, false, 2); }
std::vector<TypePtr> max_pool1d(const Node& node) { return pool(node, true, 1); }
std::vector<TypePtr> avg_pool1d(const Node& node) { return pool(node, false, 1); }
std::vector<TypePtr> adaptive_avg_pool2d(const Node& node) { return adaptive_pool(node, 2); }
std::vector<TypePtr> adaptive_avg_pool1d(const Node& node) { return adaptive_pool(node, 1); }
std::vector<TypePtr> max_pool3d(const Node& node) { return pool(node, true, 3); }
std::vector<TypePtr> avg_pool3d(const Node& node) { return pool(node, false, 3); }
std::vector<TypePtr> adaptive_avg_pool3d(const Node& node) { return adaptive_pool(node, 3); }

std::vector<TypePtr> adaptive_max_pool(const Node& node) {
  const std::string& name = node.op().schema.name;
  const size_t n = name == "adaptive_max_pool1d" ? 1 : name == "adaptive_max_pool2d" ? 2 : 3;
  std::vector<TypePtr> out = adaptive_pool(node, n);
  out.push_back(Type::tensor(DType::i64, out[0]->shape(), out[0]->tensor_device()));
  return out;
}

std::vector<TypePtr> max_pool_with_indices(const Node& node) {
  const std::string& name = node.op().schema.name;
  const size_t n = name == "max_pool1d_with_indices" ? 1 : name == "max_pool2d_with_indices" ? 2 : 3;
  std::vector<TypePtr> out = pool(node, true, n);
  out.push_back(Type::tensor(DType::i64, out[0]->shape(), out[0]->tensor_device()));
  return out;
}

std::vector<TypePtr> max_unpool(const Node& node) {
  const size_t n = node.op().schema.name == "max_unpool2d" ? 2 : 3;
  const Type& x = input_type(node, 0);
  const Type& indices = input_type(node, 1);
  if (indices.dtype() && *indices.dtype() != DType::i64)
    throw node.error("the indices must be int64 (as max pooling returns them), got " +
                     std::string(dtype_name(*indices.dtype())));
  if (x.has_rank() && x.rank() != static_cast<int>(n) + 1 && x.rank() != static_cast<int>(n) + 2)
    throw node.error("max_unpool" + std::to_string(n) + "d needs a " + std::to_string(n + 1) + "-D or " +
                     std::to_string(n + 2) + "-D input, got " + shape_str(*x.shape()));
  bool mismatch = false;
  if (x.has_rank() && indices.has_rank()) {
    mismatch = x.rank() != indices.rank();
    for (size_t i = 0; !mismatch && i < x.shape()->size(); ++i) {
      const Dim &a = (*x.shape())[i], &b = (*indices.shape())[i];
      mismatch = a.is_static() && b.is_static() && a.value() != b.value();
    }
  }
  if (mismatch)
    throw node.error("the indices (" + shape_str(*indices.shape()) + ") must have the input's shape (" +
                     shape_str(*x.shape()) + ")");
  return resized(node, x, int_n(node, 2, n, "output_size"), n);
}

// _native_multi_head_attention(query [B, L, E], key [B, S, E], value, ...):
// the output is shaped like the query; the attention weights, when asked
// for, are [B, L, S] averaged over heads or [B, H, L, S]. Without them torch
// returns an undefined tensor, typed here as a tensor of unknown shape.
std::vector<TypePtr> multi_head_attention(const Node& node) {
  const Type& q = input_type(node, 0);
  const Type& k = input_type(node, 1);
  TypePtr out = Type::tensor(q.dtype(), q.shape(), q.tensor_device());
  auto need = constant_bool(node.input(10));
  auto average = constant_bool(node.input(11));
  auto heads = constant_int(node.input(4));
  if (!need || !*need || !average || !q.has_rank() || !k.has_rank() || q.rank() != 3 || k.rank() != 3)
    return {out, Type::tensor(q.dtype(), std::nullopt, q.tensor_device())};
  const auto& qs = *q.shape();
  const auto& ks = *k.shape();
  std::vector<Dim> w = {qs[0], qs[1], ks[1]};
  if (!*average) {
    if (!heads) return {out, Type::tensor(q.dtype(), std::nullopt, q.tensor_device())};
    w.insert(w.begin() + 1, Dim::constant(*heads));
  }
  return {out, Type::tensor(q.dtype(), w, q.tensor_device())};
}

// scaled_dot_product_attention(q [..., L, E], k [..., S, E], v [..., S, Ev])
// -> [..., L, Ev], the leading dims broadcast as in matmul.
std::vector<TypePtr> scaled_dot_product_attention(const Node& node) {
  const Type& q = input_type(node, 0);
  const Type& k = input_type(node, 1);
  const Type& v = input_type(node, 2);
  require_same_dtype(node, q, k, "query", "key");
  require_same_dtype(node, q, v, "query", "value");
  if (!q.has_rank() || !k.has_rank() || !v.has_rank()) return {Type::tensor(q.dtype(), std::nullopt, q.tensor_device())};
  for (const Type* t : {&q, &k, &v})
    if (t->rank() < 2) throw node.error("query, key and value need at least 2 dims, got rank " + std::to_string(t->rank()));
  const auto& qs = *q.shape();
  const auto& ks = *k.shape();
  const auto& vs = *v.shape();
  auto differ = [](const Dim& a, const Dim& b) { return a.is_static() && b.is_static() && a != b; };
  if (differ(qs.back(), ks.back()))
    throw node.error("query and key differ in their last dim: " + shape_str(qs) + " and " + shape_str(ks));
  if (differ(ks[ks.size() - 2], vs[vs.size() - 2]))
    throw node.error("key and value differ in their sequence length: " + shape_str(ks) + " and " + shape_str(vs));
  std::vector<Dim> qb(qs.begin(), qs.end() - 2), kb(ks.begin(), ks.end() - 2), vb(vs.begin(), vs.end() - 2);
  auto batch = broadcast(node, *Type::tensor(q.dtype(), qb), *Type::tensor(q.dtype(), kb));
  batch = broadcast(node, *Type::tensor(q.dtype(), *batch), *Type::tensor(q.dtype(), vb));
  std::vector<Dim> out = *batch;
  out.push_back(qs[qs.size() - 2]);
  out.push_back(vs.back());
  return {Type::tensor(q.dtype(), out, q.tensor_device())};
}

namespace {

// The hidden state(s) given to a recurrent layer: h0 and, for an LSTM (hx
// a list [h0, c0]), c0.
std::pair<TypePtr, TypePtr> initial_state(const Node& node, size_t i, bool lstm, const Type& x) {
  if (!lstm) return {node.input(i)->type(), nullptr};
  const Node* list = node.input(i)->node();
  if (list->is("prim::ListConstruct") && list->num_inputs() == 2) return {list->input(0)->type(), list->input(1)->type()};
  TypePtr any = Type::tensor(x.dtype(), std::nullopt, x.tensor_device());
  return {any, any};
}

// Throws unless the state `t` (h0, or c0 when `cell`) is [layers *
// directions, batch, hidden] as the input and the weights say, where known:
// a mismatch otherwise surfaces as a broadcast deep in the unrolled steps.
void require_state_shape(const Node& node, const Type& t, const Type& x, bool cell) {
  if (!t.is_tensor() || !t.has_rank() || t.rank() != 3 || !x.has_rank() || x.rank() != 3) return;
  const auto layers = constant_int(node.input(4));
  const auto bidirectional = constant_bool(node.input(7));
  const auto batch_first = node.num_inputs() > 8 ? constant_bool(node.input(8)) : std::nullopt;
  std::vector<std::optional<int64_t>> want(3);
  if (layers && bidirectional) want[0] = *layers * (*bidirectional ? 2 : 1);
  if (batch_first) {
    const Dim& b = (*x.shape())[*batch_first ? 0 : 1];
    if (b.is_static()) want[1] = b.value();
  }
  // h0's last dim is what w_hh multiplies (the projection's size, if any).
  const Node* params = node.input(2)->node();
  if (!cell && params->is("prim::ListConstruct") && params->num_inputs() >= 2) {
    const Type& w_hh = *params->input(1)->type();
    if (w_hh.is_tensor() && w_hh.has_rank() && w_hh.rank() == 2 && (*w_hh.shape())[1].is_static())
      want[2] = (*w_hh.shape())[1].value();
  }
  for (size_t d = 0; d < 3; ++d) {
    const Dim& have = (*t.shape())[d];
    if (want[d] && have.is_static() && have.value() != *want[d]) {
      std::string expected = "[";
      for (size_t k = 0; k < 3; ++k) expected += (k ? ", " : "") + (want[k] ? std::to_string(*want[k]) : std::string("?"));
      throw node.error(std::string("expected the initial ") + (cell ? "cell" : "hidden") + " state to be " + expected +
                       "], got " + t.str());
    }
  }
}

}  // namespace

// lstm(input, hx = [h0, c0], params, has_biases, num_layers, dropout, train,
// bidirectional, batch_first) -> (output, h_n, c_n); gru, rnn_tanh and
// rnn_relu take hx = h0 and return (output, h_n). input is [B, T, I] with
// batch_first, else [T, B, I]; h0 is [layers * directions, B, H]; output is
// [B, T, directions * H] (or [T, B, ...]); h_n and c_n are shaped as h0 and c0.
std::vector<TypePtr> rnn(const Node& node) {
  const Type& x = input_type(node, 0);
  const bool lstm = node.op().schema.returns.size() == 3;  // lstm.input, wick::lstm_padded
  auto [h0, c0] = initial_state(node, 1, lstm, x);
  if (x.has_rank() && x.rank() != 3)
    throw node.error("needs a 3-D input (batched sequences), got rank " + std::to_string(x.rank()));
  if (h0->is_tensor() && h0->has_rank() && h0->rank() != 3)
    throw node.error("needs a 3-D initial hidden state [layers * directions, batch, hidden], got rank " +
                     std::to_string(h0->rank()));
  if (node.num_inputs() == 10) {  // the padded layers' lengths
    const Type& lengths = input_type(node, 9);
    if (lengths.has_rank() && lengths.rank() != 1)
      throw node.error("needs 1-D lengths, got rank " + std::to_string(lengths.rank()));
  }
  require_state_shape(node, *h0, x, false);
  if (c0) require_state_shape(node, *c0, x, true);
  TypePtr out = Type::tensor(x.dtype(), std::nullopt, x.tensor_device());
  auto bidirectional = constant_bool(node.input(7));
  if (x.has_rank() && h0->is_tensor() && h0->has_rank() && bidirectional) {
    const Dim& hidden = h0->shape()->back();
    const Dim features = hidden.is_static() ? Dim::constant(hidden.value() * (*bidirectional ? 2 : 1)) : Dim::unknown();
    const auto& xs = *x.shape();
    out = Type::tensor(x.dtype(), std::vector<Dim>{xs[0], xs[1], features}, x.tensor_device());
  }
  if (lstm) return {out, h0, c0};
  return {out, h0};
}

// lstm.data(data, batch_sizes, hx, params, has_biases, num_layers, dropout,
// train, bidirectional) -> (data, h_n, c_n); the others return (data, h_n).
// data is packed: [sum of the lengths, I] in, [..., directions * H] out.
std::vector<TypePtr> rnn_packed(const Node& node) {
  const Type& x = input_type(node, 0);
  const bool lstm = node.op().schema.returns.size() == 3;
  if (x.has_rank() && x.rank() != 2)
    throw node.error("needs packed data of rank 2 [steps, features], got rank " + std::to_string(x.rank()));
  auto [h0, c0] = initial_state(node, 2, lstm, x);
  std::optional<std::vector<Dim>> shape;
  auto bidirectional = constant_bool(node.input(8));
  if (h0->is_tensor() && h0->has_rank() && h0->rank() == 3 && bidirectional) {
    const Dim& hidden = h0->shape()->back();
    shape = std::vector<Dim>{Dim::unknown(), hidden.is_static() ? Dim::constant(hidden.value() * (*bidirectional ? 2 : 1))
                                                                 : Dim::unknown()};
  }
  TypePtr out = Type::tensor(x.dtype(), shape, x.tensor_device());
  if (lstm) return {out, h0, c0};
  return {out, h0};
}

// _pack_padded_sequence(input [T, B, *] or [B, T, *], lengths [B], batch_first)
// -> (data [sum of the lengths, *], batch_sizes [longest length] int64).
std::vector<TypePtr> pack_padded_sequence(const Node& node) {
  const Type& x = input_type(node, 0);
  const Type& lengths = input_type(node, 1);
  if (x.has_rank() && x.rank() < 2) throw node.error("needs an input of at least 2 dims, got rank " + std::to_string(x.rank()));
  if (lengths.has_rank() && lengths.rank() != 1)
    throw node.error("needs 1-D lengths, got rank " + std::to_string(lengths.rank()));
  if (lengths.dtype() && *lengths.dtype() != DType::i64)
    throw node.error("needs int64 lengths, got " + std::string(dtype_name(*lengths.dtype())));
  std::optional<std::vector<Dim>> data;
  if (x.has_rank()) {
    data = std::vector<Dim>{Dim::unknown()};
    data->insert(data->end(), x.shape()->begin() + 2, x.shape()->end());
  }
  return {Type::tensor(x.dtype(), data, x.tensor_device()),
          Type::tensor(DType::i64, std::vector<Dim>{Dim::unknown()}, lengths.tensor_device())};
}

// _pad_packed_sequence(data [steps, *], batch_sizes, batch_first,
// padding_value, total_length) -> (padded [B, total_length, *] or
// [total_length, B, *], lengths [B] int64).
std::vector<TypePtr> pad_packed_sequence(const Node& node) {
  const Type& data = input_type(node, 0);
  std::optional<std::vector<Dim>> shape;
  auto batch_first = constant_bool(node.input(2));
  if (data.has_rank() && data.rank() >= 1 && batch_first) {
    auto total = constant_int(node.input(4));
    const Dim length = total ? Dim::constant(*total) : Dim::unknown();
    shape = *batch_first ? std::vector<Dim>{Dim::unknown(), length} : std::vector<Dim>{length, Dim::unknown()};
    shape->insert(shape->end(), data.shape()->begin() + 1, data.shape()->end());
  }
  return {Type::tensor(data.dtype(), shape, data.tensor_device()),
          Type::tensor(DType::i64, std::vector<Dim>{Dim::unknown()}, input_type(node, 1).tensor_device())};
}

// The broadcast shape of x1 and x2 without the dim compared:
// cosine_similarity's `dim`, pairwise_distance's last (kept as 1 with keepdim).
std::vector<TypePtr> distance(const Node& node) {
  const Type& a = input_type(node, 0);
  const Type& b = input_type(node, 1);
  auto shape = broadcast(node, a, b);
  const std::optional<DType> dtype = result_dtype(a, b);
  const bool cosine = node.op().schema.name == "cosine_similarity";
  auto d = cosine ? constant_int(node.input(2)) : std::optional<int64_t>(-1);
  auto keepdim = cosine ? std::optional<bool>(false) : constant_bool(node.input(4));
  if (!shape || !d || !keepdim) return {Type::tensor(dtype, std::nullopt, a.tensor_device())};
  if (shape->empty()) throw node.error("needs tensors of at least one dim");
  const int64_t at = normalize_dim(node, *d, static_cast<int64_t>(shape->size()));
  if (*keepdim) (*shape)[at] = Dim::constant(1);
  else shape->erase(shape->begin() + at);
  return {Type::tensor(dtype, shape, a.tensor_device())};
}

// lstm_cell, gru_cell, rnn_tanh_cell, rnn_relu_cell: the new state has the
// state's type (h and c for the LSTM cell).
std::vector<TypePtr> rnn_cell(const Node& node) {
  const Type& x = input_type(node, 0);
  if (x.has_rank() && x.rank() != 1 && x.rank() != 2)
    throw node.error("needs a 1-D or 2-D input, got rank " + std::to_string(x.rank()));
  if (node.op().schema.returns.size() != 2) return {node.input(1)->type()};  // all but the LSTM cells
  const Node* list = node.input(1)->node();
  if (!list->is("prim::ListConstruct") || list->num_inputs() != 2)
    throw node.error("needs hx = [h, c] as a list of two tensors");
  return {list->input(0)->type(), list->input(1)->type()};
}

}  // namespace wick::ir::shape

namespace wick::ir::shape {

// grid_sampler(input [N, C, *in], grid [N, *out, k], mode, padding_mode,
// align_corners) -> [N, C, *out], with k = 2 for a 4-D input and 3 for a
// 5-D one (x, y[, z] in [-1, 1]).
std::vector<TypePtr> grid_sampler(const Node& node) {
  const Type& x = input_type(node, 0);
  const Type& grid = input_type(node, 1);
  require_same_dtype(node, x, grid, "input", "grid");
  if (x.dtype() && !is_floating(*x.dtype()))
    throw node.error("needs a floating input, got " + std::string(dtype_name(*x.dtype())));
  if (auto mode = constant_int(node.input(2)); mode && (*mode < 0 || *mode > 2))
    throw node.error("interpolation mode " + std::to_string(*mode) + " is not bilinear (0), nearest (1) or bicubic (2)");
  if (auto padding = constant_int(node.input(3)); padding && (*padding < 0 || *padding > 2))
    throw node.error("padding mode " + std::to_string(*padding) + " is not zeros (0), border (1) or reflection (2)");
  if (!x.has_rank() || !grid.has_rank()) return {Type::tensor(x.dtype(), std::nullopt, x.tensor_device())};
  const int rank = x.rank();
  if (rank != 4 && rank != 5) throw node.error("needs a 4-D or 5-D input, got " + shape_str(*x.shape()));
  if (grid.rank() != rank) throw node.error("needs a grid of the input's rank (" + std::to_string(rank) + "), got " +
                                            shape_str(*grid.shape()));
  const Dim& k = grid.shape()->back();
  if (k.is_static() && k.value() != rank - 2)
    throw node.error("needs a grid whose last dim is " + std::to_string(rank - 2) + ", got " + shape_str(*grid.shape()));
  const Dim &n = (*x.shape())[0], &gn = (*grid.shape())[0];
  if (n.is_static() && gn.is_static() && n.value() != gn.value())
    throw node.error("input and grid differ in batch size: " + shape_str(*x.shape()) + " and " + shape_str(*grid.shape()));
  if (rank == 5 && constant_int(node.input(2)) == 2) throw node.error("bicubic sampling needs a 4-D input");
  std::vector<Dim> out{n, (*x.shape())[1]};
  out.insert(out.end(), grid.shape()->begin() + 1, grid.shape()->end() - 1);
  return {Type::tensor(x.dtype(), out, x.tensor_device())};
}

// affine_grid_generator(theta [N, 2, 3] or [N, 3, 4], size [N, C, H, W] or
// [N, C, D, H, W], align_corners) -> [N, H, W, 2] or [N, D, H, W, 3].
std::vector<TypePtr> affine_grid(const Node& node) {
  const Type& theta = input_type(node, 0);
  if (theta.dtype() && !is_floating(*theta.dtype()))
    throw node.error("needs a floating theta, got " + std::string(dtype_name(*theta.dtype())));
  auto size = symbolic_int_list(node.input(1));
  if (!size) return {Type::tensor(theta.dtype(), std::nullopt, theta.tensor_device())};
  const int64_t spatial = static_cast<int64_t>(size->size()) - 2;
  if (spatial != 2 && spatial != 3)
    throw node.error("needs a size of 4 or 5 values, got " + std::to_string(size->size()));
  for (const Dim& d : *size)
    if (d.is_static() && d.value() <= 0) throw node.error("needs positive sizes, got " + shape_str(*size));
  if (theta.has_rank()) {
    const std::vector<Dim>& t = *theta.shape();
    const bool fits = t.size() == 3 && (!t[1].is_static() || t[1].value() == spatial) &&
                      (!t[2].is_static() || t[2].value() == spatial + 1);
    if (!fits)
      throw node.error("needs theta of shape [N, " + std::to_string(spatial) + ", " + std::to_string(spatial + 1) +
                       "] for size " + shape_str(*size) + ", got " + shape_str(t));
    if (t[0].is_static() && (*size)[0].is_static() && t[0].value() != (*size)[0].value())
      throw node.error("theta " + shape_str(t) + " and size " + shape_str(*size) + " differ in batch size");
  }
  std::vector<Dim> out{(*size)[0]};
  out.insert(out.end(), size->begin() + 2, size->end());
  out.push_back(Dim::constant(spatial));
  return {Type::tensor(theta.dtype(), out, theta.tensor_device())};
}

}  // namespace wick::ir::shape

namespace wick::ir::shape {
namespace {

// The sliding blocks of im2col / col2im along one spatial dim of `size`.
int64_t block_count(const Node& node, int64_t size, int64_t k, int64_t d, int64_t p, int64_t s, const char* dim) {
  if (k <= 0 || d <= 0 || s <= 0 || p < 0)
    throw node.error("needs positive kernel sizes, dilations and strides and padding >= 0");
  const int64_t n = (size + 2 * p - d * (k - 1) - 1) / s + 1;
  if (size + 2 * p - d * (k - 1) - 1 < 0 || n <= 0)
    throw node.error(std::string("the kernel does not fit the ") + dim + " of " + std::to_string(size) +
                     " (padded by " + std::to_string(p) + ")");
  return n;
}

}  // namespace

// im2col(x [N, C, H, W], kernel_size, dilation, padding, stride) ->
// [N, C kh kw, L]: F.unfold's sliding blocks, L of them.
std::vector<TypePtr> im2col(const Node& node) {
  const Type& x = input_type(node, 0);
  auto k = int_n(node, 1, 2, "kernel_size");
  auto d = int_n(node, 2, 2, "dilation");
  auto p = int_n(node, 3, 2, "padding");
  auto s = int_n(node, 4, 2, "stride");
  if (!x.has_rank()) return {Type::tensor(x.dtype(), std::nullopt, x.tensor_device())};
  if (x.rank() != 4) throw node.error("needs a 4-D input [N, C, H, W], got " + shape_str(*x.shape()));
  const std::vector<Dim>& in = *x.shape();
  std::vector<Dim> out{in[0], Dim::unknown(), Dim::unknown()};
  if (k && in[1].is_static()) out[1] = Dim::constant(in[1].value() * (*k)[0] * (*k)[1]);
  if (k && d && p && s && in[2].is_static() && in[3].is_static())
    out[2] = Dim::constant(block_count(node, in[2].value(), (*k)[0], (*d)[0], (*p)[0], (*s)[0], "height") *
                           block_count(node, in[3].value(), (*k)[1], (*d)[1], (*p)[1], (*s)[1], "width"));
  return {Type::tensor(x.dtype(), out, x.tensor_device())};
}

// col2im(x [N, C kh kw, L], output_size, kernel_size, dilation, padding,
// stride) -> [N, C, H, W]: F.fold, the blocks summed where they overlap.
std::vector<TypePtr> col2im(const Node& node) {
  const Type& x = input_type(node, 0);
  auto size = int_n(node, 1, 2, "output_size");
  auto k = int_n(node, 2, 2, "kernel_size");
  auto d = int_n(node, 3, 2, "dilation");
  auto p = int_n(node, 4, 2, "padding");
  auto s = int_n(node, 5, 2, "stride");
  if (!x.has_rank()) return {Type::tensor(x.dtype(), std::nullopt, x.tensor_device())};
  if (x.rank() != 3) throw node.error("needs a 3-D input [N, C * kernel area, blocks], got " + shape_str(*x.shape()));
  const std::vector<Dim>& in = *x.shape();
  std::vector<Dim> out{in[0], Dim::unknown(), Dim::unknown(), Dim::unknown()};
  if (size) {
    out[2] = Dim::constant((*size)[0]);
    out[3] = Dim::constant((*size)[1]);
  }
  if (k && in[1].is_static()) {
    const int64_t area = (*k)[0] * (*k)[1];
    if (area <= 0 || in[1].value() % area != 0)
      throw node.error("the input's dim 1 (" + std::to_string(in[1].value()) + ") is not a multiple of the kernel's area (" +
                       std::to_string(area) + ")");
    out[1] = Dim::constant(in[1].value() / area);
  }
  if (size && k && d && p && s && in[2].is_static()) {
    const int64_t blocks = block_count(node, (*size)[0], (*k)[0], (*d)[0], (*p)[0], (*s)[0], "height") *
                           block_count(node, (*size)[1], (*k)[1], (*d)[1], (*p)[1], (*s)[1], "width");
    if (blocks != in[2].value())
      throw node.error("output_size " + shape_str(std::vector<Dim>{out[2], out[3]}) + " makes " + std::to_string(blocks) +
                       " sliding blocks, but the input has " + std::to_string(in[2].value()));
  }
  return {Type::tensor(x.dtype(), out, x.tensor_device())};
}

}  // namespace wick::ir::shape

namespace wick::ir::shape {

// cdist(x1 [.., P, M], x2 [.., R, M], p, compute_mode) -> [.., P, R]; the
// leading dims broadcast.
std::vector<TypePtr> cdist(const Node& node) {
  const Type& a = input_type(node, 0);
  const Type& b = input_type(node, 1);
  require_same_dtype(node, a, b, "x1", "x2");
  if (a.dtype() && !is_floating(*a.dtype())) throw node.error("needs floating inputs, got " + std::string(dtype_name(*a.dtype())));
  if (auto p = constant_double(node.input(2)); p && *p < 0) throw node.error("needs p >= 0");
  if (!a.has_rank() || !b.has_rank()) return {Type::tensor(a.dtype(), std::nullopt, a.tensor_device())};
  if (a.rank() < 2 || b.rank() < 2) throw node.error("needs inputs of at least 2 dims, got " + shape_str(*a.shape()) +
                                                     " and " + shape_str(*b.shape()));
  const Dim &m1 = a.shape()->back(), &m2 = b.shape()->back();
  if (m1.is_static() && m2.is_static() && m1 != m2)
    throw node.error("x1 and x2 differ in their last dim: " + shape_str(*a.shape()) + " and " + shape_str(*b.shape()));
  const std::vector<Dim> lead_a(a.shape()->begin(), a.shape()->end() - 2), lead_b(b.shape()->begin(), b.shape()->end() - 2);
  const TypePtr ta = Type::tensor(a.dtype(), lead_a), tb = Type::tensor(b.dtype(), lead_b);
  std::optional<std::vector<Dim>> out = broadcast(node, *ta, *tb);
  if (out) {
    out->push_back((*a.shape())[a.shape()->size() - 2]);
    out->push_back((*b.shape())[b.shape()->size() - 2]);
  }
  return {Type::tensor(a.dtype(), out, a.tensor_device())};
}

namespace {

// The log-probabilities of ctc_loss: floating, [T, N, C] (or [T, C] when
// `unbatched` is allowed); the targets and lengths integers.
const Type& ctc_operands(const Node& node, bool unbatched) {
  const Type& lp = input_type(node, 0);
  if (lp.dtype() && *lp.dtype() != DType::f32 && *lp.dtype() != DType::f64)
    throw node.error("log_probs must be float32 or float64, got " + std::string(dtype_name(*lp.dtype())));
  if (lp.has_rank() && lp.rank() != 3 && !(unbatched && lp.rank() == 2))
    throw node.error("log_probs must be [T, N, C]" + std::string(unbatched ? " or [T, C]" : "") + ", got " +
                     shape_str(*lp.shape()));
  const char* names[] = {"targets", "input_lengths", "target_lengths"};
  for (size_t i = 1; i <= 3; ++i) {
    const Type& t = input_type(node, i);
    if (t.is_tensor() && t.dtype() && *t.dtype() != DType::i64 && *t.dtype() != DType::i32)
      throw node.error(std::string(names[i - 1]) + " must be an int64 or int32 tensor, got " +
                       std::string(dtype_name(*t.dtype())));
    // Lengths: one per sample, [N]; a single one (0-d or [1]) unbatched.
    if (i == 1 || !t.is_tensor() || !t.has_rank() || !lp.has_rank()) continue;
    const auto& s = *t.shape();
    const bool batched = lp.rank() == 3;
    const bool fits = batched ? s.size() == 1 && (!s[0].is_static() || !(*lp.shape())[1].is_static() ||
                                                  s[0] == (*lp.shape())[1])
                              : s.empty() || (s.size() == 1 && s[0].is_static() && s[0].value() == 1);
    if (!fits)
      throw node.error(std::string(names[i - 1]) + " must hold " +
                       (batched ? "one length per sample, " + shape_str({(*lp.shape())[1]}) : std::string("one length")) +
                       ", got " + shape_str(s));
  }
  return lp;
}

}  // namespace

std::vector<TypePtr> ctc_loss(const Node& node) {
  const Type& lp = ctc_operands(node, true);
  auto reduction = constant_int(node.input(5));
  if (reduction && (*reduction < 0 || *reduction > 2)) throw node.error("unknown reduction " + std::to_string(*reduction));
  if (!reduction || !lp.has_rank()) return {Type::tensor(lp.dtype(), std::nullopt, lp.tensor_device())};
  std::vector<Dim> out;
  if (*reduction == 0 && lp.rank() == 3) out.push_back((*lp.shape())[1]);
  return {Type::tensor(lp.dtype(), out, lp.tensor_device())};
}

std::vector<TypePtr> ctc_negative_log_likelihoods(const Node& node) {
  const Type& lp = ctc_operands(node, false);
  if (!lp.has_rank()) return {Type::tensor(lp.dtype(), std::nullopt, lp.tensor_device())};
  return {Type::tensor(lp.dtype(), std::vector<Dim>{(*lp.shape())[1]}, lp.tensor_device())};
}

// bilinear(x1 [.., i], x2 [.., j], weight [k, i, j], bias [k]): [.., k].
std::vector<TypePtr> bilinear(const Node& node) {
  const Type& a = input_type(node, 0);
  const Type& b = input_type(node, 1);
  const Type& w = input_type(node, 2);
  require_same_dtype(node, a, b, "input1", "input2");
  require_same_dtype(node, a, w, "input1", "the weight");
  if (w.has_rank() && w.rank() != 3) throw node.error("the weight must be 3-D [out, in1, in2], got " + shape_str(*w.shape()));
  if (!a.has_rank() || !b.has_rank() || !w.has_rank()) return {Type::tensor(a.dtype(), std::nullopt, a.tensor_device())};
  const auto &sa = *a.shape(), &sb = *b.shape(), &sw = *w.shape();
  if (sa.empty() || sb.empty()) throw node.error("the inputs must have at least 1 dim");
  const std::vector<Dim> lead_a(sa.begin(), sa.end() - 1), lead_b(sb.begin(), sb.end() - 1);
  if (lead_a.size() != lead_b.size())
    throw node.error("input1 " + shape_str(sa) + " and input2 " + shape_str(sb) + " differ in their leading dims");
  for (size_t i = 0; i < lead_a.size(); ++i)
    if (lead_a[i].is_static() && lead_b[i].is_static() && lead_a[i] != lead_b[i])
      throw node.error("input1 " + shape_str(sa) + " and input2 " + shape_str(sb) + " differ in their leading dims");
  auto check = [&](const Dim& have, const Dim& want, const char* what) {
    if (have.is_static() && want.is_static() && have != want)
      throw node.error(std::string(what) + " has " + have.str() + " features but the weight " + shape_str(sw) +
                       " expects " + want.str());
  };
  check(sa.back(), sw[1], "input1");
  check(sb.back(), sw[2], "input2");
  std::vector<Dim> out = lead_a;
  out.push_back(sw[0]);
  return {Type::tensor(a.dtype(), out, a.tensor_device())};
}

namespace {

// Throws unless optional parameter `i` (a weight, bias or running statistic)
// holds `want` elements, where both are known.
void require_elements(const Node& node, size_t i, const Dim& want, const char* what) {
  if (is_none(node.input(i)) || !want.is_static()) return;
  const Type& t = *node.input(i)->type();
  if (!t.is_tensor() || !t.fully_static()) return;
  int64_t n = 1;
  for (int64_t d : t.static_sizes()) n *= d;
  if (n != want.value())
    throw node.error(std::string(what) + " must hold one value per channel (" + want.str() + "), got " + t.str());
}

}  // namespace

// batch_norm(input [N, C, ...], weight, bias, running_mean, running_var, ...).
std::vector<TypePtr> batch_norm(const Node& node) {
  const Type& x = *node.input(0)->type();
  if (x.has_rank() && x.rank() < 2) throw node.error("batch_norm needs an input of at least 2 dims, got " + x.str());
  if (x.has_rank()) {
    const Dim c = (*x.shape())[1];
    require_elements(node, 1, c, "the weight");
    require_elements(node, 2, c, "the bias");
    require_elements(node, 3, c, "the running mean");
    require_elements(node, 4, c, "the running variance");
  }
  return same_as_input(node);
}

// layer_norm(input [..., *normalized_shape], normalized_shape, weight, bias, ...).
std::vector<TypePtr> layer_norm(const Node& node) {
  const Type& x = *node.input(0)->type();
  const auto shape = constant_int_list(node.input(1));
  if (shape && x.has_rank()) {
    const size_t n = shape->size(), rank = static_cast<size_t>(x.rank());
    bool fits = n <= rank;
    for (size_t i = 0; fits && i < n; ++i) {
      const Dim& d = (*x.shape())[rank - n + i];
      fits = !d.is_static() || d.value() == (*shape)[i];
    }
    if (!fits)
      throw node.error("normalized_shape " + wick::shape_str(*shape) + " does not match the input's shape " +
                       ir::shape_str(*x.shape()));
  }
  if (shape)
    for (size_t i : {size_t{2}, size_t{3}}) {
      if (is_none(node.input(i))) continue;
      const Type& p = *node.input(i)->type();
      if (p.is_tensor() && p.fully_static() && p.static_sizes() != *shape)
        throw node.error(std::string(i == 2 ? "the weight" : "the bias") + " must have the normalized shape " +
                         wick::shape_str(*shape) + ", got " + p.str());
    }
  return same_as_input(node);
}

// group_norm(input [N, C, ...], num_groups, weight, bias, ...).
std::vector<TypePtr> group_norm(const Node& node) {
  const Type& x = *node.input(0)->type();
  const auto groups = constant_int(node.input(1));
  if (groups && *groups <= 0) throw node.error("num_groups must be positive, got " + std::to_string(*groups));
  if (x.has_rank() && x.rank() < 2) throw node.error("group_norm needs an input of at least 2 dims, got " + x.str());
  if (x.has_rank()) {
    const Dim c = (*x.shape())[1];
    if (groups && c.is_static() && c.value() % *groups != 0)
      throw node.error(c.str() + " channels do not divide into " + std::to_string(*groups) + " groups");
    require_elements(node, 2, c, "the weight");
    require_elements(node, 3, c, "the bias");
  }
  return same_as_input(node);
}

}  // namespace wick::ir::shape
