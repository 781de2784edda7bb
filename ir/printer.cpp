#include "ir/printer.h"

#include <unordered_map>
#include <unordered_set>

#include "ir/op_table.h"

namespace wick::ir {
namespace {

class Printer {
 public:
  explicit Printer(const Graph& g) { name_values(g.block()); }

  std::string graph(const Graph& g, int indent) {
    std::string s = pad(indent) + "graph @" + g.name() + "(";
    s += value_list(g.inputs(), true) + ") -> (";
    for (size_t i = 0; i < g.outputs().size(); ++i)
      s += (i ? ", " : "") + g.outputs()[i]->type()->str();
    s += ") {\n";
    body(g.block(), indent + 2, "return");
    return s + body_ + pad(indent) + "}\n";
  }

  std::string node_only(const Node& n) {
    node(&n, 0);
    return body_;
  }

 private:
  static std::string pad(int n) { return std::string(static_cast<size_t>(n), ' '); }

  // Unnamed values get the smallest free numbers, in definition order.
  void name_values(const Block* b) {
    for (const Value* v : b->params()) collect(v);
    for (const Node* n : *b) {
      for (const Value* v : n->outputs()) collect(v);
      for (const Block* c : n->blocks()) name_values(c);
    }
    for (const Value* v : pending_) {
      while (taken_.count(std::to_string(next_))) ++next_;
      names_[v] = std::to_string(next_);
      taken_.insert(names_[v]);
    }
    pending_.clear();
  }
  void collect(const Value* v) {
    if (v->has_name()) {
      names_[v] = v->name();
      taken_.insert(v->name());
    } else {
      pending_.push_back(v);
    }
  }

  std::string ref(const Value* v) {
    auto it = names_.find(v);
    if (it != names_.end()) return "%" + it->second;
    // A value from outside what this printer named (printing one node).
    return "%" + (v->has_name() ? v->name() : std::string("?"));
  }

  std::string value_list(const std::vector<Value*>& vs, bool with_types) {
    std::string s;
    for (size_t i = 0; i < vs.size(); ++i) {
      if (i) s += ", ";
      s += ref(vs[i]);
      if (with_types) s += " : " + vs[i]->type()->str();
    }
    return s;
  }

  void body(const Block* b, int indent, const char* terminator) {
    for (const Node* n : *b) node(n, indent);
    body_ += pad(indent) + terminator + "(" + value_list(b->results(), false) + ")\n";
  }

  void node(const Node* n, int indent) {
    std::string s = pad(indent);
    if (n->num_outputs() > 0) s += value_list(n->outputs(), true) + " = ";
    s += n->kind();
    if (!n->attrs().empty()) {
      s += "[";
      bool first = true;
      for (const auto& [k, v] : n->attrs().items()) {
        if (!first) s += ", ";
        first = false;
        s += k + "=" + attr_str(v);
      }
      s += "]";
    }
    s += "(" + value_list(n->inputs(), false) + ")";
    const SourceLocation& loc = n->source_location();
    if (loc.known())
      s += " loc(" + quote_string(loc.file) + ":" + std::to_string(loc.line) + ":" +
           std::to_string(loc.column) + ")";
    if (n->blocks().empty()) {
      body_ += s + "\n";
      return;
    }
    body_ += s + " {\n";
    for (size_t i = 0; i < n->blocks().size(); ++i) {
      const Block* b = n->block(i);
      body_ += pad(indent + 2) + "block" + std::to_string(i) + "(" + value_list(b->params(), true) + ") {\n";
      body(b, indent + 4, "yield");
      body_ += pad(indent + 2) + "}\n";
    }
    body_ += pad(indent) + "}\n";
  }

  std::unordered_map<const Value*, std::string> names_;
  std::unordered_set<std::string> taken_;
  std::vector<const Value*> pending_;
  int next_ = 0;
  std::string body_;
};

}  // namespace

std::string print(const Graph& graph) { return Printer(graph).graph(graph, 0); }

std::string print(const Node& node) {
  Printer p(*node.graph());
  return p.node_only(node);
}

std::string print(const Module& module) {
  if (module.name().empty() && module.tensors().empty()) {
    std::string s;
    for (size_t i = 0; i < module.methods().size(); ++i) {
      if (i) s += "\n";
      s += print(*module.methods()[i]);
    }
    return s;
  }
  std::string s = "module";
  if (!module.name().empty()) s += " @" + module.name();
  s += " {\n";
  for (const NamedTensor& t : module.tensors())
    s += "  " + std::string(role_name(t.role)) + " " + quote_string(t.name) + " : " + t.type->str() + "\n";
  for (const auto& g : module.methods()) {
    s += "\n";
    s += Printer(*g).graph(*g, 2);
  }
  return s + "}\n";
}

}  // namespace wick::ir
