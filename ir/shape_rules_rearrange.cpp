// Type rules of the rearranging ops that decompose into views and products
// (passes/decompose_rearrange.cpp): unbind, movedim, tile, repeat_interleave,
// outer, dot, mv, diff, meshgrid, gather, reshape_as, ravel, atleast_nd,
// unfold and diag_embed.
#include <algorithm>

#include "ir/constant_value.h"
#include "ir/op_table.h"
#include "ir/shape_rules.h"

namespace wick::ir::shape {
namespace {

TypePtr like(const Type& t, std::optional<std::vector<Dim>> shape) {
  return Type::tensor(t.dtype(), std::move(shape), t.tensor_device());
}

// An int or a list of ints at input i.
std::optional<std::vector<int64_t>> int_or_ints(const Node& node, size_t i) {
  if (auto v = constant_int(node.input(i))) return std::vector<int64_t>{*v};
  return constant_int_list(node.input(i));
}

Dim numel(const std::vector<Dim>& dims) {
  Dim n = Dim::constant(1);
  for (const Dim& d : dims) n = n * d;
  return n;
}

void require_rank(const Node& node, const Type& t, int64_t rank, const char* what) {
  if (t.has_rank() && t.rank() != rank)
    throw node.error(std::string(what) + " must be " + std::to_string(rank) + "-D, got " + shape_str(*t.shape()));
}

}  // namespace

std::vector<int64_t> movedim_order(const Node& node, int64_t rank) {
  auto src = int_or_ints(node, 1);
  auto dst = int_or_ints(node, 2);
  if (!src || !dst) throw node.error("the source and destination dims must be constants");
  if (src->size() != dst->size())
    throw node.error("movedim: " + std::to_string(src->size()) + " source dims but " + std::to_string(dst->size()) +
                     " destination dims");
  std::vector<int64_t> order(static_cast<size_t>(rank), -1);
  std::vector<bool> moved(static_cast<size_t>(rank), false);
  for (size_t i = 0; i < src->size(); ++i) {
    const int64_t s = normalize_dim(node, (*src)[i], rank), d = normalize_dim(node, (*dst)[i], rank);
    if (moved[s] || order[d] >= 0) throw node.error("movedim: repeated dim in the source or destination");
    order[d] = s;
    moved[s] = true;
  }
  int64_t next = 0;
  for (int64_t& o : order) {
    if (o >= 0) continue;
    while (moved[next]) ++next;
    o = next++;
  }
  return order;
}

std::vector<TypePtr> unbind(const Node& node) {
  const Type& t = input_type(node, 0);
  auto d = constant_int(node.input(1));
  if (!t.has_rank() || !d) return {Type::list(like(t, std::nullopt))};
  if (t.rank() == 0) throw node.error("unbind of a zero-dim tensor");
  std::vector<Dim> elem = *t.shape();
  elem.erase(elem.begin() + normalize_dim(node, *d, t.rank()));
  return {Type::list(like(t, elem))};
}

std::vector<TypePtr> movedim(const Node& node) {
  const Type& t = input_type(node, 0);
  if (!t.has_rank()) return {like(t, std::nullopt)};
  std::vector<Dim> out;
  for (int64_t s : movedim_order(node, t.rank())) out.push_back((*t.shape())[s]);
  return {like(t, out)};
}

std::vector<TypePtr> tile(const Node& node) {
  const Type& t = input_type(node, 0);
  auto reps = constant_int_list(node.input(1));
  if (!t.has_rank() || !reps) return {like(t, std::nullopt)};
  std::vector<Dim> in = *t.shape();
  while (in.size() < reps->size()) in.insert(in.begin(), Dim::constant(1));
  std::vector<int64_t> r = *reps;
  while (r.size() < in.size()) r.insert(r.begin(), 1);
  std::vector<Dim> out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (r[i] < 0) throw node.error("tile: negative repeat count " + std::to_string(r[i]));
    out.push_back(in[i] * Dim::constant(r[i]));
  }
  return {like(t, out)};
}

std::vector<TypePtr> repeat_interleave(const Node& node) {
  const Type& t = input_type(node, 0);
  auto r = constant_int(node.input(1));
  if (!r) {
    // Not known yet (a size folding will give); decompose needs it then.
    std::optional<std::vector<Dim>> shape;
    if (is_none(node.input(2))) shape = std::vector<Dim>{Dim::unknown()};
    else if (t.has_rank()) shape = std::vector<Dim>(std::max<size_t>(t.rank(), 1), Dim::unknown());
    return {like(t, shape)};
  }
  if (*r < 0) throw node.error("repeats must be non-negative, got " + std::to_string(*r));
  if (!t.has_rank()) return {like(t, std::nullopt)};
  std::vector<Dim> in = *t.shape();
  if (is_none(node.input(2))) {
    Dim n = Dim::constant(*r);
    for (const Dim& d : in) n = n * d;
    return {like(t, std::vector<Dim>{n})};
  }
  auto d = constant_int(node.input(2));
  if (!d) throw node.error("dim must be a constant");
  if (in.empty()) return {like(t, std::vector<Dim>{Dim::constant(*r)})};
  Dim& at = in[normalize_dim(node, *d, t.rank())];
  at = at * Dim::constant(*r);
  return {like(t, in)};
}

std::vector<TypePtr> outer(const Node& node) {
  const Type& a = input_type(node, 0);
  const Type& b = input_type(node, 1);
  require_rank(node, a, 1, "outer's first operand");
  require_rank(node, b, 1, "outer's second operand");
  std::optional<std::vector<Dim>> shape;
  if (a.has_rank() && b.has_rank()) shape = std::vector<Dim>{(*a.shape())[0], (*b.shape())[0]};
  return {Type::tensor(result_dtype(a, b), shape, a.tensor_device())};
}

std::vector<TypePtr> dot(const Node& node) {
  const Type& a = input_type(node, 0);
  const Type& b = input_type(node, 1);
  require_rank(node, a, 1, "dot's first operand");
  require_rank(node, b, 1, "dot's second operand");
  require_same_dtype(node, a, b, "self", "tensor");
  return {Type::tensor(a.dtype(), std::vector<Dim>{}, a.tensor_device())};
}

std::vector<TypePtr> mv(const Node& node) {
  const Type& m = input_type(node, 0);
  const Type& v = input_type(node, 1);
  require_rank(node, m, 2, "mv's matrix");
  require_rank(node, v, 1, "mv's vector");
  require_same_dtype(node, m, v, "self", "vec");
  std::optional<std::vector<Dim>> shape;
  if (m.has_rank()) shape = std::vector<Dim>{(*m.shape())[0]};
  return {Type::tensor(m.dtype(), shape, m.tensor_device())};
}

std::vector<TypePtr> diff(const Node& node) {
  const Type& t = input_type(node, 0);
  auto n = constant_int(node.input(1));
  auto d = constant_int(node.input(2));
  if (!n || !d) throw node.error("diff's n and dim must be constants");
  if (*n < 0) throw node.error("diff's order must be non-negative, got " + std::to_string(*n));
  if (!t.has_rank()) return {like(t, std::nullopt)};
  if (t.rank() == 0) throw node.error("diff needs at least one dim");
  const int64_t dim = normalize_dim(node, *d, t.rank());
  std::vector<Dim> out = *t.shape();
  for (size_t i : {size_t{3}, size_t{4}}) {
    const Type& extra = input_type(node, i);
    if (!extra.is_tensor()) continue;
    if (!extra.has_rank()) return {like(t, std::nullopt)};
    if (extra.rank() != t.rank()) throw node.error("diff's prepend and append must have the input's rank");
    out[dim] = out[dim] + (*extra.shape())[dim];
  }
  if (!out[dim].is_static()) return {like(t, std::nullopt)};
  out[dim] = Dim::constant(std::max<int64_t>(out[dim].value() - *n, 0));
  return {like(t, out)};
}

std::vector<TypePtr> meshgrid(const Node& node) {
  const Value* list = node.input(0);
  if (!list->node()->is("prim::ListConstruct")) throw node.error("meshgrid needs a list of tensors built in place");
  std::vector<Dim> shape;
  std::optional<DType> dtype;
  for (const Value* v : list->node()->inputs()) {
    const Type& t = *v->type();
    if (!t.has_rank()) return {Type::list(Type::tensor(std::nullopt, std::nullopt))};
    if (t.rank() > 1) throw node.error("meshgrid takes 0-D or 1-D tensors, got " + shape_str(*t.shape()));
    shape.push_back(t.rank() == 0 ? Dim::constant(1) : (*t.shape())[0]);
    dtype = t.dtype();
  }
  if (node.num_inputs() > 1) {
    const AttrValue* a = constant_attr(node.input(1));
    const std::string* indexing = a ? std::get_if<std::string>(a) : nullptr;
    if (!indexing || (*indexing != "ij" && *indexing != "xy"))
      throw node.error("meshgrid's indexing must be \"ij\" or \"xy\"");
    if (*indexing == "xy" && shape.size() >= 2) std::swap(shape[0], shape[1]);
  }
  return {Type::list(Type::tensor(dtype, shape))};
}

std::vector<TypePtr> gather(const Node& node) {
  const Type& t = input_type(node, 0);
  const Type& index = input_type(node, 2);
  if (index.dtype() && *index.dtype() != DType::i64)
    throw node.error("gather's index must be int64, got " + std::string(dtype_name(*index.dtype())));
  if (t.has_rank() && index.has_rank() && t.rank() != index.rank())
    throw node.error("gather's index must have the input's rank (" + std::to_string(t.rank()) + "), got " +
                     std::to_string(index.rank()));
  return {Type::tensor(t.dtype(), index.shape(), t.tensor_device())};
}

}  // namespace wick::ir::shape

namespace wick::ir::shape {

// rot90(x, k, dims): the two dims swap sizes for an odd number of turns.
std::vector<TypePtr> rot90(const Node& node) {
  const Type& t = input_type(node, 0);
  auto k = constant_int(node.input(1));
  auto dims = constant_int_list(node.input(2));
  if (!t.has_rank() || !k || !dims) return {like(t, std::nullopt)};
  if (dims->size() != 2) throw node.error("needs two dims to rotate in, got " + std::to_string(dims->size()));
  const int64_t rank = t.rank();
  if (rank < 2) throw node.error("needs a tensor of at least 2 dims, got " + shape_str(*t.shape()));
  const int64_t a = normalize_dim(node, (*dims)[0], rank), b = normalize_dim(node, (*dims)[1], rank);
  if (a == b) throw node.error("needs two different dims to rotate in");
  std::vector<Dim> out = *t.shape();
  if (((*k % 4) + 4) % 2 == 1) std::swap(out[static_cast<size_t>(a)], out[static_cast<size_t>(b)]);
  return {like(t, out)};
}

// take_along_dim(x, indices, dim?): x's values at int64 `indices` along
// dim, the other dims broadcast; without a dim, x flattened at the
// indices flattened.
std::vector<TypePtr> take_along_dim(const Node& node) {
  const Type& t = input_type(node, 0);
  const Type& index = input_type(node, 1);
  if (index.dtype() && *index.dtype() != DType::i64)
    throw node.error("needs int64 indices, got " + std::string(dtype_name(*index.dtype())));
  if (!t.has_rank() || !index.has_rank()) return {like(t, std::nullopt)};
  if (is_none(node.input(2))) {
    Dim n = Dim::constant(1);
    for (const Dim& d : *index.shape()) n = n * d;
    return {like(t, std::vector<Dim>{n})};
  }
  auto d = constant_int(node.input(2));
  if (!d) return {like(t, std::nullopt)};
  if (t.rank() != index.rank())
    throw node.error("needs indices of the input's rank (" + std::to_string(t.rank()) + "), got " + shape_str(*index.shape()));
  const int64_t dim = normalize_dim(node, *d, t.rank());
  std::vector<Dim> sizes = *t.shape();
  sizes[static_cast<size_t>(dim)] = (*index.shape())[static_cast<size_t>(dim)];
  const TypePtr self_sized = Type::tensor(t.dtype(), sizes);
  return {like(t, broadcast(node, *self_sized, index))};
}

// pixel_unshuffle(x [.., C, H, W], r) -> [.., C r r, H / r, W / r].
std::vector<TypePtr> pixel_unshuffle(const Node& node) {
  const Type& t = input_type(node, 0);
  auto r = constant_int(node.input(1));
  if (!t.has_rank() || !r) return {like(t, std::nullopt)};
  if (t.rank() < 3) throw node.error("needs a tensor of at least 3 dims, got " + shape_str(*t.shape()));
  if (*r <= 0) throw node.error("needs a positive downscale factor");
  std::vector<Dim> out = *t.shape();
  const size_t c = out.size() - 3;
  for (size_t i = c + 1; i < out.size(); ++i) {
    if (out[i].is_static() && out[i].value() % *r != 0)
      throw node.error("the size " + out[i].str() + " is not divisible by the downscale factor " + std::to_string(*r));
    out[i] = out[i].is_static() ? Dim::constant(out[i].value() / *r) : Dim::unknown();
  }
  out[c] = out[c].is_static() ? Dim::constant(out[c].value() * *r * *r) : Dim::unknown();
  return {like(t, out)};
}

// kron(a, b): the ranks padded with leading 1s to the larger, each dim the
// product of the two.
std::vector<TypePtr> kron(const Node& node) {
  const Type& a = input_type(node, 0);
  const Type& b = input_type(node, 1);
  std::optional<DType> dtype = a.dtype() && b.dtype() ? std::optional<DType>(promote(*a.dtype(), *b.dtype())) : std::nullopt;
  if (!a.has_rank() || !b.has_rank()) return {Type::tensor(dtype, std::nullopt, a.tensor_device())};
  const size_t rank = std::max(a.shape()->size(), b.shape()->size());
  std::vector<Dim> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    const size_t pa = rank - a.shape()->size(), pb = rank - b.shape()->size();
    const Dim x = i < pa ? Dim::constant(1) : (*a.shape())[i - pa];
    const Dim y = i < pb ? Dim::constant(1) : (*b.shape())[i - pb];
    out[i] = x * y;
  }
  return {Type::tensor(dtype, out, a.tensor_device())};
}

// addmv(self [n], mat [n, m], vec [m], beta, alpha) -> [n].
std::vector<TypePtr> addmv(const Node& node) {
  const Type& mat = input_type(node, 1);
  const Type& vec = input_type(node, 2);
  require_rank(node, mat, 2, "mat");
  require_rank(node, vec, 1, "vec");
  if (!mat.has_rank()) return {like(mat, std::nullopt)};
  if (vec.has_rank() && (*mat.shape())[1].is_static() && (*vec.shape())[0].is_static() &&
      (*mat.shape())[1] != (*vec.shape())[0])
    throw node.error("mat " + shape_str(*mat.shape()) + " and vec " + shape_str(*vec.shape()) + " do not multiply");
  return {like(mat, std::vector<Dim>{(*mat.shape())[0]})};
}

// addbmm(self [n, p], b1 [B, n, m], b2 [B, m, p], beta, alpha) -> [n, p].
std::vector<TypePtr> addbmm(const Node& node) {
  const Type& b1 = input_type(node, 1);
  const Type& b2 = input_type(node, 2);
  require_rank(node, b1, 3, "batch1");
  require_rank(node, b2, 3, "batch2");
  if (!b1.has_rank() || !b2.has_rank()) return {like(b1, std::nullopt)};
  const Dim &m1 = (*b1.shape())[2], &m2 = (*b2.shape())[1];
  if (m1.is_static() && m2.is_static() && m1 != m2)
    throw node.error("batch1 " + shape_str(*b1.shape()) + " and batch2 " + shape_str(*b2.shape()) + " do not multiply");
  return {like(b1, std::vector<Dim>{(*b1.shape())[1], (*b2.shape())[2]})};
}

// multi_dot(tensors), chain_matmul(matrices): the first's rows by the
// last's columns (a 1-D end adds no dim), inner sizes checked pairwise.
std::vector<TypePtr> matrix_chain(const Node& node) {
  auto items = list_types(node.input(0));
  if (!items || items->empty()) return {Type::tensor()};
  const Type& first = *items->front();
  const Type& last = *items->back();
  const bool chain = node.op().schema.name == "chain_matmul";
  if (items->size() < 2 && !chain) throw node.error("multi_dot needs at least two tensors");
  std::optional<Dim> inner;
  for (size_t k = 0; k < items->size(); ++k) {
    const Type& t = *(*items)[k];
    require_same_dtype(node, first, t, "the first tensor", "another");
    if (!t.has_rank()) return {Type::tensor(first.dtype(), std::nullopt, first.tensor_device())};
    const bool end = k == 0 || k + 1 == items->size();
    if (t.rank() != 2 && !(end && t.rank() == 1 && !chain && items->size() > 1))
      throw node.error("tensor " + std::to_string(k) + " must be 2-D" + (chain ? "" : " (1-D only at either end)") +
                       ", got " + shape_str(*t.shape()));
    const auto& s = *t.shape();
    const Dim& rows = s[0];
    if (k > 0 && inner && inner->is_static() && rows.is_static() && *inner != rows)
      throw node.error("tensors " + std::to_string(k - 1) + " and " + std::to_string(k) + " cannot be multiplied: " +
                       inner->str() + " columns against " + rows.str() + " rows");
    inner = s.back();
  }
  std::vector<Dim> out;
  if (first.rank() == 2) out.push_back((*first.shape())[0]);
  if (last.rank() == 2 && (items->size() > 1 || chain)) out.push_back(last.shape()->back());
  return {Type::tensor(first.dtype(), out, first.tensor_device())};
}

// vecdot(x, y, dim): x and y broadcast, dim summed away.
std::vector<TypePtr> vecdot(const Node& node) {
  const Type& a = input_type(node, 0);
  const Type& b = input_type(node, 1);
  require_same_dtype(node, a, b, "x", "y");
  auto shape = broadcast(node, a, b);
  auto d = constant_int(node.input(2));
  if (!d) throw node.error("dim must be a constant");
  if (!shape) return {like(a, std::nullopt)};
  shape->erase(shape->begin() + normalize_dim(node, *d, static_cast<int64_t>(shape->size())));
  return {like(a, shape)};
}

// addr(self, v1, v2, beta, alpha): self broadcast to [n, m].
std::vector<TypePtr> addr(const Node& node) {
  const Type& self = input_type(node, 0);
  const Type& a = input_type(node, 1);
  const Type& b = input_type(node, 2);
  require_rank(node, a, 1, "vec1");
  require_rank(node, b, 1, "vec2");
  if (!a.has_rank() || !b.has_rank()) return {like(self, std::nullopt)};
  auto outer_type = Type::tensor(a.dtype(), std::vector<Dim>{(*a.shape())[0], (*b.shape())[0]});
  auto shape = broadcast(node, self, *outer_type);
  return {like(self, shape)};
}

// inner(a, b): a's dims but the last, then b's (a product when either is 0-d).
std::vector<TypePtr> inner(const Node& node) {
  const Type& a = input_type(node, 0);
  const Type& b = input_type(node, 1);
  require_same_dtype(node, a, b, "self", "other");
  if (!a.has_rank() || !b.has_rank()) return {like(a, std::nullopt)};
  if (a.rank() == 0 || b.rank() == 0) return {like(a, a.rank() == 0 ? *b.shape() : *a.shape())};
  const auto &sa = *a.shape(), &sb = *b.shape();
  if (sa.back().is_static() && sb.back().is_static() && sa.back() != sb.back())
    throw node.error("inner of " + shape_str(sa) + " and " + shape_str(sb) + ": the last dims differ");
  std::vector<Dim> out(sa.begin(), sa.end() - 1);
  out.insert(out.end(), sb.begin(), sb.end() - 1);
  return {like(a, out)};
}

// tensordot(a, b, dims_a, dims_b): a's other dims, then b's.
std::vector<TypePtr> tensordot(const Node& node) {
  const Type& a = input_type(node, 0);
  const Type& b = input_type(node, 1);
  require_same_dtype(node, a, b, "self", "other");
  auto da = constant_int_list(node.input(2)), db = constant_int_list(node.input(3));
  if (!da || !db) return {like(a, std::nullopt)};  // lists folding may still give
  if (da->size() != db->size())
    throw node.error("contracts " + std::to_string(da->size()) + " dims of self but " + std::to_string(db->size()) +
                     " of other");
  if (!a.has_rank() || !b.has_rank()) return {like(a, std::nullopt)};
  const auto &sa = *a.shape(), &sb = *b.shape();
  std::vector<bool> used_a(sa.size()), used_b(sb.size());
  for (size_t k = 0; k < da->size(); ++k) {
    const int64_t x = normalize_dim(node, (*da)[k], a.rank()), y = normalize_dim(node, (*db)[k], b.rank());
    if (used_a[x] || used_b[y]) throw node.error("a dim is contracted twice");
    used_a[x] = used_b[y] = true;
    if (sa[x].is_static() && sb[y].is_static() && sa[x] != sb[y])
      throw node.error("contracted dims differ: " + sa[x].str() + " and " + sb[y].str());
  }
  std::vector<Dim> out;
  for (size_t d = 0; d < sa.size(); ++d)
    if (!used_a[d]) out.push_back(sa[d]);
  for (size_t d = 0; d < sb.size(); ++d)
    if (!used_b[d]) out.push_back(sb[d]);
  return {like(a, out)};
}

// reshape_as(x, other), view_as(x, other): x's elements in other's shape.
std::vector<TypePtr> reshaped_as(const Node& node) {
  const Type& t = input_type(node, 0);
  const Type& other = input_type(node, 1);
  if (t.has_rank() && other.has_rank()) {
    const Dim a = numel(*t.shape()), b = numel(*other.shape());
    if (a.is_static() && b.is_static() && a != b)
      throw node.error("cannot shape " + shape_str(*t.shape()) + " (" + a.str() + " elements) as " +
                       shape_str(*other.shape()) + " (" + b.str() + ")");
  }
  return {like(t, other.shape())};
}

// ravel(x): [numel].
std::vector<TypePtr> ravel(const Node& node) {
  const Type& t = input_type(node, 0);
  return {like(t, t.has_rank() ? std::optional(std::vector<Dim>{numel(*t.shape())}) : std::nullopt)};
}

// atleast_1d/2d/3d(x): NumPy's promotion of a tensor with fewer dims: [] to
// [1], [1, 1] or [1, 1, 1]; [n] to [1, n] or [1, n, 1]; [m, n] to [m, n, 1].
std::vector<TypePtr> atleast(const Node& node) {
  const Type& t = input_type(node, 0);
  if (!t.has_rank()) return {like(t, std::nullopt)};
  const std::string& name = node.op().schema.name;
  const size_t least = name == "atleast_1d" ? 1 : name == "atleast_2d" ? 2 : 3;
  std::vector<Dim> s = *t.shape();
  const Dim one = Dim::constant(1);
  if (s.size() >= least) return {like(t, s)};
  if (s.empty()) return {like(t, std::vector<Dim>(least, one))};
  if (s.size() == 1) s.insert(s.begin(), one);  // [1, n]
  if (s.size() < least) s.push_back(one);        // [1, n, 1] or [m, n, 1]
  return {like(t, s)};
}

// unfold(x, dim, size, step): the windows of `size` along dim, every `step`:
// dim becomes the window count (n - size) / step + 1 and a last dim of
// `size` is added.
std::vector<TypePtr> unfold(const Node& node) {
  const Type& t = input_type(node, 0);
  auto d = constant_int(node.input(1));
  auto size = constant_int(node.input(2));
  auto step = constant_int(node.input(3));
  if (!d || !size || !step) throw node.error("the dim, size and step of unfold must be constants");
  if (*step <= 0) throw node.error("unfold needs a positive step, got " + std::to_string(*step));
  if (*size < 0) throw node.error("unfold needs a size of at least 0, got " + std::to_string(*size));
  if (!t.has_rank()) return {like(t, std::nullopt)};
  if (t.rank() == 0) throw node.error("unfold of a zero-dim tensor is not supported");
  std::vector<Dim> s = *t.shape();
  Dim& n = s[static_cast<size_t>(normalize_dim(node, *d, t.rank()))];
  if (!n.is_static()) throw node.error("unfold needs the size of dim " + std::to_string(*d) + " known when compiling, got " + n.str());
  if (*size > n.value())
    throw node.error("unfold: the window size " + std::to_string(*size) + " exceeds the size " +
                     std::to_string(n.value()) + " of dim " + std::to_string(*d));
  n = Dim::constant((n.value() - *size) / *step + 1);
  s.push_back(Dim::constant(*size));
  return {like(t, s)};
}

// diag_embed(x [.., n], offset, dim1, dim2): x's last dim made the diagonal
// `offset` of new dims dim1 and dim2 of size n + |offset| (positions in the
// result, whose rank is one more than x's).
std::vector<TypePtr> diag_embed(const Node& node) {
  const Type& t = input_type(node, 0);
  auto offset = constant_int(node.input(1));
  auto d1 = constant_int(node.input(2));
  auto d2 = constant_int(node.input(3));
  if (!offset || !d1 || !d2) throw node.error("the offset and dims of diag_embed must be constants");
  if (!t.has_rank()) return {like(t, std::nullopt)};
  if (t.rank() == 0) throw node.error("diag_embed needs a tensor of at least 1 dim, got a 0-d one");
  const int64_t rank = t.rank() + 1;
  const int64_t a = normalize_dim(node, *d1, rank), b = normalize_dim(node, *d2, rank);
  if (a == b) throw node.error("diag_embed: dim1 and dim2 are the same dim " + std::to_string(a));
  std::vector<Dim> batch(t.shape()->begin(), t.shape()->end() - 1);
  const Dim m = t.shape()->back() + Dim::constant(*offset < 0 ? -*offset : *offset);
  std::vector<Dim> out;
  for (int64_t i = 0, next = 0; i < rank; ++i) out.push_back(i == a || i == b ? m : batch[static_cast<size_t>(next++)]);
  return {like(t, out)};
}

}  // namespace wick::ir::shape
