#include "ir/type.h"

#include <algorithm>

#include "support/error.h"

namespace wick::ir {

// ---- Dim -------------------------------------------------------------------

Dim::Dim(int64_t coefficient, std::vector<std::string> symbols)
    : unknown_(false), coefficient_(coefficient), symbols_(std::move(symbols)) {
  std::sort(symbols_.begin(), symbols_.end());
}

Dim Dim::monomial(int64_t coefficient, std::vector<std::string> symbols) {
  return Dim(coefficient, std::move(symbols));
}

bool Dim::operator==(const Dim& o) const {
  if (unknown_ || o.unknown_) return unknown_ == o.unknown_;
  return coefficient_ == o.coefficient_ && symbols_ == o.symbols_;
}

Dim Dim::operator*(const Dim& o) const {
  if (unknown_ || o.unknown_) return unknown();
  int64_t c = 0;
  if (__builtin_mul_overflow(coefficient_, o.coefficient_, &c)) return unknown();
  std::vector<std::string> s = symbols_;
  s.insert(s.end(), o.symbols_.begin(), o.symbols_.end());
  if (c == 0) s.clear();
  return Dim(c, std::move(s));
}

Dim Dim::operator+(const Dim& o) const {
  if (unknown_ || o.unknown_) return unknown();
  // Adding static zero keeps the other side, symbolic or not: cat of a
  // constant-size-0 piece with a [B, ...] piece is still B rows.
  if (o.is_static() && o.coefficient_ == 0) return *this;
  if (is_static() && coefficient_ == 0) return o;
  if (symbols_ != o.symbols_) return unknown();
  int64_t c = 0;
  if (__builtin_add_overflow(coefficient_, o.coefficient_, &c)) return unknown();
  return Dim(c, c == 0 ? std::vector<std::string>{} : symbols_);
}

std::optional<Dim> Dim::divide_exactly(const Dim& o) const {
  if (unknown_ || o.unknown_ || o.coefficient_ == 0) return std::nullopt;
  if (coefficient_ % o.coefficient_ != 0) return std::nullopt;
  std::vector<std::string> rest = symbols_;
  for (const std::string& s : o.symbols_) {
    auto it = std::find(rest.begin(), rest.end(), s);
    if (it == rest.end()) return std::nullopt;
    rest.erase(it);
  }
  return Dim(coefficient_ / o.coefficient_, std::move(rest));
}

std::string Dim::str() const {
  if (unknown_) return "?";
  if (symbols_.empty()) return std::to_string(coefficient_);
  std::string s;
  if (coefficient_ != 1) s = std::to_string(coefficient_);
  for (const std::string& sym : symbols_) {
    if (!s.empty()) s += "*";
    s += sym;
  }
  return s;
}

std::string shape_str(const std::vector<Dim>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ", ";
    s += dims[i].str();
  }
  return s + "]";
}

// ---- Type ------------------------------------------------------------------

TypePtr Type::tensor(std::optional<DType> dtype, std::optional<std::vector<Dim>> shape,
                     Device device) {
  auto t = std::shared_ptr<Type>(new Type(TypeKind::Tensor));
  t->dtype_ = dtype;
  t->shape_ = std::move(shape);
  t->device_ = device;
  return t;
}

TypePtr Type::tensor_static(DType dtype, const std::vector<int64_t>& sizes) {
  std::vector<Dim> dims;
  dims.reserve(sizes.size());
  for (int64_t s : sizes) dims.push_back(Dim::constant(s));
  return tensor(dtype, std::move(dims));
}

#define WICK_SIMPLE_TYPE(fn, kind)            \
  TypePtr Type::fn() {                        \
    static const TypePtr t(new Type(kind));   \
    return t;                                 \
  }
WICK_SIMPLE_TYPE(int_, TypeKind::Int)
WICK_SIMPLE_TYPE(float_, TypeKind::Float)
WICK_SIMPLE_TYPE(bool_, TypeKind::Bool)
WICK_SIMPLE_TYPE(string_, TypeKind::Str)
WICK_SIMPLE_TYPE(none, TypeKind::None)
WICK_SIMPLE_TYPE(device, TypeKind::Device)
WICK_SIMPLE_TYPE(number, TypeKind::Number)
WICK_SIMPLE_TYPE(any, TypeKind::Any)
#undef WICK_SIMPLE_TYPE

TypePtr Type::list(TypePtr element) {
  auto t = std::shared_ptr<Type>(new Type(TypeKind::List));
  t->elements_.push_back(std::move(element));
  return t;
}

TypePtr Type::tuple(std::vector<TypePtr> elements) {
  auto t = std::shared_ptr<Type>(new Type(TypeKind::Tuple));
  t->elements_ = std::move(elements);
  return t;
}

TypePtr Type::optional(TypePtr element) {
  auto t = std::shared_ptr<Type>(new Type(TypeKind::Optional));
  t->elements_.push_back(std::move(element));
  return t;
}

bool Type::fully_static() const {
  if (kind_ != TypeKind::Tensor || !dtype_ || !shape_) return false;
  for (const Dim& d : *shape_)
    if (!d.is_static()) return false;
  return true;
}

std::vector<int64_t> Type::static_sizes() const {
  WICK_ASSERT(shape_.has_value(), "static_sizes of a tensor of unknown rank");
  std::vector<int64_t> sizes;
  for (const Dim& d : *shape_) {
    WICK_ASSERT(d.is_static(), "static_sizes of a non-static dim");
    sizes.push_back(d.value());
  }
  return sizes;
}

bool Type::operator==(const Type& o) const {
  if (kind_ != o.kind_) return false;
  if (kind_ == TypeKind::Tensor)
    return dtype_ == o.dtype_ && shape_ == o.shape_ && device_ == o.device_;
  if (elements_.size() != o.elements_.size()) return false;
  for (size_t i = 0; i < elements_.size(); ++i)
    if (*elements_[i] != *o.elements_[i]) return false;
  return true;
}

bool Type::accepts(const Type& value) const {
  switch (kind_) {
    case TypeKind::Any: return true;
    case TypeKind::Number:
      return value.kind_ == TypeKind::Int || value.kind_ == TypeKind::Float ||
             value.kind_ == TypeKind::Bool || value.kind_ == TypeKind::Number;
    case TypeKind::Optional:
      if (value.kind_ == TypeKind::None) return true;
      if (value.kind_ == TypeKind::Optional) return element()->accepts(*value.element());
      return element()->accepts(value);
    case TypeKind::Tensor: {
      if (value.kind_ != TypeKind::Tensor) return false;
      // The bare `Tensor` of a schema takes tensors on every device.
      if (!dtype_ && !shape_ && device_ == Device{}) return true;
      if (dtype_ && value.dtype_ && *dtype_ != *value.dtype_) return false;
      if (shape_ && value.shape_) {
        if (shape_->size() != value.shape_->size()) return false;
        for (size_t i = 0; i < shape_->size(); ++i) {
          const Dim& a = (*shape_)[i];
          const Dim& b = (*value.shape_)[i];
          if (a.is_static() && b.is_static() && a != b) return false;
        }
      }
      return device_ == value.device_;
    }
    case TypeKind::List:
      return value.kind_ == TypeKind::List && element()->accepts(*value.element());
    case TypeKind::Tuple:
      if (value.kind_ != TypeKind::Tuple || value.elements_.size() != elements_.size())
        return false;
      for (size_t i = 0; i < elements_.size(); ++i)
        if (!elements_[i]->accepts(*value.elements_[i])) return false;
      return true;
    default: return kind_ == value.kind_;
  }
}

std::string Type::str() const {
  auto join = [](const std::vector<TypePtr>& ts) {
    std::string s;
    for (size_t i = 0; i < ts.size(); ++i) s += (i ? ", " : "") + ts[i]->str();
    return s;
  };
  switch (kind_) {
    case TypeKind::Tensor: {
      if (!dtype_ && !shape_ && device_ == Device{}) return "Tensor";
      std::string s = "Tensor(";
      s += dtype_ ? std::string(dtype_name(*dtype_)) : "?";
      if (shape_) s += ", " + shape_str(*shape_);
      if (device_ != Device{}) s += ", " + device_.str();
      return s + ")";
    }
    case TypeKind::Int: return "Int";
    case TypeKind::Float: return "Float";
    case TypeKind::Bool: return "Bool";
    case TypeKind::Str: return "Str";
    case TypeKind::None: return "None";
    case TypeKind::Device: return "Device";
    case TypeKind::Number: return "Number";
    case TypeKind::Any: return "Any";
    case TypeKind::List: return "List[" + element()->str() + "]";
    case TypeKind::Tuple: return "Tuple[" + join(elements_) + "]";
    case TypeKind::Optional: return "Optional[" + element()->str() + "]";
  }
  return "?";
}

TypePtr unify(const TypePtr& a, const TypePtr& b) {
  if (*a == *b) return a;
  if (a->is_tensor() && b->is_tensor()) {
    std::optional<DType> dtype = a->dtype() == b->dtype() ? a->dtype() : std::nullopt;
    std::optional<std::vector<Dim>> shape;
    if (a->has_rank() && b->has_rank() && a->rank() == b->rank()) {
      std::vector<Dim> dims;
      for (int i = 0; i < a->rank(); ++i) {
        const Dim& x = (*a->shape())[i];
        dims.push_back(x == (*b->shape())[i] ? x : Dim::unknown());
      }
      shape = dims;
    }
    Device device = a->tensor_device() == b->tensor_device() ? a->tensor_device() : Device{};
    return Type::tensor(dtype, shape, device);
  }
  auto payload = [](const TypePtr& t) { return t->kind() == TypeKind::Optional ? t->element() : t; };
  if (a->kind() == TypeKind::None) return b->kind() == TypeKind::Optional ? b : Type::optional(b);
  if (b->kind() == TypeKind::None) return a->kind() == TypeKind::Optional ? a : Type::optional(a);
  if (a->kind() == TypeKind::Optional || b->kind() == TypeKind::Optional) {
    TypePtr inner = unify(payload(a), payload(b));
    return inner->kind() == TypeKind::Any ? inner : Type::optional(inner);
  }
  if (a->kind() == TypeKind::List && b->kind() == TypeKind::List)
    return Type::list(unify(a->element(), b->element()));
  if (a->kind() == TypeKind::Tuple && b->kind() == TypeKind::Tuple && a->elements().size() == b->elements().size()) {
    std::vector<TypePtr> elems;
    for (size_t i = 0; i < a->elements().size(); ++i) elems.push_back(unify(a->elements()[i], b->elements()[i]));
    return Type::tuple(std::move(elems));
  }
  return Type::any();
}

}  // namespace wick::ir
