#include "ir/op_table.h"

#include <deque>
#include <map>
#include <memory>

#include "ir/gradient_rule.h"
#include "support/error.h"

namespace wick::ir {

std::string_view lowering_name(Lowering l) {
  switch (l) {
    case Lowering::pointwise: return "pointwise";
    case Lowering::reduction: return "reduction";
    case Lowering::view: return "view";
    case Lowering::movement: return "movement";
    case Lowering::extern_call: return "extern";
    case Lowering::composite: return "composite";
    case Lowering::control: return "control";
    case Lowering::fusion: return "fusion";
    case Lowering::scalar: return "scalar";
    case Lowering::data: return "data";
    case Lowering::internal: return "internal";
  }
  return "?";
}

void OpTableBuilder::add(const OpSpec& spec) {
  OpDef def;
  def.schema = parse_schema(spec.schema);
  def.name = def.schema.qualified_name();
  def.lowering = spec.lowering;
  def.infer = spec.infer;
  def.verify = spec.verify;
  def.pointwise = spec.pointwise;
  WICK_ASSERT((def.lowering == Lowering::pointwise) == (def.pointwise.expr != nullptr),
              def.name + ": pointwise ops, and only they, have an expression");
  defs_.push_back(std::move(def));
}

void OpTableBuilder::set_gradient(std::string_view qualified_name, const GradientRule& rule) {
  // Rules live as long as the table, which lives as long as the process.
  static std::deque<GradientRule> storage;
  for (OpDef& d : defs_) {
    if (d.name != qualified_name) continue;
    WICK_ASSERT(d.gradient == nullptr, d.name + " has two gradient rules");
    d.gradient = &storage.emplace_back(rule);
    return;
  }
  WICK_ASSERT(false, "a gradient rule for " + std::string(qualified_name) + ", which is not in the table");
}

class OpTable {
 public:
  static const OpTable& get() {
    static const OpTable table;
    return table;
  }
  const OpDef* find(std::string_view name) const {
    auto it = by_name_.find(std::string(name));
    return it == by_name_.end() ? nullptr : it->second;
  }
  std::vector<const OpDef*> overloads(std::string_view base) const {
    std::vector<const OpDef*> out;
    for (const OpDef* d : ordered_)
      if (d->schema.base_name() == base) out.push_back(d);
    return out;
  }
  const std::vector<const OpDef*>& ordered() const { return ordered_; }

 private:
  OpTable() {
    OpTableBuilder b;
    add_prim_ops(b);
    add_scalar_ops(b);
    add_pointwise_ops(b);
    add_math_ops(b);
    add_reduction_ops(b);
    add_linalg_ops(b);
    add_complex_ops(b);
    add_layout_ops(b);
    add_nn_ops(b);
    add_backward_ops(b);
    add_write_ops(b);
    add_random_ops(b);
    add_quantized_ops(b);
    add_pointwise_gradients(b);
    add_math_gradients(b);
    add_reduction_gradients(b);
    add_layout_gradients(b);
    add_linalg_gradients(b);
    add_complex_gradients(b);
    add_nn_gradients(b);
    defs_.reserve(b.defs_.size());
    for (OpDef& d : b.defs_) {
      defs_.push_back(std::make_unique<OpDef>(std::move(d)));
      const OpDef* def = defs_.back().get();
      WICK_ASSERT(!by_name_.count(def->name), "op " + def->name + " is in the table twice");
      by_name_[def->name] = def;
      ordered_.push_back(def);
    }
  }
  std::vector<std::unique_ptr<OpDef>> defs_;
  std::map<std::string, const OpDef*> by_name_;
  std::vector<const OpDef*> ordered_;
};

const OpDef* find_op(std::string_view qualified_name) {
  return OpTable::get().find(qualified_name);
}

std::vector<const OpDef*> find_overloads(std::string_view base_name) {
  return OpTable::get().overloads(base_name);
}

const std::vector<const OpDef*>& all_ops() { return OpTable::get().ordered(); }

}  // namespace wick::ir
