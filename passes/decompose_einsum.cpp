// Decomposition of einsum(equation, tensors): labels that only one operand
// has and the result does not are summed out first; then operands combine
// left to right, two at a time, as one batched product: each operand is
// permuted to [batch, own, contracted] (the other to [batch, contracted,
// own]), reshaped to three dims, multiplied with bmm and reshaped back,
// keeping the labels the result or a later operand needs. The result is
// permuted to the equation's order. Labels repeated within one operand
// (diagonals) and size-1 broadcasting between operands are refused.
#include <algorithm>
#include <map>

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
                             std::to_string(sb) + " (broadcasting between operands is not supported)");
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
  for (size_t i = 0; i < ops.size(); ++i) {
    ops[i].labels = eq.operands[i];
    for (size_t d = 0; d < ops[i].labels.size(); ++d)
      if (ops[i].labels.find(ops[i].labels[d], d + 1) != std::string::npos)
        throw e.node().error("a label repeated within one operand (a diagonal) is not supported yet");
  }
  Operand acc = ops[0];
  for (size_t i = 1; i < ops.size(); ++i) {
    std::string keep = eq.result;
    for (size_t j = i + 1; j < ops.size(); ++j) keep += ops[j].labels;
    acc = contract(e, acc, ops[i], keep);
  }
  acc = sum_out(e, acc, eq.result);
  return arrange(e, acc, eq.result);
}

}  // namespace

std::vector<NamedRule> einsum_rules() { return {{"aten::einsum", einsum}}; }

}  // namespace wick::passes::decompose_detail
