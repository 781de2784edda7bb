// Scatters, the inverses of gathers and slices that gradients are built
// from: slice_backward writes its input into zeros at the slice's positions;
// index_add adds alpha * source into a copy of self at the positions `index`
// names along a dim; index_put writes (or, accumulating, adds) values into a
// copy of self at the positions advanced indexing selects, and
// wick::index_put_reduce multiplies them in or keeps the maximum or minimum
// (NaN winning, as in torch). The loops run in order, so several updates of
// one position combine one after another: these
// kernels must not be split across threads along the indexed positions.
// Index tensors are checked as the gathers' are (see kernel_gen.h): a bad
// index sets the status and updates nothing.
#include "codegen/kernel_builder.h"
#include "codegen/pointwise_eval.h"
#include "codegen/reduction_op.h"
#include "ir/constant_value.h"
#include "support/error.h"

namespace wick::codegen {
namespace {

int64_t constant(const ir::Node& node, size_t i, const char* what) {
  auto v = ir::constant_int(node.input(i));
  if (!v) throw node.error(std::string(what) + " must be a constant");
  return *v;
}

// out[i] = 0 everywhere.
void fill_zero(MlirWriter& w, const MemRef& out) {
  const std::vector<std::string> idx = open_loops(w, out.layout.sizes);
  w.store(w.number(opmath_dtype(out.layout.dtype), 0, 0, true), out, idx);
  close_loops(w, out.layout.sizes);
}

// slice_backward(grad, input_sizes, dim, start, end, step).
void emit_slice_backward(KernelBuilder& b, const ir::Node& node) {
  MlirWriter& w = b.w();
  const MemRef& g = b.operand_of(node, node.input(0));
  const MemRef& out = b.result_of(node);
  const std::vector<int64_t>& os = out.layout.sizes;
  const int64_t rank = static_cast<int64_t>(os.size());
  int64_t d = constant(node, 2, "the dim");
  if (d < 0) d += rank;
  const int64_t step = constant(node, 5, "the step");
  // Start and end as slice normalizes them.
  const int64_t len = os[d], start = constant(node, 3, "the start"), end = constant(node, 4, "the end");
  const int64_t s = start < 0 ? std::max<int64_t>(start + len, 0) : std::min(start, len);
  const int64_t e = end < 0 ? std::max<int64_t>(end + len, 0) : std::min(end, len);
  std::vector<int64_t> expected = os;
  expected[d] = e > s ? (e - s + step - 1) / step : 0;
  if (g.layout.sizes != expected)
    throw node.error("the gradient has shape " + shape_str(g.layout.sizes) + " but the slice has " +
                     shape_str(expected));
  fill_zero(w, out);
  const std::vector<std::string> idx = open_loops(w, g.layout.sizes);
  std::vector<std::string> o = idx;
  if (g.layout.sizes[d] == 1) {
    o[d] = w.index(s);
  } else {
    std::string scaled = step == 1 ? idx[d] : w.op("arith.muli " + idx[d] + ", " + w.index(step) + " : index");
    o[d] = s == 0 ? scaled : w.op("arith.addi " + scaled + ", " + w.index(s) + " : index");
  }
  w.store(w.load(g, idx), out, o);
  close_loops(w, g.layout.sizes);
}

// A Scalar operand in dtype t: a kernel argument or a constant.
Scalar scalar_operand(KernelBuilder& b, const ir::Node& node, const ir::Value* v, DType t) {
  MlirWriter& w = b.w();
  if (const Scalar* s = b.input_scalar(v)) return w.convert(*s, t);
  const ir::AttrValue* a = ir::constant_attr(v);
  WICK_ASSERT(a != nullptr, node.kind() + ": a scalar operand is neither an argument nor a constant");
  if (auto* i = std::get_if<int64_t>(a)) return w.number(t, 0, *i, true);
  if (auto* f = std::get_if<double>(a)) return w.number(t, *f, 0, false);
  if (auto* c = std::get_if<bool>(a)) return w.number(t, 0, *c ? 1 : 0, true);
  throw node.error("a scalar operand of an unsupported kind");
}

// index_add(self, dim, index, source, alpha).
void emit_index_add(KernelBuilder& b, const ir::Node& node) {
  MlirWriter& w = b.w();
  const MemRef& self = b.operand_of(node, node.input(0));
  const MemRef& index = b.operand_of(node, node.input(2));
  const MemRef& source = b.operand_of(node, node.input(3));
  const MemRef& out = b.result_of(node);
  const std::vector<int64_t>& os = out.layout.sizes;
  const int64_t rank = static_cast<int64_t>(os.size());
  if (rank == 0) throw node.error("index_add of a zero-dim tensor is not supported");
  int64_t d = constant(node, 1, "the dim");
  if (d < 0) d += rank;
  const bool scalar_index = index.layout.sizes.empty();
  const int64_t m = scalar_index ? 1 : index.layout.sizes[0];
  std::vector<int64_t> expected = os;
  expected[d] = m;
  if (source.layout.sizes != expected)
    throw node.error("source has shape " + shape_str(source.layout.sizes) + " but " + shape_str(expected) +
                     " was expected");
  const DType t = opmath_dtype(out.layout.dtype);
  auto alpha_const = ir::constant_double(node.input(4));
  const bool unit = alpha_const && *alpha_const == 1.0;
  const Scalar alpha = unit ? Scalar{} : scalar_operand(b, node, node.input(4), t);
  b.add_status();
  emit_copy(w, self, out);
  const std::vector<int64_t> pre_sizes(os.begin(), os.begin() + d), post_sizes(os.begin() + d + 1, os.end());
  const std::vector<std::string> pre = open_loops(w, pre_sizes);
  const std::string i = m == 1 ? w.index(0) : w.begin_for(m);
  const std::vector<std::string> at = scalar_index ? std::vector<std::string>{} : std::vector{i};
  CheckedIndex c = check_index(w, w.load(index, at), os[d], false);
  w.begin_if(c.ok);
  const std::vector<std::string> post = open_loops(w, post_sizes);
  std::vector<std::string> from = pre, to = pre;
  from.push_back(i);
  to.push_back(c.index);
  from.insert(from.end(), post.begin(), post.end());
  to.insert(to.end(), post.begin(), post.end());
  Scalar v = w.convert(w.load(source, from), t);
  if (!unit) v = combine_values(w, Combine::prod, v, alpha, false);
  w.store(combine_values(w, Combine::sum, w.convert(w.load(out, to), t), v, false), out, to);
  close_loops(w, post_sizes);
  w.begin_else();
  b.report_out_of_range();
  w.end_if();
  if (m != 1) w.end_for();
  close_loops(w, pre_sizes);
}

// index_put(self, indices, values, accumulate) and
// wick::index_put_reduce(self, indices, values, reduce).
void emit_index_put(KernelBuilder& b, const ir::Node& node) {
  MlirWriter& w = b.w();
  const MemRef& self = b.operand_of(node, node.input(0));
  const MemRef& values = b.operand_of(node, node.input(2));
  const MemRef& out = b.result_of(node);
  const std::vector<Size>& s = out.sizes;
  const std::optional<Combine> combine = scatter_combine(node);
  const AdvancedIndex a = advanced_index(b, node, s, node.input(1));
  // Two dynamic sizes (a mask's count and the values selected by it) were
  // matched by shape inference; a dynamic size against a static one cannot
  // be, and is refused with the static mismatches.
  const std::vector<Size>& vs = values.sizes;
  bool broadcasts = vs.size() <= a.result_sizes.size();
  for (size_t k = 0; broadcasts && k < vs.size(); ++k) {
    const Size& r = a.result_sizes[a.result_sizes.size() - vs.size() + k];
    broadcasts = vs[k].is(1) || (vs[k].dynamic() && r.dynamic()) || vs[k] == r;
  }
  if (!broadcasts)
    throw node.error("values of shape " + sizes_str(vs) + " do not broadcast to the indexed shape " +
                     sizes_str(a.result_sizes));
  const DType t = opmath_dtype(out.layout.dtype);
  b.add_status();
  emit_copy(w, self, out);
  const std::vector<std::string> pre = open_loops(w, a.pre_sizes);
  const std::vector<std::string> bidx = open_loops(w, a.bshape);
  std::vector<std::string> picked;
  std::optional<Scalar> ok = a.pick(w, s, bidx, picked);
  if (ok) w.begin_if(*ok);
  const std::vector<std::string> rest = open_loops(w, a.rest_sizes);
  std::vector<std::string> target = picked;
  for (size_t k = 0; k < a.pre_dims.size(); ++k) target[a.pre_dims[k]] = pre[k];
  for (size_t k = 0; k < a.rest_dims.size(); ++k) target[a.rest_dims[k]] = rest[k];
  std::vector<std::string> at = pre;
  at.insert(at.end(), bidx.begin(), bidx.end());
  at.insert(at.end(), rest.begin(), rest.end());
  Scalar v = w.convert(w.load(values, broadcast_index(w, vs, a.result_sizes, at)), t);
  if (combine) v = combine_values(w, *combine, w.convert(w.load(out, target), t), v, false);
  w.store(v, out, target);
  close_loops(w, a.rest_sizes);
  if (ok) {
    w.begin_else();
    b.report_out_of_range();
    w.end_if();
  }
  close_loops(w, a.bshape);
  close_loops(w, a.pre_sizes);
}

}  // namespace

void emit_scatter(KernelBuilder& b, const ir::Node& node) {
  if (node.is("aten::slice_backward")) return emit_slice_backward(b, node);
  if (node.is("aten::index_add")) return emit_index_add(b, node);
  WICK_ASSERT(node.is("aten::index_put") || node.is("wick::index_put_reduce"), "no scatter kernel for " + node.kind());
  emit_index_put(b, node);
}

}  // namespace wick::codegen
