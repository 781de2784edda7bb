// Type rules of views and data-movement ops: view/reshape, flatten, permute,
// transpose, squeeze/unsqueeze, expand, select, slice, cat, stack, split,
// chunk, indexing and embedding lookups.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "ir/constant_value.h"
#include "ir/einsum_equation.h"
#include "ir/op_table.h"
#include "ir/shape_rules.h"
#include "ir/value_digest.h"

namespace wick::ir::shape {
namespace {

TypePtr tensor_like(const Type& t, std::optional<std::vector<Dim>> shape) {
  return Type::tensor(t.dtype(), std::move(shape), t.tensor_device());
}

TypePtr unknown_rank(const Type& t) { return tensor_like(t, std::nullopt); }

Dim numel(const std::vector<Dim>& dims) {
  Dim n = Dim::constant(1);
  for (const Dim& d : dims) n = n * d;
  return n;
}

}  // namespace

std::optional<std::vector<const Type*>> list_types(const Value* v) {
  if (!v->node()->is("prim::ListConstruct")) return std::nullopt;
  std::vector<const Type*> out;
  for (const Value* e : v->node()->inputs()) out.push_back(e->type().get());
  return out;
}

std::vector<TypePtr> view(const Node& node) {
  const Type& t = input_type(node, 0);
  auto sizes = symbolic_int_list(node.input(1));
  if (!sizes) return {unknown_rank(t)};
  std::vector<Dim> out = *sizes;
  int inferred = -1;
  Dim known = Dim::constant(1);
  for (size_t i = 0; i < out.size(); ++i) {
    const Dim& d = out[i];
    if (d.is_static() && d.value() == -1) {
      if (inferred >= 0) throw node.error("only one dimension can be inferred (-1)");
      inferred = static_cast<int>(i);
    } else if (d.is_static() && d.value() < 0) {
      throw node.error("invalid size " + std::to_string(d.value()));
    } else {
      known = known * d;
    }
  }
  if (!t.has_rank()) {
    if (inferred >= 0) out[inferred] = Dim::unknown();
    return {tensor_like(t, out)};
  }
  Dim total = numel(*t.shape());
  if (inferred >= 0) {
    auto q = total.divide_exactly(known);
    if (!q && total.is_static() && known.is_static())
      throw node.error("shape " + shape_str(*sizes) + " is invalid for input of size " + total.str());
    out[inferred] = q ? *q : Dim::unknown();
  } else if (total.is_static() && known.is_static() && total != known) {
    throw node.error("shape " + shape_str(*sizes) + " is invalid for input of size " + total.str());
  }
  return {tensor_like(t, out)};
}

std::vector<TypePtr> flatten(const Node& node) {
  const Type& t = input_type(node, 0);
  auto start = constant_int(node.input(1));
  auto end = constant_int(node.input(2));
  if (!t.has_rank() || !start || !end) return {unknown_rank(t)};
  const auto& in = *t.shape();
  if (in.empty()) return {tensor_like(t, std::vector<Dim>{Dim::constant(1)})};
  int64_t s = normalize_dim(node, *start, t.rank());
  int64_t e = normalize_dim(node, *end, t.rank());
  if (s > e) throw node.error("flatten start_dim " + std::to_string(*start) + " comes after end_dim " +
                              std::to_string(*end));
  std::vector<Dim> out(in.begin(), in.begin() + s);
  out.push_back(numel(std::vector<Dim>(in.begin() + s, in.begin() + e + 1)));
  out.insert(out.end(), in.begin() + e + 1, in.end());
  return {tensor_like(t, out)};
}

std::vector<TypePtr> permute(const Node& node) {
  const Type& t = input_type(node, 0);
  auto dims = constant_int_list(node.input(1));
  if (!t.has_rank() || !dims) return {unknown_rank(t)};
  if (static_cast<int>(dims->size()) != t.rank())
    throw node.error("permute of a rank-" + std::to_string(t.rank()) + " tensor needs " +
                     std::to_string(t.rank()) + " dims, got " + std::to_string(dims->size()));
  std::vector<bool> seen(dims->size(), false);
  std::vector<Dim> out;
  for (int64_t d : *dims) {
    int64_t n = normalize_dim(node, d, t.rank());
    if (seen[n]) throw node.error("permute repeats dim " + std::to_string(d));
    seen[n] = true;
    out.push_back((*t.shape())[n]);
  }
  return {tensor_like(t, out)};
}

std::vector<TypePtr> transpose(const Node& node) {
  const Type& t = input_type(node, 0);
  auto d0 = constant_int(node.input(1));
  auto d1 = constant_int(node.input(2));
  if (!t.has_rank() || !d0 || !d1) return {unknown_rank(t)};
  std::vector<Dim> out = *t.shape();
  if (out.empty()) return {tensor_like(t, out)};
  std::swap(out[normalize_dim(node, *d0, t.rank())], out[normalize_dim(node, *d1, t.rank())]);
  return {tensor_like(t, out)};
}

std::vector<TypePtr> matrix_transpose(const Node& node) {
  const Type& t = input_type(node, 0);
  if (!t.has_rank()) return {unknown_rank(t)};
  if (t.rank() > 2) throw node.error("t() expects a tensor of rank at most 2, got " + shape_str(*t.shape()));
  std::vector<Dim> out = *t.shape();
  std::reverse(out.begin(), out.end());
  return {tensor_like(t, out)};
}

std::vector<TypePtr> unsqueeze(const Node& node) {
  const Type& t = input_type(node, 0);
  auto d = constant_int(node.input(1));
  if (!t.has_rank() || !d) return {unknown_rank(t)};
  std::vector<Dim> out = *t.shape();
  int64_t n = normalize_dim(node, *d, t.rank() + 1);
  out.insert(out.begin() + n, Dim::constant(1));
  return {tensor_like(t, out)};
}

std::vector<TypePtr> squeeze_all(const Node& node) {
  const Type& t = input_type(node, 0);
  if (!t.has_rank()) return {unknown_rank(t)};
  std::vector<Dim> out;
  for (const Dim& d : *t.shape()) {
    if (!d.is_static()) return {unknown_rank(t)};  // a symbolic dim might be 1
    if (d.value() != 1) out.push_back(d);
  }
  return {tensor_like(t, out)};
}

std::vector<TypePtr> squeeze_dim(const Node& node) {
  const Type& t = input_type(node, 0);
  auto d = constant_int(node.input(1));
  if (!t.has_rank() || !d) return {unknown_rank(t)};
  std::vector<Dim> out = *t.shape();
  if (out.empty()) return {tensor_like(t, out)};
  int64_t n = normalize_dim(node, *d, t.rank());
  if (!out[n].is_static()) return {unknown_rank(t)};
  if (out[n].value() == 1) out.erase(out.begin() + n);
  return {tensor_like(t, out)};
}

std::vector<TypePtr> expand(const Node& node) {
  const Type& t = input_type(node, 0);
  auto sizes = symbolic_int_list(node.input(1));
  if (!sizes) return {unknown_rank(t)};
  if (!t.has_rank()) {
    std::vector<Dim> out = *sizes;
    for (Dim& d : out)
      if (d.is_static() && d.value() == -1) d = Dim::unknown();
    return {tensor_like(t, out)};
  }
  const auto& in = *t.shape();
  if (sizes->size() < in.size())
    throw node.error("expand to " + shape_str(*sizes) + " has fewer dims than the tensor " + shape_str(in));
  std::vector<Dim> out = *sizes;
  size_t lead = sizes->size() - in.size();
  for (size_t i = 0; i < out.size(); ++i) {
    Dim& d = out[i];
    if (d.is_static() && d.value() == -1) {
      if (i < lead) throw node.error("expand cannot use -1 for a new leading dim");
      d = in[i - lead];
      continue;
    }
    if (i < lead) continue;
    const Dim& src = in[i - lead];
    if (src.is_static() && src.value() != 1 && d.is_static() && d != src)
      throw node.error("expand of size " + src.str() + " to " + d.str() + " in dim " + std::to_string(i));
  }
  return {tensor_like(t, out)};
}

std::vector<TypePtr> expand_as(const Node& node) {
  const Type& t = input_type(node, 0);
  const Type& other = input_type(node, 1);
  if (t.has_rank() && other.has_rank()) broadcast(node, t, other);
  return {tensor_like(t, other.shape())};
}

std::vector<TypePtr> select(const Node& node) {
  const Type& t = input_type(node, 0);
  auto d = constant_int(node.input(1));
  if (!t.has_rank() || !d) return {unknown_rank(t)};
  if (t.rank() == 0) throw node.error("select on a zero-dim tensor");
  std::vector<Dim> out = *t.shape();
  int64_t n = normalize_dim(node, *d, t.rank());
  if (auto i = constant_int(node.input(2)); i && out[n].is_static()) {
    int64_t size = out[n].value();
    if (*i < -size || *i >= size)
      throw node.error("index " + std::to_string(*i) + " is out of range for dim " + std::to_string(*d) +
                       " of size " + std::to_string(size));
  }
  out.erase(out.begin() + n);
  return {tensor_like(t, out)};
}

std::vector<TypePtr> slice(const Node& node) {
  const Type& t = input_type(node, 0);
  auto d = constant_int(node.input(1));
  if (!t.has_rank() || !d) return {unknown_rank(t)};
  if (t.rank() == 0) throw node.error("slice on a zero-dim tensor");
  std::vector<Dim> out = *t.shape();
  int64_t n = normalize_dim(node, *d, t.rank());
  const bool start_none = is_none(node.input(2));
  const bool end_none = is_none(node.input(3));
  auto start = start_none ? std::optional<int64_t>(0) : constant_int(node.input(2));
  auto end = end_none ? std::optional<int64_t>(std::numeric_limits<int64_t>::max()) : constant_int(node.input(3));
  auto step = constant_int(node.input(4));
  if (step && *step <= 0) throw node.error("slice step must be positive");
  const Dim size = out[n];
  if (!start || !end || !step) {
    out[n] = Dim::unknown();
  } else if (!size.is_static()) {
    // Only the whole-dim slice keeps a symbolic size.
    bool whole = *start == 0 && *end >= std::numeric_limits<int64_t>::max() / 2 && *step == 1;
    out[n] = whole ? size : Dim::unknown();
  } else {
    int64_t len = size.value();
    int64_t s = *start < 0 ? std::max<int64_t>(*start + len, 0) : std::min(*start, len);
    int64_t e = *end < 0 ? std::max<int64_t>(*end + len, 0) : std::min(*end, len);
    out[n] = Dim::constant(e > s ? (e - s + *step - 1) / *step : 0);
  }
  return {tensor_like(t, out)};
}

// A list not built in the graph (a list op's result): its element type gives
// the rank and dtype; the count of tensors is unknown.
const Type* list_element_type(const Value* list) {
  const Type& t = *list->type();
  if (t.kind() != TypeKind::List || !t.element()->is_tensor()) return nullptr;
  return t.element().get();
}

std::vector<TypePtr> cat(const Node& node) {
  auto types = list_types(node.input(0));
  auto d = constant_int(node.input(1));
  if (!types && d) {
    const Type* e = list_element_type(node.input(0));
    // A 1-D element might be one of the legacy empty tensors cat skips.
    if (!e || !e->has_rank() || e->rank() < 2) return {Type::tensor(e ? e->dtype() : std::nullopt)};
    std::vector<Dim> out = *e->shape();
    out[normalize_dim(node, *d, e->rank())] = Dim::unknown();
    return {tensor_like(*e, out)};
  }
  if (!types || types->empty() || !d) return {Type::tensor()};
  const Type* first = nullptr;
  std::optional<DType> dtype;
  bool dtype_known = true;
  for (const Type* t : *types) {
    if (t->dtype()) dtype = dtype ? promote(*dtype, *t->dtype()) : *t->dtype();
    else dtype_known = false;
    // Legacy behaviour: 1-D empty tensors are skipped.
    if (t->has_rank() && t->rank() == 1 && (*t->shape())[0] == Dim::constant(0)) continue;
    if (!first || !first->has_rank()) first = t;
  }
  if (!dtype_known) dtype.reset();
  if (!first || !first->has_rank()) return {Type::tensor(dtype)};
  const int rank = first->rank();
  int64_t n = normalize_dim(node, *d, rank);
  std::vector<Dim> out = *first->shape();
  out[n] = Dim::constant(0);
  for (const Type* t : *types) {
    if (t->has_rank() && t->rank() == 1 && (*t->shape())[0] == Dim::constant(0)) continue;
    if (!t->has_rank()) return {Type::tensor(dtype)};
    if (t->rank() != rank)
      throw node.error("cat of tensors of rank " + std::to_string(rank) + " and " + std::to_string(t->rank()));
    for (int i = 0; i < rank; ++i) {
      const Dim& a = out[i];
      const Dim& b = (*t->shape())[i];
      if (i == n) {
        out[i] = a + b;
      } else if (a.is_static() && b.is_static() && a != b) {
        throw node.error("cat: sizes " + shape_str(*first->shape()) + " and " + shape_str(*t->shape()) +
                         " differ outside dim " + std::to_string(*d));
      } else if (!a.is_static() && b.is_static()) {
        out[i] = b;
      }
    }
  }
  return {Type::tensor(dtype, out, first->tensor_device())};
}

std::vector<TypePtr> stack(const Node& node) {
  auto types = list_types(node.input(0));
  auto d = constant_int(node.input(1));
  if (!types && d) {
    const Type* e = list_element_type(node.input(0));
    if (!e || !e->has_rank()) return {Type::tensor(e ? e->dtype() : std::nullopt)};
    std::vector<Dim> out = *e->shape();
    out.insert(out.begin() + normalize_dim(node, *d, e->rank() + 1), Dim::unknown());
    return {tensor_like(*e, out)};
  }
  if (!types || types->empty() || !d) return {Type::tensor()};
  const Type& first = *types->front();
  if (!first.has_rank()) return {Type::tensor(first.dtype())};
  for (const Type* t : *types)
    if (t->has_rank() && *t->shape() != *first.shape())
      throw node.error("stack of tensors of shapes " + shape_str(*first.shape()) + " and " +
                       shape_str(*t->shape()));
  std::vector<Dim> out = *first.shape();
  int64_t n = normalize_dim(node, *d, first.rank() + 1);
  out.insert(out.begin() + n, Dim::constant(static_cast<int64_t>(types->size())));
  return {tensor_like(first, out)};
}

// pad_sequence(sequences [L_i, *], batch_first, padding_value): the
// sequences padded to the longest, [max L_i, N, *] or [N, max L_i, *].
std::vector<TypePtr> pad_sequence(const Node& node) {
  auto types = list_types(node.input(0));
  auto batch_first = constant_bool(node.input(1));
  if (!types || types->empty() || !batch_first) return {Type::tensor()};
  const Type& first = *types->front();
  if (!first.has_rank()) return {Type::tensor(first.dtype())};
  if (first.rank() < 1) throw node.error("needs sequences of at least one dim");
  Dim longest = Dim::constant(0);
  for (const Type* t : *types) {
    if (!t->has_rank() || t->rank() != first.rank())
      throw node.error("needs sequences of one rank, got " + shape_str(*first.shape()) + " and " +
                       (t->has_rank() ? shape_str(*t->shape()) : std::string("unknown")));
    for (int i = 1; i < first.rank(); ++i)
      if ((*t->shape())[i] != (*first.shape())[i])
        throw node.error("needs sequences whose dims after the first agree, got " + shape_str(*first.shape()) +
                         " and " + shape_str(*t->shape()));
    const Dim& length = (*t->shape())[0];
    longest = !length.is_static() || !longest.is_static() ? Dim::unknown()
              : length.value() > longest.value()        ? length
                                                        : longest;
  }
  std::vector<Dim> out = *first.shape();
  out[0] = longest;
  out.insert(out.begin() + (*batch_first ? 0 : 1), Dim::constant(static_cast<int64_t>(types->size())));
  return {tensor_like(first, out)};
}

bool is_numpy_split(const Node& node) {
  const std::string& n = node.op().schema.name;
  return n == "hsplit" || n == "vsplit" || n == "dsplit";
}

int64_t numpy_split_dim(const Node& node, int64_t rank, std::optional<int64_t> size,
                        std::optional<int64_t> sections) {
  const std::string& name = node.op().schema.name;
  const int64_t need = name == "hsplit" ? 1 : name == "vsplit" ? 2 : 3;
  if (rank < need)
    throw node.error("torch." + name + " requires a tensor with at least " + std::to_string(need) + " dimension" +
                     (need > 1 ? "s" : "") + ", but got a tensor with " + std::to_string(rank) + " dimensions");
  const int64_t d = name == "hsplit" ? (rank == 1 ? 0 : 1) : name == "vsplit" ? 0 : 2;
  if (sections && *sections <= 0) throw node.error("torch." + name + " expects a positive number of sections");
  if (size && sections && *size % *sections != 0)
    throw node.error("torch." + name + " attempted to split along dimension " + std::to_string(d) +
                     ", but the size of the dimension " + std::to_string(*size) +
                     " is not divisible by the split_size " + std::to_string(*sections));
  return d;
}

std::vector<TypePtr> split_into_list(const Node& node) {
  const Type& t = input_type(node, 0);
  if (is_numpy_split(node)) {
    if (!t.has_rank()) return {Type::list(unknown_rank(t))};
    const bool by_sections = node.input(1)->type()->kind() == TypeKind::Int;
    const auto sections = by_sections ? constant_int(node.input(1)) : std::nullopt;
    const int64_t d = numpy_split_dim(node, t.rank());
    const Dim size = (*t.shape())[d];
    numpy_split_dim(node, t.rank(), size.is_static() ? std::optional<int64_t>(size.value()) : std::nullopt, sections);
    std::vector<Dim> elem = *t.shape();
    elem[d] = sections && size.is_static() ? Dim::constant(size.value() / *sections) : Dim::unknown();
    return {Type::list(tensor_like(t, elem))};
  }
  auto d = constant_int(node.input(2));
  if (!t.has_rank() || !d) return {Type::list(unknown_rank(t))};
  if (t.rank() == 0) throw node.error("cannot split a zero-dim tensor");
  int64_t n = normalize_dim(node, *d, t.rank());
  std::vector<Dim> elem = *t.shape();
  const Dim size = elem[n];
  const std::string& name = node.op().schema.name;
  Dim part = Dim::unknown();
  if (name == "tensor_split") {
    // Parts of one size only when `sections` divides the dim.
    auto sections = node.input(1)->type()->kind() == TypeKind::Int ? constant_int(node.input(1)) : std::nullopt;
    if (sections && *sections <= 0) throw node.error("tensor_split expects a positive number of sections");
    if (sections && size.is_static() && size.value() % *sections == 0) part = Dim::constant(size.value() / *sections);
  } else if (name == "chunk" || name == "unsafe_chunk") {
    auto chunks = constant_int(node.input(1));
    if (chunks && *chunks <= 0) throw node.error("chunk expects a positive number of chunks");
    if (chunks && size.is_static()) {
      // Rounded up without overflowing for a huge count; an empty dim is
      // one empty chunk.
      const int64_t each = size.value() / *chunks + (size.value() % *chunks != 0);
      if (each == 0 || size.value() % each == 0) part = Dim::constant(each);
    } else if (chunks) {
      if (auto q = size.divide_exactly(Dim::constant(*chunks))) part = *q;
    }
  } else if (node.input(1)->type()->kind() == TypeKind::Int) {
    auto each = symbolic_int(node.input(1));
    if (each && each->is_static() && each->value() <= 0) throw node.error("split_size must be positive");
    if (each && size.divide_exactly(*each)) part = *each;
  } else if (auto sizes = constant_int_list(node.input(1))) {
    int64_t total = 0;
    for (int64_t s : *sizes) total += s;
    if (size.is_static() && total != size.value())
      throw node.error("split sizes " + wick::shape_str(*sizes) + " do not add up to " + size.str());
    if (!sizes->empty() && std::all_of(sizes->begin(), sizes->end(), [&](int64_t s) { return s == sizes->front(); }))
      part = Dim::constant(sizes->front());
  }
  elem[n] = part;
  return {Type::list(tensor_like(t, elem))};
}

std::vector<TypePtr> broadcast_tensors(const Node& node) {
  auto types = list_types(node.input(0));
  if (!types || types->empty()) return {Type::list(Type::tensor())};
  TypePtr acc = Type::tensor(types->front()->dtype(), types->front()->shape());
  for (const Type* t : *types) acc = Type::tensor(acc->dtype(), broadcast(node, *acc, *t));
  return {Type::list(acc)};
}

std::vector<TypePtr> index_select(const Node& node) {
  const Type& t = input_type(node, 0);
  const Type& idx = input_type(node, 2);
  auto d = constant_int(node.input(1));
  if (idx.dtype() && *idx.dtype() != DType::i64 && *idx.dtype() != DType::i32)
    throw node.error("index_select needs an integer index, got " + std::string(dtype_name(*idx.dtype())));
  if (idx.has_rank() && idx.rank() > 1) throw node.error("index_select needs a 1-D index");
  if (!t.has_rank() || !d) return {unknown_rank(t)};
  std::vector<Dim> out = *t.shape();
  if (out.empty()) return {tensor_like(t, out)};
  int64_t n = normalize_dim(node, *d, t.rank());
  out[n] = idx.has_rank() ? (idx.rank() == 0 ? Dim::constant(1) : (*idx.shape())[0]) : Dim::unknown();
  return {tensor_like(t, out)};
}

namespace {

bool is_mask(const Type& t) { return t.dtype() && (*t.dtype() == DType::b8 || *t.dtype() == DType::u8); }

// How many elements of `mask` are nonzero: a size only the data tells,
// named after what computes the mask (ir/value_digest.h).
}  // namespace

Dim nonzero_count(const Value* mask) { return Dim::symbol("nnz_" + value_digest(mask)); }

std::vector<TypePtr> nonzero(const Node& node) {
  const Type& t = input_type(node, 0);
  if (!t.has_rank()) return {Type::tensor(DType::i64, std::nullopt)};
  return {Type::tensor(DType::i64, std::vector<Dim>{nonzero_count(node.input(0)), Dim::constant(t.rank())})};
}

std::vector<TypePtr> nonzero_columns(const Node& node) {
  return {Type::list(Type::tensor(DType::i64, std::vector<Dim>{nonzero_count(node.input(0))}))};
}

namespace {

// The sum of a tensor of repeats: a symbol named after what computes them.
Dim repeat_total(const Value* repeats) { return Dim::symbol("rep_" + value_digest(repeats)); }

void check_repeats(const Node& node, const Type& r) {
  if (r.dtype() && *r.dtype() != DType::i64 && *r.dtype() != DType::i32)
    throw node.error("repeats must be an integer tensor, got " + std::string(dtype_name(*r.dtype())));
  if (r.has_rank() && r.rank() > 1) throw node.error("repeats must be a 0-d or 1-d tensor, got " + shape_str(*r.shape()));
}

}  // namespace

std::vector<TypePtr> repeat_positions(const Node& node) {
  const Type& r = input_type(node, 0);
  check_repeats(node, r);
  if (node.op().schema.ns == "aten" && r.has_rank() && r.rank() != 1)
    throw node.error("repeats must be a 1-d tensor, got " + shape_str(*r.shape()));
  return {Type::tensor(DType::i64, std::vector<Dim>{repeat_total(node.input(0))}, r.tensor_device())};
}

std::vector<TypePtr> repeat_interleave_by_tensor(const Node& node) {
  const Type& t = input_type(node, 0);
  const Type& r = input_type(node, 1);
  check_repeats(node, r);
  const Dim total = repeat_total(node.input(1));
  if (is_none(node.input(2))) return {tensor_like(t, std::vector<Dim>{total})};
  auto d = constant_int(node.input(2));
  if (!d) throw node.error("dim must be a constant");
  if (!t.has_rank()) return {tensor_like(t, std::nullopt)};
  std::vector<Dim> shape = *t.shape();
  if (shape.empty()) shape.push_back(Dim::constant(1));
  const int64_t at = normalize_dim(node, *d, static_cast<int64_t>(shape.size()));
  // One count for all, or one per element along the dim.
  if (r.has_rank() && r.rank() == 1) {
    const Dim& n = (*r.shape())[0];
    if (n.is_static() && shape[at].is_static() && n.value() != 1 && n != shape[at])
      throw node.error("repeats holds " + n.str() + " counts for dim " + std::to_string(at) + " of size " +
                       shape[at].str());
  }
  shape[at] = total;
  return {tensor_like(t, shape)};
}

std::vector<TypePtr> masked_select(const Node& node) {
  const Type& t = input_type(node, 0);
  const Type& mask = input_type(node, 1);
  if (mask.dtype() && *mask.dtype() != DType::b8)
    throw node.error("masked_select expects a boolean mask, got " + std::string(dtype_name(*mask.dtype())));
  if (!t.has_rank() || !mask.has_rank()) return {tensor_like(t, std::nullopt)};
  const auto shape = broadcast(node, t, mask);
  if (!shape) return {tensor_like(t, std::nullopt)};
  // A mask of the broadcast shape selects as many as it holds; a smaller one
  // is counted after broadcasting, a size of this node's own.
  const Dim n = *shape == *mask.shape() ? nonzero_count(node.input(1)) : nonzero_count(node.output());
  return {tensor_like(t, std::vector<Dim>{n})};
}

std::vector<TypePtr> index(const Node& node) {
  const Type& t = input_type(node, 0);
  const Node* list = node.input(1)->node();
  if (!list->is("prim::ListConstruct") || !t.has_rank()) return {unknown_rank(t)};
  const auto& in = *t.shape();
  auto too_many = [&](size_t n) {
    return node.error("too many indices (" + std::to_string(n) + ") for a tensor of rank " + std::to_string(in.size()));
  };
  // The shape of each dim's index (none where the dim is not indexed). A
  // boolean mask over k dims stands for k indices (its nonzero's columns),
  // each as long as the mask has true elements.
  std::vector<std::optional<std::vector<Dim>>> per_dim;
  bool unknown = false;
  for (size_t i = 0; i < list->num_inputs(); ++i) {
    const Value* v = list->input(i);
    if (is_none(v)) {
      per_dim.emplace_back();
      continue;
    }
    const Type& it = *v->type();
    if (!it.has_rank()) {
      unknown = true;
      per_dim.emplace_back(std::vector<Dim>{});
      continue;
    }
    if (!is_mask(it)) {
      per_dim.emplace_back(*it.shape());
      continue;
    }
    const auto& m = *it.shape();
    if (m.empty()) throw node.error("a zero-dim boolean index is not supported");
    const size_t at = per_dim.size();
    if (at + m.size() > in.size()) throw too_many(at + m.size());
    for (size_t d = 0; d < m.size(); ++d)
      if (m[d].is_static() && in[at + d].is_static() && m[d] != in[at + d])
        throw node.error("the shape of the mask " + shape_str(m) + " at index " + std::to_string(d) +
                         " does not match the shape of the indexed tensor " + shape_str(in) + " at index " +
                         std::to_string(at + d));
    for (size_t d = 0; d < m.size(); ++d) per_dim.emplace_back(std::vector<Dim>{nonzero_count(v)});
  }
  if (per_dim.size() > in.size()) throw too_many(per_dim.size());
  if (unknown) return {unknown_rank(t)};
  // A mask's count meets the other index tensors' sizes only at run time
  // (torch checks them then): other indices must be single elements, and
  // two masks are one mask.
  std::optional<Dim> count;
  for (size_t i = 0; i < list->num_inputs(); ++i)
    if (!is_none(list->input(i)) && is_mask(*list->input(i)->type())) {
      const Dim n = nonzero_count(list->input(i));
      if (count && *count != n) throw node.error("two boolean masks in one index are not supported");
      count = n;
    }
  if (count)
    for (size_t i = 0; i < list->num_inputs(); ++i) {
      const Value* v = list->input(i);
      if (is_none(v) || is_mask(*v->type())) continue;
      for (const Dim& d : *v->type()->shape())
        if (!d.is_static() || d.value() != 1)
          throw node.error("a boolean mask indexes beside an index tensor of shape " + shape_str(*v->type()->shape()) +
                           ", whose size would have to match the mask's count at run time; this is not supported");
    }
  // Broadcast the index tensors; note where they sit.
  std::optional<std::vector<Dim>> idx_shape = std::vector<Dim>{};
  int first = -1, last = -1;
  for (size_t i = 0; i < per_dim.size(); ++i) {
    if (!per_dim[i]) continue;
    if (first < 0) first = static_cast<int>(i);
    last = static_cast<int>(i);
    if (idx_shape) idx_shape = broadcast(node, *Type::tensor(std::nullopt, idx_shape), *Type::tensor(std::nullopt, *per_dim[i]));
  }
  if (first < 0) return {tensor_like(t, in)};
  if (!idx_shape) return {unknown_rank(t)};
  bool adjacent = true;
  for (int i = first; i <= last; ++i)
    if (!per_dim[static_cast<size_t>(i)]) adjacent = false;
  std::vector<Dim> out;
  std::vector<Dim> rest;
  for (size_t i = 0; i < in.size(); ++i) {
    bool indexed = i < per_dim.size() && per_dim[i];
    if (indexed) continue;
    if (adjacent && static_cast<int>(i) < first) out.push_back(in[i]);
    else rest.push_back(in[i]);
  }
  out.insert(out.end(), idx_shape->begin(), idx_shape->end());
  out.insert(out.end(), rest.begin(), rest.end());
  // Tensors may have a dynamic size in dim 0 only.
  if (count)
    for (size_t d = 1; d < out.size(); ++d)
      if (out[d] == *count)
        throw node.error("this boolean mask puts its count in dim " + std::to_string(d) + " of the result " +
                         shape_str(out) + ", but only dim 0 may have a size the data decides (mask the leading dims)");
  return {tensor_like(t, out)};
}

std::vector<TypePtr> embedding(const Node& node) {
  const Type& w = input_type(node, 0);
  const Type& idx = input_type(node, 1);
  if (w.has_rank() && w.rank() != 2) throw node.error("embedding weight must be 2-D, got " + shape_str(*w.shape()));
  if (idx.dtype() && *idx.dtype() != DType::i64 && *idx.dtype() != DType::i32)
    throw node.error("embedding indices must be integers, got " + std::string(dtype_name(*idx.dtype())));
  if (!w.has_rank() || !idx.has_rank()) return {unknown_rank(w)};
  std::vector<Dim> out = *idx.shape();
  out.push_back((*w.shape())[1]);
  return {tensor_like(w, out)};
}

// embedding_bag(weight, indices, offsets, scale_grad_by_freq, mode, sparse,
// per_sample_weights, include_last_offset[, padding_idx]): a row per bag,
// [bags, D] in the weight's dtype, then the three bookkeeping results torch
// returns ([N], [bags], [bags, D] of i64). There are as many bags as
// offsets, less one with include_last_offset.
std::vector<TypePtr> embedding_bag(const Node& node) {
  const Type& w = input_type(node, 0);
  const Type& idx = input_type(node, 1);
  const Type& offsets = input_type(node, 2);
  if (w.has_rank() && w.rank() != 2) throw node.error("embedding_bag weight must be 2-D, got " + shape_str(*w.shape()));
  for (const Type* t : {&idx, &offsets}) {
    const char* what = t == &idx ? "indices" : "offsets";
    if (t->dtype() && *t->dtype() != DType::i64 && *t->dtype() != DType::i32)
      throw node.error(std::string("embedding_bag ") + what + " must be integers, got " + std::string(dtype_name(*t->dtype())));
    if (t->has_rank() && t->rank() != 1)
      throw node.error(std::string("embedding_bag ") + what + " must be 1-D, got " + shape_str(*t->shape()));
  }
  const auto mode = constant_int(node.input(4));
  if (!mode || *mode < 0 || *mode > 2) throw node.error("embedding_bag mode must be a constant 0 (sum), 1 (mean) or 2 (max)");
  if (!is_none(node.input(6)) && *mode != 0)
    throw node.error("embedding_bag: per_sample_weights is only supported for mode='sum'");
  if (!is_none(node.input(6))) {
    const Type& weights = input_type(node, 6);
    if (weights.has_rank() && idx.has_rank() &&
        (weights.rank() != idx.rank() || (weights.fully_static() && idx.fully_static() &&
                                           weights.static_sizes() != idx.static_sizes())))
      throw node.error("embedding_bag: per_sample_weights must have the shape of the indices, " +
                       shape_str(*idx.shape()) + "; got " + shape_str(*weights.shape()));
  }
  const auto last = constant_bool(node.input(7));
  if (!last) throw node.error("embedding_bag include_last_offset must be a constant");
  Dim bags = Dim::unknown(), d = Dim::unknown(), n = Dim::unknown();
  if (offsets.has_rank()) {
    bags = (*offsets.shape())[0];
    if (*last) bags = bags.is_static() ? Dim::constant(std::max<int64_t>(bags.value() - 1, 0)) : Dim::unknown();
  }
  if (w.has_rank()) d = (*w.shape())[1];
  if (idx.has_rank()) n = (*idx.shape())[0];
  return {tensor_like(w, std::vector<Dim>{bags, d}), Type::tensor(DType::i64, std::vector<Dim>{n}, w.tensor_device()),
          Type::tensor(DType::i64, std::vector<Dim>{bags}, w.tensor_device()),
          Type::tensor(DType::i64, std::vector<Dim>{bags, d}, w.tensor_device())};
}

std::vector<TypePtr> one_hot(const Node& node) {
  const Type& t = input_type(node, 0);
  if (t.dtype() && *t.dtype() != DType::i64) throw node.error("one_hot needs an int64 tensor");
  auto n = constant_int(node.input(1));
  if (!t.has_rank()) return {Type::tensor(DType::i64)};
  std::vector<Dim> out = *t.shape();
  out.push_back(n && *n >= 0 ? Dim::constant(*n) : Dim::unknown());
  return {Type::tensor(DType::i64, out, t.tensor_device())};
}

std::vector<TypePtr> glu(const Node& node) {
  const Type& t = input_type(node, 0);
  auto d = constant_int(node.input(1));
  if (!t.has_rank() || !d) return {unknown_rank(t)};
  if (t.rank() == 0) throw node.error("glu needs at least one dim");
  std::vector<Dim> out = *t.shape();
  Dim& half = out[normalize_dim(node, *d, t.rank())];
  if (half.is_static()) {
    if (half.value() % 2 != 0) throw node.error("glu halves a dim of odd size " + half.str());
    half = Dim::constant(half.value() / 2);
  } else {
    half = Dim::unknown();
  }
  return {tensor_like(t, out)};
}

std::vector<TypePtr> narrow(const Node& node) {
  const Type& t = input_type(node, 0);
  auto d = constant_int(node.input(1));
  auto start = constant_int(node.input(2));
  auto length = constant_int(node.input(3));
  if (!t.has_rank() || !d) return {unknown_rank(t)};
  if (t.rank() == 0) throw node.error("narrow on a zero-dim tensor");
  std::vector<Dim> out = *t.shape();
  Dim& dim = out[normalize_dim(node, *d, t.rank())];
  if (!length) {
    dim = Dim::unknown();
    return {tensor_like(t, out)};
  }
  if (*length < 0) throw node.error("narrow: negative length " + std::to_string(*length));
  if (dim.is_static() && start) {
    const int64_t s = *start < 0 ? *start + dim.value() : *start;
    if (s < 0 || s + *length > dim.value())
      throw node.error("narrow: start " + std::to_string(*start) + " and length " + std::to_string(*length) +
                       " leave a dim of size " + dim.str());
  }
  dim = Dim::constant(*length);
  return {tensor_like(t, out)};
}

// pad(x, [left_last, right_last, left_second_last, ...], ...): each pair
// widens (or, negative, narrows) one dim from the last backwards.
std::vector<TypePtr> pad(const Node& node) {
  const Type& t = input_type(node, 0);
  auto pads = constant_int_list(node.input(1));
  if (!t.has_rank() || !pads) return {unknown_rank(t)};
  if (pads->size() % 2 != 0 || pads->size() / 2 > static_cast<size_t>(t.rank()))
    throw node.error("pad needs pairs of sizes for at most " + std::to_string(t.rank()) + " dims, got " +
                     std::to_string(pads->size()) + " values");
  std::vector<Dim> out = *t.shape();
  for (size_t i = 0; i < pads->size() / 2; ++i) {
    Dim& dim = out[out.size() - 1 - i];
    if (!dim.is_static()) {
      dim = Dim::unknown();
      continue;
    }
    const int64_t size = dim.value() + (*pads)[2 * i] + (*pads)[2 * i + 1];
    if (size < 0) throw node.error("pad leaves dim " + std::to_string(out.size() - 1 - i) + " a negative size");
    dim = Dim::constant(size);
  }
  return {tensor_like(t, out)};
}

std::vector<TypePtr> repeat(const Node& node) {
  const Type& t = input_type(node, 0);
  auto reps = constant_int_list(node.input(1));
  if (!t.has_rank() || !reps) return {unknown_rank(t)};
  if (reps->size() < static_cast<size_t>(t.rank()))
    throw node.error("repeat needs at least as many repeats (" + std::to_string(reps->size()) + ") as dims (" +
                     std::to_string(t.rank()) + ")");
  const size_t lead = reps->size() - static_cast<size_t>(t.rank());
  std::vector<Dim> out;
  for (size_t i = 0; i < reps->size(); ++i) {
    if ((*reps)[i] < 0) throw node.error("repeat counts must be non-negative");
    const Dim in = i < lead ? Dim::constant(1) : (*t.shape())[i - lead];
    out.push_back(in.is_static() ? Dim::constant(in.value() * (*reps)[i]) : (*reps)[i] == 1 ? in : Dim::unknown());
  }
  return {tensor_like(t, out)};
}

std::vector<TypePtr> pixel_shuffle(const Node& node) {
  const Type& t = input_type(node, 0);
  auto r = constant_int(node.input(1));
  if (!t.has_rank() || !r) return {unknown_rank(t)};
  if (t.rank() < 3) throw node.error("pixel_shuffle needs at least 3 dims, got " + std::to_string(t.rank()));
  if (*r <= 0) throw node.error("pixel_shuffle needs a positive upscale factor");
  std::vector<Dim> out = *t.shape();
  const size_t c = out.size() - 3;
  auto scale = [&](Dim d, bool divide) {
    if (!d.is_static()) return Dim::unknown();
    if (divide && d.value() % (*r * *r) != 0)
      throw node.error("pixel_shuffle: " + d.str() + " channels do not divide by " + std::to_string(*r * *r));
    return Dim::constant(divide ? d.value() / (*r * *r) : d.value() * *r);
  };
  out[c] = scale(out[c], true);
  out[c + 1] = scale(out[c + 1], false);
  out[c + 2] = scale(out[c + 2], false);
  return {tensor_like(t, out)};
}

std::vector<TypePtr> unflatten(const Node& node) {
  const Type& t = input_type(node, 0);
  auto d = constant_int(node.input(1));
  auto sizes = constant_int_list(node.input(2));
  if (!t.has_rank() || !d || !sizes) return {unknown_rank(t)};
  if (t.rank() == 0) throw node.error("unflatten on a zero-dim tensor");
  const int64_t n = normalize_dim(node, *d, t.rank());
  const Dim whole = (*t.shape())[n];
  int64_t known = 1, inferred = -1;
  for (size_t i = 0; i < sizes->size(); ++i) {
    if ((*sizes)[i] == -1) {
      if (inferred >= 0) throw node.error("unflatten: only one size may be -1");
      inferred = static_cast<int64_t>(i);
    } else if ((*sizes)[i] < 0) {
      throw node.error("unflatten: negative size " + std::to_string((*sizes)[i]));
    } else {
      known *= (*sizes)[i];
    }
  }
  std::vector<Dim> parts;
  for (int64_t v : *sizes) parts.push_back(Dim::constant(v));
  if (whole.is_static()) {
    if (inferred >= 0) {
      if (known == 0 || whole.value() % known != 0)
        throw node.error("unflatten: sizes " + shape_str(parts) + " do not divide dim of size " + whole.str());
      parts[static_cast<size_t>(inferred)] = Dim::constant(whole.value() / known);
    } else if (known != whole.value()) {
      throw node.error("unflatten: sizes " + shape_str(parts) + " do not multiply to " + whole.str());
    }
  } else if (inferred >= 0) {
    parts[static_cast<size_t>(inferred)] = Dim::unknown();
  }
  std::vector<Dim> out(t.shape()->begin(), t.shape()->begin() + n);
  out.insert(out.end(), parts.begin(), parts.end());
  out.insert(out.end(), t.shape()->begin() + n + 1, t.shape()->end());
  return {tensor_like(t, out)};
}

// upsample_nearest{1,2,3}d.vec and _upsample_nearest_exact{1,2,3}d.vec(x,
// output_size?, scale_factors?); upsample_linear1d, upsample_bilinear2d,
// upsample_trilinear3d and upsample_bicubic2d.vec(x, output_size?,
// align_corners, scale_factors?): the last 1, 2 or 3 dims (by the name)
// become output_size, or floor(size * scale). Their older overloads
// (without .vec) take output_size and an optional scale per dim.
std::vector<TypePtr> upsample(const Node& node) {
  const Type& t = input_type(node, 0);
  const std::string& name = node.op().schema.name;
  // upsample_bilinear2d, _upsample_bicubic2d_aa, ...: the digit before "d".
  const size_t n = name.find("1d") != std::string::npos ? 1 : name.find("2d") != std::string::npos ? 2 : 3;
  const bool vec = node.op().schema.overload == "vec";
  const size_t scale_at = node.op().schema.args.size() == 4 ? 3 : 2;
  if (!t.has_rank()) return {unknown_rank(t)};
  if (t.rank() != static_cast<int>(n) + 2)
    throw node.error("needs a " + std::to_string(n + 2) + "-D input, got " + shape_str(*t.shape()));
  std::vector<Dim> out = *t.shape();
  auto size = constant_int_list(node.input(1));
  const bool has_size = !is_none(node.input(1));
  const bool has_scale = vec && !is_none(node.input(scale_at));
  if (has_size == has_scale) throw node.error("needs either output_size or scale_factors");
  if (has_size) {
    if (!size) return {tensor_like(t, std::vector<Dim>(out.size(), Dim::unknown()))};
    if (size->size() != n) throw node.error("output_size needs " + std::to_string(n) + " values");
    for (size_t i = 0; i < n; ++i) out[out.size() - n + i] = Dim::constant((*size)[i]);
    return {tensor_like(t, out)};
  }
  const auto values = constant_double_list(node.input(scale_at));
  if (!values) {
    for (size_t i = 0; i < n; ++i) out[out.size() - n + i] = Dim::unknown();
    return {tensor_like(t, out)};
  }
  if (values->size() != n) throw node.error("scale_factors needs " + std::to_string(n) + " values");
  for (size_t i = 0; i < n; ++i) {
    Dim& d = out[out.size() - n + i];
    if ((*values)[i] <= 0) throw node.error("scale factors must be positive");
    d = d.is_static() ? Dim::constant(static_cast<int64_t>(std::floor(static_cast<double>(d.value()) * (*values)[i])))
                      : Dim::unknown();
  }
  return {tensor_like(t, out)};
}

// einsum(equation, [operands]): each result label's size from the operands
// that have it, which must agree or be 1 (broadcast).
std::vector<TypePtr> einsum(const Node& node) {
  auto types = list_types(node.input(1));
  const AttrValue* eq = constant_attr(node.input(0));
  const std::string* equation = eq ? std::get_if<std::string>(eq) : nullptr;
  TypePtr unknown = Type::tensor(std::nullopt, std::nullopt, Device{});
  if (!types || types->empty() || !equation) return {unknown};
  std::vector<int64_t> ranks;
  std::optional<DType> dtype = (*types)[0]->dtype();
  for (const Type* t : *types) {
    if (!t->has_rank()) return {Type::tensor(dtype, std::nullopt, t->tensor_device())};
    ranks.push_back(t->rank());
    if (t->dtype() && dtype && *t->dtype() != *dtype) throw node.error("einsum of tensors of different dtypes");
  }
  EinsumEquation parsed;
  try {
    parsed = parse_einsum(*equation, ranks);
  } catch (const Error& e) {
    throw node.error(e.message());
  }
  std::map<char, Dim> size;
  for (size_t i = 0; i < parsed.operands.size(); ++i)
    for (size_t d = 0; d < parsed.operands[i].size(); ++d) {
      const char label = parsed.operands[i][d];
      const Dim& s = (*(*types)[i]->shape())[d];
      auto [it, fresh] = size.emplace(label, s);
      if (fresh) continue;
      if (s.is_static() && s.value() == 1) continue;
      if (it->second.is_static() && it->second.value() == 1) {
        it->second = s;
        continue;
      }
      if (it->second.is_static() && s.is_static() && it->second != s)
        throw node.error("einsum: label '" + std::string(1, label) + "' has sizes " + it->second.str() + " and " +
                         s.str());
      if (!it->second.is_static()) it->second = s;
    }
  std::vector<Dim> out;
  for (char label : parsed.result) out.push_back(size.at(label));
  return {Type::tensor(dtype, out, (*types)[0]->tensor_device())};
}

}  // namespace wick::ir::shape

namespace wick::ir::shape {

// hstack, vstack, dstack, column_stack(tensors): each made at least 1-D
// (hstack), 2-D (vstack) or 3-D (dstack) as atleast_Nd does (column_stack:
// 0-D and 1-D tensors as columns [n, 1]), then concatenated along dim 0 for
// 1-D hstack, else 1 (hstack, column_stack), 0 (vstack) or 2 (dstack).
std::vector<TypePtr> stacks(const Node& node) {
  const std::string& name = node.op().schema.name;
  auto types = list_types(node.input(0));
  if (!types || types->empty()) return {Type::tensor()};
  const size_t least = name == "vstack" ? 2 : name == "dstack" ? 3 : 1;
  std::vector<std::vector<Dim>> shapes;
  std::optional<DType> dtype;
  for (const Type* t : *types) {
    if (!t->has_rank() || !t->dtype()) return {Type::tensor()};
    dtype = dtype ? promote(*dtype, *t->dtype()) : *t->dtype();
    std::vector<Dim> s = *t->shape();
    if (name == "column_stack" && s.size() <= 1) {
      s = {s.empty() ? Dim::constant(1) : s[0], Dim::constant(1)};
    } else if (s.size() < least) {
      // atleast_2d: [n] -> [1, n]; atleast_3d: [] -> [1, 1, 1], [n] -> [1, n, 1], [a, b] -> [a, b, 1].
      if (least == 3 && s.size() == 2) s.push_back(Dim::constant(1));
      else if (least == 3 && s.size() == 1) s = {Dim::constant(1), s[0], Dim::constant(1)};
      else
        while (s.size() < least) s.insert(s.begin(), Dim::constant(1));
    }
    shapes.push_back(std::move(s));
  }
  const size_t rank = shapes[0].size();
  const size_t d = name == "vstack" ? 0 : name == "dstack" ? 2 : (rank == 1 ? 0 : 1);
  std::vector<Dim> out = shapes[0];
  out[d] = Dim::constant(0);
  for (const std::vector<Dim>& s : shapes) {
    if (s.size() != rank) throw node.error(name + " of tensors of rank " + std::to_string(rank) + " and " + std::to_string(s.size()));
    for (size_t i = 0; i < rank; ++i) {
      if (i == d) out[i] = out[i] + s[i];
      else if (out[i].is_static() && s[i].is_static() && out[i] != s[i])
        throw node.error(name + ": sizes " + shape_str(shapes[0]) + " and " + shape_str(s) + " differ outside dim " +
                         std::to_string(d));
    }
  }
  return {Type::tensor(dtype, out, (*types)[0]->tensor_device())};
}

// mT, mH, matrix_H, adjoint: the last two dims swapped.
std::vector<TypePtr> last_two_swapped(const Node& node) {
  const Type& t = input_type(node, 0);
  if (!t.has_rank()) return {unknown_rank(t)};
  if (t.rank() < 2) throw node.error("needs a tensor of at least 2 dims, got " + shape_str(*t.shape()));
  std::vector<Dim> out = *t.shape();
  std::swap(out[out.size() - 1], out[out.size() - 2]);
  return {tensor_like(t, out)};
}

namespace {

// The length of diagonal `offset` (above the main one when positive) of a
// rows x cols block.
Dim diagonal_length(const Dim& rows, const Dim& cols, int64_t offset) {
  if (!rows.is_static() || !cols.is_static()) return Dim::unknown();
  const int64_t n = offset >= 0 ? std::min(rows.value(), cols.value() - offset) : std::min(rows.value() + offset, cols.value());
  return Dim::constant(std::max<int64_t>(n, 0));
}

}  // namespace

// diagonal(x, offset, dim1, dim2): dim1 and dim2 removed, the diagonal's
// length appended.
std::vector<TypePtr> diagonal(const Node& node) {
  const Type& t = input_type(node, 0);
  auto offset = constant_int(node.input(1));
  auto d1 = constant_int(node.input(2));
  auto d2 = constant_int(node.input(3));
  if (!t.has_rank() || !offset || !d1 || !d2) return {unknown_rank(t)};
  const int64_t rank = t.rank();
  if (rank < 2) throw node.error("needs a tensor of at least 2 dims, got " + shape_str(*t.shape()));
  const int64_t a = normalize_dim(node, *d1, rank), b = normalize_dim(node, *d2, rank);
  if (a == b) throw node.error("diagonal dims cannot be the same: " + std::to_string(*d1) + " and " + std::to_string(*d2));
  const Dim &rows = (*t.shape())[static_cast<size_t>(a)], &cols = (*t.shape())[static_cast<size_t>(b)];
  std::vector<Dim> out;
  for (int64_t i = 0; i < rank; ++i)
    if (i != a && i != b) out.push_back((*t.shape())[static_cast<size_t>(i)]);
  out.push_back(diagonal_length(rows, cols, *offset));
  return {tensor_like(t, out)};
}

// diag(x, diagonal): a 1-D x becomes the square matrix with x on that
// diagonal; a 2-D x gives that diagonal.
std::vector<TypePtr> diag(const Node& node) {
  const Type& t = input_type(node, 0);
  auto k = constant_int(node.input(1));
  if (!t.has_rank() || !k) return {unknown_rank(t)};
  if (t.rank() == 2) {
    return {tensor_like(t, std::vector<Dim>{diagonal_length((*t.shape())[0], (*t.shape())[1], *k)})};
  }
  if (t.rank() != 1) throw node.error("needs a 1-D or 2-D tensor, got " + shape_str(*t.shape()));
  const Dim& n = (*t.shape())[0];
  const Dim side = n.is_static() ? Dim::constant(n.value() + std::abs(*k)) : Dim::unknown();
  return {tensor_like(t, std::vector<Dim>{side, side})};
}

}  // namespace wick::ir::shape
