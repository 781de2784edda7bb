// Reduction kernels: sum, mean, prod, amax/amin/max/min and the index
// reductions max.dim/min.dim/argmax/argmin, over any set of dims. The reduced input is read
// through pointwise_eval, so pointwise nodes of the group feeding it fuse in.
//
// Two loop orders. When the input's innermost (smallest-stride) dim is
// reduced, the reduced dims form the inner loops and carry the accumulator
// in registers; float adds are `fastmath<reassoc>` so LLVM vectorizes them
// with several partial sums. When the innermost dim is kept, the loops
// follow the input's dim order and accumulate across the kept dims: when
// the reduced dims are one range followed by a small static block of kept
// dims, into a buffer on the stack for each block; otherwise into the
// output in place. Both vectorize across the kept dims. Index reductions always carry
// (value, index) in registers and keep the first occurrence, NaN first as
// torch does. Over a dynamic dim, mean divides by the run-time count, and
// index reductions start from the identity instead of the first element
// (which may not exist). wick::sum_in_order adds without reassociating, so
// each output's float sum runs in index order.
//
// A row group (several reductions over the same trailing dims, with
// pointwise work before, between and after them: softmax, log_softmax,
// layer_norm) is one loop over the rows; in it, one carried pass over the
// row per reduction, whose result is bound to a register that the nodes
// after it read, then one pass writing the row's outputs. A row of a few KB
// stays in cache across the passes, so memory sees it read once and
// written once. What a reduction pass reduces, when a later pass needs it
// again (softmax's exponentials), goes to a row buffer on the stack instead
// of being computed twice.
#include <limits>
#include <map>
#include <optional>
#include <set>

#include "codegen/kernel_builder.h"
#include "codegen/pointwise_eval.h"
#include "codegen/reduction_op.h"
#include "ir/constant_value.h"
#include "ir/op_table.h"
#include "support/error.h"

namespace wick::codegen {
namespace {

struct Reduction {
  const ir::Node* node = nullptr;
  Combine combine = Combine::sum;
  bool mean = false;
  bool in_order = false;
  bool with_index = false;
  const ir::Value* self = nullptr;
  std::vector<Size> in_sizes;
  std::vector<bool> reduced;  // per input dim
  const ir::Value* values = nullptr;   // output of reduced values, or null
  const ir::Value* indices = nullptr;  // output of int64 indices, or null
  std::vector<Size> out_sizes;         // of the written outputs (values and indices agree)
  DType acc = DType::f32;              // accumulation dtype
  int64_t count = 1;                   // elements per output element, when static
  bool dynamic_count = false;          // a reduced dim is dynamic
  Scalar count_value;                  // then: the count in acc, computed before the loops
};

Reduction describe(KernelBuilder& b, const ir::Node& node) {
  Reduction r;
  r.node = &node;
  const std::string& name = node.op().schema.name;
  r.self = node.input(0);
  r.in_sizes = b.shape(r.self);
  const size_t rank = r.in_sizes.size();
  const ReductionOp op = reduction_op(node, rank);
  r.combine = op.combine;
  r.mean = op.mean;
  r.in_order = op.in_order;
  r.with_index = op.with_index;
  r.reduced = op.reduced;
  if (op.indices_only) r.indices = node.output(0);
  else r.values = node.output(0);
  if (r.with_index && !op.indices_only) r.indices = node.output(1);
  r.out_sizes = b.shape(r.values ? r.values : r.indices);
  // Only what the group writes.
  if (r.values && !b.output(r.values)) r.values = nullptr;
  if (r.indices && !b.output(r.indices)) r.indices = nullptr;
  const DType out = static_dtype(node.output(0));
  r.acc = opmath_dtype(accumulates_in_result(r.combine) ? out : static_dtype(r.self));
  // A dynamic dim may turn out empty at run time: reductions without an
  // identity then give it (the identity) where torch raises.
  int64_t out_count = 1;
  bool dynamic_out = false;
  for (size_t d = 0; d < rank; ++d) {
    const Size& n = r.in_sizes[d];
    if (n.dynamic()) (r.reduced[d] ? r.dynamic_count : dynamic_out) = true;
    else (r.reduced[d] ? r.count : out_count) *= n.value;
  }
  if (!has_identity(r.combine) && r.count == 0 && (out_count > 0 || dynamic_out))
    throw node.error(name + " of an empty tensor or dim has no identity");
  return r;
}

// The number of elements each output element reduces, as a value of dtype
// acc, when that depends on a dynamic dim.
void count_at_run_time(MlirWriter& w, Reduction& r) {
  if (!r.mean || !r.dynamic_count) return;
  std::string n = w.index(r.count);
  for (size_t d = 0; d < r.in_sizes.size(); ++d)
    if (r.reduced[d] && r.in_sizes[d].dynamic()) n = w.op("arith.muli " + n + ", " + r.in_sizes[d].ssa + " : index");
  r.count_value = w.convert(w.index_to_i64(n), r.acc);
}

// The output index of an input index: kept dims, and 0 for reduced dims the
// output keeps.
std::vector<std::string> out_index(MlirWriter& w, const Reduction& r, const std::vector<std::string>& in_idx) {
  const bool keeps_all = r.out_sizes.size() == r.in_sizes.size();
  std::vector<std::string> idx;
  for (size_t d = 0; d < r.in_sizes.size(); ++d) {
    if (!r.reduced[d]) idx.push_back(in_idx[d]);
    else if (keeps_all) idx.push_back(w.index(0));
  }
  WICK_ASSERT(idx.size() == r.out_sizes.size(), "reduction output rank does not match its dims");
  return idx;
}

Scalar identity(MlirWriter& w, const Reduction& r) { return reduction_identity(w, r.combine, r.acc); }

Scalar combine(MlirWriter& w, const Reduction& r, const Scalar& acc, const Scalar& x) {
  return combine_values(w, r.combine, acc, x, !r.in_order);
}

// Loops over `sizes` that carry values; static size-1 dims get no loop.
std::vector<std::string> open_carry(MlirWriter& w, const std::vector<Size>& sizes, std::vector<Scalar> init,
                                    std::vector<Scalar>* carried) {
  std::vector<std::string> idx;
  for (const Size& n : sizes) {
    if (n.is(1)) {
      idx.push_back(w.index(0));
      continue;
    }
    std::vector<Scalar> inner;
    idx.push_back(w.begin_for(n, init, &inner));
    init = inner;
  }
  *carried = init;
  return idx;
}

std::vector<Scalar> close_carry(MlirWriter& w, const std::vector<Size>& sizes, std::vector<Scalar> next) {
  for (size_t i = sizes.size(); i-- > 0;)
    if (!sizes[i].is(1)) next = w.end_for(next);
  return next;
}

// Splits an input index into kept and reduced positions and back.
std::vector<std::string> merge(const Reduction& r, const std::vector<std::string>& kept,
                               const std::vector<std::string>& red) {
  std::vector<std::string> idx;
  size_t k = 0, j = 0;
  for (size_t d = 0; d < r.in_sizes.size(); ++d) idx.push_back(r.reduced[d] ? red[j++] : kept[k++]);
  return idx;
}

void sizes_of(const Reduction& r, std::vector<Size>* kept, std::vector<Size>* red) {
  for (size_t d = 0; d < r.in_sizes.size(); ++d) (r.reduced[d] ? red : kept)->push_back(r.in_sizes[d]);
}

Scalar finish(MlirWriter& w, const Reduction& r, const Scalar& acc) {
  if (!r.mean) return acc;
  Scalar n = r.dynamic_count ? r.count_value : w.number(acc.dtype, static_cast<double>(r.count), r.count, true);
  return w.op("arith.divf " + acc.ssa + ", " + n.ssa + " : " + register_type(acc.dtype), acc.dtype);
}

// A contiguous buffer of static `sizes` on the kernel's stack, allocated
// once at its entry.
MemRef stack_buffer(MlirWriter& w, DType dtype, const std::vector<Size>& sizes) {
  TensorLayout layout = contiguous_layout(dtype, static_values(sizes));
  std::string plain = "memref<";
  for (int64_t n : layout.sizes) plain += std::to_string(n) + "x";
  plain += storage_type(layout.dtype) + ">";
  MemRef m{{}, layout, memref_type(layout), sizes};
  const std::string buffer = w.entry_op("memref.alloca() : " + plain, "row");
  m.ssa = w.entry_op("memref.cast " + buffer + " : " + plain + " to " + m.type, "row");
  return m;
}

// Reduced dims innermost, the accumulator in registers.
void emit_carried(KernelBuilder& b, const Reduction& r) {
  MlirWriter& w = b.w();
  PointwiseEval eval(b);
  std::vector<Size> kept_sizes, red_sizes;
  sizes_of(r, &kept_sizes, &red_sizes);
  const std::vector<std::string> kept = open_loops(w, kept_sizes);
  std::vector<Scalar> carried;
  const std::vector<std::string> red = open_carry(w, red_sizes, {identity(w, r)}, &carried);
  Scalar x = w.convert(eval.value_at(r.self, merge(r, kept, red)), r.acc);
  Scalar acc = close_carry(w, red_sizes, {combine(w, r, carried[0], x)})[0];
  eval.clear_cache();
  const std::vector<std::string> zeros(red_sizes.size(), w.index(0));
  w.store(finish(w, r, acc), *b.output(r.values), out_index(w, r, merge(r, kept, zeros)));
  close_loops(w, kept_sizes);
}

// Input dims in order, accumulating into the output in place.
void emit_in_place(KernelBuilder& b, const Reduction& r) {
  MlirWriter& w = b.w();
  const MemRef& out = *b.output(r.values);
  std::vector<std::string> idx = open_loops(w, r.out_sizes);
  w.store(identity(w, r), out, idx);
  close_loops(w, r.out_sizes);

  PointwiseEval eval(b);
  idx = open_loops(w, r.in_sizes);
  Scalar x = w.convert(eval.value_at(r.self, idx), r.acc);
  const std::vector<std::string> o = out_index(w, r, idx);
  w.store(combine(w, r, w.convert(w.load(out, o), r.acc), x), out, o);
  close_loops(w, r.in_sizes);
  eval.clear_cache();

  if (r.mean) {
    idx = open_loops(w, r.out_sizes);
    w.store(finish(w, r, w.convert(w.load(out, idx), r.acc)), out, idx);
    close_loops(w, r.out_sizes);
  }
}

// Accumulators of this many bytes at most go on the stack (emit_in_block).
constexpr int64_t kMaxBlockBytes = 16 << 10;

// The reduced dims as one range [first, last] followed by kept dims of
// static sizes whose accumulators fit in kMaxBlockBytes, if they are so.
std::optional<std::pair<size_t, size_t>> reduced_range_before_block(const Reduction& r) {
  std::optional<size_t> first, last;
  for (size_t d = 0; d < r.reduced.size(); ++d)
    if (r.reduced[d]) {
      if (!first) first = d;
      last = d;
    }
  if (!first) return std::nullopt;
  for (size_t d = *first; d <= *last; ++d)
    if (!r.reduced[d]) return std::nullopt;
  if (*last + 1 == r.in_sizes.size()) return std::nullopt;
  int64_t bytes = static_cast<int64_t>(dtype_size(r.acc));
  for (size_t d = *last + 1; d < r.in_sizes.size(); ++d) {
    if (r.in_sizes[d].dynamic()) return std::nullopt;
    bytes *= r.in_sizes[d].value;
  }
  if (bytes > kMaxBlockBytes) return std::nullopt;
  return std::make_pair(*first, *last);
}

// Input dims in order, as emit_in_place, but each block of the trailing
// kept dims accumulates in a stack buffer, written to the output once its
// reduced dims are done. LLVM knows the stack buffer aliases no argument,
// so the accumulation vectorizes (and small blocks live in registers);
// accumulating into the output, it must reload after every store. The
// buffer holds the accumulation dtype, so f16 and bf16 sums take this path.
void emit_in_block(KernelBuilder& b, const Reduction& r, size_t first, size_t last) {
  MlirWriter& w = b.w();
  const auto begin = r.in_sizes.begin();
  const std::vector<Size> outer(begin, begin + first), red(begin + first, begin + last + 1),
      inner(begin + last + 1, r.in_sizes.end());
  const MemRef block = stack_buffer(w, r.acc, inner);
  auto concat = [](std::vector<std::string> a, const std::vector<std::string>& b2,
                   const std::vector<std::string>& c) {
    a.insert(a.end(), b2.begin(), b2.end());
    a.insert(a.end(), c.begin(), c.end());
    return a;
  };
  const std::vector<std::string> o = open_loops(w, outer);
  std::vector<std::string> i = open_loops(w, inner);
  w.store(identity(w, r), block, i);
  close_loops(w, inner);

  PointwiseEval eval(b);
  const std::vector<std::string> k = open_loops(w, red);
  i = open_loops(w, inner);
  Scalar x = w.convert(eval.value_at(r.self, concat(o, k, i)), r.acc);
  w.store(combine(w, r, w.load(block, i), x), block, i);
  close_loops(w, inner);
  close_loops(w, red);
  eval.clear_cache();

  i = open_loops(w, inner);
  const std::vector<std::string> zeros(red.size(), w.index(0));
  w.store(finish(w, r, w.load(block, i)), *b.output(r.values), out_index(w, r, concat(o, zeros, i)));
  close_loops(w, inner);
  close_loops(w, outer);
}

// Whether the input's innermost dim (smallest stride, size above 1) is kept.
bool innermost_dim_kept(KernelBuilder& b, const Reduction& r) {
  const MemRef* in = b.input_tensor(r.self);
  int inner = -1;
  for (size_t d = 0; d < r.in_sizes.size(); ++d) {
    if (!r.in_sizes[d].dynamic() && r.in_sizes[d].value <= 1) continue;
    if (inner < 0 || !in || in->layout.strides[d] <= in->layout.strides[inner]) inner = static_cast<int>(d);
  }
  return inner >= 0 && !r.reduced[inner];
}

// (value, index) of the first maximum or minimum; NaN counts as the extreme.
void emit_with_index(KernelBuilder& b, const Reduction& r) {
  MlirWriter& w = b.w();
  PointwiseEval eval(b);
  std::vector<Size> kept_sizes, red_sizes;
  sizes_of(r, &kept_sizes, &red_sizes);
  const std::vector<std::string> kept = open_loops(w, kept_sizes);
  // Start from the first element of the reduced range, index 0; or, when
  // that range may be empty at run time, from the identity, index 0, which
  // the first element replaces unless it equals the identity (same result).
  std::vector<std::string> zeros(red_sizes.size(), w.index(0));
  Scalar first = r.dynamic_count ? identity(w, r) : w.convert(eval.value_at(r.self, merge(r, kept, zeros)), r.acc);
  std::vector<Scalar> carried;
  const std::vector<std::string> red = open_carry(w, red_sizes, {first, w.int_constant(DType::i64, 0)}, &carried);
  Scalar x = w.convert(eval.value_at(r.self, merge(r, kept, red)), r.acc);
  // The position in the reduced dims, row-major.
  Scalar pos = w.int_constant(DType::i64, 0);
  for (size_t j = 0; j < red.size(); ++j) {
    const Size& n = red_sizes[j];
    Scalar size = n.dynamic() ? w.index_to_i64(n.ssa) : w.int_constant(DType::i64, n.value);
    Scalar scaled = w.op("arith.muli " + pos.ssa + ", " + size.ssa + " : i64", DType::i64);
    pos = w.op("arith.addi " + scaled.ssa + ", " + w.index_to_i64(red[j]).ssa + " : i64", DType::i64);
  }
  const Scalar& best = carried[0];
  const bool max = r.combine == Combine::max;
  const std::string ty = " : " + register_type(r.acc);
  Scalar take;
  if (is_floating(r.acc)) {
    take = w.op(std::string("arith.cmpf ") + (max ? "ogt, " : "olt, ") + x.ssa + ", " + best.ssa + ty, DType::b8);
    Scalar x_nan = w.op("arith.cmpf uno, " + x.ssa + ", " + x.ssa + ty, DType::b8);
    Scalar best_num = w.op("arith.cmpf ord, " + best.ssa + ", " + best.ssa + ty, DType::b8);
    Scalar nan_first = w.op("arith.andi " + x_nan.ssa + ", " + best_num.ssa + " : i1", DType::b8);
    take = w.op("arith.ori " + take.ssa + ", " + nan_first.ssa + " : i1", DType::b8);
  } else {
    const bool u = r.acc == DType::u8 || r.acc == DType::b8;
    const std::string pred = std::string(u ? "u" : "s") + (max ? "gt" : "lt");
    take = w.op("arith.cmpi " + pred + ", " + x.ssa + ", " + best.ssa + ty, DType::b8);
  }
  std::vector<Scalar> result =
      close_carry(w, red_sizes, {w.select(take, x, best), w.select(take, pos, carried[1])});
  eval.clear_cache();
  const std::vector<std::string> o = out_index(w, r, merge(r, kept, zeros));
  if (r.values) w.store(result[0], *b.output(r.values), o);
  if (r.indices) w.store(result[1], *b.output(r.indices), o);
  close_loops(w, kept_sizes);
}

// Whether `v`, computed in the group, is or reads `target`.
bool reads(KernelBuilder& b, const ir::Value* v, const ir::Value* target) {
  if (v == target) return true;
  if (!b.in_group(v->node())) return false;
  for (const ir::Value* in : v->node()->inputs())
    if (reads(b, in, target)) return true;
  return false;
}

// Row buffers hold at most this many bytes each (a stack allocation).
constexpr int64_t kMaxRowBufferBytes = 64 << 10;

// Whether `v` has the shape of the row group's reduction results.
bool row_shaped(const ir::Value* v, const Reduction& r) {
  const auto& shape = v->type()->shape();
  return v->type()->is_tensor() && shape && *shape == *r.node->output(0)->type()->shape();
}

}  // namespace

void emit_row_group(KernelBuilder& b, const std::vector<const ir::Node*>& reductions) {
  MlirWriter& w = b.w();
  std::vector<Reduction> rs;
  for (const ir::Node* n : reductions) {
    Reduction r = describe(b, *n);
    WICK_ASSERT(!r.with_index, n->kind() + ": index reductions do not go in row groups");
    WICK_ASSERT(rs.empty() || (r.reduced == rs.front().reduced && r.in_sizes.size() == rs.front().in_sizes.size()),
                "the reductions of a row group reduce the same dims of one domain");
    count_at_run_time(w, r);
    rs.push_back(r);
  }
  const Reduction& first = rs.front();
  std::vector<Size> kept_sizes, red_sizes;
  sizes_of(first, &kept_sizes, &red_sizes);
  const std::vector<std::string> kept = open_loops(w, kept_sizes);
  const std::vector<std::string> row = merge(first, kept, std::vector<std::string>(red_sizes.size(), w.index(0)));
  PointwiseEval eval(b);

  // Values of the row's shape: bound to registers once what they read is.
  std::set<const ir::Value*> bound;
  auto bind = [&](const ir::Value* v, Scalar s) {
    s = w.convert(s, static_dtype(v));
    b.bind_register(v, s);
    bound.insert(v);
    if (const MemRef* out = b.output(v)) w.store(s, *out, row);
  };
  auto bind_ready_rows = [&] {
    for (const ir::Node* n : b.group().nodes) {
      if (n->op().lowering != ir::Lowering::pointwise || n->num_outputs() != 1) continue;
      const ir::Value* v = n->output();
      if (bound.count(v) || !row_shaped(v, first)) continue;
      bool ready = true;
      for (const ir::Value* in : n->inputs())
        if (in->type()->is_tensor() && b.in_group(in->node())) ready = ready && bound.count(in);
      if (ready) bind(v, eval.value_at(v, row));
    }
  };
  bind_ready_rows();
  // The outputs over the whole row.
  std::vector<const ir::Value*> whole;
  for (const ir::Value* v : b.group().outputs)
    if (!row_shaped(v, first)) whole.push_back(v);

  // Reduced values computed in the group that a later pass reads again.
  std::map<const ir::Value*, MemRef> buffers;
  int64_t row_elements = 1;
  bool static_row = true;
  for (const Size& n : red_sizes) {
    static_row = static_row && !n.dynamic();
    if (!n.dynamic()) row_elements *= n.value;
  }
  for (size_t k = 0; k < rs.size() && static_row; ++k) {
    const ir::Value* v = rs[k].self;
    const int64_t bytes = row_elements * static_cast<int64_t>(dtype_size(static_dtype(v)));
    if (!b.in_group(v->node()) || bytes > kMaxRowBufferBytes) continue;
    bool again = false;
    for (size_t j = k + 1; j < rs.size(); ++j) again = again || reads(b, rs[j].self, v);
    for (const ir::Value* o : whole) again = again || reads(b, o, v);
    if (!again) continue;
    buffers.emplace(v, stack_buffer(w, static_dtype(v), red_sizes));
  }

  for (size_t k = 0; k < rs.size(); ++k) {
    const Reduction& r = rs[k];
    std::vector<Scalar> carried;
    const std::vector<std::string> red = open_carry(w, red_sizes, {identity(w, r)}, &carried);
    // The buffers the passes before filled.
    for (size_t j = 0; j < k; ++j)
      if (buffers.count(rs[j].self)) eval.preset(rs[j].self, merge(r, kept, red), w.load(buffers.at(rs[j].self), red));
    Scalar value = eval.value_at(r.self, merge(r, kept, red));
    if (auto it = buffers.find(r.self); it != buffers.end()) w.store(value, it->second, red);
    Scalar acc = close_carry(w, red_sizes, {combine(w, r, carried[0], w.convert(value, r.acc))})[0];
    eval.clear_cache();
    bind(r.node->output(0), finish(w, r, acc));
    bind_ready_rows();
  }
  if (!whole.empty()) {
    const std::vector<std::string> red = open_loops(w, red_sizes);
    const std::vector<std::string> idx = merge(first, kept, red);
    for (const auto& [v, m] : buffers) eval.preset(v, idx, w.load(m, red));
    for (const ir::Value* v : whole) w.store(w.convert(eval.value_at(v, idx), static_dtype(v)), *b.output(v), idx);
    close_loops(w, red_sizes);
    eval.clear_cache();
  }
  close_loops(w, kept_sizes);
}

bool reduces_dim0(const ir::Node& node) {
  const auto& shape = node.input(0)->type()->shape();
  WICK_ASSERT(shape.has_value(), node.kind() + ": the rank of the input is unknown");
  const std::vector<bool> reduced = reduction_op(node, shape->size()).reduced;
  return !reduced.empty() && reduced[0];
}

void emit_reduction(KernelBuilder& b, const ir::Node& node) {
  for (const ir::Value* v : b.group().outputs)
    WICK_ASSERT(v->node() == &node, "a reduction group writes only the reduction's results");
  Reduction r = describe(b, node);
  WICK_ASSERT(r.values || r.indices, node.kind() + ": none of its results is a kernel output");
  count_at_run_time(b.w(), r);
  if (r.with_index) return emit_with_index(b, r);
  if (innermost_dim_kept(b, r)) {
    if (auto range = reduced_range_before_block(r)) return emit_in_block(b, r, range->first, range->second);
    if (opmath_dtype(static_dtype(r.values)) == static_dtype(r.values)) return emit_in_place(b, r);
  }
  emit_carried(b, r);
}

}  // namespace wick::codegen
