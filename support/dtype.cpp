#include "support/dtype.h"

#include <cmath>
#include <cstring>

namespace wick {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::c128: return 16;
    case DType::c64: return 8;
    case DType::f64:
    case DType::i64: return 8;
    case DType::f32:
    case DType::i32: return 4;
    case DType::f16:
    case DType::bf16:
    case DType::i16: return 2;
    case DType::i8:
    case DType::u8:
    case DType::b8: return 1;
  }
  return 0;
}

bool is_floating(DType t) {
  return t == DType::f32 || t == DType::f64 || t == DType::f16 || t == DType::bf16;
}

bool is_complex(DType t) { return t == DType::c64 || t == DType::c128; }

DType real_part_dtype(DType t) { return t == DType::c128 ? DType::f64 : t == DType::c64 ? DType::f32 : t; }

DType complex_dtype_of(DType t) { return t == DType::f64 || t == DType::c128 ? DType::c128 : DType::c64; }

bool is_integral(DType t) {
  return t == DType::i64 || t == DType::i32 || t == DType::i16 || t == DType::i8 || t == DType::u8;
}

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "f32";
    case DType::f64: return "f64";
    case DType::f16: return "f16";
    case DType::bf16: return "bf16";
    case DType::i64: return "i64";
    case DType::i32: return "i32";
    case DType::i16: return "i16";
    case DType::i8: return "i8";
    case DType::u8: return "u8";
    case DType::b8: return "bool";
    case DType::c64: return "c64";
    case DType::c128: return "c128";
  }
  return "?";
}

std::optional<DType> dtype_from_name(std::string_view name) {
  for (DType t : kAllDTypes)
    if (dtype_name(t) == name) return t;
  for (DType t : kComplexDTypes)
    if (dtype_name(t) == name) return t;
  return std::nullopt;
}

// Codes from c10/core/ScalarType.h.
std::optional<DType> dtype_from_torch_code(int64_t code) {
  switch (code) {
    case 0: return DType::u8;
    case 1: return DType::i8;
    case 2: return DType::i16;
    case 3: return DType::i32;
    case 4: return DType::i64;
    case 5: return DType::f16;
    case 6: return DType::f32;
    case 7: return DType::f64;
    case 9: return DType::c64;
    case 10: return DType::c128;
    case 11: return DType::b8;
    case 15: return DType::bf16;
    default: return std::nullopt;
  }
}

std::optional<int64_t> torch_code_of(DType t) {
  for (int64_t code = 0; code < 16; ++code)
    if (dtype_from_torch_code(code) == t) return code;
  return std::nullopt;
}

namespace {
int category(DType t) { return t == DType::b8 ? 0 : is_integral(t) ? 1 : is_complex(t) ? 3 : 2; }
}  // namespace

DType promote(DType a, DType b) {
  if (a == b) return a;
  int ca = category(a), cb = category(b);
  // A complex result is as wide as the wider of the two (c64 with f64: c128).
  if (ca == 3 || cb == 3)
    return real_part_dtype(a) == DType::f64 || real_part_dtype(b) == DType::f64 ? DType::c128 : DType::c64;
  if (ca != cb) return ca > cb ? a : b;
  if (ca == 2) {
    if (a == DType::f64 || b == DType::f64) return DType::f64;
    if (a == DType::f32 || b == DType::f32) return DType::f32;
    return DType::f32;  // f16 with bf16 promotes to f32
  }
  // integral: the wider type; u8 with i8 promotes to i16 as in torch
  if ((a == DType::u8 && b == DType::i8) || (a == DType::i8 && b == DType::u8)) return DType::i16;
  return dtype_size(a) >= dtype_size(b) ? a : b;
}

namespace {
template <typename T>
T load(const void* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
}  // namespace

double element_as_double(DType t, const void* p) {
  switch (t) {
    case DType::f32: return load<float>(p);
    case DType::f64: return load<double>(p);
    case DType::c64: return load<float>(p);  // the real part
    case DType::c128: return load<double>(p);
    case DType::i64: return static_cast<double>(load<int64_t>(p));
    case DType::i32: return load<int32_t>(p);
    case DType::i16: return load<int16_t>(p);
    case DType::i8: return load<int8_t>(p);
    case DType::u8: return load<uint8_t>(p);
    case DType::b8: return load<uint8_t>(p) != 0;
    case DType::bf16: {  // the high half of an f32
      const uint32_t bits = static_cast<uint32_t>(load<uint16_t>(p)) << 16;
      return load<float>(&bits);
    }
    case DType::f16: {
      const uint16_t h = load<uint16_t>(p);
      const int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
      const double sign = (h & 0x8000) ? -1.0 : 1.0;
      if (exponent == 0x1f) return mantissa ? NAN : sign * INFINITY;
      if (exponent == 0) return sign * std::ldexp(mantissa, -24);  // subnormal
      return sign * std::ldexp(mantissa + 1024, exponent - 25);
    }
  }
  return 0;
}

}  // namespace wick
