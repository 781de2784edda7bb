#include "ir/graph.h"

#include <algorithm>

#include "ir/op_table.h"

namespace wick::ir {

// ---- Value -------------------------------------------------------------------

Graph* Value::graph() const { return node_->graph(); }

void Value::set_name(const std::string& name) { graph()->claim_name(this, name); }

void Value::replace_all_uses_with(Value* other) {
  WICK_ASSERT(other != this, "replacing a value with itself");
  std::vector<Use> uses = uses_;
  for (const Use& u : uses) u.user->set_input(u.index, other);
}

// ---- Node --------------------------------------------------------------------

const std::string& Node::kind() const { return op_->name; }

bool Node::is(const char* qualified_name) const { return op_->name == qualified_name; }

void Node::add_input(Value* v) {
  WICK_ASSERT(v != nullptr, "null input");
  v->uses_.push_back({this, inputs_.size()});
  inputs_.push_back(v);
}

void Node::set_input(size_t i, Value* v) {
  WICK_ASSERT(i < inputs_.size() && v != nullptr, "bad set_input");
  Value* old = inputs_[i];
  auto& ou = old->uses_;
  ou.erase(std::find(ou.begin(), ou.end(), Use{this, i}));
  inputs_[i] = v;
  v->uses_.push_back({this, i});
}

void Node::remove_input(size_t i) {
  WICK_ASSERT(i < inputs_.size(), "bad remove_input");
  auto& ou = inputs_[i]->uses_;
  ou.erase(std::find(ou.begin(), ou.end(), Use{this, i}));
  // Later inputs shift down by one.
  for (size_t j = i + 1; j < inputs_.size(); ++j)
    for (Use& u : inputs_[j]->uses_)
      if (u.user == this && u.index == j) u.index = j - 1;
  inputs_.erase(inputs_.begin() + static_cast<std::ptrdiff_t>(i));
}

void Node::remove_all_inputs() {
  while (!inputs_.empty()) remove_input(inputs_.size() - 1);
}

Value* Node::add_output(TypePtr type) {
  WICK_ASSERT(type != nullptr, "output without a type");
  Value* v = new Value(this, outputs_.size(), std::move(type));
  outputs_.push_back(v);
  return v;
}

void Node::erase_output(size_t i) {
  WICK_ASSERT(i < outputs_.size() && !outputs_[i]->has_uses(), "erasing a used output");
  graph_->claim_name(outputs_[i], "");
  delete outputs_[i];
  outputs_.erase(outputs_.begin() + static_cast<std::ptrdiff_t>(i));
  for (size_t j = i; j < outputs_.size(); ++j) outputs_[j]->offset_ = j;
}

Block* Node::add_block() {
  Block* b = graph_->new_block(this);
  blocks_.push_back(b);
  return b;
}

void Node::insert_before(Node* n) {
  WICK_ASSERT(owning_block_ == nullptr, "node is already in a block");
  WICK_ASSERT(n->owning_block_ != nullptr && n->prev_ != nullptr, "cannot insert before this node");
  owning_block_ = n->owning_block_;
  prev_ = n->prev_;
  next_ = n;
  prev_->next_ = this;
  n->prev_ = this;
}

void Node::insert_after(Node* n) {
  WICK_ASSERT(n->next_ != nullptr, "cannot insert after a block's return");
  insert_before(n->next_);
}

void Node::unlink() {
  if (!owning_block_) return;
  prev_->next_ = next_;
  next_->prev_ = prev_;
  prev_ = next_ = nullptr;
  owning_block_ = nullptr;
}

void Node::move_before(Node* n) {
  unlink();
  insert_before(n);
}

void Node::destroy() {
  for (Value* v : outputs_)
    WICK_ASSERT(!v->has_uses(), "destroying " + kind() + " whose output is still used");
  unlink();
  graph_->free_node(this);
}

bool Node::is_before(const Node* other) const {
  WICK_ASSERT(owning_block_ == other->owning_block_, "is_before across blocks");
  for (const Node* n = next_; n; n = n->next_)
    if (n == other) return true;
  return false;
}

void Node::set_source(SourceLocation loc, std::string line) {
  source_location_ = std::move(loc);
  source_line_ = std::move(line);
}

Error Node::error(const std::string& message) const {
  const SourceLocation& where = source_location_.known() ? source_location_ : text_location_;
  return Error(message, where, kind(), source_line_);
}

// ---- Block -------------------------------------------------------------------

Block::Block(Graph* graph, Node* owner) : graph_(graph), owning_node_(owner) {
  params_ = graph->create(*find_op("prim::Params"), {}, {});
  ret_ = graph->create(*find_op("prim::Return"), {}, {});
  params_->owning_block_ = this;
  ret_->owning_block_ = this;
  params_->next_ = ret_;
  ret_->prev_ = params_;
}

const std::vector<Value*>& Block::params() const { return params_->outputs(); }

Value* Block::add_param(TypePtr type, const std::string& name) {
  Value* v = params_->add_output(std::move(type));
  if (!name.empty()) v->set_name(name);
  return v;
}

const std::vector<Value*>& Block::results() const { return ret_->inputs(); }

void Block::add_result(Value* v) { ret_->add_input(v); }

// ---- Graph -------------------------------------------------------------------

Graph::Graph() { top_ = new_block(nullptr); }

Graph::~Graph() {
  for (Node* n : nodes_) {
    for (Value* v : n->outputs_) delete v;
    delete n;
  }
}

Block* Graph::new_block(Node* owner) {
  blocks_.push_back(std::unique_ptr<Block>(new Block(this, owner)));
  return blocks_.back().get();
}

Node* Graph::create(const OpDef& op, const std::vector<Value*>& inputs,
                    const std::vector<TypePtr>& output_types) {
  Node* n = new Node(this, &op);
  nodes_.insert(n);
  for (Value* v : inputs) n->add_input(v);
  for (const TypePtr& t : output_types) n->add_output(t);
  return n;
}

Node* Graph::create(const char* qualified_name, const std::vector<Value*>& inputs,
                    const std::vector<TypePtr>& output_types) {
  const OpDef* op = find_op(qualified_name);
  WICK_ASSERT(op != nullptr, std::string("unknown op ") + qualified_name);
  return create(*op, inputs, output_types);
}

namespace {
// Every input in the subtree goes first, so that no use outlives its value
// while the subtree is being freed.
void drop_inputs_recursively(Node* n) {
  for (Block* b : n->blocks())
    for (Node* c = b->param_node(); c != nullptr; c = c->next()) drop_inputs_recursively(c);
  n->remove_all_inputs();
}
}  // namespace

void Graph::free_node(Node* n) {
  drop_inputs_recursively(n);
  release(n);
}

void Graph::release(Node* n) {
  for (Block* b : n->blocks_) {
    for (Node* c = b->params_; c != nullptr;) {
      Node* next = c->next_;
      release(c);
      c = next;
    }
    auto it = std::find_if(blocks_.begin(), blocks_.end(),
                           [b](const std::unique_ptr<Block>& p) { return p.get() == b; });
    if (it != blocks_.end()) blocks_.erase(it);
  }
  for (Value* v : n->outputs_) {
    claim_name(v, "");
    delete v;
  }
  nodes_.erase(n);
  delete n;
}

void Graph::claim_name(Value* v, const std::string& wanted) {
  if (v->has_name()) {
    auto it = names_.find(v->name_);
    if (it != names_.end() && it->second == v) names_.erase(it);
    v->name_.clear();
  }
  if (wanted.empty()) return;
  std::string name = wanted;
  if (names_.count(name)) {
    // Strip an existing numeric suffix so x.1 becomes x.2, not x.1.1.
    std::string base = wanted;
    auto dot = base.rfind('.');
    if (dot != std::string::npos && dot + 1 < base.size() &&
        base.find_first_not_of("0123456789", dot + 1) == std::string::npos)
      base = base.substr(0, dot);
    for (int i = 1;; ++i) {
      name = base + "." + std::to_string(i);
      if (!names_.count(name)) break;
    }
  }
  names_[name] = v;
  v->name_ = name;
}

Value* Graph::find_value(const std::string& name) const {
  auto it = names_.find(name);
  return it == names_.end() ? nullptr : it->second;
}

namespace {

Value* mapped(const ValueMap& map, Value* v) {
  auto it = map.find(v);
  return it == map.end() ? v : it->second;
}

Node* copy_node(const Node& n, Graph& g, ValueMap& map);

void copy_block_contents(const Block* src, Block* dst, ValueMap& map) {
  for (const Value* p : src->params()) map[p] = dst->add_param(p->type(), p->name());
  for (Node* n : *src) dst->append(copy_node(*n, *dst->graph(), map));
  for (Value* r : src->results()) dst->add_result(mapped(map, r));
}

// A copy of `n` in no block yet; its outputs are recorded in `map`.
Node* copy_node(const Node& n, Graph& g, ValueMap& map) {
  std::vector<Value*> inputs;
  for (Value* v : n.inputs()) inputs.push_back(mapped(map, v));
  std::vector<TypePtr> types;
  for (Value* v : n.outputs()) types.push_back(v->type());
  Node* c = g.create(n.op(), inputs, types);
  c->attrs() = n.attrs();
  c->set_source(n.source_location(), n.source_line());
  c->set_text_location(n.text_location());
  for (size_t i = 0; i < n.num_outputs(); ++i) {
    if (n.output(i)->has_name()) c->output(i)->set_name(n.output(i)->name());
    map[n.output(i)] = c->output(i);
  }
  for (Block* b : n.blocks()) copy_block_contents(b, c->add_block(), map);
  return c;
}

}  // namespace

Node* clone_before(const Node& src, Node* before, ValueMap& map) {
  Node* c = copy_node(src, *before->graph(), map);
  c->insert_before(before);
  return c;
}

namespace {

void collect_reads(const Block* b, std::unordered_set<const Value*>& defined, std::vector<const Value*>& used) {
  for (const Value* p : b->params()) defined.insert(p);
  for (const Node* inner : *b) {
    used.insert(used.end(), inner->inputs().begin(), inner->inputs().end());
    defined.insert(inner->outputs().begin(), inner->outputs().end());
    for (const Block* nested : inner->blocks()) collect_reads(nested, defined, used);
  }
  used.insert(used.end(), b->results().begin(), b->results().end());
}

}  // namespace

void replace_node(Node* n, const std::vector<Value*>& values) {
  WICK_ASSERT(values.size() == n->num_outputs(), "replacement count mismatch for " + n->kind());
  for (size_t i = 0; i < values.size(); ++i) {
    Value* out = n->output(i);
    if (out->has_name() && !values[i]->has_name() && values[i]->node()->owning_block()) {
      std::string name = out->name();
      out->set_name("");
      values[i]->set_name(name);
    }
    out->replace_all_uses_with(values[i]);
  }
  n->destroy();
}

std::vector<const Value*> captured_values(const Node& n) {
  std::vector<const Value*> out(n.inputs().begin(), n.inputs().end());
  std::unordered_set<const Value*> defined;
  std::vector<const Value*> used;
  for (const Block* b : n.blocks()) collect_reads(b, defined, used);
  for (const Value* v : used)
    if (!defined.count(v)) out.push_back(v);
  return out;
}

std::unique_ptr<Graph> Graph::clone() const {
  auto g = std::make_unique<Graph>();
  g->name_ = name_;
  g->module_ = module_;
  ValueMap map;
  copy_block_contents(top_, g->top_, map);
  return g;
}

}  // namespace wick::ir
