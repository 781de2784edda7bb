// Helpers for TensorSpec (plan.h) shapes with dynamic dims. A dim d of a spec
// is dynamic when size_symbols[d] >= 0: it is then sizes[d] times the value of
// symbol size_symbols[d] (a name in Plan::symbols or Manifest::symbols, e.g.
// "B"), which the runtime binds from the inputs' sizes on every run.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/plan.h"

namespace wick::rt {

inline constexpr size_t kMaxSymbolName = 64;
inline constexpr size_t kMaxSymbols = 64;

// A symbol name: a letter or '_', then letters, digits or '_'; at most kMaxSymbolName.
bool valid_symbol_name(std::string_view name);

// The symbol of dim d, or -1 when the dim is static.
inline int32_t dim_symbol(const TensorSpec& s, size_t d) {
  return d < s.size_symbols.size() ? s.size_symbols[d] : -1;
}
bool has_dynamic_dims(const TensorSpec& s);

// Equal dtype, sizes and symbols (an empty size_symbols equals all -1).
bool same_spec(const TensorSpec& a, const TensorSpec& b);

// One dim as text: "14", "B", "3*B" (the symbol's index where `symbols` has no name for it).
std::string dim_text(const TensorSpec& s, size_t d, const std::vector<std::string>& symbols);
// "f32[B, 14]".
std::string spec_text(const TensorSpec& s, const std::vector<std::string>& symbols);

// The sizes of `s` with every symbol i replaced by values[i]; -1 for a dim
// whose symbol has no value (values[i] < 0 or out of range).
std::vector<int64_t> resolve_sizes(const TensorSpec& s, const std::vector<int64_t>& values);

// Checks `inputs` (dtype, rank, static sizes, dynamic dims a multiple of their
// coefficient, agreeing on every symbol) against `specs`, whose inputs are
// named by `names` in messages, and binds each symbol's value into `values`
// (resized to symbols.size(), -1 for a symbol no input fixes). Returns the
// problem, or "" when the inputs fit.
struct InputShape {
  DType dtype;
  const std::vector<int64_t>* sizes;
};
std::string bind_input_shapes(const std::vector<TensorSpec>& specs, const std::vector<std::string>& names,
                              const std::vector<std::string>& symbols, const std::vector<InputShape>& inputs,
                              std::vector<int64_t>* values);

}  // namespace wick::rt
