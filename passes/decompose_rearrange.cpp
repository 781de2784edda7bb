// Decomposition rules for rearranging ops, into views and products:
//   unbind(x, d)               = [select(x, d, i) for each i]
//   movedim / moveaxis         = permute; swapaxes / swapdims = transpose
//   tile(x, reps)              = repeat(x, reps with leading 1s to x's rank)
//   repeat_interleave(x, r, d) = x with a new dim after d, expanded to r and
//                                merged into d (no d: over x flattened)
//   outer(a, b)                = a[:, None] * b[None, :]; dot = sum(a * b);
//   mv(m, v)                   = matmul
//   diff(x, n, d)              = n times x[1:] - x[:-1] along d (!= for
//                                bools), after prepend and append
//   meshgrid(ts)               = each t viewed along its own dim and
//                                expanded to the grid ("xy": first two swapped)
//   hstack, vstack, dstack,    = cat of the tensors made 1-, 2- or 3-D with
//   column_stack                 unsqueeze (columns [n, 1] for column_stack)
//   mT, mH, matrix_H, adjoint  = transpose(-2, -1) (real tensors)
//   fliplr, flipud             = flip(x, [1]), flip(x, [0])
//   diagonal(x, k, d1, d2)     = d1, d2 moved last, flattened together, and
//                                index_select of i (cols + 1) + start
//   diag(v, k)                 = where(col - row == k, v padded along rows
//                                (k >= 0) or columns, 0); diag(m, k) its
//                                diagonal; trace = sum of the diagonal
//   rot90(x, k, dims)          = flips and a transpose, as ATen turns
//   take_along_dim(x, i, d)    = gather of both broadcast but at d
//   pixel_unshuffle(x, r)      = [.., C, H/r, r, W/r, r] permuted, reshaped
//   channel_shuffle(x, g)      = [N, g, C/g, ..] transposed, reshaped
//   kron(a, b)                 = a [a0, 1, a1, 1, ..] * b [1, b0, 1, b1, ..]
//   cross(a, b, d)             = the three 2 x 2 determinants, stacked
//   addmv, addbmm              = beta self + alpha (mat @ vec, or the sum of
//                                the batch's products); self unread for
//                                beta 0, as in torch
//   reshape_as, view_as(x, o)  = reshape(x, o's sizes); ravel = reshape(x, [-1])
//   broadcast_to(x, s)         = expand(x, s)
//   atleast_1d/2d/3d(x)        = x with NumPy's added dims of 1 (unsqueeze)
//   unfold(x, d, size, step)   = index_select of the windows' positions
//                                (w step + i) along d, reshaped to
//                                [.., windows, size, ..] and size moved last
//   diag_embed(x, k, d1, d2)   = diag's where over x's last dim, the two new
//                                dims moved to d1 and d2
#include "ir/constant_value.h"
#include "ir/shape_rules.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

int64_t wrap_dim(Emitter& e, int64_t d, int64_t rank) {
  if (d < -rank || d >= rank) throw e.node().error("dim " + std::to_string(d) + " out of range");
  return d < 0 ? d + rank : d;
}

int64_t static_size(Emitter& e, Value* x, int64_t d, const char* what) {
  const ir::Dim& n = e.shape(x, "input")[static_cast<size_t>(d)];
  if (!n.is_static()) throw e.node().error(std::string("needs the size of the ") + what + ", got " + n.str());
  return n.value();
}

Value* slice(Emitter& e, Value* x, int64_t d, int64_t start, int64_t end) {
  return e.op("aten::slice.Tensor", {x, e.int_(d), e.int_(start), e.int_(end), e.int_(1)});
}

Value* unbind(Emitter& e) {
  Value* x = e.input(0);
  const int64_t d = wrap_dim(e, e.constant_int(1, "dim"), static_cast<int64_t>(e.shape(x, "input").size()));
  const int64_t n = static_size(e, x, d, "unbound dim");
  std::vector<Value*> parts;
  for (int64_t i = 0; i < n; ++i) parts.push_back(e.op("aten::select.int", {x, e.int_(d), e.int_(i)}));
  if (parts.empty()) throw e.node().error("unbinding an empty dim gives an empty list, which is not supported");
  return e.list(parts);
}

Value* movedim(Emitter& e) {
  Value* x = e.input(0);
  const int64_t rank = static_cast<int64_t>(e.shape(x, "input").size());
  return e.op("aten::permute", {x, e.ints(ir::shape::movedim_order(e.node(), rank))});
}

Value* swap(Emitter& e) { return e.op("aten::transpose.int", {e.input(0), e.input(1), e.input(2)}); }

Value* tile(Emitter& e) {
  Value* x = e.input(0);
  auto reps = ir::constant_int_list(e.input(1));
  if (!reps) throw e.node().error("the repeats must be constants");
  while (reps->size() < e.shape(x, "input").size()) reps->insert(reps->begin(), 1);
  return e.op("aten::repeat", {x, e.ints(*reps)});
}

Value* repeat_interleave(Emitter& e) {
  Value* x = e.input(0);
  const int64_t r = e.constant_int(1, "repeats");
  int64_t d = 0;
  if (e.absent(2)) x = e.op("aten::reshape", {x, e.ints({-1})});
  else if (e.shape(x, "input").empty()) x = e.op("aten::reshape", {x, e.ints({1})});
  else d = wrap_dim(e, e.constant_int(2, "dim"), static_cast<int64_t>(e.shape(x, "input").size()));
  const int rank = static_cast<int>(e.shape(x, "input").size());
  Value* u = e.op("aten::unsqueeze", {x, e.int_(d + 1)});
  std::vector<Size> expanded, merged;
  for (int i = 0; i < rank; ++i) {
    expanded.push_back(Size::dim_of(i < d + 1 ? i : i + 1));
    merged.push_back(i == d ? Size::fixed(-1) : Size::dim_of(i));
  }
  expanded.insert(expanded.begin() + d + 1, Size::fixed(r));
  Value* wide = e.op("aten::expand", {u, e.sizes(u, expanded), e.bool_(false)});
  return e.op("aten::reshape", {wide, e.sizes(x, merged)});
}

Value* outer(Emitter& e) {
  return e.mul(e.op("aten::unsqueeze", {e.input(0), e.int_(1)}), e.op("aten::unsqueeze", {e.input(1), e.int_(0)}));
}

Value* dot(Emitter& e) { return e.op("aten::sum", {e.mul(e.input(0), e.input(1)), e.none()}); }
Value* mv(Emitter& e) { return e.op("aten::matmul", {e.input(0), e.input(1)}); }

Value* diff(Emitter& e) {
  Value* x = e.input(0);
  const int64_t n = e.constant_int(1, "n");
  const int64_t d = wrap_dim(e, e.constant_int(2, "dim"), static_cast<int64_t>(e.shape(x, "input").size()));
  if (!e.absent(3) || !e.absent(4)) {
    std::vector<Value*> parts;
    if (!e.absent(3)) parts.push_back(e.input(3));
    parts.push_back(x);
    if (!e.absent(4)) parts.push_back(e.input(4));
    x = e.op("aten::cat", {e.list(parts), e.int_(d)});
  }
  const bool bools = x->type()->dtype() == DType::b8;
  for (int64_t k = 0; k < n; ++k) {
    const int64_t size = static_size(e, x, d, "differenced dim");
    if (size == 0) break;
    Value *later = slice(e, x, d, 1, size), *earlier = slice(e, x, d, 0, size - 1);
    x = bools ? e.op("aten::ne.Tensor", {later, earlier}) : e.sub(later, earlier);
  }
  return x;
}

Value* meshgrid(Emitter& e) {
  const std::vector<Value*> tensors = e.input(0)->node()->inputs();
  const ir::AttrValue* indexing = e.node().num_inputs() > 1 ? ir::constant_attr(e.input(1)) : nullptr;
  const bool xy = indexing && std::holds_alternative<std::string>(*indexing) && std::get<std::string>(*indexing) == "xy";
  const int64_t n = static_cast<int64_t>(tensors.size());
  std::vector<Size> grid;
  std::vector<Value*> flat;
  for (int64_t i = 0; i < n; ++i) {
    flat.push_back(e.op("aten::reshape", {tensors[static_cast<size_t>(i)], e.ints({-1})}));
    grid.push_back(Size::fixed(static_size(e, flat.back(), 0, "grid's dims")));
  }
  if (xy && n >= 2) std::swap(grid[0], grid[1]);
  std::vector<Value*> out;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t at = xy && n >= 2 && i < 2 ? 1 - i : i;
    std::vector<int64_t> view(static_cast<size_t>(n), 1);
    view[static_cast<size_t>(at)] = -1;
    Value* v = e.op("aten::reshape", {flat[static_cast<size_t>(i)], e.ints(view)});
    out.push_back(e.op("aten::expand", {v, e.sizes(v, grid), e.bool_(false)}));
  }
  if (out.empty()) throw e.node().error("meshgrid of no tensors");
  return e.list(out);
}

// hstack / vstack / dstack / column_stack(tensors).
Value* stacks(Emitter& e) {
  const std::string& name = e.node().op().schema.name;
  const ir::Node* list = e.input(0)->node();
  if (!list->is("prim::ListConstruct") || list->num_inputs() == 0)
    throw e.node().error("needs a list of tensors built in the model");
  const size_t least = name == "vstack" ? 2 : name == "dstack" ? 3 : 1;
  auto unsqueeze = [&](Value* v, int64_t d) { return e.op("aten::unsqueeze", {v, e.int_(d)}); };
  std::vector<Value*> parts;
  for (Value* t : list->inputs()) {
    const size_t rank = e.shape(t, "tensor").size();
    if (name == "column_stack" && rank == 0) t = unsqueeze(unsqueeze(t, 0), 1);
    else if (name == "column_stack" && rank == 1) t = unsqueeze(t, 1);
    else if (rank == 0) for (size_t i = 0; i < least; ++i) t = unsqueeze(t, 0);
    else if (least == 2 && rank == 1) t = unsqueeze(t, 0);
    else if (least == 3 && rank == 1) t = unsqueeze(unsqueeze(t, 0), 2);
    else if (least == 3 && rank == 2) t = unsqueeze(t, 2);
    parts.push_back(t);
  }
  const size_t rank = e.shape(parts[0], "tensor").size();
  const int64_t d = name == "vstack" ? 0 : name == "dstack" ? 2 : (rank == 1 ? 0 : 1);
  return e.op("aten::cat", {e.list(parts), e.int_(d)});
}

Value* last_two_swapped(Emitter& e) { return e.op("aten::transpose.int", {e.input(0), e.int_(-2), e.int_(-1)}); }

Value* flip_along(Emitter& e, int64_t d, size_t least) {
  if (e.shape(e.input(0), "input").size() < least)
    throw e.node().error("needs a tensor of at least " + std::to_string(least) + " dims");
  return e.op("aten::flip", {e.input(0), e.ints({d})});
}
Value* fliplr(Emitter& e) { return flip_along(e, 1, 2); }
Value* flipud(Emitter& e) { return flip_along(e, 0, 1); }

// The diagonal `offset` of x's dims d1 and d2, as a last dim.
Value* diagonal_of(Emitter& e, Value* x, int64_t offset, int64_t d1, int64_t d2) {
  const int64_t rank = static_cast<int64_t>(e.shape(x, "input").size());
  d1 = wrap_dim(e, d1, rank);
  d2 = wrap_dim(e, d2, rank);
  const int64_t rows = static_size(e, x, d1, "diagonal's first dim"), cols = static_size(e, x, d2, "diagonal's second dim");
  const int64_t n = std::max<int64_t>(0, offset >= 0 ? std::min(rows, cols - offset) : std::min(rows + offset, cols));
  std::vector<int64_t> order;
  for (int64_t i = 0; i < rank; ++i)
    if (i != d1 && i != d2) order.push_back(i);
  order.push_back(d1);
  order.push_back(d2);
  Value* moved = e.op("aten::permute", {x, e.ints(order)});
  Value* flat = e.op("aten::flatten.using_ints", {moved, e.int_(rank - 2), e.int_(rank - 1)});
  const int64_t start = offset >= 0 ? offset : -offset * cols;
  Value* at = e.op("aten::arange", {e.int_(n), e.int_(4), e.none(), e.none(), e.none()});
  at = e.op("aten::add.Scalar", {e.op("aten::mul.Scalar", {at, e.int_(cols + 1)}), e.int_(start), e.int_(1)});
  return e.op("aten::index_select", {flat, e.int_(rank - 2), at});
}

Value* diagonal(Emitter& e) {
  return diagonal_of(e, e.input(0), e.constant_int(1, "offset"), e.constant_int(2, "dim1"), e.constant_int(3, "dim2"));
}

Value* diag(Emitter& e) {
  Value* x = e.input(0);
  const int64_t k = e.constant_int(1, "diagonal");
  const size_t rank = e.shape(x, "input").size();
  if (rank == 2) return diagonal_of(e, x, k, 0, 1);
  if (rank != 1) throw e.node().error("needs a 1-D or 2-D tensor");
  const int64_t n = static_size(e, x, 0, "vector");
  const int64_t m = n + std::abs(k);
  Value* padded = m == n ? x : e.op("aten::constant_pad_nd", {x, e.ints({0, m - n}), e.int_(0)});
  Value* along = e.op("aten::reshape", {padded, e.ints(k >= 0 ? std::vector<int64_t>{m, 1} : std::vector<int64_t>{1, m})});
  Value* index = e.op("aten::arange", {e.int_(m), e.int_(4), e.none(), e.none(), e.none()});
  Value* row = e.op("aten::reshape", {index, e.ints({m, 1})});
  Value* col = e.op("aten::reshape", {index, e.ints({1, m})});
  Value* on = e.op("aten::eq.Scalar", {e.sub(col, row), e.int_(k)});
  return e.op("aten::where.ScalarOther", {on, along, e.int_(0)});
}

Value* trace(Emitter& e) {
  if (e.shape(e.input(0), "input").size() != 2) throw e.node().error("needs a matrix");
  return e.op("aten::sum", {diagonal_of(e, e.input(0), 0, 0, 1), e.none()});
}

std::vector<int64_t> static_sizes(Emitter& e, Value* x, const char* what) {
  std::vector<int64_t> out;
  for (const ir::Dim& d : e.shape(x, what)) {
    if (!d.is_static()) throw e.node().error(std::string("needs the sizes of its ") + what + ", got a dim " + d.str());
    out.push_back(d.value());
  }
  return out;
}

Value* rot90(Emitter& e) {
  Value* x = e.input(0);
  const int64_t k = ((e.constant_int(1, "k") % 4) + 4) % 4;
  const std::vector<int64_t> dims = e.constant_ints(2, 2, "dims");
  const int64_t a = dims[0], b = dims[1];
  if (k == 0) return x;
  if (k == 2) return e.op("aten::flip", {x, e.ints({a, b})});
  Value* flipped = e.op("aten::flip", {x, e.ints({k == 1 ? b : a})});
  return e.op("aten::transpose.int", {flipped, e.int_(a), e.int_(b)});
}

Value* take_along_dim(Emitter& e) {
  Value *x = e.input(0), *index = e.input(1);
  if (e.absent(2)) {
    Value* flat = e.op("aten::reshape", {x, e.ints({-1})});
    return e.op("aten::gather", {flat, e.int_(0), e.op("aten::reshape", {index, e.ints({-1})}), e.bool_(false)});
  }
  const std::vector<int64_t> out = static_sizes(e, e.node().output(), "result");
  const int64_t rank = static_cast<int64_t>(out.size());
  const int64_t d = wrap_dim(e, e.constant_int(2, "dim"), rank);
  std::vector<int64_t> x_sizes = out;
  x_sizes[static_cast<size_t>(d)] = static_size(e, x, d, "input's dim");
  Value* xs = e.op("aten::expand", {x, e.ints(x_sizes), e.bool_(false)});
  Value* is = e.op("aten::expand", {index, e.ints(out), e.bool_(false)});
  return e.op("aten::gather", {xs, e.int_(d), is, e.bool_(false)});
}

Value* pixel_unshuffle(Emitter& e) {
  Value* x = e.input(0);
  const std::vector<int64_t> in = static_sizes(e, x, "input");
  const int64_t r = e.constant_int(1, "downscale_factor");
  const size_t lead = in.size() - 3;
  const int64_t c = in[lead], h = in[lead + 1] / r, w = in[lead + 2] / r;
  std::vector<int64_t> split(in.begin(), in.begin() + static_cast<int64_t>(lead)), order, out = split;
  split.insert(split.end(), {c, h, r, w, r});
  for (size_t i = 0; i < lead; ++i) order.push_back(static_cast<int64_t>(i));
  const int64_t b = static_cast<int64_t>(lead);
  order.insert(order.end(), {b, b + 2, b + 4, b + 1, b + 3});
  out.insert(out.end(), {c * r * r, h, w});
  Value* moved = e.op("aten::permute", {e.op("aten::reshape", {x, e.ints(split)}), e.ints(order)});
  return e.op("aten::reshape", {moved, e.ints(out)});
}

Value* channel_shuffle(Emitter& e) {
  Value* x = e.input(0);
  const std::vector<int64_t> in = static_sizes(e, x, "input");
  const int64_t g = e.constant_int(1, "groups");
  if (in.size() < 3) throw e.node().error("needs a tensor of at least 3 dims");
  if (g <= 0 || in[1] % g != 0) throw e.node().error("the channels must divide into the groups");
  std::vector<int64_t> split = {in[0], g, in[1] / g};
  split.insert(split.end(), in.begin() + 2, in.end());
  Value* t = e.op("aten::transpose.int", {e.op("aten::reshape", {x, e.ints(split)}), e.int_(1), e.int_(2)});
  return e.op("aten::reshape", {t, e.ints(in)});
}

Value* kron(Emitter& e) {
  std::vector<int64_t> a = static_sizes(e, e.input(0), "first operand"), b = static_sizes(e, e.input(1), "second operand");
  const size_t rank = std::max(a.size(), b.size());
  a.insert(a.begin(), rank - a.size(), 1);
  b.insert(b.begin(), rank - b.size(), 1);
  std::vector<int64_t> va, vb, out;
  for (size_t i = 0; i < rank; ++i) {
    va.insert(va.end(), {a[i], 1});
    vb.insert(vb.end(), {1, b[i]});
    out.push_back(a[i] * b[i]);
  }
  Value* product = e.mul(e.op("aten::reshape", {e.input(0), e.ints(va)}), e.op("aten::reshape", {e.input(1), e.ints(vb)}));
  return e.op("aten::reshape", {product, e.ints(out)});
}

Value* cross(Emitter& e) {
  Value *a = e.input(0), *b = e.input(1);
  const int64_t rank = static_cast<int64_t>(e.shape(e.node().output(), "result").size());
  int64_t d;
  if (e.node().op().schema.name == "linalg_cross") {
    d = e.constant_int(2, "dim");
  } else if (e.absent(2)) {
    // The deprecated default: the first dim of size 3.
    const auto& shape = e.shape(e.node().output(), "result");
    d = -1;
    for (int64_t i = 0; i < rank && d < 0; ++i)
      if (shape[static_cast<size_t>(i)].is_static() && shape[static_cast<size_t>(i)].value() == 3) d = i;
    if (d < 0) throw e.node().error("no dim of size 3");
  } else {
    d = e.constant_int(2, "dim");
  }
  d = wrap_dim(e, d, rank);
  for (Value* v : {a, b})
    if (static_size(e, v, d, "crossed dim") != 3) throw e.node().error("needs size 3 along the crossed dim");
  auto at = [&](Value* v, int64_t i) { return e.op("aten::select.int", {v, e.int_(d), e.int_(i)}); };
  auto det = [&](int64_t i, int64_t j) { return e.sub(e.mul(at(a, i), at(b, j)), e.mul(at(a, j), at(b, i))); };
  return e.op("aten::stack", {e.list({det(1, 2), det(2, 0), det(0, 1)}), e.int_(d)});
}

// beta self + alpha product, self unread for beta 0.
Value* scaled_sum(Emitter& e, Value* product) {
  auto beta = ir::constant_double(e.input(3));
  auto alpha = ir::constant_double(e.input(4));
  if (!beta || !alpha) throw e.node().error("beta and alpha must be constants");
  if (*alpha != 1) product = e.op("aten::mul.Scalar", {product, e.float_(*alpha)});
  if (*beta == 0) return product;
  Value* self = *beta == 1 ? e.input(0) : e.op("aten::mul.Scalar", {e.input(0), e.float_(*beta)});
  return e.add(self, product);
}

Value* addmv(Emitter& e) { return scaled_sum(e, e.op("aten::matmul", {e.input(1), e.input(2)})); }
Value* addbmm(Emitter& e) {
  return scaled_sum(e, e.sum(e.op("aten::bmm", {e.input(1), e.input(2)}), {0}, false));
}

Value* reshaped_as(Emitter& e) {
  Value* other = e.input(1);
  std::vector<Size> sizes;
  for (size_t d = 0; d < e.shape(other, "other").size(); ++d) sizes.push_back(Size::dim_of(static_cast<int>(d)));
  return e.op("aten::reshape", {e.input(0), e.sizes(other, sizes)});
}

Value* ravel(Emitter& e) { return e.op("aten::reshape", {e.input(0), e.ints({-1})}); }

Value* broadcast_to(Emitter& e) { return e.op("aten::expand", {e.input(0), e.input(1), e.bool_(false)}); }

Value* atleast(Emitter& e) {
  Value* x = e.input(0);
  const std::string& name = e.node().op().schema.name;
  const size_t least = name == "atleast_1d" ? 1 : name == "atleast_2d" ? 2 : 3;
  const size_t rank = e.shape(x, "input").size();
  if (rank >= least) return x;
  if (rank == 0) return e.op("aten::reshape", {x, e.ints(std::vector<int64_t>(least, 1))});
  if (rank == 1) x = e.op("aten::unsqueeze", {x, e.int_(0)});
  if (least == 3) x = e.op("aten::unsqueeze", {x, e.int_(-1)});
  return x;
}

Value* unfold(Emitter& e) {
  Value* x = e.input(0);
  const auto& shape = e.shape(x, "input");
  const auto rank = static_cast<int64_t>(shape.size());
  const int64_t d = wrap_dim(e, e.constant_int(1, "dimension"), rank);
  const int64_t size = e.constant_int(2, "size"), step = e.constant_int(3, "step");
  const int64_t n = static_size(e, x, d, "unfolded dim");
  const int64_t windows = (n - size) / step + 1;
  // Position w step + i of element i of window w, as one flat index.
  Value* starts = e.op("aten::mul.Scalar", {positions_along(e, windows, 0, 2), e.int_(step)});
  Value* positions = e.add(starts, positions_along(e, size, 1, 2));
  Value* rows = e.op("aten::index_select", {x, e.int_(d), e.op("aten::reshape", {positions, e.ints({-1})})});
  std::vector<Size> sizes;
  for (int64_t i = 0; i < rank; ++i) {
    if (i != d) {
      sizes.push_back(Size::dim_of(static_cast<int>(i)));
      continue;
    }
    sizes.push_back(Size::fixed(windows));
    sizes.push_back(Size::fixed(size));
  }
  Value* split = e.op("aten::reshape", {rows, e.sizes(x, sizes)});
  return d + 1 == rank ? split : e.op("aten::movedim.int", {split, e.int_(d + 1), e.int_(-1)});
}

Value* diag_embed(Emitter& e) {
  Value* x = e.input(0);
  const int64_t k = e.constant_int(1, "offset");
  const auto rank = static_cast<int64_t>(e.shape(x, "input").size()) + 1;
  const int64_t d1 = wrap_dim(e, e.constant_int(2, "dim1"), rank), d2 = wrap_dim(e, e.constant_int(3, "dim2"), rank);
  const int64_t n = static_size(e, x, rank - 2, "last dim");
  const int64_t m = n + std::abs(k);
  Value* padded = m == n ? x : e.op("aten::constant_pad_nd", {x, e.ints({0, m - n}), e.int_(0)});
  // Rows carry x for k >= 0 (out[i, i + k] = x[i]), columns for k < 0.
  Value* along = e.op("aten::unsqueeze", {padded, e.int_(k >= 0 ? -1 : -2)});
  Value* index = e.op("aten::arange", {e.int_(m), e.int_(4), e.none(), e.none(), e.none()});
  Value* row = e.op("aten::reshape", {index, e.ints({m, 1})});
  Value* col = e.op("aten::reshape", {index, e.ints({1, m})});
  Value* on = e.op("aten::eq.Scalar", {e.sub(col, row), e.int_(k)});
  Value* square = e.op("aten::where.ScalarOther", {on, along, e.int_(0)});
  if (d1 == rank - 2 && d2 == rank - 1) return square;
  return e.op("aten::movedim.intlist", {square, e.ints({rank - 2, rank - 1}), e.ints({d1, d2})});
}

}  // namespace

std::vector<NamedRule> rearrange_rules() {
  return {{"aten::unbind.int", unbind},       {"aten::movedim.int", movedim},  {"aten::movedim.intlist", movedim},
          {"aten::moveaxis.int", movedim},    {"aten::moveaxis.intlist", movedim}, {"aten::swapaxes", swap},
          {"aten::swapdims", swap},           {"aten::tile", tile},            {"aten::repeat_interleave.self_int", repeat_interleave},
          {"aten::outer", outer},             {"aten::ger", outer},            {"aten::dot", dot},
          {"aten::mv", mv},                   {"aten::diff", diff},            {"aten::meshgrid", meshgrid},
          {"aten::meshgrid.indexing", meshgrid}, {"aten::hstack", stacks}, {"aten::vstack", stacks},
          {"aten::dstack", stacks},           {"aten::column_stack", stacks},  {"aten::mT", last_two_swapped},
          {"aten::mH", last_two_swapped},     {"aten::matrix_H", last_two_swapped}, {"aten::adjoint", last_two_swapped},
          {"aten::fliplr", fliplr},           {"aten::flipud", flipud},        {"aten::diagonal", diagonal},
          {"aten::diag", diag},               {"aten::trace", trace},          {"aten::rot90", rot90},
          {"aten::take_along_dim", take_along_dim}, {"aten::pixel_unshuffle", pixel_unshuffle},
          {"aten::channel_shuffle", channel_shuffle}, {"aten::kron", kron}, {"aten::cross", cross},
          {"aten::linalg_cross", cross},      {"aten::addmv", addmv},          {"aten::addbmm", addbmm},
          {"aten::reshape_as", reshaped_as},  {"aten::view_as", reshaped_as},  {"aten::ravel", ravel},
          {"aten::broadcast_to", broadcast_to}, {"aten::atleast_1d", atleast}, {"aten::atleast_2d", atleast},
          {"aten::atleast_3d", atleast},      {"aten::unfold", unfold},        {"aten::diag_embed", diag_embed}};
}

}  // namespace wick::passes::decompose_detail
