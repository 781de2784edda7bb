// The SSA graph: values, nodes, blocks and graphs.
//
// A Graph owns every Node and Value in it. A Block is an ordered list of
// nodes between two bookkeeping nodes: `params` (whose outputs are the block's
// arguments) and `ret` (whose inputs are the block's results), so block
// arguments and results are ordinary defs and uses. Nodes that own blocks
// (prim::If, prim::Loop) give structured control flow; a value is visible in
// its own block after its definition and in every block nested below that.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ir/attribute.h"
#include "ir/type.h"
#include "support/error.h"

namespace wick::ir {

struct OpDef;
class Node;
class Block;
class Graph;
class Module;

struct Use {
  Node* user;
  size_t index;  // which input of `user`
  bool operator==(const Use& o) const { return user == o.user && index == o.index; }
};

class Value {
 public:
  Node* node() const { return node_; }    // the defining node
  size_t offset() const { return offset_; }  // which output of node()
  const TypePtr& type() const { return type_; }
  void set_type(TypePtr t) { type_ = std::move(t); }
  const std::string& name() const { return name_; }
  bool has_name() const { return !name_.empty(); }
  // Names are unique in a graph: a taken name gets a ".N" suffix.
  void set_name(const std::string& name);
  const std::vector<Use>& uses() const { return uses_; }
  bool has_uses() const { return !uses_.empty(); }
  Graph* graph() const;
  // Makes every use of this value use `other` instead.
  void replace_all_uses_with(Value* other);

 private:
  friend class Node;
  friend class Graph;
  Value(Node* node, size_t offset, TypePtr type) : node_(node), offset_(offset), type_(std::move(type)) {}
  Node* node_;
  size_t offset_;
  TypePtr type_;
  std::string name_;
  std::vector<Use> uses_;
};

class Node {
 public:
  const OpDef& op() const { return *op_; }
  const std::string& kind() const;  // the op's qualified name, e.g. "aten::add.Tensor"
  bool is(const char* qualified_name) const;

  const std::vector<Value*>& inputs() const { return inputs_; }
  Value* input(size_t i) const { return inputs_.at(i); }
  size_t num_inputs() const { return inputs_.size(); }
  void add_input(Value* v);
  void set_input(size_t i, Value* v);
  void remove_input(size_t i);
  void remove_all_inputs();

  const std::vector<Value*>& outputs() const { return outputs_; }
  Value* output(size_t i = 0) const { return outputs_.at(i); }
  size_t num_outputs() const { return outputs_.size(); }
  Value* add_output(TypePtr type);
  void erase_output(size_t i);  // the output must have no uses

  const std::vector<Block*>& blocks() const { return blocks_; }
  Block* block(size_t i) const { return blocks_.at(i); }
  Block* add_block();

  Attributes& attrs() { return attrs_; }
  const Attributes& attrs() const { return attrs_; }

  Block* owning_block() const { return owning_block_; }
  Graph* graph() const { return graph_; }
  Node* next() const { return next_; }
  Node* prev() const { return prev_; }

  // List surgery. The node must not already be in a block for insert_*.
  void insert_before(Node* n);
  void insert_after(Node* n);
  void move_before(Node* n);
  // Removes the node from its block and frees it; its outputs must be unused.
  void destroy();
  bool is_before(const Node* other) const;  // both in the same block

  // Where the node came from in TorchScript source, and the line's text.
  const SourceLocation& source_location() const { return source_location_; }
  const std::string& source_line() const { return source_line_; }
  void set_source(SourceLocation loc, std::string line);
  // Where the node was read from IR text (not printed); used by the verifier.
  const SourceLocation& text_location() const { return text_location_; }
  void set_text_location(SourceLocation loc) { text_location_ = std::move(loc); }

  // A user error about this node, naming its op and where it came from.
  Error error(const std::string& message) const;

 private:
  friend class Graph;
  friend class Block;
  Node(Graph* graph, const OpDef* op) : op_(op), graph_(graph) {}
  void unlink();

  const OpDef* op_;
  Graph* graph_;
  std::vector<Value*> inputs_;
  std::vector<Value*> outputs_;
  std::vector<Block*> blocks_;
  Attributes attrs_;
  Block* owning_block_ = nullptr;
  Node* prev_ = nullptr;
  Node* next_ = nullptr;
  SourceLocation source_location_;
  std::string source_line_;
  SourceLocation text_location_;
};

class Block {
 public:
  Node* owning_node() const { return owning_node_; }
  Graph* graph() const { return graph_; }
  Node* param_node() const { return params_; }
  Node* return_node() const { return ret_; }

  const std::vector<Value*>& params() const;
  Value* add_param(TypePtr type, const std::string& name = {});
  const std::vector<Value*>& results() const;
  void add_result(Value* v);

  // Iteration over the nodes between the bookkeeping nodes. Safe against
  // destroying the current node.
  class Iterator {
   public:
    Iterator(Node* n) : cur_(n), next_(n ? n->next() : nullptr) {}
    Node* operator*() const { return cur_; }
    Iterator& operator++() {
      cur_ = next_;
      next_ = cur_ ? cur_->next() : nullptr;
      return *this;
    }
    bool operator!=(const Iterator& o) const { return cur_ != o.cur_; }

   private:
    Node* cur_;
    Node* next_;
  };
  Iterator begin() const { return Iterator(params_->next()); }
  Iterator end() const { return Iterator(ret_); }
  bool empty() const { return params_->next() == ret_; }
  void append(Node* n) { n->insert_before(ret_); }

 private:
  friend class Graph;
  friend class Node;
  Block(Graph* graph, Node* owner);
  Graph* graph_;
  Node* owning_node_;
  Node* params_;
  Node* ret_;
};

class Graph {
 public:
  Graph();
  ~Graph();
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  Block* block() const { return top_; }
  const std::vector<Value*>& inputs() const { return top_->params(); }
  const std::vector<Value*>& outputs() const { return top_->results(); }
  Value* add_input(TypePtr type, const std::string& name = {}) { return top_->add_param(type, name); }
  void add_output(Value* v) { top_->add_result(v); }

  // The module this graph is a method of, or null for a free graph.
  Module* module() const { return module_; }
  void set_module(Module* m) { module_ = m; }

  // Creates a node that is not yet in any block. Output types are given.
  Node* create(const OpDef& op, const std::vector<Value*>& inputs,
               const std::vector<TypePtr>& output_types);
  Node* create(const char* qualified_name, const std::vector<Value*>& inputs,
               const std::vector<TypePtr>& output_types);

  Value* find_value(const std::string& name) const;

  // Deep copy, optionally into another module.
  std::unique_ptr<Graph> clone() const;

 private:
  friend class Value;
  friend class Node;
  friend class Block;
  Block* new_block(Node* owner);
  void free_node(Node* n);
  void release(Node* n);
  void claim_name(Value* v, const std::string& wanted);

  std::string name_;
  Module* module_ = nullptr;
  Block* top_;
  std::unordered_set<Node*> nodes_;
  std::vector<std::unique_ptr<Block>> blocks_;
  std::unordered_map<std::string, Value*> names_;
};

// Deep-copies `src` (blocks included) into a new node placed before `before`,
// in the same or another graph. Inputs found in `map` are replaced by their
// mapping, others are used as they are; the copy's outputs are added to `map`.
using ValueMap = std::unordered_map<const Value*, Value*>;
Node* clone_before(const Node& src, Node* before, ValueMap& map);

// Makes every use of n's outputs use `values` instead (one per output; an
// unnamed replacement takes the output's name) and destroys n.
void replace_node(Node* n, const std::vector<Value*>& values);

// The values defined outside `n` that `n` reads, in its inputs or inside its
// blocks, in the order they are read (repeats included).
std::vector<const Value*> captured_values(const Node& n);

// Visits every node in `block` and, depth first, in the blocks it owns.
template <typename F>
void walk(Block* block, F&& f) {
  for (Node* n : *block) {
    f(n);
    for (Block* b : n->blocks()) walk(b, f);
  }
}

}  // namespace wick::ir
