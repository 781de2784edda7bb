// Builder: creates nodes at an insertion point, filling output types from the
// op's type rule. Used by the frontend's emitter and by passes.
#pragma once

#include <string>
#include <vector>

#include "ir/graph.h"
#include "ir/op_table.h"

namespace wick::ir {

class Builder {
 public:
  explicit Builder(Graph& graph) : graph_(graph), before_(graph.block()->return_node()) {}

  Graph& graph() const { return graph_; }
  // New nodes go before `node` (a block's return node appends to that block).
  void set_insertion_point(Node* node) { before_ = node; }
  void set_insertion_point_to_end(Block* b) { before_ = b->return_node(); }
  Node* insertion_point() const { return before_; }
  // Source location stamped onto every node created from now on.
  void set_source(SourceLocation loc, std::string line);

  // Creates and inserts a node. Output types come from `output_types` when
  // given, else from the op's type rule, else from the schema's return types.
  Node* create(const OpDef& op, const std::vector<Value*>& inputs,
               const std::vector<TypePtr>& output_types = {}, size_t num_outputs = 0);
  Node* create(const char* op, const std::vector<Value*>& inputs,
               const std::vector<TypePtr>& output_types = {}, size_t num_outputs = 0);
  // Single-output convenience.
  Value* op(const char* name, const std::vector<Value*>& inputs);

  Value* constant(AttrValue value, TypePtr type);
  Value* constant_int(int64_t v) { return constant(v, Type::int_()); }
  Value* constant_float(double v) { return constant(v, Type::float_()); }
  Value* constant_bool(bool v) { return constant(v, Type::bool_()); }
  Value* constant_none() { return constant(NoneValue{}, Type::none()); }
  Value* constant_int_list(std::vector<int64_t> v) { return constant(std::move(v), Type::list(Type::int_())); }
  Value* param(const std::string& name, TypePtr type);
  // prim::If(condition) { prim::RaiseException(message) }: a run-time check.
  // The insertion point stays after the If.
  void raise_if(Value* condition, const std::string& message);

 private:
  Graph& graph_;
  Node* before_;
  SourceLocation loc_;
  std::string line_;
};

}  // namespace wick::ir
