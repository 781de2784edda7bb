#include "passes/integer_quantized_ops.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "ir/builder.h"
#include "ir/constant_value.h"
#include "ir/module.h"
#include "ir/op_table.h"
#include "passes/quantized_levels.h"

namespace wick::passes {
namespace {

// The data a prim::Param reads, or an undefined tensor.
Tensor module_data(const ir::Value* v) {
  if (!v->node()->is("prim::Param")) return {};
  const ir::Module* m = v->node()->graph()->module();
  if (!m) return {};
  const ir::NamedTensor* t = m->find_tensor(std::get<std::string>(*v->node()->attrs().find("name")));
  if (!t || !t->data.defined()) return {};
  return t->data.contiguous();
}

std::string param_name(const ir::Value* v) { return std::get<std::string>(*v->node()->attrs().find("name")); }

// The quantization parameters of an op's input, known when compiling.
struct InputLevels {
  double scale;
  int64_t zero;
};

std::optional<InputLevels> input_levels(ir::Value* v) {
  const auto levels = levels_of(v);
  if (!levels) return std::nullopt;
  const auto scale = known_number(levels->scale);
  const auto zero = known_number(levels->zero);
  if (!scale || !zero || !(*scale > 0)) return std::nullopt;
  return InputLevels{*scale, static_cast<int64_t>(*zero)};
}

// The same for a quint8 tensor only (the ops that move its levels as
// integers assume 0..255).
std::optional<InputLevels> quint8_levels(ir::Value* v) {
  const auto levels = levels_of(v);
  if (!levels || (levels->dtype && ir::constant_int(levels->dtype) != 13)) return std::nullopt;
  return input_levels(v);
}

// The weight's levels and, per output channel, the bias in the sums' units
// and the multiplier that takes a sum to output levels, as ideep computes
// them for oneDNN (scales are reciprocals there, each rounded to f32).
struct ChannelConstants {
  Tensor weight_levels;  // f32, the weight's shape
  Tensor bias;           // f32 [N], or undefined
  Tensor multiplier;     // f32 [N]
  bool zero_free = true;  // every zero point of the weight is 0: its integers are its levels
};

std::optional<ChannelConstants> channel_constants(const ir::Node* n, size_t w_at, size_t bias_at, double x_scale,
                                                  double y_scale) {
  const Tensor w = module_data(n->input(w_at));
  const Tensor w_scale = module_data(n->input(w_at + 1));
  const Tensor w_zero = module_data(n->input(w_at + 2));
  if (!w.defined() || w.dtype() != DType::i8 || w.dim() < 2 || !w_scale.defined() ||
      w_scale.dtype() != DType::f32 || !w_zero.defined() || w_zero.dtype() != DType::f32)
    return std::nullopt;
  const int64_t channels = w.size(0);
  const int64_t per_channel = w.numel() / channels;
  if (w_scale.numel() != 1 && w_scale.numel() != channels) return std::nullopt;
  if (w_zero.numel() != 1 && w_zero.numel() != channels) return std::nullopt;
  Tensor bias;
  if (!ir::is_none(n->input(bias_at))) {
    bias = module_data(n->input(bias_at));
    if (!bias.defined() || bias.dtype() != DType::f32 || bias.numel() != channels) return std::nullopt;
  }
  auto at = [](const Tensor& t, int64_t c) { return t.data_as<float>()[t.numel() == 1 ? 0 : c]; };
  ChannelConstants out{Tensor::zeros(DType::f32, w.sizes()), Tensor(), Tensor::zeros(DType::f32, {channels})};
  if (bias.defined()) out.bias = Tensor::zeros(DType::f32, {channels});
  const float inv_x = static_cast<float>(1.0 / x_scale);
  const float inv_y = static_cast<float>(1.0 / y_scale);
  for (int64_t c = 0; c < channels; ++c) {
    const float inv_w = static_cast<float>(1.0 / static_cast<double>(at(w_scale, c)));
    const float sum_scale = inv_x * inv_w;
    if (!(sum_scale > 0) || !std::isfinite(sum_scale)) return std::nullopt;
    out.multiplier.data_as<float>()[c] = inv_y / sum_scale;
    if (bias.defined()) out.bias.data_as<float>()[c] = bias.data_as<float>()[c] * sum_scale;
    const float zero = at(w_zero, c);
    out.zero_free = out.zero_free && zero == 0.f;
    for (int64_t k = 0; k < per_channel; ++k)
      out.weight_levels.data_as<float>()[c * per_channel + k] =
          static_cast<float>(w.data_as<int8_t>()[c * per_channel + k]) - zero;
  }
  return out;
}

// A module constant under a name not yet taken, read at the insertion point.
ir::Value* add_constant(ir::Builder& b, const std::string& base, const Tensor& data) {
  ir::Module& m = *b.graph().module();
  std::string name = base;
  for (int i = 1; m.find_tensor(name); ++i) name = base + "." + std::to_string(i);
  m.add_tensor(name, ir::TensorRole::constant, data);
  return b.param(name, ir::Type::tensor_static(DType::f32, data.sizes()));
}

void replace(ir::Node* old, ir::Node* now) {
  ir::Value* out = old->output();
  const std::string name = out->has_name() ? out->name() : std::string();
  out->replace_all_uses_with(now->output());
  old->destroy();
  if (!name.empty()) now->output()->set_name(name);
}

ir::Builder builder_at(ir::Node* n) {
  ir::Builder b(*n->graph());
  b.set_insertion_point(n);
  b.set_source(n->source_location(), n->source_line());
  return b;
}

// quantized::conv2d.new (and _relu): (qx, W, W_scale, W_zero_point, bias,
// stride, padding, dilation, groups, output_scale, output_zero_point).
// quantized::linear (and _relu): (X, W, W_scale, W_zero_point, B, Y_scale,
// Y_zero_point).
bool rewrite_product(ir::Node* n, bool conv, bool relu) {
  const size_t y_at = conv ? 9 : 5;
  const auto x = input_levels(n->input(0));
  const auto y_scale = known_number(n->input(y_at));
  const auto y_zero = known_number(n->input(y_at + 1));
  if (!x || !y_scale || !y_zero || !(*y_scale > 0)) return false;
  const auto constants = channel_constants(n, 1, 4, x->scale, *y_scale);
  if (!constants) return false;
  ir::Builder b = builder_at(n);
  const std::string base = param_name(n->input(1));
  std::vector<ir::Value*> inputs = {n->input(0), b.constant_float(x->scale), b.constant_int(x->zero)};
  // The weight's own integers when they are its levels, which the CPU
  // multiplies as int8.
  inputs.push_back(constants->zero_free ? n->input(1) : add_constant(b, base + ".levels", constants->weight_levels));
  inputs.push_back(constants->bias.defined() ? add_constant(b, base + ".sum_bias", constants->bias)
                                             : b.constant_none());
  inputs.push_back(add_constant(b, base + ".multiplier", constants->multiplier));
  if (conv)
    for (size_t i = 5; i < 9; ++i) inputs.push_back(n->input(i));
  inputs.push_back(b.constant_float(*y_scale));
  inputs.push_back(b.constant_int(static_cast<int64_t>(*y_zero)));
  inputs.push_back(b.constant_bool(relu));
  replace(n, b.create(conv ? "wick::quantized_conv2d" : "wick::quantized_linear", inputs));
  return true;
}

// quantized::add / mul (and _relu): (qa, qb, scale, zero_point).
bool rewrite_binary(ir::Node* n, bool mul, bool relu) {
  const auto a = input_levels(n->input(0));
  const auto c = input_levels(n->input(1));
  const auto y_scale = known_number(n->input(2));
  const auto y_zero = known_number(n->input(3));
  if (!a || !c || !y_scale || !y_zero || !(*y_scale > 0)) return false;
  ir::Builder b = builder_at(n);
  replace(n, b.create(mul ? "wick::quantized_mul" : "wick::quantized_add",
                      {n->input(0), b.constant_float(a->scale), b.constant_int(a->zero), n->input(1),
                       b.constant_float(c->scale), b.constant_int(c->zero), b.constant_float(*y_scale),
                       b.constant_int(static_cast<int64_t>(*y_zero)), b.constant_bool(relu)}));
  return true;
}

// quantized::hardswish(qx, scale, zero_point), and aten::hardsigmoid of a
// quantized tensor, which LibTorch rounds to levels of 1/256 from 0.
bool rewrite_unary(ir::Node* n, const char* op, std::optional<double> y_scale, std::optional<double> y_zero) {
  const auto x = input_levels(n->input(0));
  if (!x || !y_scale || !y_zero || !(*y_scale > 0)) return false;
  ir::Builder b = builder_at(n);
  replace(n, b.create(op, {n->input(0), b.constant_float(x->scale), b.constant_int(x->zero),
                           b.constant_float(*y_scale), b.constant_int(static_cast<int64_t>(*y_zero))}));
  return true;
}

// quantized::layer_norm(x, normalized_shape, weight, bias, eps,
// output_scale, output_zero_point).
bool rewrite_layer_norm(ir::Node* n) {
  const auto x = input_levels(n->input(0));
  const auto y_scale = known_number(n->input(5));
  const auto y_zero = known_number(n->input(6));
  if (!x || !y_scale || !y_zero || !(*y_scale > 0)) return false;
  ir::Builder b = builder_at(n);
  replace(n, b.create("wick::quantized_layer_norm",
                      {n->input(0), b.constant_float(x->scale), b.constant_int(x->zero), n->input(1), n->input(2),
                       n->input(3), n->input(4), b.constant_float(*y_scale),
                       b.constant_int(static_cast<int64_t>(*y_zero))}));
  return true;
}

// quantized::batch_norm* (qx, weight, bias, mean, var, eps, output_scale,
// output_zero_point): per channel, ATen's alpha and beta (computed in
// float, their ratios of scales in double, without fused multiply-adds)
// into the module, for wick::quantized_batch_norm.
bool rewrite_batch_norm(ir::Node* n, bool relu) {
  const auto x = input_levels(n->input(0));
  const auto y_scale = known_number(n->input(6));
  const auto y_zero = known_number(n->input(7));
  const auto eps = known_number(n->input(5));
  const Tensor mean = module_data(n->input(3)), var = module_data(n->input(4));
  if (!x || !y_scale || !y_zero || !eps || !(*y_scale > 0) || !mean.defined() || !var.defined()) return false;
  const Tensor weight = ir::is_none(n->input(1)) ? Tensor() : module_data(n->input(1));
  const Tensor bias = ir::is_none(n->input(2)) ? Tensor() : module_data(n->input(2));
  if ((!ir::is_none(n->input(1)) && !weight.defined()) || (!ir::is_none(n->input(2)) && !bias.defined())) return false;
  const int64_t channels = mean.numel();
  for (const Tensor* t : {&mean, &var, &weight, &bias})
    if (t->defined() && (t->dtype() != DType::f32 || t->numel() != channels)) return false;
  Tensor alpha = Tensor::empty(DType::f32, {channels}), beta = Tensor::empty(DType::f32, {channels});
  for (int64_t c = 0; c < channels; ++c) {
    const float inv_sigma =
        static_cast<float>(1.0 / std::sqrt(var.data_as<float>()[c] + static_cast<float>(*eps)));
    const float w = weight.defined() ? weight.data_as<float>()[c] : 1.0f;
    const float b = bias.defined() ? bias.data_as<float>()[c] : 0.0f;
    const float scaled = inv_sigma * w;
    alpha.data_as<float>()[c] = static_cast<float>(scaled * (x->scale / *y_scale));
    const float shifted = mean.data_as<float>()[c] * inv_sigma;
    beta.data_as<float>()[c] = static_cast<float>((b - shifted * w) / *y_scale);
  }
  ir::Builder b = builder_at(n);
  const std::string base = param_name(n->input(3));
  replace(n, b.create("wick::quantized_batch_norm",
                      {n->input(0), b.constant_float(x->scale), b.constant_int(x->zero),
                       add_constant(b, base + ".alpha", alpha), add_constant(b, base + ".beta", beta),
                       b.constant_float(*y_scale), b.constant_int(static_cast<int64_t>(*y_zero)),
                       b.constant_bool(relu)}));
  return true;
}

ir::Node* rescale(ir::Builder& b, ir::Node* n, const InputLevels& x, int64_t shift, float multiplier, bool relu,
                  double scale, int64_t zero) {
  return b.create("wick::quantized_rescale",
                  {n->input(0), b.constant_float(x.scale), b.constant_int(x.zero), b.constant_int(shift),
                   b.constant_float(multiplier), b.constant_bool(relu), b.constant_float(scale),
                   b.constant_int(zero)});
}

// quantized::mul.Scalar (and _relu, mul_scalar): LibTorch keeps the quint8
// levels and multiplies the scale by b > 0; reverses them (255 - L, zero
// point 255 - z) and multiplies it by |b| for b < 0; for b = 0 every level
// is 0 at scale 1, zero point 0.
bool rewrite_mul_scalar(ir::Node* n, bool relu) {
  const auto x = quint8_levels(n->input(0));
  const auto b = known_number(n->input(1));
  if (!x || !b) return false;
  ir::Builder builder = builder_at(n);
  if (*b == 0) {
    ir::Value* zeros = builder.op("aten::mul.Scalar", {n->input(0), builder.constant_float(0.0)});
    replace(n, builder.create("aten::quantize_per_tensor", {zeros, builder.constant_float(1.0), builder.constant_int(0),
                                                             builder.constant_int(13)}));
    return true;
  }
  const bool flip = *b < 0;
  replace(n, rescale(builder, n, *x, 0, flip ? -1.0f : 1.0f, relu, std::abs(*b) * x->scale,
                     flip ? 255 - x->zero : x->zero));
  return true;
}

// quantized::add.Scalar (and _relu, add_scalar): with c_q = round(b /
// scale), LibTorch keeps the quint8 levels and moves the zero point to
// z - c_q when that is a level; past the levels it takes a scale that
// spans the sum, zero point 0 or 255, and requantizes the integers
// L - z + c_q with the f32 multiplier scale / new scale.
bool rewrite_add_scalar(ir::Node* n, bool relu) {
  const auto x = quint8_levels(n->input(0));
  const auto b = known_number(n->input(1));
  if (!x || !b) return false;
  const int64_t shift = static_cast<int64_t>(std::nearbyint(*b / x->scale));
  const int64_t zero = x->zero - shift;
  ir::Builder builder = builder_at(n);
  if (zero >= 0 && zero <= 255) {
    replace(n, rescale(builder, n, *x, shift, 1.0f, relu, x->scale, zero));
    return true;
  }
  const double scale = zero < 0 ? (255.0 - static_cast<double>(zero)) / 255.0 * x->scale
                                : static_cast<double>(zero) / 255.0 * x->scale;
  const float multiplier = static_cast<float>(x->scale) * (1.0f / static_cast<float>(scale));
  replace(n, rescale(builder, n, *x, shift, multiplier, relu, scale, zero < 0 ? 0 : 255));
  return true;
}

// aten::hardtanh, relu6 and clamp of a quint8 tensor: LibTorch clamps its
// levels between the levels its quantize_val gives the bounds
// (zero_point + round(bound * f32(1 / scale)), saturated), so that the
// result stays on them: wick::quantized_clamp with those levels.
bool rewrite_clamp(ir::Node* n, const std::string& name) {
  const auto x = quint8_levels(n->input(0));
  if (!x) return false;
  std::optional<double> bounds[2];
  if (name == "aten::relu6") {
    bounds[0] = 0.0;
    bounds[1] = 6.0;
  } else {
    for (int i = 0; i < 2; ++i) {
      if (ir::is_none(n->input(static_cast<size_t>(i + 1)))) continue;
      bounds[i] = known_number(n->input(static_cast<size_t>(i + 1)));
      if (!bounds[i]) return false;
    }
  }
  const float inverse = 1.0f / static_cast<float>(x->scale);
  int64_t level[2] = {0, 255};
  for (int i = 0; i < 2; ++i)
    if (bounds[i])
      level[i] = std::clamp<int64_t>(
          x->zero + static_cast<int64_t>(std::nearbyint(static_cast<float>(*bounds[i]) * inverse)), 0, 255);
  ir::Builder b = builder_at(n);
  replace(n, b.create("wick::quantized_clamp", {n->input(0), b.constant_float(x->scale), b.constant_int(x->zero),
                                                 b.constant_int(level[0]), b.constant_int(level[1])}));
  return true;
}

// quantized::group_norm(x, num_groups, weight, bias, eps, output_scale,
// output_zero_point), and instance_norm (x, weight, bias, eps, ...), a
// group a channel: wick::quantized_group_norm.
bool rewrite_group_norm(ir::Node* n, bool instance) {
  const auto x = input_levels(n->input(0));
  const size_t y_at = instance ? 4 : 5;
  const auto y_scale = known_number(n->input(y_at));
  const auto y_zero = known_number(n->input(y_at + 1));
  if (!x || !y_scale || !y_zero || !(*y_scale > 0)) return false;
  ir::Builder b = builder_at(n);
  ir::Value* groups = n->input(1);
  if (instance) {
    const ir::Type& t = *n->input(0)->type();
    if (!t.has_rank() || t.rank() < 3 || !(*t.shape())[1].is_static()) return false;
    groups = b.constant_int((*t.shape())[1].value());
  }
  const size_t w_at = instance ? 1 : 2;
  replace(n, b.create("wick::quantized_group_norm",
                      {n->input(0), b.constant_float(x->scale), b.constant_int(x->zero), groups, n->input(w_at),
                       n->input(w_at + 1), n->input(w_at + 2), b.constant_float(*y_scale),
                       b.constant_int(static_cast<int64_t>(*y_zero))}));
  return true;
}

// `x.is_quantized`: whether an op upstream quantized x.
bool answer_is_quantized(ir::Node* n) {
  ir::Builder b = builder_at(n);
  n->output()->replace_all_uses_with(b.constant_bool(levels_of(n->input(0)).has_value()));
  n->destroy();
  return true;
}

bool rewrite(ir::Node* n) {
  const std::string name = n->op().schema.qualified_name();
  if (name == "prim::is_quantized") return answer_is_quantized(n);
  if (name == "quantized::conv2d.new") return rewrite_product(n, true, false);
  if (name == "quantized::conv2d_relu.new") return rewrite_product(n, true, true);
  if (name == "quantized::linear") return rewrite_product(n, false, false);
  if (name == "quantized::linear_relu") return rewrite_product(n, false, true);
  if (name == "quantized::add") return rewrite_binary(n, false, false);
  if (name == "quantized::add_relu") return rewrite_binary(n, false, true);
  if (name == "quantized::mul") return rewrite_binary(n, true, false);
  if (name == "quantized::mul_relu") return rewrite_binary(n, true, true);
  if (name == "quantized::hardswish")
    return rewrite_unary(n, "wick::quantized_hardswish", known_number(n->input(1)), known_number(n->input(2)));
  if (name == "quantized::layer_norm") return rewrite_layer_norm(n);
  if (name == "quantized::group_norm") return rewrite_group_norm(n, false);
  if (name == "quantized::instance_norm") return rewrite_group_norm(n, true);
  if (name == "quantized::mul.Scalar" || name == "quantized::mul_scalar") return rewrite_mul_scalar(n, false);
  if (name == "quantized::add.Scalar" || name == "quantized::add_scalar") return rewrite_add_scalar(n, false);
  if (name == "quantized::add_relu.Scalar" || name == "quantized::add_scalar_relu") return rewrite_add_scalar(n, true);
  if (name == "quantized::mul_relu.Scalar" || name == "quantized::mul_scalar_relu") return rewrite_mul_scalar(n, true);
  if (name.rfind("quantized::batch_norm", 0) == 0)
    return rewrite_batch_norm(n, name.size() > 5 && name.compare(name.size() - 5, 5, "_relu") == 0);
  if (name == "aten::hardtanh" || name == "aten::relu6" || name == "aten::clamp") return rewrite_clamp(n, name);
  if (name == "aten::hardsigmoid") return rewrite_unary(n, "wick::quantized_hardsigmoid", 1.0 / 256, 0.0);
  return false;
}

}  // namespace

bool integer_quantized_ops(ir::Graph& graph) {
  std::vector<ir::Node*> ops;
  ir::walk(graph.block(), [&](ir::Node* n) {
    const std::string name = n->op().schema.qualified_name();
    if (name.rfind("quantized::", 0) == 0 || name == "aten::hardsigmoid" || name == "prim::is_quantized" ||
        name == "aten::hardtanh" || name == "aten::relu6" || name == "aten::clamp")
      ops.push_back(n);
  });
  bool changed = false;
  for (ir::Node* n : ops) changed = rewrite(n) || changed;
  return changed;
}

}  // namespace wick::passes
