#include "passes/quantized_levels.h"

#include <algorithm>
#include <set>
#include <vector>
#include <string>

#include "ir/constant_value.h"
#include "ir/module.h"
#include "ir/op_table.h"
#include "support/strides.h"

namespace wick::passes {
namespace {

constexpr int kMaxChain = 256;

// Ops whose result holds only values of their first input's levels.
bool keeps_levels(const ir::Node* n) {
  static const std::set<std::string> ops = {
      "aten::relu",          "aten::relu_",           "aten::max_pool2d",        "aten::flatten.using_ints",
      "aten::view",          "aten::reshape",         "aten::contiguous",        "aten::clone",
      "aten::dropout",       "aten::squeeze.dim",     "aten::squeeze",           "aten::unsqueeze",
      "aten::permute",       "aten::transpose.int",   "aten::select.int",        "aten::slice.Tensor",
      "aten::detach",        "aten::adaptive_max_pool2d"};
  return ops.count(n->op().schema.qualified_name()) > 0;
}

bool is_quantized_batch_norm(const std::string& name) {
  return name.rfind("quantized::batch_norm", 0) == 0 || name == "wick::quantized_batch_norm";
}

// Where each quantizing op keeps its output's scale and zero point.
struct OutputParameters {
  const char* op;
  size_t scale_at;
};

std::optional<size_t> output_scale_at(const std::string& name) {
  static const OutputParameters table[] = {
      {"quantized::conv2d.new", 9},     {"quantized::conv2d_relu.new", 9}, {"wick::quantized_conv2d", 10},
      {"quantized::linear", 5},         {"quantized::linear_relu", 5},     {"wick::quantized_linear", 6},
      {"quantized::add", 2},            {"quantized::add_relu", 2},        {"quantized::mul", 2},
      {"quantized::mul_relu", 2},       {"wick::quantized_add", 6},        {"wick::quantized_mul", 6},
      {"quantized::cat", 2},            {"quantized::hardswish", 1},       {"wick::quantized_hardswish", 3},
      {"wick::quantized_hardsigmoid", 3}, {"quantized::layer_norm", 5},    {"wick::quantized_layer_norm", 7},
      {"wick::quantized_clamp", 1},     {"wick::quantized_batch_norm", 5},
      {"wick::quantized_rescale", 6},   {"quantized::group_norm", 5},      {"quantized::instance_norm", 4},
      {"wick::quantized_group_norm", 7}};
  for (const OutputParameters& p : table)
    if (name == p.op) return p.scale_at;
  if (is_quantized_batch_norm(name)) return 6;  // quantized::batch_norm*
  return std::nullopt;
}

bool is_quantized_conv(const std::string& name) {
  return name == "quantized::conv2d.new" || name == "quantized::conv2d_relu.new" || name == "wick::quantized_conv2d";
}

// Ops whose result LibTorch allocates in the order its first input
// suggests (empty_like, `suggest_memory_format()`).
bool allocates_like_input(const std::string& name) {
  static const std::set<std::string> ops = {
      "aten::relu",          "aten::hardswish",      "aten::hardsigmoid",
      "aten::clamp",         "quantized::add",       "quantized::add_relu",  "quantized::mul",
      "quantized::mul_relu", "quantized::hardswish", "wick::quantized_add",  "wick::quantized_mul",
      "wick::quantized_hardswish", "wick::quantized_hardsigmoid", "wick::quantized_clamp", "wick::quantized_rescale"};
  return ops.count(name) > 0;
}

bool is_pool(const std::string& name) {
  return name == "aten::max_pool2d" || name == "aten::avg_pool2d" || name == "aten::adaptive_avg_pool2d" ||
         name == "aten::adaptive_max_pool2d";
}

// A tensor as LibTorch would hold it: its sizes and strides, in elements.
struct Strided {
  std::vector<int64_t> sizes, strides;
};

std::optional<std::vector<int64_t>> static_sizes(const ir::Value* v) {
  const ir::Type& t = *v->type();
  if (!t.is_tensor() || !t.has_rank()) return std::nullopt;
  std::vector<int64_t> sizes;
  for (const ir::Dim& d : *t.shape()) {
    if (!d.is_static()) return std::nullopt;
    sizes.push_back(d.value());
  }
  return sizes;
}

// NCHW's dims in NHWC order, and back.
std::vector<int64_t> to_nhwc(const std::vector<int64_t>& v) { return {v[0], v[2], v[3], v[1]}; }
std::vector<int64_t> from_nhwc(const std::vector<int64_t>& v) { return {v[0], v[3], v[1], v[2]}; }

// Dense in the default order, or (4-D) in NHWC order.
Strided dense(std::vector<int64_t> sizes, bool nhwc = false) {
  std::vector<int64_t> strides = nhwc ? from_nhwc(contiguous_strides(to_nhwc(sizes))) : contiguous_strides(sizes);
  return {std::move(sizes), std::move(strides)};
}

// is_contiguous(ChannelsLast).
bool dense_nhwc(const Strided& t) {
  return t.sizes.size() == 4 && is_contiguous(to_nhwc(t.sizes), to_nhwc(t.strides));
}

// c10's is_channels_last_strides_2d: the order suggest_memory_format() reports.
bool suggests_nhwc(const Strided& t) {
  if (t.sizes.size() != 4 || t.strides[1] == 0) return false;
  int64_t min = 0;
  for (size_t d : {size_t{1}, size_t{3}, size_t{2}, size_t{0}}) {
    if (t.sizes[d] == 0 || t.strides[d] < min) return false;
    if (d == 0 && min == t.strides[1]) return false;
    min = t.strides[d];
    if (t.sizes[d] > 1) min *= t.sizes[d];
  }
  return true;
}

Strided allocated_like(const Strided& input, std::vector<int64_t> sizes) {
  const bool nhwc = suggests_nhwc(input) && sizes.size() == 4;
  return dense(std::move(sizes), nhwc);
}

int64_t wrapped_dim(const ir::Value* dim, size_t rank) {
  const int64_t d = ir::constant_int(dim).value_or(0);
  return d < 0 ? d + static_cast<int64_t>(rank) : d;
}

std::optional<Strided> strided_within(ir::Value* v, int depth);

std::optional<Strided> strided_of(ir::Value* v, int depth) {
  const std::optional<std::vector<int64_t>> sizes = static_sizes(v);
  if (!sizes) return std::nullopt;
  std::optional<Strided> t = depth > kMaxChain ? std::nullopt : strided_within(v, depth);
  if (t && t->sizes == *sizes) return t;
  return dense(*sizes);  // the default order where not told otherwise
}

std::optional<Strided> strided_within(ir::Value* v, int depth) {
  ir::Node* n = v->node();
  const std::string name = n->op().schema.qualified_name();
  const std::vector<int64_t> sizes = *static_sizes(v);
  auto input = [&](size_t i) { return strided_of(n->input(i), depth + 1); };
  // Quantized convolutions and 2-d batch norms write channels-last.
  if ((is_quantized_conv(name) || is_quantized_batch_norm(name)) && sizes.size() == 4) return dense(sizes, true);
  if (name == "aten::detach" || name == "aten::dropout" || name == "aten::relu_") return input(0);
  if (allocates_like_input(name)) {
    std::optional<Strided> in = input(0);
    return in ? std::optional(allocated_like(*in, sizes)) : std::nullopt;
  }
  if (is_pool(name)) {
    // The NHWC kernel from a dense channels-last input, else the NCHW one.
    std::optional<Strided> in = input(0);
    return dense(sizes, in && sizes.size() == 4 && dense_nhwc(*in));
  }
  if (name == "quantized::cat") {
    // Channels-last when every input suggests it (the NHWC kernel, or a
    // float cat in that order), else in the default order.
    const ir::Node* list = n->input(0)->node();
    bool nhwc = list->is("prim::ListConstruct") && sizes.size() == 4;
    for (ir::Value* part : list->inputs()) {
      std::optional<Strided> t = nhwc ? strided_of(part, depth + 1) : std::nullopt;
      nhwc = t && suggests_nhwc(*t);
    }
    return dense(sizes, nhwc);
  }
  std::optional<Strided> in = n->num_inputs() > 0 ? input(0) : std::nullopt;
  if (!in) return std::nullopt;
  const size_t rank = in->sizes.size();
  if (name == "aten::slice.Tensor") {
    const int64_t d = wrapped_dim(n->input(1), rank);
    const int64_t step = ir::constant_int(n->input(4)).value_or(1);
    Strided t = *in;
    t.sizes = sizes;
    t.strides[static_cast<size_t>(d)] *= step;
    return t;
  }
  if (name == "aten::select.int") {
    Strided t = *in;
    const auto d = static_cast<size_t>(wrapped_dim(n->input(1), rank));
    t.sizes.erase(t.sizes.begin() + static_cast<std::ptrdiff_t>(d));
    t.strides.erase(t.strides.begin() + static_cast<std::ptrdiff_t>(d));
    return t;
  }
  if (name == "aten::transpose.int" || name == "aten::permute") {
    std::vector<int64_t> perm(rank);
    for (size_t d = 0; d < rank; ++d) perm[d] = static_cast<int64_t>(d);
    if (name == "aten::permute") {
      perm = ir::constant_int_list(n->input(1)).value_or(perm);
    } else {
      std::swap(perm[static_cast<size_t>(wrapped_dim(n->input(1), rank))],
                perm[static_cast<size_t>(wrapped_dim(n->input(2), rank))]);
    }
    Strided t{sizes, {}};
    for (int64_t p : perm) t.strides.push_back(in->strides[static_cast<size_t>(p < 0 ? p + rank : p)]);
    return t;
  }
  if (name == "aten::view" || name == "aten::reshape" || name == "aten::flatten.using_ints" ||
      name == "aten::unsqueeze" || name == "aten::squeeze" || name == "aten::squeeze.dim") {
    // A view where the strides allow one; else reshape copies.
    if (std::optional<std::vector<int64_t>> strides = restride(in->sizes, in->strides, sizes))
      return Strided{sizes, *strides};
    return dense(sizes);
  }
  // quantize_per_tensor of a float input, linear layers, contiguous(), and
  // whatever else: the default order.
  return std::nullopt;
}

}  // namespace

TorchLayout torch_layout(ir::Value* v) {
  const std::optional<Strided> t = strided_of(v, 0);
  if (!t) return {};
  return {is_contiguous(t->sizes, t->strides), dense_nhwc(*t), suggests_nhwc(*t)};
}

bool is_average(const ir::Node* n) {
  return n->is("aten::avg_pool2d") || n->is("aten::adaptive_avg_pool2d") || n->is("aten::mean.dim");
}

namespace {

constexpr int kMaxCatDepth = 32;

std::optional<QuantizedLevels> levels_at(ir::Value* v, int depth);

bool same_number(const ir::Value* a, const ir::Value* b) {
  const auto x = known_number(a), y = known_number(b);
  return x && y && *x == *y;
}

int64_t dtype_code(const QuantizedLevels& l) {
  if (!l.dtype) return 13;  // quint8
  return ir::constant_int(l.dtype).value_or(-1);
}

// A cat of tensors all on the same levels is on them: LibTorch's cat of
// quantized tensors requires its inputs to share their parameters (FX
// graph mode observes them as one), and copies their levels.
std::optional<QuantizedLevels> cat_levels(ir::Node* n, int depth) {
  if (depth >= kMaxCatDepth) return std::nullopt;
  const ir::Node* list = n->input(0)->node();
  if (!list->is("prim::ListConstruct") || list->num_inputs() == 0) return std::nullopt;
  std::optional<QuantizedLevels> first;
  for (ir::Value* x : list->inputs()) {
    const auto l = levels_at(x, depth + 1);
    if (!l) return std::nullopt;
    if (!first) {
      first = l;
    } else if (!same_number(l->scale, first->scale) || !same_number(l->zero, first->zero) ||
               dtype_code(*l) != dtype_code(*first)) {
      return std::nullopt;
    }
  }
  return first;
}

std::optional<QuantizedLevels> levels_at(ir::Value* v, int depth) {
  for (int step = 0; step < kMaxChain; ++step) {
    ir::Node* n = v->node();
    const std::string name = n->op().schema.qualified_name();
    if (name == "aten::quantize_per_tensor") return QuantizedLevels{n->input(1), n->input(2), n->input(3)};
    if (auto at = output_scale_at(name)) {
      if (ir::is_none(n->input(*at))) return std::nullopt;
      return QuantizedLevels{n->input(*at), n->input(*at + 1), nullptr};
    }
    if (name == "aten::cat") return cat_levels(n, depth);
    if (!keeps_levels(n) && !is_average(n)) return std::nullopt;
    if (n->num_inputs() == 0) return std::nullopt;
    v = n->input(0);
  }
  return std::nullopt;
}

}  // namespace

std::optional<QuantizedLevels> levels_of(ir::Value* v) { return levels_at(v, 0); }

std::optional<double> known_number(const ir::Value* v) {
  if (auto d = ir::constant_double(v)) return d;
  if (auto i = ir::constant_int(v)) return static_cast<double>(*i);
  const ir::Node* n = v->node();
  if (!(n->is("aten::Float.Tensor") || n->is("aten::Int.Tensor"))) return std::nullopt;
  const ir::Node* read = n->input(0)->node();
  if (!read->is("prim::Param")) return std::nullopt;
  const ir::Module* m = read->graph()->module();
  if (!m) return std::nullopt;
  const ir::NamedTensor* t = m->find_tensor(std::get<std::string>(*read->attrs().find("name")));
  if (!t || !t->data.defined() || t->data.numel() != 1) return std::nullopt;
  const Tensor c = t->data.contiguous();
  switch (c.dtype()) {
    case DType::f32: return c.data_as<float>()[0];
    case DType::f64: return c.data_as<double>()[0];
    case DType::i64: return static_cast<double>(c.data_as<int64_t>()[0]);
    case DType::i32: return c.data_as<int32_t>()[0];
    default: return std::nullopt;
  }
}

}  // namespace wick::passes
