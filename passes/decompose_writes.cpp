// Decompositions of the functional writes and the factories of
// ir/ops_writes.cpp, and of index_put with a boolean mask:
//   slice_scatter(x, s, d, a, b, 1) = cat(x[a':a], s, x[b:]) along d
//   slice_scatter with a step      = where(positions, slice_backward(s), x),
//                                     the positions a slice_backward of ones
//   select_scatter(x, s, d, i)     = slice_scatter(x, s.unsqueeze(d), d, i, i + 1)
//   either at a position known only at run time (a loop counter)
//                                  = where(positions == start.., s gathered
//                                    by position - start, x)
//   copy(x, s)                     = s cast to x's dtype, expanded to x's shape
//   fill(x, v), zero(x)            = full / zeros of x's shape and dtype
//   new_zeros/ones/empty/full      = zeros / ones / zeros / full, x's dtype
//   tensor(number)                 = full([], number)
//   tensor([..])                   = stack of the elements, level by level
//   index_put(x, [None.., mask], v) = where(mask, v, x) (x + where(mask, v, 0)
//                                     accumulating), v broadcasting over the
//                                     dims after the mask's
//   fill_diagonal(x, v, wrap)      = where(on the diagonal, v, x): every index
//                                     equal, or for a tall matrix with wrap
//                                     every (n + 1)-th element, as torch
//   embedding_renorm(w, i, m, p)   = w with each row that i names scaled by
//                                     m / (|row|_p + 1e-7) where |row|_p > m
#include <algorithm>
#include <limits>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Dim;
using ir::Value;

int64_t wrap_dim(Emitter& e, int64_t d, int64_t rank) {
  if (d < -rank || d >= rank)
    throw e.node().error("dim " + std::to_string(d) + " out of range for rank " + std::to_string(rank));
  return d < 0 ? d + rank : d;
}

DType known_dtype(Emitter& e, const Value* v, const char* what) {
  const auto& dt = v->type()->dtype();
  if (!dt) throw e.node().error(std::string("needs the dtype of its ") + what + " to be known");
  return *dt;
}

Value* dtype_code(Emitter& e, DType t) { return e.int_(*torch_code_of(t)); }

std::vector<Size> all_dims(Emitter& e, const Value* x) {
  std::vector<Size> dims;
  for (size_t i = 0; i < e.shape(x, "input").size(); ++i) dims.push_back(Size::dim_of(static_cast<int>(i)));
  return dims;
}

Value* slice(Emitter& e, Value* x, int64_t dim, int64_t start, int64_t end) {
  return e.op("aten::slice.Tensor", {x, e.int_(dim), e.int_(start), e.int_(end), e.int_(1)});
}

// x with src written over x[start:end:step] along dim (bounds as slice
// takes them, before normalizing).
// The checks both kinds of slice write make: ranks, the step; the dim wrapped.
int64_t write_dim(Emitter& e, const std::vector<Dim>& shape, const std::vector<Dim>& src_shape, int64_t dim,
                  int64_t step) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (rank == 0) throw e.node().error("cannot write into a slice of a zero-dim tensor");
  dim = wrap_dim(e, dim, rank);
  if (step <= 0) throw e.node().error("slice step must be positive");
  if (static_cast<int64_t>(src_shape.size()) != rank)
    throw e.node().error("src has rank " + std::to_string(src_shape.size()) + " but self has rank " +
                         std::to_string(rank));
  return dim;
}

Value* scatter_slice(Emitter& e, Value* x, Value* src, int64_t dim, int64_t start, int64_t end, int64_t step) {
  const std::vector<Dim>& shape = e.shape(x, "self");
  const std::vector<Dim>& src_shape = e.shape(src, "src");
  const int64_t rank = static_cast<int64_t>(shape.size());
  dim = write_dim(e, shape, src_shape, dim, step);
  if (!shape[dim].is_static()) throw e.node().error("needs the size of dim " + std::to_string(dim) + " to be known");
  const int64_t len = shape[dim].value();
  const int64_t s = start < 0 ? std::max<int64_t>(start + len, 0) : std::min(start, len);
  const int64_t t = end < 0 ? std::max<int64_t>(end + len, 0) : std::min(end, len);
  const int64_t n = t > s ? (t - s + step - 1) / step : 0;
  for (int64_t i = 0; i < rank; ++i) {
    const Dim want = i == dim ? Dim::constant(n) : shape[i];
    if (want.is_static() && src_shape[i].is_static() && src_shape[i] != want)
      throw e.node().error("src of shape " + ir::shape_str(src_shape) + " does not fit the slice of " +
                           ir::shape_str(shape) + " along dim " + std::to_string(dim));
  }
  if (n == 0) return x;
  if (step == 1) {
    std::vector<Value*> parts;
    if (s > 0) parts.push_back(slice(e, x, dim, 0, s));
    parts.push_back(src);
    if (t < len) parts.push_back(slice(e, x, dim, t, len));
    return parts.size() == 1 ? src : e.op("aten::cat", {e.list(parts), e.int_(dim)});
  }
  Value* sizes = e.sizes(x, all_dims(e, x));
  auto placed = [&](Value* v) {
    return e.op("aten::slice_backward", {v, sizes, e.int_(dim), e.int_(s), e.int_(t), e.int_(step)});
  };
  Value* ones = e.op("aten::ones_like",
                     {src, dtype_code(e, DType::f32), e.none(), e.none(), e.none(), e.none()});
  Value* written = e.op("aten::gt.Scalar", {placed(ones), e.float_(0.5)});
  return e.op("aten::where.self", {written, placed(src), x});
}

// x with src written from the position `start` holds at run time (a loop
// counter) along dim, every step-th: where(written, src gathered, x), the
// positions compared with start in the tensor domain.
Value* scatter_at(Emitter& e, Value* x, Value* src, int64_t dim, Value* start, int64_t step) {
  const std::vector<Dim>& shape = e.shape(x, "self");
  const std::vector<Dim>& src_shape = e.shape(src, "src");
  const int64_t rank = static_cast<int64_t>(shape.size());
  dim = write_dim(e, shape, src_shape, dim, step);
  if (!shape[dim].is_static() || !src_shape[dim].is_static())
    throw e.node().error("a write at a position known only at run time needs the sizes of dim " +
                         std::to_string(dim) + " to be known");
  const int64_t len = shape[dim].value();
  const int64_t n = src_shape[dim].value();
  if (n == 0) return x;
  Value* i64 = dtype_code(e, DType::i64);
  auto scalar = [&](double v) { return e.float_(v); };
  Value* s = e.op("aten::full", {e.ints({}), start, i64, e.none(), e.none(), e.none()});
  // The start as slice normalizes it: from the end when negative, then
  // clamped to the dim.
  Value* from_end = e.op("aten::add.Scalar", {s, e.int_(len), e.int_(1)});
  s = e.op("aten::where.self", {e.op("aten::lt.Scalar", {s, scalar(0)}), from_end, s});
  s = e.op("aten::clamp", {s, e.int_(0), e.int_(len)});
  Value* rel = e.sub(e.op("aten::arange", {e.int_(len), i64, e.none(), e.none(), e.none()}), s);
  Value* written = e.op("aten::logical_and", {e.op("aten::ge.Scalar", {rel, scalar(0)}),
                                              e.op("aten::le.Scalar", {rel, scalar(static_cast<double>((n - 1) * step))})});
  Value* index = rel;
  if (step > 1) {
    written = e.op("aten::logical_and",
                   {written, e.op("aten::eq.Scalar", {e.op("aten::remainder.Scalar", {rel, e.int_(step)}), scalar(0)})});
    index = e.op("aten::floor_divide.Scalar", {rel, e.int_(step)});
  }
  index = e.op("aten::clamp", {index, e.int_(0), e.int_(n - 1)});
  Value* gathered = e.op("aten::index_select", {src, e.int_(dim), index});
  std::vector<int64_t> along(static_cast<size_t>(rank), 1);
  along[static_cast<size_t>(dim)] = len;
  return e.op("aten::where.self", {e.op("aten::view", {written, e.ints(along)}), gathered, x});
}

Value* slice_scatter(Emitter& e) {
  const int64_t dim = e.constant_int(2, "dim");
  const int64_t step = e.constant_int(5, "step");
  if (!e.absent(3) && !ir::constant_int(e.input(3))) return scatter_at(e, e.input(0), e.input(1), dim, e.input(3), step);
  const int64_t start = e.absent(3) ? 0 : e.constant_int(3, "start");
  if (!e.absent(4) && !ir::constant_int(e.input(4))) {
    // The end follows from src's length.
    return scatter_at(e, e.input(0), e.input(1), dim, e.int_(start), step);
  }
  const int64_t end = e.absent(4) ? std::numeric_limits<int64_t>::max() : e.constant_int(4, "end");
  return scatter_slice(e, e.input(0), e.input(1), dim, start, end, step);
}

Value* select_scatter(Emitter& e) {
  Value* x = e.input(0);
  const std::vector<Dim>& shape = e.shape(x, "self");
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (rank == 0) throw e.node().error("select_scatter on a zero-dim tensor");
  const int64_t dim = wrap_dim(e, e.constant_int(2, "dim"), rank);
  if (!ir::constant_int(e.input(3)))
    return scatter_at(e, x, e.op("aten::unsqueeze", {e.input(1), e.int_(dim)}), dim, e.input(3), 1);
  int64_t index = e.constant_int(3, "index");
  if (!shape[dim].is_static()) throw e.node().error("needs the size of dim " + std::to_string(dim) + " to be known");
  const int64_t len = shape[dim].value();
  if (index < -len || index >= len)
    throw e.node().error("index " + std::to_string(index) + " is out of bounds for dim " + std::to_string(dim) +
                         " of size " + std::to_string(len));
  if (index < 0) index += len;
  Value* src = e.op("aten::unsqueeze", {e.input(1), e.int_(dim)});
  return scatter_slice(e, x, src, dim, index, index + 1, 1);
}

Value* copy(Emitter& e) {
  Value* x = e.input(0);
  Value* src = e.input(1);
  const DType dtype = known_dtype(e, x, "self");
  if (known_dtype(e, src, "src") != dtype) src = e.cast(src, dtype);
  const auto& shape = x->type()->shape();
  const bool fixed = shape && std::all_of(shape->begin(), shape->end(), [](const Dim& d) { return d.is_static(); });
  if (fixed && src->type()->shape() == shape) return src;
  return e.op("aten::expand_as", {src, x});
}

Value* fill_scalar(Emitter& e) {
  Value* x = e.input(0);
  return e.op("aten::full", {e.sizes(x, all_dims(e, x)), e.input(1), dtype_code(e, known_dtype(e, x, "self")),
                             e.none(), e.none(), e.none()});
}

Value* fill_tensor(Emitter& e) {
  Value* x = e.input(0);
  Value* v = e.input(1);
  const DType dtype = known_dtype(e, x, "self");
  if (known_dtype(e, v, "value") != dtype) v = e.cast(v, dtype);
  return e.op("aten::expand_as", {v, x});
}

Value* zero(Emitter& e) {
  return e.op("aten::zeros_like", {e.input(0), e.none(), e.none(), e.none(), e.none(), e.none()});
}

// new_zeros/new_ones/new_empty(x, size, dtype, ...) and new_full(x, size,
// fill, dtype, ...): x's dtype when none is given.
Value* new_like(Emitter& e, const char* factory, Value* fill) {
  const size_t dtype_at = fill ? 3 : 2;
  Value* dtype = e.absent(dtype_at) ? dtype_code(e, known_dtype(e, e.input(0), "self")) : e.input(dtype_at);
  std::vector<Value*> args = {e.input(1)};
  if (fill) args.push_back(fill);
  args.insert(args.end(), {dtype, e.none(), e.none(), e.none()});
  return e.op(factory, args);
}
Value* new_zeros(Emitter& e) { return new_like(e, "aten::zeros", nullptr); }
Value* new_ones(Emitter& e) { return new_like(e, "aten::ones", nullptr); }
Value* new_full(Emitter& e) { return new_like(e, "aten::full", e.input(2)); }

Value* scalar_tensor(Emitter& e, Value* number, DType dtype) {
  return e.op("aten::full", {e.ints({}), number, dtype_code(e, dtype), e.none(), e.none(), e.none()});
}

Value* tensor_of_scalar(Emitter& e) {
  return scalar_tensor(e, e.input(0), known_dtype(e, e.node().output(), "result"));
}

// The tensor of one level of a list literal: a stack of its elements.
Value* stacked(Emitter& e, Value* list, DType dtype) {
  std::vector<Value*> items;
  if (const ir::AttrValue* a = ir::constant_attr(list)) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::vector<int64_t>> || std::is_same_v<T, std::vector<bool>>) {
            for (const auto v : x) items.push_back(scalar_tensor(e, e.int_(static_cast<int64_t>(v)), dtype));
          } else if constexpr (std::is_same_v<T, std::vector<double>>) {
            for (const double v : x) items.push_back(scalar_tensor(e, e.float_(v), dtype));
          } else {
            throw e.node().error("torch.tensor of a constant that is not a list of numbers");
          }
        },
        *a);
  } else if (list->node()->is("prim::ListConstruct")) {
    for (Value* item : list->node()->inputs())
      items.push_back(item->type()->kind() == ir::TypeKind::List ? stacked(e, item, dtype)
                                                                 : scalar_tensor(e, item, dtype));
  } else {
    throw e.node().error("torch.tensor needs a list literal, not a list computed at run time");
  }
  if (items.empty())
    return e.op("aten::zeros", {e.ints({0}), dtype_code(e, dtype), e.none(), e.none(), e.none()});
  return e.op("aten::stack", {e.list(items), e.int_(0)});
}

Value* tensor_of_list(Emitter& e) {
  return stacked(e, e.input(0), known_dtype(e, e.node().output(), "result"));
}

// index_put(x, indices, values, accumulate) where indices are Nones and
// then one boolean mask; nullptr (keep the node) for other indices.
Value* masked_index_put(Emitter& e) {
  const ir::Node* list = e.input(1)->node();
  if (!list->is("prim::ListConstruct")) return nullptr;
  size_t leading = 0;
  while (leading < list->num_inputs() && ir::is_none(list->input(leading))) ++leading;
  if (leading + 1 != list->num_inputs()) return nullptr;
  Value* mask = list->input(leading);
  const auto& mask_dtype = mask->type()->dtype();
  if (!mask_dtype || (*mask_dtype != DType::b8 && *mask_dtype != DType::u8)) return nullptr;
  Value* x = e.input(0);
  Value* values = e.input(2);
  const std::vector<Dim>& shape = e.shape(x, "self");
  const std::vector<Dim>& mask_shape = e.shape(mask, "mask");
  const size_t masked_end = leading + mask_shape.size();
  if (masked_end > shape.size())
    throw e.node().error("a mask of rank " + std::to_string(mask_shape.size()) + " after " + std::to_string(leading) +
                         " dims indexes past a tensor of rank " + std::to_string(shape.size()));
  for (size_t i = 0; i < mask_shape.size(); ++i)
    if (mask_shape[i].is_static() && shape[leading + i].is_static() && mask_shape[i] != shape[leading + i])
      throw e.node().error("the mask of shape " + ir::shape_str(mask_shape) + " does not match the indexed shape " +
                           ir::shape_str(shape) + " at dim " + std::to_string(leading + i));
  const size_t trailing = shape.size() - masked_end;
  if (e.shape(values, "values").size() > trailing) {
    // Values for each selected element (x[mask] = v, v as long as the mask
    // has true elements): written at the positions nonzero finds.
    std::vector<Value*> items(list->inputs().begin(), list->inputs().begin() + static_cast<std::ptrdiff_t>(leading));
    const std::vector<Value*> columns = mask_columns(e, mask, mask_shape.size());
    const auto& vs = e.shape(values, "values");
    const Dim& selected = vs[vs.size() - trailing - 1];
    const Dim& count = (*columns[0]->type()->shape())[0];
    if (vs.size() > trailing + 1 || (selected != count && !(selected.is_static() && selected.value() == 1)))
      throw e.node().error("values of shape " + ir::shape_str(vs) + " under a boolean mask: their size must be the "
                           "mask's count (the mask's own selection, " + count.str() + "), or 1");
    items.insert(items.end(), columns.begin(), columns.end());
    return e.op("aten::index_put", {x, e.list(items), values, e.input(3)});
  }
  if (*mask_dtype == DType::u8) mask = e.cast(mask, DType::b8);
  for (size_t i = 0; i < trailing; ++i) mask = e.op("aten::unsqueeze", {mask, e.int_(-1)});
  if (e.constant_bool(3, "accumulate"))
    return e.add(x, e.op("aten::where.ScalarOther", {mask, values, e.int_(0)}));
  return e.op("aten::where.self", {mask, values, x});
}

}  // namespace

Value* fill_diagonal(Emitter& e) {
  Value* x = e.input(0);
  const auto& shape = e.shape(x, "input");
  const auto rank = static_cast<int64_t>(shape.size());
  if (rank < 2) throw e.node().error("fill_diagonal_ needs a tensor of at least 2 dims");
  std::vector<int64_t> sizes;
  for (const Dim& d : shape) {
    if (!d.is_static()) throw e.node().error("fill_diagonal_ needs the sizes known when compiling, got " + d.str());
    sizes.push_back(d.value());
  }
  if (rank > 2 && std::any_of(sizes.begin(), sizes.end(), [&](int64_t s) { return s != sizes[0]; }))
    throw e.node().error("fill_diagonal_: all dimensions of the input must be of equal length");
  Value* on = nullptr;
  if (rank == 2 && !e.constant_bool(2, "wrap")) {
    on = e.op("aten::eq.Tensor", {positions_along(e, sizes[0], 0, 2), positions_along(e, sizes[1], 1, 2)});
  } else {
    // The flat position, a multiple of the diagonal's stride (n + 1 for a
    // matrix, which with wrap goes on past the first n rows).
    Value* flat = nullptr;
    int64_t stride = 1, diagonal = 0;
    for (int64_t d = rank - 1; d >= 0; --d) {
      Value* term = e.op("aten::mul.Scalar", {positions_along(e, sizes[static_cast<size_t>(d)], d, rank), e.int_(stride)});
      flat = flat ? e.add(flat, term) : term;
      diagonal += stride;
      stride *= sizes[static_cast<size_t>(d)];
    }
    on = e.op("aten::eq.Scalar", {e.op("aten::remainder.Scalar", {flat, e.int_(diagonal)}), e.int_(0)});
  }
  Value* filled = e.op("aten::where.ScalarSelf", {on, e.input(1), x});
  const auto& want = x->type()->dtype();
  return want && filled->type()->dtype() != want ? e.cast(filled, *want) : filled;
}

Value* embedding_renorm(Emitter& e) {
  Value *w = e.input(0), *indices = e.input(1);
  const auto& shape = e.shape(w, "weight");
  if (shape.size() != 2 || !shape[0].is_static())
    throw e.node().error("embedding_renorm_ needs a 2-D weight whose rows are known when compiling");
  Value* norms = e.op("aten::linalg_vector_norm", {w, e.input(3), e.ints({1}), e.bool_(false), e.none()});
  Value* zeros = e.op("aten::zeros_like", {norms, e.none(), e.none(), e.none(), e.none(), e.none()});
  Value* flat = e.op("aten::reshape", {indices, e.ints({-1})});
  Value* ones = e.op("aten::ones_like", {e.cast(flat, e.float_dtype(w, "weight")), e.none(), e.none(), e.none(), e.none(), e.none()});
  Value* named = e.op("aten::gt.Scalar", {e.op("aten::index_put", {zeros, e.list({flat}), ones, e.bool_(true)}), e.int_(0)});
  Value* over = e.op("aten::logical_and", {named, e.op("aten::gt.Scalar", {norms, e.input(2)})});
  Value* shrink = e.op("aten::reciprocal", {e.op("aten::add.Scalar", {norms, e.float_(1e-7), e.int_(1)})});
  shrink = e.op("aten::mul.Scalar", {shrink, e.input(2)});
  Value* scale = e.op("aten::where.ScalarOther", {over, shrink, e.float_(1.0)});
  return e.mul(w, e.op("aten::unsqueeze", {scale, e.int_(1)}));
}

std::vector<NamedRule> write_rules() {
  return {{"aten::fill_diagonal", fill_diagonal},
          {"aten::embedding_renorm", embedding_renorm},
          {"aten::slice_scatter", slice_scatter},
          {"aten::select_scatter", select_scatter},
          {"aten::copy", copy},
          {"aten::fill.Scalar", fill_scalar},
          {"aten::fill.Tensor", fill_tensor},
          {"aten::zero", zero},
          {"aten::new_zeros", new_zeros},
          {"aten::new_ones", new_ones},
          {"aten::new_empty", new_zeros},
          {"aten::new_full", new_full},
          {"aten::tensor.float", tensor_of_scalar},
          {"aten::tensor.int", tensor_of_scalar},
          {"aten::tensor.bool", tensor_of_scalar},
          {"aten::tensor", tensor_of_list},
          {"aten::as_tensor.list", tensor_of_list}};
}

std::vector<NamedRule> special_case_rules() { return {{"aten::index_put", masked_index_put}}; }

}  // namespace wick::passes::decompose_detail
