#include "frontend/packed_convolution.h"

#include <cstring>

namespace wick {
namespace {

constexpr const char* kPackedClass = "__torch__.torch.classes.quantized.Conv2dPackedParamsBase";

[[noreturn]] void fail(const std::string& cls, const SourceLocation& loc, const std::string& what) {
  throw Error("cannot read the saved state of " + cls + ": " + what, loc);
}

// `t` with a dim of size 1 inserted before dim `d`: the same memory.
Tensor unsqueezed(const Tensor& t, int d) {
  std::vector<int64_t> sizes = t.sizes(), strides = t.strides();
  const int64_t stride = d < t.dim() ? strides[d] * sizes[d] : 1;
  sizes.insert(sizes.begin() + d, 1);
  strides.insert(strides.begin() + d, stride);
  return t.as_strided(sizes, strides, t.offset());
}

PickleValue int_list(const std::vector<int64_t>& xs) {
  std::vector<PickleValue> items;
  for (int64_t x : xs) items.push_back(PickleValue::integer(x));
  return PickleValue::list(std::move(items));
}

// The integers of a tensor of an integer dtype, in order.
std::vector<int64_t> tensor_ints(const Tensor& t, const std::string& cls, const SourceLocation& loc) {
  if (t.numel() > 64) fail(cls, loc, "its settings hold " + std::to_string(t.numel()) + " values");
  const Tensor c = t.contiguous();
  std::vector<int64_t> out;
  for (int64_t i = 0; i < c.numel(); ++i) {
    switch (c.dtype()) {
      case DType::i64: out.push_back(c.data_as<int64_t>()[i]); break;
      case DType::i32: out.push_back(c.data_as<int32_t>()[i]); break;
      case DType::i16: out.push_back(c.data_as<int16_t>()[i]); break;
      case DType::i8: out.push_back(c.data_as<int8_t>()[i]); break;
      case DType::u8: out.push_back(c.data_as<uint8_t>()[i]); break;
      default: fail(cls, loc, "its settings must be integers, got " + t.describe());
    }
  }
  return out;
}

// An int, or a tensor of ints, from version 1's lists.
std::vector<int64_t> ints_of(const PickleValue& v, const std::string& cls, const SourceLocation& loc) {
  if (v.is(PickleValue::Kind::integer)) return {v.to_int()};
  if (v.is(PickleValue::Kind::tensor) && !v.quantized()) return tensor_ints(v.tensor(), cls, loc);
  if (v.is(PickleValue::Kind::list) || v.is(PickleValue::Kind::tuple)) {
    std::vector<int64_t> out;
    for (const PickleValue& e : v.elements())
      for (int64_t x : ints_of(e, cls, loc)) out.push_back(x);
    return out;
  }
  fail(cls, loc, "expected ints, got " + v.repr(60));
}

// config = [rank, stride..., padding..., dilation..., output_padding...,
// groups, transpose] (versions 2 and 3).
ConvolutionSettings from_config(const std::vector<int64_t>& config, const std::string& cls,
                                const SourceLocation& loc) {
  if (config.empty() || config[0] < 1 || config[0] > 3 ||
      config.size() != static_cast<size_t>(4 * config[0] + 3))
    fail(cls, loc, "its settings do not have the layout of a convolution's");
  const size_t rank = static_cast<size_t>(config[0]);
  auto part = [&](size_t i) {
    return std::vector<int64_t>(config.begin() + 1 + i * rank, config.begin() + 1 + (i + 1) * rank);
  };
  if (config.back() & 1) fail(cls, loc, "transposed quantized convolutions are not supported");
  return {part(0), part(1), part(2), config[4 * rank + 1]};
}

const PickleValue& at(const PickleValue& seq, size_t i, const std::string& cls, const SourceLocation& loc) {
  if (!(seq.is(PickleValue::Kind::list) || seq.is(PickleValue::Kind::tuple)) || i >= seq.elements().size())
    fail(cls, loc, "its state has no element " + std::to_string(i) + " where torch's format puts one");
  return seq.elements()[i];
}

}  // namespace

PickleValue packed_convolution_state(const PickleValue& w, const PickleValue& b, const ConvolutionSettings& s,
                                     const std::string& cls, const SourceLocation& loc) {
  if (!w.is(PickleValue::Kind::tensor) || !w.quantized())
    fail(cls, loc, "its weight must be a quantized tensor, got " + w.repr(60));
  if (!b.is_none() && !b.is(PickleValue::Kind::tensor)) fail(cls, loc, "its bias must be a tensor or None");
  const QuantizedParts& q = *w.quantized();
  const int rank = q.values.dim();
  if (rank != 3 && rank != 4)
    fail(cls, loc, "only 1-d and 2-d quantized convolutions are supported, got a weight of rank " +
                       std::to_string(rank));
  const size_t spatial = static_cast<size_t>(rank - 2);
  for (auto [xs, name] : {std::pair{&s.stride, "stride"}, {&s.padding, "padding"}, {&s.dilation, "dilation"}})
    if (xs->size() != spatial)
      fail(cls, loc, std::string("'") + name + "' must hold " + std::to_string(spatial) + " ints, got " +
                         std::to_string(xs->size()));
  if (s.groups < 1) fail(cls, loc, "'groups' must be positive, got " + std::to_string(s.groups));
  if (rank == 4)
    return [&] {
      PickleValue packed = PickleValue::object(kPackedClass);
      packed.set_state(PickleValue::tuple({w, b, int_list(s.stride), int_list(s.padding), int_list(s.dilation),
                                           PickleValue::integer(s.groups)}));
      return packed;
    }();
  // A 1-d convolution as a 2-d one over a height of 1.
  if (q.scale.dim() != 0 && q.scale.dim() != rank)
    fail(cls, loc, "a 1-d convolution's weight must be quantized per tensor or per output channel");
  QuantizedParts parts{unsqueezed(q.values, 2), q.scale.dim() ? unsqueezed(q.scale, 2) : q.scale,
                       q.zero_point.dim() ? unsqueezed(q.zero_point, 2) : q.zero_point};
  PickleValue packed = PickleValue::object(kPackedClass);
  packed.set_state(PickleValue::tuple(
      {PickleValue::quantized_tensor(std::move(parts), w.requires_grad()), b,
       int_list({1, s.stride[0]}), int_list({0, s.padding[0]}), int_list({1, s.dilation[0]}),
       PickleValue::integer(s.groups)}));
  return packed;
}

void read_saved_packed_convolution(PickleValue& object, const SourceLocation& loc) {
  if (!object.is(PickleValue::Kind::object) || object.class_name() != kPackedClass) return;
  const std::string cls = "a packed quantized convolution weight (" + object.class_name() + ")";
  const PickleValue& state = object.state();
  if (!state.is(PickleValue::Kind::tuple) || state.elements().empty())
    fail(cls, loc, "expected a tuple, got " + state.repr(60));
  const PickleValue& head = state.elements()[0];
  ConvolutionSettings settings;
  PickleValue weight, bias = PickleValue();
  if (head.is(PickleValue::Kind::tensor)) {
    // Version 1, or the state wick already gave it (ints, not tensors).
    if (state.elements().size() != 6) fail(cls, loc, "expected 6 elements in version 1, got " + state.repr(60));
    const auto& e = state.elements();
    weight = e[0];
    bias = e[1];
    settings = {ints_of(e[2], cls, loc), ints_of(e[3], cls, loc), ints_of(e[4], cls, loc), 0};
    const std::vector<int64_t> groups = ints_of(e[5], cls, loc);
    if (groups.size() != 1) fail(cls, loc, "'groups' must be one int, got " + e[5].repr(60));
    settings.groups = groups[0];
  } else if (head.is(PickleValue::Kind::string) && head.to_str() == "2") {
    const PickleValue& tensors = at(state, 1, cls, loc);
    const PickleValue& config = at(tensors, 0, cls, loc);
    if (!config.is(PickleValue::Kind::tensor) || config.quantized())
      fail(cls, loc, "its settings must be a tensor of ints, got " + config.repr(60));
    settings = from_config(tensor_ints(config.tensor(), cls, loc), cls, loc);
    weight = at(tensors, 1, cls, loc);
    const PickleValue& optional = at(state, 2, cls, loc);
    if (!optional.elements().empty()) bias = optional.elements()[0];
  } else if (head.is(PickleValue::Kind::integer) && head.to_int() == 3) {
    settings = from_config(ints_of(at(state, 1, cls, loc), cls, loc), cls, loc);
    const PickleValue& tensors = at(state, 2, cls, loc);
    weight = at(tensors, 1, cls, loc);
    if (tensors.elements().size() > 2) bias = tensors.elements()[2];
  } else {
    fail(cls, loc, "unknown format, starting " + head.repr(60) + " (versions 1, 2 and 3 are known)");
  }
  // Read as the packed object's own rank: a 1-d convolution's weight was
  // packed as 2-d already, settings included.
  object.set_state(packed_convolution_state(weight, bias, settings, cls, loc).state());
}

}  // namespace wick
