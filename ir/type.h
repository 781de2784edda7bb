// IR types. A tensor type knows as much as has been inferred: its dtype may be
// unknown, its rank may be unknown, and each dim is a static size, a symbolic
// monomial such as `B` or `12*B`, or unknown. Scalars, strings, None, lists,
// tuples and optionals exist so that TorchScript code can be represented before
// canonicalization removes them; `Number` and `Any` appear in op schemas.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/dtype.h"
#include "support/tensor.h"

namespace wick::ir {

// A dim: coefficient * product of symbols (sorted). Static when there are no
// symbols. `unknown` dims carry nothing else.
class Dim {
 public:
  Dim() : unknown_(true) {}
  static Dim constant(int64_t n) { return Dim(n, {}); }
  static Dim symbol(std::string name) { return Dim(1, {std::move(name)}); }
  static Dim unknown() { return Dim(); }
  static Dim monomial(int64_t coefficient, std::vector<std::string> symbols);

  bool is_unknown() const { return unknown_; }
  bool is_static() const { return !unknown_ && symbols_.empty(); }
  bool is_symbolic() const { return !unknown_ && !symbols_.empty(); }
  int64_t value() const { return coefficient_; }  // meaningful when static
  int64_t coefficient() const { return coefficient_; }
  const std::vector<std::string>& symbols() const { return symbols_; }

  bool operator==(const Dim& o) const;
  bool operator!=(const Dim& o) const { return !(*this == o); }

  // Arithmetic that stays exact; an unrepresentable result is unknown.
  Dim operator*(const Dim& o) const;
  Dim operator+(const Dim& o) const;
  std::optional<Dim> divide_exactly(const Dim& o) const;

  std::string str() const;  // "14", "B", "12*B*T", "?"

 private:
  Dim(int64_t coefficient, std::vector<std::string> symbols);
  bool unknown_ = false;
  int64_t coefficient_ = 0;
  std::vector<std::string> symbols_;
};

enum class TypeKind : uint8_t {
  Tensor,
  Int,
  Float,
  Bool,
  Str,
  None,
  Device,
  Number,  // int, float or bool: aten's Scalar
  Any,
  List,
  Tuple,
  Optional,
};

class Type;
using TypePtr = std::shared_ptr<const Type>;

class Type {
 public:
  static TypePtr tensor(std::optional<DType> dtype = std::nullopt,
                        std::optional<std::vector<Dim>> shape = std::nullopt,
                        Device device = {});
  static TypePtr tensor_static(DType dtype, const std::vector<int64_t>& sizes);
  static TypePtr int_();
  static TypePtr float_();
  static TypePtr bool_();
  static TypePtr string_();
  static TypePtr none();
  static TypePtr device();
  static TypePtr number();
  static TypePtr any();
  static TypePtr list(TypePtr element);
  static TypePtr tuple(std::vector<TypePtr> elements);
  static TypePtr optional(TypePtr element);

  TypeKind kind() const { return kind_; }
  bool is_tensor() const { return kind_ == TypeKind::Tensor; }

  // Tensor accessors.
  const std::optional<DType>& dtype() const { return dtype_; }
  const std::optional<std::vector<Dim>>& shape() const { return shape_; }
  bool has_rank() const { return shape_.has_value(); }
  int rank() const { return shape_ ? static_cast<int>(shape_->size()) : -1; }
  Device tensor_device() const { return device_; }
  bool fully_static() const;  // dtype and every dim known and static
  std::vector<int64_t> static_sizes() const;  // requires fully_static()

  // List element / Optional payload / Tuple elements.
  const TypePtr& element() const { return elements_.at(0); }
  const std::vector<TypePtr>& elements() const { return elements_; }

  bool operator==(const Type& o) const;
  bool operator!=(const Type& o) const { return !(*this == o); }

  // True when a value of type `value` may be passed where `this` is expected:
  // Optional[T] takes None and T, Number takes Int/Float/Bool, Any takes all,
  // a tensor type takes any tensor type whose known facts do not contradict it
  // (the bare `Tensor` takes tensors on any device).
  bool accepts(const Type& value) const;

  std::string str() const;

 private:
  explicit Type(TypeKind kind) : kind_(kind) {}
  TypeKind kind_;
  std::optional<DType> dtype_;
  std::optional<std::vector<Dim>> shape_;
  Device device_;
  std::vector<TypePtr> elements_;
};

std::string shape_str(const std::vector<Dim>& dims);  // "[B, 14]"

// The most specific type both `a` and `b` belong to: tensors keep what they
// agree on, None joins T as Optional[T], anything else that differs is Any.
TypePtr unify(const TypePtr& a, const TypePtr& b);

}  // namespace wick::ir
