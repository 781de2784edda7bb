#include "ir/shape_rules.h"

#include <algorithm>
#include <cmath>

#include "ir/constant_value.h"
#include "ir/op_table.h"

namespace wick::ir::shape {

const Type& input_type(const Node& node, size_t i) { return *node.input(i)->type(); }

namespace {

std::string dim_mismatch(const std::vector<Dim>& a, const std::vector<Dim>& b) {
  return "shapes " + shape_str(a) + " and " + shape_str(b) + " do not broadcast";
}

Dim broadcast_dim(const Dim& a, const Dim& b, bool* ok) {
  if (a == b) return a;
  if (a.is_static() && a.value() == 1) return b;
  if (b.is_static() && b.value() == 1) return a;
  if (a.is_static() && b.is_static()) {
    *ok = false;
    return a;
  }
  // A static size other than 1 wins: any valid program has the other equal to it.
  if (a.is_static()) return a;
  if (b.is_static()) return b;
  return Dim::unknown();
}

bool is_scalar_kind(TypeKind k) {
  return k == TypeKind::Int || k == TypeKind::Float || k == TypeKind::Bool || k == TypeKind::Number;
}

int category(DType t) { return t == DType::b8 ? 0 : is_integral(t) ? 1 : is_complex(t) ? 3 : 2; }

int scalar_category(TypeKind k) {
  if (k == TypeKind::Bool) return 0;
  if (k == TypeKind::Int) return 1;
  return 2;  // Float, and Number as the widest guess
}

DType default_dtype_for(int category) {
  return category == 0 ? DType::b8 : category == 1 ? DType::i64 : DType::f32;
}

}  // namespace

std::optional<std::vector<Dim>> broadcast(const Node& node, const Type& a, const Type& b) {
  if (!a.is_tensor()) return b.is_tensor() ? b.shape() : std::vector<Dim>{};
  if (!b.is_tensor()) return a.shape();
  if (!a.has_rank() || !b.has_rank()) return std::nullopt;
  const auto& sa = *a.shape();
  const auto& sb = *b.shape();
  size_t n = std::max(sa.size(), sb.size());
  std::vector<Dim> out(n);
  bool ok = true;
  for (size_t i = 0; i < n; ++i) {
    // Align from the right.
    Dim da = i < n - sa.size() ? Dim::constant(1) : sa[i - (n - sa.size())];
    Dim db = i < n - sb.size() ? Dim::constant(1) : sb[i - (n - sb.size())];
    out[i] = broadcast_dim(da, db, &ok);
    if (!ok) throw node.error(dim_mismatch(sa, sb));
  }
  return out;
}

// Follows torch.result_type: a dimensioned tensor's dtype wins over scalars
// and zero-dim tensors of the same or lower category.
std::optional<DType> result_dtype(const Type& a, const Type& b) {
  auto tensor_info = [](const Type& t, int* cat, bool* dimensioned) -> std::optional<DType> {
    *dimensioned = t.rank() != 0;
    if (!t.dtype()) return std::nullopt;
    *cat = category(*t.dtype());
    return t.dtype();
  };
  if (a.is_tensor() && b.is_tensor()) {
    int ca = 0, cb = 0;
    bool da = true, db = true;
    auto ta = tensor_info(a, &ca, &da);
    auto tb = tensor_info(b, &cb, &db);
    if (!ta || !tb) return std::nullopt;
    if (da == db) return promote(*ta, *tb);
    // One side is zero-dim: it only matters when its category is higher.
    const DType dimensioned = da ? *ta : *tb;
    const DType zero_dim = da ? *tb : *ta;
    if (category(zero_dim) > category(dimensioned)) return zero_dim;
    return dimensioned;
  }
  const Type& t = a.is_tensor() ? a : b;
  const Type& s = a.is_tensor() ? b : a;
  if (!t.is_tensor()) {
    // Both scalars: not a tensor op; callers only use this for tensors.
    return std::nullopt;
  }
  if (!t.dtype()) return std::nullopt;
  if (!is_scalar_kind(s.kind())) return t.dtype();
  int sc = scalar_category(s.kind());
  if (sc > category(*t.dtype())) return default_dtype_for(sc);
  return t.dtype();
}

int64_t normalize_dim(const Node& node, int64_t dim, int64_t rank) {
  int64_t r = std::max<int64_t>(rank, 1);
  if (dim < -r || dim >= r)
    throw node.error("dim " + std::to_string(dim) + " is out of range for a tensor of rank " +
                     std::to_string(rank));
  return dim < 0 ? dim + r : dim;
}

std::vector<TypePtr> same_as_input(const Node& node) {
  const Type& t = input_type(node, 0);
  return {Type::tensor(t.dtype(), t.shape(), t.tensor_device())};
}

namespace {
// Input i's type, with a floating dtype (integers and bools become f32).
std::vector<TypePtr> float_like_input(const Node& node, size_t i) {
  const Type& t = input_type(node, i);
  std::optional<DType> dt = t.dtype();
  if (dt && !is_floating(*dt) && !is_complex(*dt)) dt = DType::f32;
  return {Type::tensor(dt, t.shape(), t.tensor_device())};
}
}  // namespace

std::vector<TypePtr> unary_float(const Node& node) { return float_like_input(node, 0); }
std::vector<TypePtr> unary_float_of_second(const Node& node) { return float_like_input(node, 1); }

std::vector<TypePtr> binary_broadcast(const Node& node) {
  const Type& a = input_type(node, 0);
  const Type& b = input_type(node, 1);
  auto shape = broadcast(node, a, b);
  return {Type::tensor(result_dtype(a, b), shape, a.tensor_device())};
}

namespace {
// Bitwise ops and shifts are defined on integers (and bools) only, as in torch.
std::vector<TypePtr> integers_only(const Node& node, std::vector<TypePtr> out) {
  const std::optional<DType> dt = out[0]->dtype();
  if (dt && is_floating(*dt))
    throw node.error(std::string(node.op().schema.name) + " takes integer or bool tensors, not " +
                     std::string(dtype_name(*dt)));
  return out;
}
}  // namespace

std::vector<TypePtr> bitwise_broadcast(const Node& node) { return integers_only(node, binary_broadcast(node)); }
std::vector<TypePtr> bitwise_unary(const Node& node) { return integers_only(node, same_as_input(node)); }

std::vector<TypePtr> binary_true_divide(const Node& node) {
  auto out = binary_broadcast(node);
  std::optional<DType> dt = out[0]->dtype();
  if (dt && !is_floating(*dt) && !is_complex(*dt)) dt = DType::f32;
  return {Type::tensor(dt, out[0]->shape(), out[0]->tensor_device())};
}

// div(self, other, rounding_mode=...): "trunc" and "floor" keep integer
// dtypes, None divides truly.
std::vector<TypePtr> binary_divide_mode(const Node& node) {
  const Value* mode = node.input(2);
  if (is_none(mode)) return binary_true_divide(node);
  const AttrValue* a = constant_attr(mode);
  const std::string* s = a ? std::get_if<std::string>(a) : nullptr;
  if (!s) throw node.error("rounding_mode must be a constant string");
  if (*s != "trunc" && *s != "floor")
    throw node.error("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '" + *s + "'");
  return binary_broadcast(node);
}

std::vector<TypePtr> compare_broadcast(const Node& node) {
  const Type& a = input_type(node, 0);
  auto shape = broadcast(node, a, input_type(node, 1));
  return {Type::tensor(DType::b8, shape, a.tensor_device())};
}

namespace {

// sum over ints and bools accumulates in i64, as in torch.
std::optional<DType> reduction_dtype(const Node& node, const Type& t, size_t dtype_input) {
  if (dtype_input < node.num_inputs()) {
    if (auto code = constant_int(node.input(dtype_input))) {
      auto dt = dtype_from_torch_code(*code);
      if (!dt) throw node.error("unsupported dtype code " + std::to_string(*code));
      return dt;
    }
  }
  if (!t.dtype()) return std::nullopt;
  const bool is_mean = node.op().schema.name == "mean";
  if (is_mean && !is_floating(*t.dtype()) && !is_complex(*t.dtype()))
    throw node.error("mean needs a floating point input, got " +
                     std::string(dtype_name(*t.dtype())));
  if (!is_floating(*t.dtype()) && !is_complex(*t.dtype())) return DType::i64;
  return t.dtype();
}

}  // namespace

std::vector<TypePtr> reduce_all(const Node& node) {
  const Type& t = input_type(node, 0);
  return {Type::tensor(reduction_dtype(node, t, 1), std::vector<Dim>{}, t.tensor_device())};
}

std::vector<TypePtr> reduce_dims(const Node& node) {
  const Type& t = input_type(node, 0);
  auto dtype = reduction_dtype(node, t, 3);
  auto dims = constant_int_list(node.input(1));
  if (!dims && is_none(node.input(1))) dims = std::vector<int64_t>{};
  if (auto d = constant_int(node.input(1)); !dims && d) dims = std::vector<int64_t>{*d};  // prod.dim_int
  auto keepdim = constant_bool(node.input(2));
  if (!t.has_rank() || !dims || !keepdim) return {Type::tensor(dtype, std::nullopt, t.tensor_device())};
  const auto& in = *t.shape();
  std::vector<bool> reduced(in.size(), dims->empty());  // an empty list reduces everything
  for (int64_t d : *dims) {
    int64_t n = normalize_dim(node, d, static_cast<int64_t>(in.size()));
    if (in.empty()) continue;
    if (reduced[n] && !dims->empty()) throw node.error("dim " + std::to_string(d) + " appears twice");
    reduced[n] = true;
  }
  std::vector<Dim> out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!reduced[i]) out.push_back(in[i]);
    else if (*keepdim) out.push_back(Dim::constant(1));
  }
  return {Type::tensor(dtype, out, t.tensor_device())};
}

namespace {

// A float reduction over the dims at input `dims_at` (None or empty: all)
// keeping them as 1 when the bool at `keepdim_at` says so (keepdim_at 0: a
// 0-d result). Integer inputs give f32.
std::vector<TypePtr> reduce_float(const Node& node, size_t dims_at, size_t keepdim_at) {
  const Type& t = input_type(node, 0);
  std::optional<DType> dtype = t.dtype() && !is_floating(*t.dtype()) ? DType::f32 : t.dtype();
  if (keepdim_at == 0) return {Type::tensor(dtype, std::vector<Dim>{}, t.tensor_device())};
  auto dims = constant_int_list(node.input(dims_at));
  if (!dims && is_none(node.input(dims_at))) dims = std::vector<int64_t>{};
  auto keepdim = constant_bool(node.input(keepdim_at));
  if (!t.has_rank() || !dims || !keepdim) return {Type::tensor(dtype, std::nullopt, t.tensor_device())};
  const auto& in = *t.shape();
  std::vector<bool> reduced(in.size(), dims->empty());
  for (int64_t d : *dims) {
    const int64_t n = normalize_dim(node, d, static_cast<int64_t>(in.size()));
    if (!in.empty()) reduced[n] = true;  // a 0-d tensor takes dim 0 or -1
  }
  std::vector<Dim> out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!reduced[i]) out.push_back(in[i]);
    else if (*keepdim) out.push_back(Dim::constant(1));
  }
  return {Type::tensor(dtype, out, t.tensor_device())};
}

}  // namespace

std::vector<TypePtr> reduce_float_all(const Node& node) { return reduce_float(node, 0, 0); }
std::vector<TypePtr> reduce_float_1_2(const Node& node) { return reduce_float(node, 1, 2); }
std::vector<TypePtr> reduce_float_1_3(const Node& node) { return reduce_float(node, 1, 3); }
std::vector<TypePtr> reduce_float_2_3(const Node& node) { return reduce_float(node, 2, 3); }

std::vector<TypePtr> moments(const Node& node) {
  const TypePtr t = node.op().schema.overload.empty() ? reduce_float_all(node)[0] : reduce_float_1_3(node)[0];
  return {t, t};
}

std::vector<TypePtr> matmul(const Node& node) {
  const Type& a = input_type(node, 0);
  const Type& b = input_type(node, 1);
  std::optional<DType> dtype;
  if (a.dtype() && b.dtype()) {
    if (*a.dtype() != *b.dtype())
      throw node.error("matmul of " + std::string(dtype_name(*a.dtype())) + " and " +
                       std::string(dtype_name(*b.dtype())) + " tensors");
    dtype = a.dtype();
  }
  if (!a.has_rank() || !b.has_rank()) return {Type::tensor(dtype, std::nullopt, a.tensor_device())};
  std::vector<Dim> sa = *a.shape(), sb = *b.shape();
  if (sa.empty() || sb.empty()) throw node.error("matmul needs tensors of rank at least 1");
  const bool a_vec = sa.size() == 1, b_vec = sb.size() == 1;
  if (a_vec) sa.insert(sa.begin(), Dim::constant(1));
  if (b_vec) sb.push_back(Dim::constant(1));
  const Dim& k1 = sa.back();
  const Dim& k2 = sb[sb.size() - 2];
  if (k1.is_static() && k2.is_static() && k1 != k2)
    throw node.error("matmul inner dims differ: " + shape_str(*a.shape()) + " @ " + shape_str(*b.shape()));
  // Batch dims broadcast.
  std::vector<Dim> ba(sa.begin(), sa.end() - 2), bb(sb.begin(), sb.end() - 2);
  auto batch = broadcast(node, *Type::tensor(dtype, ba), *Type::tensor(dtype, bb));
  std::vector<Dim> out = *batch;
  if (!a_vec) out.push_back(sa[sa.size() - 2]);
  if (!b_vec) out.push_back(sb.back());
  return {Type::tensor(dtype, out, a.tensor_device())};
}

void require_same_dtype(const Node& node, const Type& a, const Type& b, const char* what_a, const char* what_b) {
  if (a.dtype() && b.is_tensor() && b.dtype() && *a.dtype() != *b.dtype())
    throw node.error(std::string(what_a) + " is " + std::string(dtype_name(*a.dtype())) + " but " + what_b + " is " +
                     std::string(dtype_name(*b.dtype())));
}

std::vector<TypePtr> linear(const Node& node) {
  const Type& x = input_type(node, 0);
  const Type& w = input_type(node, 1);
  require_same_dtype(node, x, w, "the input", "the weight");
  std::optional<DType> dtype = x.dtype() ? x.dtype() : w.dtype();
  if (w.has_rank() && w.rank() != 2 && w.rank() != 1)
    throw node.error("linear weight must have rank 1 or 2, got " + shape_str(*w.shape()));
  if (!x.has_rank() || !w.has_rank()) return {Type::tensor(dtype, std::nullopt, x.tensor_device())};
  std::vector<Dim> out = *x.shape();
  if (out.empty()) throw node.error("linear input must have rank at least 1");
  const Dim& in_features = w.shape()->back();
  if (out.back().is_static() && in_features.is_static() && out.back() != in_features)
    throw node.error("linear input has " + out.back().str() + " features but the weight expects " +
                     in_features.str());
  out.pop_back();
  if (w.rank() == 2) out.push_back((*w.shape())[0]);
  return {Type::tensor(dtype, out, x.tensor_device())};
}

// ---- more elementwise, reductions and products ---------------------------

DTypeArg dtype_arg(const Node& node, size_t i) {
  DTypeArg a;
  if (i >= node.num_inputs() || is_none(node.input(i))) return a;
  a.given = true;
  if (auto code = constant_int(node.input(i))) {
    a.dtype = dtype_from_torch_code(*code);
    if (!a.dtype) throw node.error("unsupported dtype code " + std::to_string(*code));
  }
  return a;
}

namespace {

TypePtr with_dtype(const Type& t, std::optional<DType> dtype) {
  return Type::tensor(dtype, t.shape(), t.tensor_device());
}

}  // namespace

std::vector<TypePtr> scalar_base_pow(const Node& node) {
  const Type& e = input_type(node, 1);
  return {Type::tensor(result_dtype(e, input_type(node, 0)), e.shape(), e.tensor_device())};
}

std::vector<TypePtr> float_power(const Node& node) {
  const bool scalar_base = node.op().schema.overload == "Scalar";
  return {with_dtype(*(scalar_base ? scalar_base_pow(node) : binary_broadcast(node))[0], DType::f64)};
}

std::vector<TypePtr> frexp(const Node& node) {
  const Type& t = input_type(node, 0);
  return {Type::tensor(t.dtype(), t.shape(), t.tensor_device()), Type::tensor(DType::i32, t.shape(), t.tensor_device())};
}

std::vector<TypePtr> where(const Node& node) {
  const Type& c = input_type(node, 0);
  const Type& a = input_type(node, 1);
  const Type& b = input_type(node, 2);
  auto ab = broadcast(node, a, b);
  std::optional<std::vector<Dim>> shape;
  if (ab && c.has_rank()) shape = broadcast(node, c, *Type::tensor(std::nullopt, ab));
  std::optional<DType> dtype;
  if (a.is_tensor() || b.is_tensor()) dtype = result_dtype(a, b);
  else if (a.kind() == TypeKind::Float || b.kind() == TypeKind::Float) dtype = DType::f32;
  else dtype = DType::i64;
  return {Type::tensor(dtype, shape, c.tensor_device())};
}

std::vector<TypePtr> broadcast_all(const Node& node) {
  const Type& self = input_type(node, 0);
  TypePtr joined = node.input(0)->type();
  for (size_t i = 1; i < node.num_inputs(); ++i) {
    const Type& t = input_type(node, i);
    if (!t.is_tensor()) continue;
    auto shape = broadcast(node, *joined, t);
    joined = Type::tensor(result_dtype(*joined, t), shape);
  }
  return {Type::tensor(joined->dtype(), joined->shape(), self.tensor_device())};
}

std::vector<TypePtr> full_like(const Node& node) {
  const Type& t = input_type(node, 0);
  DTypeArg a = dtype_arg(node, 2);
  return {with_dtype(t, a.given ? a.dtype : t.dtype())};
}

std::vector<TypePtr> masked_fill(const Node& node) {
  const Type& self = input_type(node, 0);
  const Type& mask = input_type(node, 1);
  if (mask.dtype() && *mask.dtype() != DType::b8)
    throw node.error("masked_fill only supports boolean masks, but got mask with dtype " +
                     std::string(dtype_name(*mask.dtype())));
  const Value* value = node.input(2);
  if (value->type()->is_tensor() && value->type()->has_rank() && value->type()->rank() != 0)
    throw node.error("masked_fill only supports a 0-dimensional value tensor, but got tensor with " +
                     std::to_string(value->type()->rank()) + " dimension(s)");
  return {Type::tensor(self.dtype(), broadcast(node, self, mask), self.tensor_device())};
}

std::vector<TypePtr> same_shape_with_dtype_arg(const Node& node) {
  const Type& t = input_type(node, 0);
  if (t.has_rank()) {
    if (auto d = constant_int(node.input(1))) normalize_dim(node, *d, t.rank());
  }
  DTypeArg a = dtype_arg(node, 2);
  return {with_dtype(t, a.given ? a.dtype : t.dtype())};
}

// cumsum(x, dim, dtype): x's shape; integers and bools sum in i64 unless
// dtype says otherwise, as torch does.
std::vector<TypePtr> cumsum(const Node& node) {
  const Type& t = input_type(node, 0);
  if (t.has_rank()) {
    if (auto d = constant_int(node.input(1))) normalize_dim(node, *d, t.rank());
  }
  DTypeArg a = dtype_arg(node, 2);
  std::optional<DType> dtype = t.dtype();
  if (dtype && !is_floating(*dtype)) dtype = DType::i64;
  return {with_dtype(t, a.given ? a.dtype : dtype)};
}

// logcumsumexp(x, dim): x's shape and floating dtype.
std::vector<TypePtr> scan_float(const Node& node) {
  const Type& t = input_type(node, 0);
  if (t.has_rank())
    if (auto d = constant_int(node.input(1))) normalize_dim(node, *d, t.rank());
  if (t.dtype() && !is_floating(*t.dtype()))
    throw node.error(std::string(node.op().schema.name) + " takes floating tensors, not " +
                     std::string(dtype_name(*t.dtype())));
  return {with_dtype(t, t.dtype())};
}

// sort(x, dim, descending), argsort: values like x and i64 indices of x's
// shape; `indices_only` for argsort. The dim is checked when constant (its
// input differs between overloads: after `stable` in the .stable ones).
std::vector<TypePtr> sorted(const Node& node, bool indices_only) {
  const Type& t = input_type(node, 0);
  const size_t dim_at = node.op().schema.overload == "stable" ? 2 : 1;
  if (t.has_rank() && dim_at < node.num_inputs())
    if (auto d = constant_int(node.input(dim_at))) normalize_dim(node, *d, std::max<int64_t>(t.rank(), 1));
  if (indices_only) return {with_dtype(t, DType::i64)};
  return {with_dtype(t, t.dtype()), with_dtype(t, DType::i64)};
}
std::vector<TypePtr> sort(const Node& node) { return sorted(node, false); }
std::vector<TypePtr> argsort(const Node& node) { return sorted(node, true); }

// topk(x, k, dim, largest, sorted): x's shape with k along dim.
std::vector<TypePtr> topk(const Node& node) {
  const Type& t = input_type(node, 0);
  auto k = constant_int(node.input(1));
  auto dim = constant_int(node.input(2));
  if (!t.has_rank() || !k || !dim)
    return {Type::tensor(t.dtype(), std::nullopt, t.tensor_device()),
            Type::tensor(DType::i64, std::nullopt, t.tensor_device())};
  std::vector<Dim> shape = *t.shape();
  const int64_t d = normalize_dim(node, *dim, std::max<int64_t>(t.rank(), 1));
  if (*k < 0) throw node.error("topk's k must not be negative, got " + std::to_string(*k));
  if (!shape.empty()) {
    if (shape[d].is_static() && *k > shape[d].value())
      throw node.error("topk's k (" + std::to_string(*k) + ") is larger than dim " + std::to_string(d) + "'s size " +
                       std::to_string(shape[d].value()));
    shape[d] = Dim::constant(*k);
  } else if (*k > 1) {
    throw node.error("topk's k (" + std::to_string(*k) + ") is larger than a 0-d tensor's single element");
  }
  return {Type::tensor(t.dtype(), shape, t.tensor_device()), Type::tensor(DType::i64, shape, t.tensor_device())};
}

std::vector<TypePtr> reduce_dims_same_dtype(const Node& node) {
  const Type& t = input_type(node, 0);
  auto dims = constant_int_list(node.input(1));
  auto keepdim = constant_bool(node.input(2));
  if (!t.has_rank() || !dims || !keepdim) return {Type::tensor(t.dtype(), std::nullopt, t.tensor_device())};
  const auto& in = *t.shape();
  std::vector<bool> reduced(in.size(), dims->empty());
  for (int64_t d : *dims) {
    int64_t n = normalize_dim(node, d, static_cast<int64_t>(in.size()));
    if (!in.empty()) reduced[n] = true;
  }
  std::vector<Dim> out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!reduced[i]) out.push_back(in[i]);
    else if (*keepdim) out.push_back(Dim::constant(1));
  }
  return {Type::tensor(t.dtype(), out, t.tensor_device())};
}

std::vector<TypePtr> reduce_all_same_dtype(const Node& node) {
  const Type& t = input_type(node, 0);
  return {Type::tensor(t.dtype(), std::vector<Dim>{}, t.tensor_device())};
}

namespace {

// (values of x's dtype, int64 indices) over the dim at input `dim_at`.
std::vector<TypePtr> dim_with_indices(const Node& node, size_t dim_at) {
  const Type& t = input_type(node, 0);
  auto dim = constant_int(node.input(dim_at));
  auto keepdim = constant_bool(node.input(dim_at + 1));
  std::optional<std::vector<Dim>> shape;
  if (t.has_rank() && dim && keepdim) {
    std::vector<Dim> out = *t.shape();
    int64_t d = normalize_dim(node, *dim, t.rank());
    if (!out.empty()) {
      if (*keepdim) out[d] = Dim::constant(1);
      else out.erase(out.begin() + d);
    }
    shape = out;
  }
  return {Type::tensor(t.dtype(), shape, t.tensor_device()),
          Type::tensor(DType::i64, shape, t.tensor_device())};
}

}  // namespace

std::vector<TypePtr> reduce_dim_with_indices(const Node& node) { return dim_with_indices(node, 1); }
std::vector<TypePtr> kthvalue(const Node& node) { return dim_with_indices(node, 2); }

// quantile(x, q, dim?, keepdim, interpolation): x's float dtype, over dim or
// everything, with a leading dim of q's length when q is 1-d.
std::vector<TypePtr> quantile(const Node& node) {
  const Type& t = input_type(node, 0);
  const Type& q = input_type(node, 1);
  auto keepdim = constant_bool(node.input(3));
  std::optional<std::vector<Dim>> out;
  if (t.has_rank() && keepdim && (!q.is_tensor() || q.has_rank())) {
    const int64_t rank = static_cast<int64_t>(t.shape()->size());
    std::vector<Dim> shape;
    if (q.is_tensor() && q.rank() == 1) shape.push_back((*q.shape())[0]);
    if (q.is_tensor() && q.rank() > 1) throw node.error("q must be a scalar or a 1-d tensor, got " + shape_str(*q.shape()));
    if (is_none(node.input(2))) {
      if (*keepdim) shape.insert(shape.end(), static_cast<size_t>(rank), Dim::constant(1));
      out = shape;
    } else if (auto d = constant_int(node.input(2))) {
      const int64_t n = normalize_dim(node, *d, std::max<int64_t>(rank, 1));
      for (int64_t i = 0; i < rank; ++i) {
        if (i != n) shape.push_back((*t.shape())[static_cast<size_t>(i)]);
        else if (*keepdim) shape.push_back(Dim::constant(1));
      }
      out = shape;
    }
  }
  return {Type::tensor(t.dtype(), out, t.tensor_device())};
}

std::vector<TypePtr> argmax(const Node& node) {
  const Type& t = input_type(node, 0);
  if (is_none(node.input(1))) return {Type::tensor(DType::i64, std::vector<Dim>{}, t.tensor_device())};
  return {reduce_dim_with_indices(node)[1]};
}

// any / all: bool (uint8 stays uint8), over every dim or over one.
std::vector<TypePtr> reduce_bool(const Node& node) {
  const Type& t = input_type(node, 0);
  const std::optional<DType> dtype = t.dtype() == DType::u8 ? DType::u8 : DType::b8;
  if (node.num_inputs() == 1) return {Type::tensor(dtype, std::vector<Dim>{}, t.tensor_device())};
  return {with_dtype(*reduce_dim_with_indices(node)[0], dtype)};
}

std::vector<TypePtr> to_dtype(const Node& node) {
  const Type& t = input_type(node, 0);
  // to.dtype(self, dtype, ...), to.prim_dtype(self, dtype?, ...),
  // to.device(self, device, dtype, ...), to.prim_Device(self, device?, dtype?, ...),
  // to.dtype_layout(self, *, dtype?, ...).
  const std::string& overload = node.op().schema.overload;
  size_t i = overload == "device" || overload == "prim_Device" ? 2 : 1;
  if (overload == "other") return {with_dtype(t, input_type(node, 1).dtype())};
  if (overload == "prim_other") return {with_dtype(t, t.dtype())};
  DTypeArg a = dtype_arg(node, i);
  return {with_dtype(t, a.given ? a.dtype : t.dtype())};
}

std::vector<TypePtr> to_dtype_of_other(const Node& node) {
  return {with_dtype(input_type(node, 0), input_type(node, 1).dtype())};
}

std::vector<TypePtr> compare_broadcast_unary(const Node& node) {
  const Type& t = input_type(node, 0);
  return {Type::tensor(DType::b8, t.shape(), t.tensor_device())};
}

std::vector<TypePtr> like_with_dtype(const Node& node) {
  const Type& t = input_type(node, 0);
  DTypeArg a = dtype_arg(node, 1);
  return {with_dtype(t, a.given ? a.dtype : t.dtype())};
}

std::optional<std::vector<Dim>> sizes_at(const Node& node, size_t i) {
  auto dims = symbolic_int_list(node.input(i));
  if (dims)
    for (const Dim& d : *dims)
      if (d.is_static() && d.value() < 0) throw node.error("negative size " + std::to_string(d.value()));
  return dims;
}

std::vector<TypePtr> new_filled(const Node& node) {
  auto dims = sizes_at(node, 0);
  DTypeArg a = dtype_arg(node, 1);
  return {Type::tensor(a.given ? a.dtype : std::optional<DType>(DType::f32), dims)};
}

// full(size, fill_value, dtype=None): without a dtype, the fill value's
// kind picks it, as torch does (float f32, int i64, bool bool).
std::vector<TypePtr> new_full(const Node& node) {
  auto dims = sizes_at(node, 0);
  DTypeArg a = dtype_arg(node, 2);
  if (a.given) return {Type::tensor(a.dtype, dims)};
  const TypeKind fill = node.input(1)->type()->kind();
  std::optional<DType> dtype = fill == TypeKind::Int    ? DType::i64
                               : fill == TypeKind::Bool ? DType::b8
                               : fill == TypeKind::Float ? std::optional<DType>(DType::f32)
                                                         : std::nullopt;
  return {Type::tensor(dtype, dims)};
}

// eye(n, dtype=None) and eye.m(n, m, dtype=None): [n, m] (m = n), f32
// unless a dtype is given.
std::vector<TypePtr> eye(const Node& node) {
  const bool square = node.op().schema.overload.empty();
  std::vector<Dim> dims;
  for (size_t i = 0; i < (square ? 1u : 2u); ++i) {
    auto n = constant_int(node.input(i));
    if (n && *n < 0) throw node.error("negative size " + std::to_string(*n));
    dims.push_back(n ? Dim::constant(*n) : Dim::unknown());
  }
  if (square) dims.push_back(dims[0]);
  DTypeArg a = dtype_arg(node, square ? 1 : 2);
  return {Type::tensor(a.given ? a.dtype : std::optional<DType>(DType::f32), dims)};
}

// arange(start=0, end, step=1, dtype=None): ceil((end - start) / step)
// elements, i64 when every bound is an int, else f32. The length is known
// for constant bounds, or 0 to a size (x.size(1)) by 1.
std::vector<TypePtr> arange(const Node& node) {
  const std::string& overload = node.op().schema.overload;
  const size_t n_bounds = overload.empty() ? 1 : overload == "start" ? 2 : 3;
  const Value* start = n_bounds > 1 ? node.input(0) : nullptr;
  const Value* end = node.input(n_bounds > 1 ? 1 : 0);
  const Value* step = n_bounds > 2 ? node.input(2) : nullptr;
  DTypeArg a = dtype_arg(node, n_bounds);
  // A traced file passes sizes as numbers made from 0-d tensors; until they
  // fold, whether they are ints is known from the tensor's dtype, or not.
  bool all_ints = true, kinds_known = true;
  for (const Value* v : {start, end, step}) {
    if (!v) continue;
    const TypeKind k = v->type()->kind();
    if (k == TypeKind::Int || k == TypeKind::Bool) continue;
    if (k == TypeKind::Float) {
      all_ints = false;
      continue;
    }
    const Node& from = *v->node();
    const auto& dt = from.num_inputs() == 1 && from.input(0)->type()->is_tensor() ? from.input(0)->type()->dtype()
                                                                               : std::nullopt;
    if (dt) all_ints = all_ints && is_integral(*dt);
    else kinds_known = false;
  }
  std::optional<DType> dtype = a.given ? a.dtype
                               : !kinds_known ? std::nullopt
                                              : std::optional<DType>(all_ints ? DType::i64 : DType::f32);
  std::optional<Dim> length;
  auto s = start ? constant_double(start) : std::optional<double>(0.0);
  auto st = step ? constant_double(step) : std::optional<double>(1.0);
  auto e = constant_double(end);
  if (st && *st == 0) throw node.error("arange: step must be nonzero");
  if (s && e && st) {
    const double count = std::ceil((*e - *s) / *st);
    if (!(count >= 0) || count > 1e15)
      throw node.error("arange: upper bound and larger bound inconsistent with step sign");
    length = Dim::constant(static_cast<int64_t>(count));
  } else if (s && *s == 0 && st && *st == 1 && all_ints) {
    length = symbolic_int(end);
  }
  return {Type::tensor(dtype, std::vector<Dim>{length ? *length : Dim::unknown()})};
}

// triu / tril: the input's type; the last two dims are the matrix.
std::vector<TypePtr> triangle(const Node& node) {
  const Type& t = input_type(node, 0);
  if (t.has_rank() && t.rank() < 2)
    throw node.error(node.op().schema.name + ": input tensor must have at least 2 dimensions");
  return {Type::tensor(t.dtype(), t.shape(), t.tensor_device())};
}

std::vector<TypePtr> loss(const Node& node) {
  const Type& x = input_type(node, 0);
  // reduction: 0 none, 1 mean, 2 sum; its position differs between losses.
  const auto& args = node.op().schema.args;
  size_t r = 0;
  while (r < args.size() && args[r].name != "reduction") ++r;
  WICK_ASSERT(r < args.size(), node.kind() + " has no reduction argument");
  auto reduction = constant_int(node.input(r));
  if (!reduction) return {Type::tensor(x.dtype(), std::nullopt, x.tensor_device())};
  if (*reduction != 0) return {Type::tensor(x.dtype(), std::vector<Dim>{}, x.tensor_device())};
  const std::string& name = node.op().schema.name;
  // Losses of rows (cosine_embedding, triplet_margin): one per row.
  if (name == "cosine_embedding_loss" || name == "triplet_margin_loss") {
    auto shape = broadcast(node, x, input_type(node, 1));
    if (shape && !shape->empty()) shape->pop_back();
    return {Type::tensor(x.dtype(), shape, x.tensor_device())};
  }
  // One per sample: multi_margin's target, multilabel_margin's rows.
  if (name == "multi_margin_loss") return {Type::tensor(x.dtype(), input_type(node, 1).shape(), x.tensor_device())};
  if (name == "multilabel_margin_loss") {
    std::optional<std::vector<Dim>> shape = x.shape();
    if (shape && !shape->empty()) shape->pop_back();
    return {Type::tensor(x.dtype(), shape, x.tensor_device())};
  }
  // Elementwise losses: the broadcast shape of input and target.
  if (name != "nll_loss" && name != "nll_loss_nd" && name != "cross_entropy_loss") return binary_broadcast(node);
  // nll/cross entropy without reduction: the target's shape for class
  // indices; for class probabilities (a float target shaped like the input)
  // the input's shape without the class dim.
  const Type& target = input_type(node, 1);
  if (target.dtype() && is_floating(*target.dtype()) && x.has_rank()) {
    std::vector<Dim> out = *x.shape();
    if (!out.empty()) out.erase(out.begin() + (out.size() > 1 ? 1 : 0));
    return {Type::tensor(x.dtype(), out, x.tensor_device())};
  }
  return {Type::tensor(x.dtype(), target.shape(), x.tensor_device())};
}

std::vector<TypePtr> number_to_tensor(const Node& node) {
  const Type& s = input_type(node, 0);
  DType dt = s.kind() == TypeKind::Float ? DType::f64 : s.kind() == TypeKind::Bool ? DType::b8 : DType::i64;
  if (s.kind() == TypeKind::Number) return {Type::tensor(std::nullopt, std::vector<Dim>{})};
  return {Type::tensor(dt, std::vector<Dim>{})};
}

std::vector<TypePtr> tensor_to_number(const Node& node) {
  const Type& t = input_type(node, 0);
  const std::optional<DType> dt = t.is_tensor() ? t.dtype() : std::nullopt;
  if (!dt) return {Type::number()};
  if (is_floating(*dt)) return {Type::float_()};
  if (*dt == DType::b8) return {Type::bool_()};
  return {Type::int_()};
}

namespace {
void require_rank(const Node& node, const Type& t, int rank, const char* what) {
  if (t.has_rank() && t.rank() != rank)
    throw node.error(std::string(what) + " must have rank " + std::to_string(rank) + ", got " +
                     shape_str(*t.shape()));
}
}  // namespace

std::vector<TypePtr> mm(const Node& node) {
  require_rank(node, input_type(node, 0), 2, "mm's first operand");
  require_rank(node, input_type(node, 1), 2, "mm's second operand");
  return matmul(node);
}

std::vector<TypePtr> bmm(const Node& node) {
  require_rank(node, input_type(node, 0), 3, "bmm's first operand");
  require_rank(node, input_type(node, 1), 3, "bmm's second operand");
  const Type& a = input_type(node, 0);
  const Type& b = input_type(node, 1);
  if (a.has_rank() && b.has_rank()) {
    const Dim& ba = (*a.shape())[0];
    const Dim& bb = (*b.shape())[0];
    if (ba.is_static() && bb.is_static() && ba != bb)
      throw node.error("bmm batch sizes differ: " + ba.str() + " and " + bb.str());
  }
  return matmul(node);
}

std::vector<TypePtr> addmm(const Node& node) {
  const Type& a = input_type(node, 1);
  const Type& b = input_type(node, 2);
  require_same_dtype(node, a, b, "mat1", "mat2");
  require_rank(node, a, 2, "addmm's mat1");
  require_rank(node, b, 2, "addmm's mat2");
  std::optional<DType> dtype = a.dtype();
  if (!a.has_rank() || !b.has_rank()) return {Type::tensor(dtype, std::nullopt, a.tensor_device())};
  const Dim& k1 = (*a.shape())[1];
  const Dim& k2 = (*b.shape())[0];
  if (k1.is_static() && k2.is_static() && k1 != k2)
    throw node.error("addmm inner dims differ: " + shape_str(*a.shape()) + " @ " + shape_str(*b.shape()));
  std::vector<Dim> out = {(*a.shape())[0], (*b.shape())[1]};
  // The bias must broadcast to the product.
  broadcast(node, input_type(node, 0), *Type::tensor(dtype, out));
  return {Type::tensor(dtype, out, a.tensor_device())};
}

std::vector<TypePtr> baddbmm(const Node& node) {
  const Type& self = input_type(node, 0);
  const Type& a = input_type(node, 1);
  const Type& b = input_type(node, 2);
  require_same_dtype(node, a, b, "batch1", "batch2");
  require_same_dtype(node, a, self, "batch1", "self");
  require_rank(node, a, 3, "baddbmm's batch1");
  require_rank(node, b, 3, "baddbmm's batch2");
  std::optional<DType> dtype = a.dtype();
  if (!a.has_rank() || !b.has_rank()) return {Type::tensor(dtype, std::nullopt, a.tensor_device())};
  const std::vector<Dim>& sa = *a.shape();
  const std::vector<Dim>& sb = *b.shape();
  if (sa[0].is_static() && sb[0].is_static() && sa[0] != sb[0])
    throw node.error("baddbmm batch sizes differ: " + sa[0].str() + " and " + sb[0].str());
  if (sa[2].is_static() && sb[1].is_static() && sa[2] != sb[1])
    throw node.error("baddbmm inner dims differ: " + shape_str(sa) + " @ " + shape_str(sb));
  std::vector<Dim> out = {sa[0], sa[1], sb[2]};
  // self must broadcast to the product.
  broadcast(node, self, *Type::tensor(dtype, out));
  return {Type::tensor(dtype, out, a.tensor_device())};
}

std::vector<TypePtr> list_element(const Node& node) {
  const Type& l = input_type(node, 0);
  if (l.kind() != TypeKind::List) throw node.error("indexes a " + l.str() + ", not a list");
  return {l.element()};
}

std::vector<TypePtr> same_as_input_type(const Node& node) { return {node.input(0)->type()}; }
std::vector<TypePtr> second_input_type(const Node& node) { return {node.input(1)->type()}; }

std::vector<TypePtr> list_append(const Node& node) {
  const TypePtr& list = node.input(0)->type();
  if (list->kind() != TypeKind::List) return {list};
  // The list's elements now include the appended one: a pyramid of shrinking
  // tensors is a list of tensors of unknown sizes.
  return {Type::list(unify(list->element(), node.input(1)->type()))};
}

std::vector<TypePtr> joined_lists(const Node& node) { return {unify(node.input(0)->type(), node.input(1)->type())}; }

}  // namespace wick::ir::shape

namespace wick::ir::shape {

// count_nonzero(x, dim?) and count_nonzero.dim_IntList(x, dims): int64,
// the dims removed (all of them without one).
std::vector<TypePtr> count_nonzero(const Node& node) {
  const Type& t = input_type(node, 0);
  std::optional<std::vector<int64_t>> dims = constant_int_list(node.input(1));
  if (!dims && is_none(node.input(1))) dims = std::vector<int64_t>{};
  if (auto d = constant_int(node.input(1)); !dims && d) dims = std::vector<int64_t>{*d};
  if (!t.has_rank() || !dims) return {Type::tensor(DType::i64, std::nullopt, t.tensor_device())};
  const auto& in = *t.shape();
  std::vector<bool> reduced(in.size(), dims->empty());
  for (int64_t d : *dims) {
    const int64_t n = normalize_dim(node, d, static_cast<int64_t>(in.size()));
    if (in.empty()) continue;
    if (reduced[static_cast<size_t>(n)]) throw node.error("dim " + std::to_string(d) + " appears twice");
    reduced[static_cast<size_t>(n)] = true;
  }
  std::vector<Dim> out;
  for (size_t i = 0; i < in.size(); ++i)
    if (!reduced[i]) out.push_back(in[i]);
  return {Type::tensor(DType::i64, out, t.tensor_device())};
}

// aminmax(x, *, dim=None, keepdim=False): the minimum and the maximum, of
// x's dtype, over dim or everything.
std::vector<TypePtr> aminmax(const Node& node) {
  const Type& t = input_type(node, 0);
  auto keepdim = constant_bool(node.input(2));
  std::optional<std::vector<Dim>> out;
  if (t.has_rank() && keepdim) {
    if (is_none(node.input(1))) {
      out = std::vector<Dim>(*keepdim ? t.shape()->size() : 0, Dim::constant(1));
    } else if (auto d = constant_int(node.input(1))) {
      const int64_t rank = static_cast<int64_t>(t.shape()->size());
      const int64_t n = rank == 0 ? 0 : normalize_dim(node, *d, rank);
      out = *t.shape();
      if (rank > 0) {
        if (*keepdim) (*out)[static_cast<size_t>(n)] = Dim::constant(1);
        else out->erase(out->begin() + n);
      }
    }
  }
  TypePtr r = Type::tensor(t.dtype(), out, t.tensor_device());
  return {r, r};
}

// trace(x): the sum of a matrix's main diagonal; integers sum in int64.
std::vector<TypePtr> trace(const Node& node) {
  const Type& t = input_type(node, 0);
  if (t.has_rank() && t.rank() != 2) throw node.error("needs a matrix, got " + shape_str(*t.shape()));
  std::optional<DType> dtype = t.dtype();
  if (dtype && !is_floating(*dtype)) dtype = DType::i64;
  return {Type::tensor(dtype, std::vector<Dim>{}, t.tensor_device())};
}

}  // namespace wick::ir::shape
