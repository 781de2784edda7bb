// Pointwise kernels: one loop nest over the outputs' shape (one per shape
// when the outputs differ); each output element is computed from the
// group's inputs in registers (pointwise_eval) and stored. Size-1 dims get
// no loop. The innermost loop is a plain scf.for over contiguous output
// elements, which LLVM's loop vectorizer widens to the host's vector width.
//
// On the CPU, adjacent dims that every tensor argument holds contiguously
// (each dim's stride the next one's times its size) are iterated as one:
// x + 1 over [200, 14] is one loop of 2800 elements, where a loop of 14
// inside one of 200 left LLVM a remainder of scalar code in every row.
#include <algorithm>
#include <numeric>

#include "codegen/kernel_builder.h"
#include "codegen/pointwise_eval.h"
#include "ir/op_table.h"
#include "ir/pointwise_expr.h"
#include "support/error.h"

namespace wick::codegen {
namespace {

// Whether the expression depends on where an element sits along particular
// dims (tril, triu, arange), which collapsing dims would lose. A random
// stream's element number (uniform) is the row-major position, the same in
// the collapsed dims.
bool reads_dims(const ir::PointwiseExpr& e) {
  if (e.kind == ir::PointwiseExpr::Kind::call &&
      (e.text == "lower_triangle" || e.text == "upper_triangle" || e.text == "position"))
    return true;
  for (const auto& o : e.operands)
    if (reads_dims(*o)) return true;
  return false;
}

bool all_ones(const std::vector<Size>& s) {
  return std::all_of(s.begin(), s.end(), [](const Size& n) { return n.is(1); });
}

// Runs of adjacent dims of `domain` that every memref in `args` holds
// contiguously (no broadcast dim inside a run).
std::vector<std::vector<int64_t>> contiguous_runs(const std::vector<Size>& domain,
                                                  const std::vector<const MemRef*>& args) {
  std::vector<std::vector<int64_t>> runs = {{0}};
  for (size_t d = 1; d < domain.size(); ++d) {
    bool joins = !domain[d].dynamic();
    for (const MemRef* m : args) {
      const std::vector<int64_t>& st = m->layout.strides;
      joins = joins && m->layout.sizes[d] == domain[d].value && st[d] != 0 && st[d - 1] == st[d] * domain[d].value;
    }
    if (joins) runs.back().push_back(static_cast<int64_t>(d));
    else runs.push_back({static_cast<int64_t>(d)});
  }
  return runs;
}

// `m` with each run of dims as one (memref.collapse_shape, a view).
MemRef collapsed_memref(MlirWriter& w, const MemRef& m, const std::vector<std::vector<int64_t>>& runs,
                        const std::vector<Size>& sizes) {
  MemRef c;
  c.layout.dtype = m.layout.dtype;
  std::string groups;
  for (const std::vector<int64_t>& run : runs) {
    int64_t n = 1;
    for (int64_t d : run) {
      const int64_t size = m.layout.sizes[static_cast<size_t>(d)];
      n = n == kDynamic || size == kDynamic ? kDynamic : n * size;
    }
    c.layout.sizes.push_back(n);
    c.layout.strides.push_back(m.layout.strides[static_cast<size_t>(run.back())]);
    std::string g;
    for (int64_t d : run) g += (g.empty() ? "" : ", ") + std::to_string(d);
    groups += (groups.empty() ? "[" : ", [") + g + "]";
  }
  c.type = memref_type(c.layout);
  c.sizes = sizes;
  c.ssa = w.entry_op("memref.collapse_shape " + m.ssa + " [" + groups + "] : " + m.type + " into " + c.type);
  return c;
}

// Collapses the dims of `domain` that every argument holds contiguously,
// rebinding the arguments to collapsed views and the values to collapsed
// shapes; returns the domain to iterate. Leaves everything as it is where a
// value broadcasts along some dims only, or a node reads positions.
std::vector<Size> collapse_domain(KernelBuilder& b, const std::vector<Size>& domain) {
  if (domain.size() < 2 || b.for_gpu()) return domain;
  for (const ir::Node* n : b.group().nodes) {
    if (n->op().lowering != ir::Lowering::pointwise) continue;  // constants, lists
    if (ir::gathers(n->op()) || reads_dims(ir::pointwise_expr(n->op()))) return domain;
  }
  std::vector<const ir::Value*> full;
  std::vector<const ir::Value*> ones;
  std::vector<const MemRef*> args;
  for (const ir::Value* v : group_tensors(b.group())) {
    const std::vector<Size> s = b.shape(v);
    if (s == domain) {
      full.push_back(v);
      if (const MemRef* m = b.input_tensor(v)) args.push_back(m);
      if (const MemRef* m = b.output(v)) args.push_back(m);
    } else if (all_ones(s)) {
      ones.push_back(v);
    } else {
      return domain;
    }
  }
  const std::vector<std::vector<int64_t>> runs = contiguous_runs(domain, args);
  if (runs.size() == domain.size()) return domain;
  MlirWriter& w = b.w();
  std::vector<Size> collapsed;
  for (const std::vector<int64_t>& run : runs) {
    Size n = domain[static_cast<size_t>(run[0])];
    for (size_t k = 1; k < run.size(); ++k) {
      const Size& next = domain[static_cast<size_t>(run[k])];
      n = n.dynamic() ? Size{0, w.entry_op("arith.muli " + n.ssa + ", " + w.bound(next) + " : index", "d")}
                      : Size::of(n.value * next.value);
    }
    collapsed.push_back(n);
  }
  // A broadcast value of more dims than the collapsed domain would need its
  // own view; an input like that keeps the kernel as it is.
  for (const ir::Value* v : ones) {
    if (b.shape(v).size() <= collapsed.size()) continue;
    if (b.input_tensor(v)) return domain;
    b.set_shape(v, std::vector<Size>(collapsed.size(), Size::of(1)));
  }
  for (const ir::Value* v : full) {
    if (const MemRef* m = b.input_tensor(v)) b.bind(v, collapsed_memref(w, *m, runs, collapsed));
    if (const MemRef* m = b.output(v)) b.bind_output(v, collapsed_memref(w, *m, runs, collapsed));
    b.set_shape(v, collapsed);
  }
  return collapsed;
}

}  // namespace

void emit_pointwise(KernelBuilder& b) {
  MlirWriter& w = b.w();
  PointwiseEval eval(b);
  // One loop nest per distinct output shape, in order of first appearance.
  std::vector<std::vector<Size>> domains;
  for (const ir::Value* v : b.group().outputs)
    if (std::find(domains.begin(), domains.end(), b.output(v)->sizes) == domains.end())
      domains.push_back(b.output(v)->sizes);
  if (domains.size() == 1) domains[0] = collapse_domain(b, domains[0]);
  for (const std::vector<Size>& domain : domains) {
    const std::vector<std::string> idx = open_loops(w, domain);
    for (const ir::Value* v : b.group().outputs)
      if (b.output(v)->sizes == domain) w.store(eval.value_at(v, idx), *b.output(v), idx);
    close_loops(w, domain);
    eval.clear_cache();
  }
}

}  // namespace wick::codegen
