// Decomposition of einsum(equation, tensors): labels that only one operand
// has and the result does not are summed out first; then operands combine
// two at a time, in the order of the contraction path when the call gives
// one (as torch.einsum passes opt_einsum's), else, with three or more, in a
// greedy order (next the pair whose result is smallest against its
// operands, as opt_einsum's greedy path picks it), each pair as one batched
// product: each operand is
// permuted to [batch, own, contracted] (the other to [batch, contracted,
// own]), reshaped to three dims, multiplied with bmm and reshaped back,
// keeping the labels the result or another operand needs. The result is
// permuted to the equation's order. Before that, a label repeated within
// one operand reads its diagonal (the two dims moved last, merged, every
// (n + 1)-th element: a strided slice), and a dim of size 1 whose label is
// larger in another operand is dropped, which broadcasts it.
#include <algorithm>
#include <map>
#include <optional>

#include "ir/constant_value.h"
#include "ir/einsum_equation.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

struct Operand {
  Value* value;
  std::string labels;
  std::vector<int64_t> sizes;
};

bool has(const std::string& s, char c) { return s.find(c) != std::string::npos; }

// Sums out the labels of `x` not in `keep`.
Operand sum_out(Emitter& e, Operand x, const std::string& keep) {
  std::vector<int64_t> dims;
  Operand out{nullptr, "", {}};
  for (size_t d = 0; d < x.labels.size(); ++d) {
    if (has(keep, x.labels[d])) {
      out.labels += x.labels[d];
      out.sizes.push_back(x.sizes[d]);
    } else {
      dims.push_back(static_cast<int64_t>(d));
    }
  }
  out.value = dims.empty() ? x.value : e.sum(x.value, dims, false);
  return out;
}

// x permuted so that its labels read `order` (a permutation of them).
Value* arrange(Emitter& e, const Operand& x, const std::string& order) {
  if (order == x.labels) return x.value;
  std::vector<int64_t> perm;
  for (char c : order) perm.push_back(static_cast<int64_t>(x.labels.find(c)));
  return e.op("aten::permute", {x.value, e.ints(perm)});
}

int64_t product(const Operand& x, const std::string& labels) {
  int64_t n = 1;
  for (char c : labels) n *= x.sizes[x.labels.find(c)];
  return n;
}

// a and b combined, keeping the labels in `keep`.
Operand contract(Emitter& e, Operand a, Operand b, const std::string& keep) {
  // What only one side has and nobody keeps goes first.
  a = sum_out(e, a, keep + b.labels);
  b = sum_out(e, b, keep + a.labels);
  std::string batch, own_a, own_b, inner;
  for (char c : a.labels) {
    if (has(b.labels, c)) {
      const int64_t sa = a.sizes[a.labels.find(c)], sb = b.sizes[b.labels.find(c)];
      if (sa != sb)
        throw e.node().error("label '" + std::string(1, c) + "' has sizes " + std::to_string(sa) + " and " +
                             std::to_string(sb));
      (has(keep, c) ? batch : inner) += c;
    } else {
      own_a += c;
    }
  }
  for (char c : b.labels)
    if (!has(a.labels, c)) own_b += c;
  const int64_t nb = product(a, batch), m = product(a, own_a), k = product(a, inner), n = product(b, own_b);
  Value* lhs = e.op("aten::reshape", {arrange(e, a, batch + own_a + inner), e.ints({nb, m, k})});
  Value* rhs = e.op("aten::reshape", {arrange(e, b, batch + inner + own_b), e.ints({nb, k, n})});
  Operand out{nullptr, batch + own_a + own_b, {}};
  for (char c : batch + own_a) out.sizes.push_back(a.sizes[a.labels.find(c)]);
  for (char c : own_b) out.sizes.push_back(b.sizes[b.labels.find(c)]);
  out.value = e.op("aten::reshape", {e.op("aten::bmm", {lhs, rhs}), e.ints(out.sizes)});
  return out;
}

// What contracting a and b costs when the result and the other operands need
// the labels `keep` (in double: sizes may be large).
struct PairCost {
  double growth;  // result size minus the operands' sizes
  double work;    // multiply-adds
};

PairCost pair_cost(const Operand& a, const Operand& b, const std::string& keep) {
  auto size_of = [&](char c) {
    const size_t at = a.labels.find(c);
    return static_cast<double>(at != std::string::npos ? a.sizes[at] : b.sizes[b.labels.find(c)]);
  };
  double result = 1, work = 1, size_a = 1, size_b = 1;
  std::string seen;
  for (char c : a.labels + b.labels) {
    if (has(seen, c)) continue;
    seen += c;
    const bool both = has(a.labels, c) && has(b.labels, c);
    if (has(keep, c)) result *= size_of(c);
    if (both || has(keep, c)) work *= size_of(c);
  }
  for (size_t d = 0; d < a.sizes.size(); ++d) size_a *= static_cast<double>(a.sizes[d]);
  for (size_t d = 0; d < b.sizes.size(); ++d) size_b *= static_cast<double>(b.sizes[d]);
  return {result - size_a - size_b, work};
}

// The labels that the result and every operand but i and j need.
std::string kept_beside(const std::vector<Operand>& ops, size_t i, size_t j, const std::string& result) {
  std::string keep = result;
  for (size_t k = 0; k < ops.size(); ++k)
    if (k != i && k != j) keep += ops[k].labels;
  return keep;
}

// The pair to combine next: the least growth, then the least work, then the
// first in order.
std::pair<size_t, size_t> next_pair(const std::vector<Operand>& ops, const std::string& result) {
  std::pair<size_t, size_t> best{0, 1};
  std::optional<PairCost> best_cost;
  for (size_t i = 0; i < ops.size(); ++i)
    for (size_t j = i + 1; j < ops.size(); ++j) {
      const PairCost c = pair_cost(ops[i], ops[j], kept_beside(ops, i, j, result));
      if (!best_cost || c.growth < best_cost->growth ||
          (c.growth == best_cost->growth && c.work < best_cost->work)) {
        best = {i, j};
        best_cost = c;
      }
    }
  return best;
}

// x with its first repeated label replaced by the diagonal of its two dims
// (the label then last), or nothing when no label repeats.
std::optional<Operand> take_diagonal(Emitter& e, const Operand& x) {
  for (size_t p = 0; p < x.labels.size(); ++p) {
    const size_t q = x.labels.find(x.labels[p], p + 1);
    if (q == std::string::npos) continue;
    const int64_t n = x.sizes[p];
    if (x.sizes[q] != n)
      throw e.node().error("label '" + std::string(1, x.labels[p]) + "' is repeated within an operand with sizes " +
                           std::to_string(n) + " and " + std::to_string(x.sizes[q]));
    Operand out{nullptr, "", {}};
    for (size_t d = 0; d < x.labels.size(); ++d) {
      if (d == p || d == q) continue;
      out.labels += x.labels[d];
      out.sizes.push_back(x.sizes[d]);
    }
    std::vector<int64_t> merged = out.sizes;
    merged.push_back(n * n);
    // The other dims in order, then p and q (labels repeat, so by position).
    std::vector<int64_t> perm;
    for (size_t d = 0; d < x.labels.size(); ++d)
      if (d != p && d != q) perm.push_back(static_cast<int64_t>(d));
    perm.push_back(static_cast<int64_t>(p));
    perm.push_back(static_cast<int64_t>(q));
    Value* moved = x.value;
    if (!std::is_sorted(perm.begin(), perm.end())) moved = e.op("aten::permute", {x.value, e.ints(perm)});
    Value* pairs = e.op("aten::reshape", {moved, e.ints(merged)});
    out.value = e.op("aten::slice.Tensor", {pairs, e.int_(-1), e.int_(0), e.int_(n * n), e.int_(n + 1)});
    out.labels += x.labels[p];
    out.sizes.push_back(n);
    return out;
  }
  return std::nullopt;
}

// x without its size-1 dims whose label is larger elsewhere (`sizes`).
Operand drop_broadcast_dims(Emitter& e, const Operand& x, const std::map<char, int64_t>& sizes) {
  Operand out{nullptr, "", {}};
  for (size_t d = 0; d < x.labels.size(); ++d) {
    if (x.sizes[d] == 1 && sizes.at(x.labels[d]) > 1) continue;
    out.labels += x.labels[d];
    out.sizes.push_back(x.sizes[d]);
  }
  out.value = out.labels == x.labels ? x.value : e.op("aten::reshape", {x.value, e.ints(out.sizes)});
  return out;
}

Value* einsum(Emitter& e) {
  const ir::AttrValue* a = ir::constant_attr(e.input(0));
  const std::string* equation = a ? std::get_if<std::string>(a) : nullptr;
  if (!equation) throw e.node().error("the equation must be a constant");
  const ir::Node* list = e.input(1)->node();
  if (!list->is("prim::ListConstruct") || list->num_inputs() == 0)
    throw e.node().error("needs its tensors as a list built in the graph");
  std::vector<Operand> ops;
  std::vector<int64_t> ranks;
  for (Value* v : list->inputs()) {
    Operand o{v, "", {}};
    for (const ir::Dim& d : e.shape(v, "operand")) {
      if (!d.is_static()) throw e.node().error("needs operands of known shape, got a dim " + d.str());
      o.sizes.push_back(d.value());
    }
    ranks.push_back(static_cast<int64_t>(o.sizes.size()));
    ops.push_back(o);
  }
  const ir::EinsumEquation eq = ir::parse_einsum(*equation, ranks);
  std::map<char, int64_t> sizes;
  for (size_t i = 0; i < ops.size(); ++i) {
    ops[i].labels = eq.operands[i];
    while (auto diagonal = take_diagonal(e, ops[i])) ops[i] = *diagonal;
    for (size_t d = 0; d < ops[i].labels.size(); ++d) {
      int64_t& size = sizes.emplace(ops[i].labels[d], 1).first->second;
      size = std::max(size, ops[i].sizes[d]);
    }
  }
  for (Operand& o : ops) o = drop_broadcast_dims(e, o, sizes);
  if (!e.absent(2)) {
    // A path given (torch.einsum records opt_einsum's): pairs of positions
    // in the current list, the pair's result appended at its end.
    const std::optional<std::vector<int64_t>> path = ir::constant_int_list(e.input(2));
    if (!path) throw e.node().error("the contraction path must be a constant list of ints");
    if (path->size() % 2 != 0) throw e.node().error("the contraction path must hold pairs of operand positions");
    for (size_t p = 0; p + 1 < path->size() && ops.size() > 1; p += 2) {
      const int64_t a = std::min((*path)[p], (*path)[p + 1]), b = std::max((*path)[p], (*path)[p + 1]);
      if (a < 0 || a == b || b >= static_cast<int64_t>(ops.size()))
        throw e.node().error("the contraction path names operands " + std::to_string((*path)[p]) + " and " +
                             std::to_string((*path)[p + 1]) + " of " + std::to_string(ops.size()));
      const size_t i = static_cast<size_t>(a), j = static_cast<size_t>(b);
      Operand c = contract(e, ops[i], ops[j], kept_beside(ops, i, j, eq.result));
      ops.erase(ops.begin() + static_cast<std::ptrdiff_t>(j));
      ops.erase(ops.begin() + static_cast<std::ptrdiff_t>(i));
      ops.push_back(c);
    }
  }
  while (ops.size() > 1) {
    const auto [i, j] = next_pair(ops, eq.result);
    ops[i] = contract(e, ops[i], ops[j], kept_beside(ops, i, j, eq.result));
    ops.erase(ops.begin() + static_cast<std::ptrdiff_t>(j));
  }
  Operand acc = sum_out(e, ops[0], eq.result);
  return arrange(e, acc, eq.result);
}

}  // namespace

std::vector<NamedRule> einsum_rules() { return {{"aten::einsum", einsum}}; }

}  // namespace wick::passes::decompose_detail
