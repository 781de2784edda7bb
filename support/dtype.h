// Element types shared by the IR (tensor types) and the runtime (tensor data).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wick {

enum class DType : uint8_t {
  f32,
  f64,
  f16,
  bf16,
  i64,
  i32,
  i16,
  i8,
  u8,
  b8,  // bool, one byte per element
  // Complex numbers, (real, imaginary) pairs of f32 or f64. They exist only
  // in the IR: module tensors hold them as real pairs with a trailing dim of
  // 2, and passes/lower_complex turns every complex value into two real ones
  // before anything is compiled.
  c64,
  c128,
};

inline constexpr DType kAllDTypes[] = {DType::f32, DType::f64, DType::f16, DType::bf16, DType::i64,
                                       DType::i32, DType::i16, DType::i8,  DType::u8,   DType::b8};

// The dtypes the runtime computes with (complex ones are not among them).
inline constexpr DType kComplexDTypes[] = {DType::c64, DType::c128};

size_t dtype_size(DType t);
bool is_floating(DType t);  // excludes complex
bool is_complex(DType t);
// The real dtype of a complex one's parts (c64 -> f32), and the complex dtype
// whose parts are `t` (f64 -> c128; f32, f16, bf16 and the rest -> c64).
DType real_part_dtype(DType t);
DType complex_dtype_of(DType t);
bool is_integral(DType t);  // excludes bool

// Short names used in IR text: f32, f64, i64, bool, ...
std::string_view dtype_name(DType t);
std::optional<DType> dtype_from_name(std::string_view name);

// PyTorch's ScalarType codes (as used by torch.float32 == 6 in TorchScript).
std::optional<DType> dtype_from_torch_code(int64_t code);
std::optional<int64_t> torch_code_of(DType t);

// The element of dtype `t` at `p` (unaligned is fine), as a double: f16 and
// bf16 widened exactly, integers converted, bools 0 or 1.
double element_as_double(DType t, const void* p);

// Type promotion of two tensor dtypes, following torch.result_type for tensors
// of equal category priority (bool < integral < floating).
DType promote(DType a, DType b);

}  // namespace wick
