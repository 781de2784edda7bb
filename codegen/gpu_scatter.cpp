// GPU scatters, without atomics and deterministic:
//   - slice_backward is a gather in disguise: a thread per output element
//     reads the gradient where the element lies on the slice, else writes 0;
//   - index_add, index_put and index_put_reduce give each thread a column: the output
//     positions that share the dims no index selects. The thread copies
//     self into its column, then applies every update that lands there in
//     the CPU kernel's order (kernel_scatter.cpp), so repeated indices
//     combine one after another and no two threads write one element.
// A bad index sets the status flag and updates nothing, as on the CPU.
#include "codegen/gpu_builder.h"
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

// The thread mapping over the columns: the output dims in `dims`.
bool open_columns(GpuBuilder& g, DomainMap& m, const std::vector<int64_t>& out_sizes, const std::vector<int64_t>& dims,
                  std::vector<std::string>* idx) {
  std::vector<int64_t> sizes;
  for (int64_t d : dims) sizes.push_back(out_sizes[d]);
  bool empty = false;
  for (int64_t n : out_sizes) empty = empty || n == 0;
  m = plan_domain(sizes, 1);
  g.launch = launch_of(m);
  if (empty || m.empty) return false;
  *idx = open_domain(g, m);
  return true;
}

// slice_backward(grad, input_sizes, dim, start, end, step).
void emit_slice_backward(GpuBuilder& g, const ir::Node& node) {
  KernelBuilder& b = g.kb();
  MlirWriter& w = g.w();
  const MemRef& grad = b.operand_of(node, node.input(0));
  const MemRef& out = b.result_of(node);
  const std::vector<int64_t>& os = out.layout.sizes;
  const int64_t rank = static_cast<int64_t>(os.size());
  int64_t d = constant(node, 2, "the dim");
  if (d < 0) d += rank;
  const int64_t step = constant(node, 5, "the step");
  const int64_t len = os[d], start = constant(node, 3, "the start"), end = constant(node, 4, "the end");
  const int64_t s = start < 0 ? std::max<int64_t>(start + len, 0) : std::min(start, len);
  const int64_t e = end < 0 ? std::max<int64_t>(end + len, 0) : std::min(end, len);
  std::vector<int64_t> expected = os;
  expected[d] = e > s ? (e - s + step - 1) / step : 0;
  if (grad.layout.sizes != expected)
    throw node.error("the gradient has shape " + shape_str(grad.layout.sizes) + " but the slice has " +
                     shape_str(expected));
  DomainMap m = plan_domain(os, 1);
  g.launch = launch_of(m);
  if (m.empty) return;
  const std::vector<std::string> idx = open_domain(g, m);
  Scalar zero = w.number(grad.layout.dtype, 0, 0, true);
  if (expected[d] == 0) {
    w.store(zero, out, idx);
  } else {
    // t = i - start wraps around below start, so one unsigned compare
    // covers both ends of the slice.
    const std::string t = w.op("arith.subi " + idx[d] + ", " + w.index(s) + " : index");
    Scalar on = g.less(t, expected[d] * step);
    std::string q = t;
    if (step != 1) {
      on = g.both(on, g.equal(g.rem(t, step), 0));
      q = g.div(t, step);
    }
    std::vector<std::string> at = idx;
    at[d] = w.op("arith.select " + on.ssa + ", " + q + ", " + w.index(0) + " : index");
    const Scalar v = w.load(grad, at);
    w.store(w.select(on, v, zero), out, idx);
  }
  close_domain(g, m);
}

// index_add(self, dim, index, source, alpha).
void emit_index_add(GpuBuilder& g, const ir::Node& node) {
  KernelBuilder& b = g.kb();
  MlirWriter& w = g.w();
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
  g.add_status();
  std::vector<int64_t> column_dims;
  for (int64_t k = 0; k < rank; ++k)
    if (k != d) column_dims.push_back(k);
  DomainMap map;
  std::vector<std::string> col;
  if (!open_columns(g, map, os, column_dims, &col)) return;
  auto full = [&](const std::string& at_d) {
    std::vector<std::string> idx = col;
    idx.insert(idx.begin() + d, at_d);
    return idx;
  };
  // The column of self, then the updates in index order.
  const std::string j = w.begin_for(os[d]);
  w.store(w.load(self, full(j)), out, full(j));
  w.end_for();
  const std::string i = m == 1 ? w.index(0) : w.begin_for(m);
  const CheckedIndex c = check_index(w, w.load(index, scalar_index ? std::vector<std::string>{} : std::vector{i}),
                                     os[d], false);
  w.begin_if(c.ok);
  Scalar v = w.convert(w.load(source, full(i)), t);
  if (!unit) v = combine_values(w, Combine::prod, v, alpha, false);
  w.store(combine_values(w, Combine::sum, w.convert(w.load(out, full(c.index)), t), v, false), out, full(c.index));
  w.begin_else();
  g.store_status();
  w.end_if();
  if (m != 1) w.end_for();
  close_domain(g, map);
}

// index_put(self, indices, values, accumulate) and
// wick::index_put_reduce(self, indices, values, reduce).
void emit_index_put(GpuBuilder& g, const ir::Node& node) {
  KernelBuilder& b = g.kb();
  MlirWriter& w = g.w();
  const MemRef& self = b.operand_of(node, node.input(0));
  const MemRef& values = b.operand_of(node, node.input(2));
  const MemRef& out = b.result_of(node);
  const std::vector<Size> s = static_shape(out.layout.sizes);
  const std::optional<Combine> combine = scatter_combine(node);
  const AdvancedIndex a = advanced_index(b, node, s, node.input(1));
  const std::vector<int64_t>& vs = values.layout.sizes;
  bool broadcasts = vs.size() <= a.result_sizes.size();
  for (size_t k = 0; broadcasts && k < vs.size(); ++k) {
    const int64_t r = a.result_sizes[a.result_sizes.size() - vs.size() + k].value;
    broadcasts = vs[k] == 1 || vs[k] == r;
  }
  if (!broadcasts)
    throw node.error("values of shape " + shape_str(vs) + " do not broadcast to the indexed shape " +
                     shape_str(static_values(a.result_sizes)));
  const DType t = opmath_dtype(out.layout.dtype);
  g.add_status();
  // Columns: the dims no index selects, in order (pre_dims, then rest_dims).
  std::vector<int64_t> column_dims = a.pre_dims;
  column_dims.insert(column_dims.end(), a.rest_dims.begin(), a.rest_dims.end());
  DomainMap map;
  std::vector<std::string> col;
  if (!open_columns(g, map, out.layout.sizes, column_dims, &col)) return;
  const size_t np = a.pre_dims.size();
  auto fill_columns = [&](std::vector<std::string>& idx) {
    for (size_t k = 0; k < column_dims.size(); ++k) idx[column_dims[k]] = col[k];
  };
  // The column of self: every position of the indexed dims.
  std::vector<Size> indexed_sizes;
  std::vector<int64_t> indexed_dims;
  for (size_t k = 0; k < s.size(); ++k)
    if (a.index[k]) {
      indexed_dims.push_back(static_cast<int64_t>(k));
      indexed_sizes.push_back(s[k]);
    }
  {
    const std::vector<std::string> at = open_loops(w, indexed_sizes);
    std::vector<std::string> idx(s.size());
    fill_columns(idx);
    for (size_t k = 0; k < indexed_dims.size(); ++k) idx[indexed_dims[k]] = at[k];
    w.store(w.load(self, idx), out, idx);
    close_loops(w, indexed_sizes);
  }
  // The updates, in the order of the broadcast index shape.
  const std::vector<std::string> bidx = open_loops(w, a.bshape);
  std::vector<std::string> target;
  const std::optional<Scalar> ok = a.pick(w, s, bidx, target);
  fill_columns(target);
  if (ok) w.begin_if(*ok);
  std::vector<std::string> at(col.begin(), col.begin() + static_cast<std::ptrdiff_t>(np));
  at.insert(at.end(), bidx.begin(), bidx.end());
  at.insert(at.end(), col.begin() + static_cast<std::ptrdiff_t>(np), col.end());
  Scalar v = w.convert(w.load(values, broadcast_index(w, static_shape(vs), a.result_sizes, at)), t);
  if (combine) v = combine_values(w, *combine, w.convert(w.load(out, target), t), v, false);
  w.store(v, out, target);
  if (ok) {
    w.begin_else();
    g.store_status();
    w.end_if();
  }
  close_loops(w, a.bshape);
  close_domain(g, map);
}

}  // namespace

void emit_gpu_scatter(GpuBuilder& g, const ir::Node& node) {
  if (node.is("aten::slice_backward")) return emit_slice_backward(g, node);
  if (node.is("aten::index_add")) return emit_index_add(g, node);
  WICK_ASSERT(node.is("aten::index_put") || node.is("wick::index_put_reduce"),
              "no GPU scatter kernel for " + node.kind());
  emit_index_put(g, node);
}

}  // namespace wick::codegen
