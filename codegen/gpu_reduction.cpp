// GPU reduction kernels: one or more reductions (sum, mean, prod, amax,
// amin, max, min, max.dim, min.dim, argmax, argmin) over the same dims of one domain,
// with pointwise nodes of the group before, between and after them. One
// reduction is the CPU generator's reduction group; several, with pointwise
// work between, are a row group (softmax, log_softmax, layer_norm).
//
// Rows are the kept positions (an output element each). Two mappings:
//   - row mode, when the innermost dim of the domain (the last one of size
//     other than 1) is reduced: T threads per row (T a power of two from 32
//     to 1024, about a quarter of the row; several rows per block when T is
//     below 128) stride through that dim, looping over any other reduced
//     dims; partial results combine by warp shuffles (butterfly, so every
//     lane gets the total) and, past one warp, through shared memory.
//   - column mode, otherwise: one thread per row, rows mapped like an
//     elementwise domain (adjacent threads take adjacent kept positions,
//     so reads coalesce), each looping over the reduced dims.
// Each reduction's result is bound to a per-thread register
// (GpuBuilder::bind_register), so the pointwise nodes after it read it
// like an input. When a thread's share of a row is at most 32 elements and
// the group needs more than one pass, the share is computed once, unrolled,
// and kept in registers (PointwiseEval's cache) across passes: the row is
// read from memory once. Otherwise each pass loops over the share again.
//
// Semantics as on the CPU: sums accumulate in the output's opmath dtype,
// max/min propagate NaN, max.dim/min.dim/argmax/argmin keep the first occurrence
// (NaN counting as the extreme), mean divides by the static count.
#include <algorithm>
#include <limits>

#include "codegen/gpu_builder.h"
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
  bool with_index = false;
  const ir::Value* self = nullptr;
  const ir::Value* values = nullptr;   // the reduced values, or null (argmax)
  const ir::Value* indices = nullptr;  // the int64 indices, or null
  std::vector<bool> reduced;
  DType acc = DType::f32;
};

Reduction describe(const ir::Node& node) {
  Reduction r;
  r.node = &node;
  const std::string& name = node.op().schema.name;
  r.self = node.input(0);
  const std::vector<int64_t> sizes = static_sizes(r.self);
  const ReductionOp op = reduction_op(node, sizes.size());
  r.combine = op.combine;
  r.mean = op.mean;
  r.with_index = op.with_index;
  r.reduced = op.reduced;
  if (op.indices_only) r.indices = node.output(0);
  else r.values = node.output(0);
  if (r.with_index && !op.indices_only) r.indices = node.output(1);
  const DType out = static_dtype(node.output(0));
  r.acc = opmath_dtype(accumulates_in_result(r.combine) ? out : static_dtype(r.self));
  int64_t count = 1, out_count = 1;
  for (size_t d = 0; d < sizes.size(); ++d) (r.reduced[d] ? count : out_count) *= sizes[d];
  if (!has_identity(r.combine) && count == 0 && out_count > 0)
    throw node.error(name + " of an empty tensor or dim has no identity");
  return r;
}

Scalar identity(MlirWriter& w, const Reduction& r) { return reduction_identity(w, r.combine, r.acc); }

// A partial result: the value and, for index reductions, its position.
struct Partial {
  Scalar value;
  Scalar index;  // i64; empty without an index
};

// Index reductions: b replaces a when it is more extreme, or NaN where a is
// not, or equal (both NaN included) at a smaller position. The order of
// combining then does not matter: the result is the first extreme, as torch.
Partial combine(MlirWriter& w, const Reduction& r, const Partial& a, const Partial& b) {
  if (!r.with_index) return {combine_values(w, r.combine, a.value, b.value, false), {}};
  const bool max = r.combine == Combine::max;
  const std::string ty = " : " + register_type(r.acc);
  const std::string ab = " " + b.value.ssa + ", " + a.value.ssa + ty;
  Scalar better, equal;
  if (is_floating(r.acc)) {
    better = w.op(std::string("arith.cmpf ") + (max ? "ogt," : "olt,") + ab, DType::b8);
    Scalar b_nan = w.op("arith.cmpf uno, " + b.value.ssa + ", " + b.value.ssa + ty, DType::b8);
    Scalar a_num = w.op("arith.cmpf ord, " + a.value.ssa + ", " + a.value.ssa + ty, DType::b8);
    Scalar a_nan = w.op("arith.xori " + a_num.ssa + ", " + w.bool_constant(true).ssa + " : i1", DType::b8);
    better = w.op("arith.ori " + better.ssa + ", " +
                      w.op("arith.andi " + b_nan.ssa + ", " + a_num.ssa + " : i1", DType::b8).ssa + " : i1",
                  DType::b8);
    equal = w.op("arith.cmpf oeq," + ab, DType::b8);
    equal = w.op("arith.ori " + equal.ssa + ", " +
                     w.op("arith.andi " + b_nan.ssa + ", " + a_nan.ssa + " : i1", DType::b8).ssa + " : i1",
                 DType::b8);
  } else {
    const bool u = r.acc == DType::u8 || r.acc == DType::b8;
    better = w.op("arith.cmpi " + std::string(u ? "u" : "s") + (max ? "gt," : "lt,") + ab, DType::b8);
    equal = w.op("arith.cmpi eq," + ab, DType::b8);
  }
  Scalar earlier = w.op("arith.cmpi slt, " + b.index.ssa + ", " + a.index.ssa + " : i64", DType::b8);
  Scalar take = w.op("arith.ori " + better.ssa + ", " +
                         w.op("arith.andi " + equal.ssa + ", " + earlier.ssa + " : i1", DType::b8).ssa + " : i1",
                     DType::b8);
  return {w.select(take, b.value, a.value), w.select(take, b.index, a.index)};
}

// One element of a thread's share of a row.
struct Element {
  std::vector<std::string> idx;  // the domain index
  Scalar in_range;               // i1, or empty when always in range
  std::string position;          // row-major position among the reduced dims (index reductions)
};

class Reducer {
 public:
  Reducer(GpuBuilder& g, const std::vector<const ir::Node*>& nodes) : g_(g), b_(g.kb()), w_(g.w()), eval_(b_) {
    for (const ir::Node* n : nodes) reductions_.push_back(describe(*n));
    domain_ = static_sizes(reductions_.front().self);
    reduced_ = reductions_.front().reduced;
    for (const Reduction& r : reductions_)
      if (static_sizes(r.self) != domain_ || r.reduced != reduced_)
        throw r.node->error("GPU kernels reduce one set of dims of one shape per group; " + r.node->kind() +
                            " reduces " + r.self->type()->str() + " differently from the group's first reduction");
    for (size_t d = 0; d < domain_.size(); ++d) {
      if (reduced_[d]) count_ *= domain_[d];
      else kept_.push_back(static_cast<int>(d));
      if (domain_[d] != 1) split_ = static_cast<int>(d);
    }
    row_mode_ = split_ >= 0 && reduced_[split_];
    // The position of each reduced dim in the row-major order of the reduced dims.
    position_stride_.assign(domain_.size(), 0);
    int64_t stride = 1;
    for (size_t d = domain_.size(); d-- > 0;)
      if (reduced_[d]) {
        position_stride_[d] = stride;
        stride *= domain_[d];
      }
    // Dims each thread loops over (or unrolls): reduced dims of size other
    // than 1, the split dim excepted in row mode.
    for (size_t d = 0; d < domain_.size(); ++d)
      if (reduced_[d] && domain_[d] != 1 && !(row_mode_ && static_cast<int>(d) == split_))
        loop_dims_.push_back(static_cast<int>(d));
  }

  void emit();

 private:
  bool is_domain_shaped(const ir::Value* v) const { return static_sizes(v) == domain_; }
  bool is_row_shaped(const ir::Value* v) const;
  std::vector<std::string> row_index(const ir::Value* v) const;  // v row-shaped
  void plan_rows();
  void open_rows();
  void close_rows();
  std::vector<Element> unrolled_elements();
  Element loop_element(const std::vector<Scalar>& init, std::vector<Scalar>* carried);
  std::vector<Scalar> close_loop_element(const std::vector<Scalar>& next);
  Partial reduce(const Reduction& r);
  Partial across_threads(const Reduction& r, Partial p);
  Scalar finish(const Reduction& r, const Scalar& acc);
  void store_rows(const std::vector<std::pair<const ir::Value*, Scalar>>& values);
  Scalar lead_guard();

  GpuBuilder& g_;
  KernelBuilder& b_;
  MlirWriter& w_;
  PointwiseEval eval_;
  std::vector<Reduction> reductions_;
  std::vector<int64_t> domain_;
  std::vector<bool> reduced_;
  std::vector<int> kept_;
  std::vector<int> loop_dims_;
  std::vector<int64_t> position_stride_;
  int64_t count_ = 1;
  int split_ = -1;
  bool row_mode_ = false;
  bool unrolled_ = false;
  // Rows: threads per row, rows per block, the row count.
  int64_t threads_ = 1, rows_per_block_ = 1, rows_ = 1;
  DomainMap columns_;
  std::vector<std::string> kept_idx_;  // per domain dim (kept dims only)
  Scalar row_valid_;                   // row mode: whether the thread's row exists
  std::string lane_;                   // row mode: the thread's index in its row
  int loops_open_ = 0;
  bool loop_split_ = false;
  std::vector<Element> elements_;
  bool elements_made_ = false;
};

bool Reducer::is_row_shaped(const ir::Value* v) const {
  const std::vector<int64_t> s = static_sizes(v);
  if (s.size() == domain_.size()) {
    for (size_t d = 0; d < s.size(); ++d)
      if (s[d] != (reduced_[d] ? 1 : domain_[d])) return false;
    return true;
  }
  if (s.size() != kept_.size()) return false;
  for (size_t k = 0; k < kept_.size(); ++k)
    if (s[k] != domain_[kept_[k]]) return false;
  return true;
}

std::vector<std::string> Reducer::row_index(const ir::Value* v) const {
  const size_t rank = static_sizes(v).size();
  std::vector<std::string> idx;
  for (size_t d = 0; d < domain_.size(); ++d) {
    if (!reduced_[d]) idx.push_back(kept_idx_[d]);
    else if (rank == domain_.size()) idx.push_back(w_.index(0));
  }
  return idx;
}

void Reducer::plan_rows() {
  for (int d : kept_) rows_ *= domain_[d];
  bool multi_pass = reductions_.size() > 1;
  for (const ir::Value* v : b_.group().outputs)
    if (v->node() != reductions_.front().node) multi_pass = true;
  int64_t share = 1;
  for (int d : loop_dims_) share *= domain_[d];
  if (row_mode_) {
    const int64_t n = domain_[split_];
    threads_ = 32;
    while (threads_ < 1024 && threads_ * 4 < n) threads_ *= 2;
    rows_per_block_ = threads_ >= 128 ? 1 : 128 / threads_;
    rows_per_block_ = std::min(rows_per_block_, std::max<int64_t>(pow2_ceil(rows_), 1));
    share *= ceil_div(n, threads_);
    g_.launch.block = {static_cast<uint32_t>(threads_), static_cast<uint32_t>(rows_per_block_), 1};
    g_.launch.grid = {static_cast<uint32_t>(std::max<int64_t>(ceil_div(rows_, rows_per_block_), 1)), 1, 1};
  } else {
    std::vector<int64_t> kept_sizes;
    for (int d : kept_) kept_sizes.push_back(domain_[d]);
    columns_ = plan_domain(kept_sizes, 1);
    g_.launch = launch_of(columns_);
  }
  unrolled_ = multi_pass && share <= 32;
}

void Reducer::open_rows() {
  kept_idx_.assign(domain_.size(), "");
  if (!row_mode_) {
    const std::vector<std::string> idx = open_domain(g_, columns_);
    for (size_t k = 0; k < kept_.size(); ++k) kept_idx_[kept_[k]] = idx[k];
    return;
  }
  lane_ = g_.thread_id(0);
  std::string row = g_.add(g_.mul(g_.block_id(0), rows_per_block_), rows_per_block_ > 1 ? g_.thread_id(1) : w_.index(0));
  if (rows_per_block_ > 1 && rows_ % rows_per_block_ != 0) {
    // Threads of rows past the end still take part in the block's
    // shuffles and barriers, on the last row; they store nothing.
    row_valid_ = g_.less(row, rows_);
    row = g_.min(row, rows_ - 1);
  }
  // The kept dims from the row number, innermost first.
  int outermost = -1;
  for (int d : kept_)
    if (domain_[d] != 1) {
      outermost = d;
      break;
    }
  for (size_t k = kept_.size(); k-- > 0;) {
    const int d = kept_[k];
    if (domain_[d] == 1) {
      kept_idx_[d] = w_.index(0);
    } else if (d == outermost) {
      kept_idx_[d] = row;
    } else {
      kept_idx_[d] = g_.rem(row, domain_[d]);
      row = g_.div(row, domain_[d]);
    }
  }
}

void Reducer::close_rows() {
  if (!row_mode_) close_domain(g_, columns_);
}

// Every element of the thread's share, for unrolled passes: the loop dims'
// positions are constants, the split dim's lane + k * threads (clamped to
// the row, with in_range false past it).
std::vector<Element> Reducer::unrolled_elements() {
  // Made once, before the first pass: every pass then names the same
  // indices, so PointwiseEval's cache keeps the row in registers.
  if (elements_made_) return elements_;
  elements_made_ = true;
  std::vector<Element>& out = elements_;
  std::vector<int64_t> at(loop_dims_.size(), 0);
  int64_t total = 1;
  for (int d : loop_dims_) total *= domain_[d];
  const int64_t chunks = row_mode_ ? ceil_div(domain_[split_], threads_) : 1;
  for (int64_t i = 0; i < total; ++i) {
    int64_t rest = i;
    for (size_t k = loop_dims_.size(); k-- > 0;) {
      at[k] = rest % domain_[loop_dims_[k]];
      rest /= domain_[loop_dims_[k]];
    }
    for (int64_t c = 0; c < chunks; ++c) {
      Element e;
      e.idx.assign(domain_.size(), "");
      int64_t fixed_position = 0;
      for (size_t d = 0; d < domain_.size(); ++d) {
        if (!reduced_[d]) e.idx[d] = kept_idx_[d];
        else if (domain_[d] == 1) e.idx[d] = w_.index(0);
      }
      for (size_t k = 0; k < loop_dims_.size(); ++k) {
        e.idx[loop_dims_[k]] = w_.index(at[k]);
        fixed_position += at[k] * position_stride_[loop_dims_[k]];
      }
      e.position = w_.index(fixed_position);
      if (row_mode_) {
        const int64_t n = domain_[split_];
        std::string j = g_.add(lane_, c * threads_);
        if ((c + 1) * threads_ > n) {
          e.in_range = g_.less(j, n);
          j = g_.min(j, n - 1);
        }
        e.idx[split_] = j;
        e.position = g_.add(g_.mul(j, position_stride_[split_]), e.position);
      }
      out.push_back(std::move(e));
    }
  }
  return out;
}

// Opens loops over the thread's share (loop dims, then the split dim from
// the thread's lane in steps of the row's thread count) carrying `init`.
Element Reducer::loop_element(const std::vector<Scalar>& init, std::vector<Scalar>* carried) {
  Element e;
  e.idx.assign(domain_.size(), "");
  for (size_t d = 0; d < domain_.size(); ++d) {
    if (!reduced_[d]) e.idx[d] = kept_idx_[d];
    else if (domain_[d] == 1) e.idx[d] = w_.index(0);
  }
  std::vector<Scalar> values = init;
  loops_open_ = 0;
  for (int d : loop_dims_) {
    std::vector<Scalar> inner;
    e.idx[d] = w_.begin_for(Size::of(domain_[d]), values, &inner);
    values = inner;
    ++loops_open_;
  }
  loop_split_ = row_mode_;
  if (row_mode_) {
    std::vector<Scalar> inner;
    e.idx[split_] = g_.begin_loop(lane_, domain_[split_], threads_, values, &inner);
    values = inner;
  }
  *carried = values;
  e.position = w_.index(0);
  for (size_t d = 0; d < domain_.size(); ++d)
    if (reduced_[d] && domain_[d] != 1) e.position = g_.add(g_.mul(e.idx[d], position_stride_[d]), e.position);
  return e;
}

std::vector<Scalar> Reducer::close_loop_element(const std::vector<Scalar>& next) {
  std::vector<Scalar> values = next;
  if (loop_split_) values = g_.end_loop(values);
  for (int i = 0; i < loops_open_; ++i) values = w_.end_for(values);
  return values;
}

Partial Reducer::reduce(const Reduction& r) {
  Partial init{identity(w_, r), {}};
  if (r.with_index) init.index = w_.int_constant(DType::i64, std::numeric_limits<int64_t>::max());
  auto element_partial = [&](const Element& e) {
    Partial x{w_.convert(eval_.value_at(r.self, e.idx), r.acc), {}};
    if (r.with_index) x.index = w_.index_to_i64(e.position);
    if (!e.in_range.ssa.empty()) {
      x.value = w_.select(e.in_range, x.value, init.value);
      if (r.with_index) x.index = w_.select(e.in_range, x.index, init.index);
    }
    return x;
  };
  Partial acc = init;
  if (unrolled_) {
    for (const Element& e : unrolled_elements()) acc = combine(w_, r, acc, element_partial(e));
  } else {
    std::vector<Scalar> init_values = {init.value};
    if (r.with_index) init_values.push_back(init.index);
    std::vector<Scalar> carried;
    const Element e = loop_element(init_values, &carried);
    Partial now{carried[0], r.with_index ? carried[1] : Scalar{}};
    Partial next = combine(w_, r, now, element_partial(e));
    std::vector<Scalar> next_values = {next.value};
    if (r.with_index) next_values.push_back(next.index);
    const std::vector<Scalar> results = close_loop_element(next_values);
    eval_.clear_cache();
    acc = {results[0], r.with_index ? results[1] : Scalar{}};
  }
  return row_mode_ ? across_threads(r, acc) : acc;
}

// Combines the partial results of a row's threads; every thread of the row
// gets the total.
Partial Reducer::across_threads(const Reduction& r, Partial p) {
  for (int64_t offset = std::min<int64_t>(threads_, 32) / 2; offset >= 1; offset /= 2) {
    Partial other{g_.shuffle_xor(p.value, static_cast<int>(offset)), {}};
    if (r.with_index) other.index = g_.shuffle_xor(p.index, static_cast<int>(offset));
    p = combine(w_, r, p, other);
  }
  if (threads_ <= 32) return p;
  // One partial per warp through shared memory; every thread then combines
  // them in warp order.
  const int64_t warps = threads_ / 32;
  const MemRef values = g_.shared(r.acc, {rows_per_block_, warps});
  std::optional<MemRef> indices;
  if (r.with_index) indices = g_.shared(DType::i64, {rows_per_block_, warps});
  const std::string y = rows_per_block_ > 1 ? g_.thread_id(1) : w_.index(0);
  const std::string lane = w_.op("arith.andi " + lane_ + ", " + w_.index(31) + " : index");
  const std::string warp = w_.op("arith.shrui " + lane_ + ", " + w_.index(5) + " : index");
  w_.begin_if(g_.equal(lane, 0));
  w_.store(p.value, values, {y, warp});
  if (indices) w_.store(p.index, *indices, {y, warp});
  w_.end_if();
  g_.barrier();
  Partial total{w_.load(values, {y, w_.index(0)}), {}};
  if (indices) total.index = w_.load(*indices, {y, w_.index(0)});
  for (int64_t k = 1; k < warps; ++k) {
    Partial other{w_.load(values, {y, w_.index(k)}), {}};
    if (indices) other.index = w_.load(*indices, {y, w_.index(k)});
    total = combine(w_, r, total, other);
  }
  return total;
}

Scalar Reducer::finish(const Reduction& r, const Scalar& acc) {
  if (!r.mean) return acc;
  Scalar n = w_.number(acc.dtype, static_cast<double>(count_), count_, true);
  return w_.op("arith.divf " + acc.ssa + ", " + n.ssa + " : " + register_type(acc.dtype), acc.dtype);
}

// Row mode: the row's first thread, of a row that exists, stores per-row
// values. Column mode: the thread (inside its domain guard).
Scalar Reducer::lead_guard() {
  if (!row_mode_) return {};
  return g_.both(g_.equal(lane_, 0), row_valid_);
}

void Reducer::store_rows(const std::vector<std::pair<const ir::Value*, Scalar>>& values) {
  if (values.empty()) return;
  const Scalar guard = lead_guard();
  if (!guard.ssa.empty()) w_.begin_if(guard);
  for (const auto& [v, s] : values) w_.store(s, *b_.output(v), row_index(v));
  if (!guard.ssa.empty()) w_.end_if();
}

void Reducer::emit() {
  for (const ir::Value* v : b_.group().outputs)
    if (!is_domain_shaped(v) && !is_row_shaped(v))
      throw v->node()->error("GPU reduction kernels write values of the reduced domain " + shape_str(domain_) +
                             " or of its rows; %" + v->name() + " has type " + v->type()->str());
  plan_rows();
  if (rows_ == 0) return;  // nothing to write
  open_rows();
  for (const Reduction& r : reductions_) {
    const Partial total = reduce(r);
    const Scalar value = finish(r, total.value);
    std::vector<std::pair<const ir::Value*, Scalar>> stores;
    if (r.values && b_.output(r.values)) stores.push_back({r.values, value});
    if (r.indices && b_.output(r.indices)) stores.push_back({r.indices, total.index});
    store_rows(stores);
    if (r.values) g_.bind_register(r.values, value);
    if (r.indices) g_.bind_register(r.indices, total.index);
  }
  // Outputs computed from the reductions: per row, then per element.
  std::vector<std::pair<const ir::Value*, Scalar>> row_values;
  std::vector<const ir::Value*> element_outputs;
  for (const ir::Value* v : b_.group().outputs) {
    if (b_.input_tensor(v)) continue;  // a reduction result, stored above
    if (is_row_shaped(v) && !is_domain_shaped(v)) row_values.push_back({v, eval_.value_at(v, row_index(v))});
    else element_outputs.push_back(v);
  }
  store_rows(row_values);
  if (!element_outputs.empty()) {
    const Scalar valid = row_valid_;
    if (unrolled_) {
      for (const Element& e : unrolled_elements()) {
        std::vector<Scalar> values;
        for (const ir::Value* v : element_outputs) values.push_back(eval_.value_at(v, e.idx));
        const Scalar guard = g_.both(e.in_range, valid);
        if (!guard.ssa.empty()) w_.begin_if(guard);
        for (size_t i = 0; i < element_outputs.size(); ++i)
          w_.store(values[i], *b_.output(element_outputs[i]), e.idx);
        if (!guard.ssa.empty()) w_.end_if();
      }
    } else {
      std::vector<Scalar> none;
      if (!valid.ssa.empty()) w_.begin_if(valid);
      const Element e = loop_element({}, &none);
      std::vector<Scalar> values;
      for (const ir::Value* v : element_outputs) values.push_back(eval_.value_at(v, e.idx));
      for (size_t i = 0; i < element_outputs.size(); ++i) w_.store(values[i], *b_.output(element_outputs[i]), e.idx);
      close_loop_element({});
      eval_.clear_cache();
      if (!valid.ssa.empty()) w_.end_if();
    }
  }
  eval_.clear_cache();
  close_rows();
}

}  // namespace

void emit_gpu_reduction(GpuBuilder& g, const std::vector<const ir::Node*>& reductions) {
  Reducer(g, reductions).emit();
}

}  // namespace wick::codegen
