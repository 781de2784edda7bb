#include "runtime/tensor_spec.h"

#include "support/tensor.h"

namespace wick::rt {

bool valid_symbol_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxSymbolName) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!alpha(name[0])) return false;
  for (char c : name)
    if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
  return true;
}

bool has_dynamic_dims(const TensorSpec& s) {
  for (int32_t sym : s.size_symbols)
    if (sym >= 0) return true;
  return false;
}

bool same_spec(const TensorSpec& a, const TensorSpec& b) {
  if (a.dtype != b.dtype || a.sizes != b.sizes) return false;
  for (size_t d = 0; d < a.sizes.size(); ++d)
    if (dim_symbol(a, d) != dim_symbol(b, d)) return false;
  return true;
}

std::string dim_text(const TensorSpec& s, size_t d, const std::vector<std::string>& symbols) {
  const int32_t sym = dim_symbol(s, d);
  if (sym < 0) return std::to_string(s.sizes[d]);
  const std::string name = static_cast<size_t>(sym) < symbols.size() ? symbols[static_cast<size_t>(sym)]
                                                                    : "#" + std::to_string(sym);
  return s.sizes[d] == 1 ? name : std::to_string(s.sizes[d]) + "*" + name;
}

std::string spec_text(const TensorSpec& s, const std::vector<std::string>& symbols) {
  std::string text = std::string(dtype_name(s.dtype)) + "[";
  for (size_t d = 0; d < s.sizes.size(); ++d) text += (d ? ", " : "") + dim_text(s, d, symbols);
  return text + "]";
}

std::vector<int64_t> resolve_sizes(const TensorSpec& s, const std::vector<int64_t>& values) {
  std::vector<int64_t> sizes = s.sizes;
  for (size_t d = 0; d < sizes.size(); ++d) {
    const int32_t sym = dim_symbol(s, d);
    if (sym < 0) continue;
    const int64_t v = static_cast<size_t>(sym) < values.size() ? values[static_cast<size_t>(sym)] : -1;
    int64_t n = 0;
    sizes[d] = v >= 0 && checked_mul(s.sizes[d], v, &n) ? n : -1;
  }
  return sizes;
}

std::string bind_input_shapes(const std::vector<TensorSpec>& specs, const std::vector<std::string>& names,
                              const std::vector<std::string>& symbols, const std::vector<InputShape>& inputs,
                              std::vector<int64_t>* values) {
  values->assign(symbols.size(), -1);
  std::vector<size_t> bound_by(symbols.size(), 0);  // the input that fixed each symbol
  if (inputs.size() != specs.size())
    return "the model takes " + std::to_string(specs.size()) + " input" + (specs.size() == 1 ? "" : "s") + ", got " +
           std::to_string(inputs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const TensorSpec& spec = specs[i];
    const std::vector<int64_t>& sizes = *inputs[i].sizes;
    // The message's parts, built only for a message: this runs on every call.
    auto is = [&] {
      return "input " + std::to_string(i) + (i < names.size() ? " (" + names[i] + ")" : "") + " is " +
             std::string(dtype_name(inputs[i].dtype)) + shape_str(sizes);
    };
    auto compiled = [&] { return ", but the model was compiled for " + spec_text(spec, symbols); };
    if (inputs[i].dtype != spec.dtype || sizes.size() != spec.sizes.size()) return is() + compiled();
    for (size_t d = 0; d < sizes.size(); ++d) {
      const int32_t sym = dim_symbol(spec, d);
      if (sym < 0) {
        if (sizes[d] != spec.sizes[d]) return is() + compiled();
        continue;
      }
      const int64_t coefficient = spec.sizes[d];
      if (static_cast<size_t>(sym) >= symbols.size() || coefficient <= 0) return is() + compiled();
      if (sizes[d] % coefficient != 0)
        return is() + compiled() + ": dim " + std::to_string(d) + " must be a multiple of " + std::to_string(coefficient);
      const int64_t v = sizes[d] / coefficient;
      int64_t& value = (*values)[static_cast<size_t>(sym)];
      if (value >= 0 && value != v) {
        const size_t first = bound_by[static_cast<size_t>(sym)];
        return is() + ", which makes " + symbols[static_cast<size_t>(sym)] + " = " + std::to_string(v) + ", but input " +
               std::to_string(first) + (first < names.size() ? " (" + names[first] + ")" : "") + " made it " +
               std::to_string(value) + " (the model was compiled for " + spec_text(spec, symbols) + ")";
      }
      if (value < 0) {
        value = v;
        bound_by[static_cast<size_t>(sym)] = i;
      }
    }
  }
  return {};
}

}  // namespace wick::rt
