#include "ir/parser.h"

#include <cmath>
#include <limits>
#include <unordered_map>

#include "ir/op_table.h"
#include "ir/text_lexer.h"

namespace wick::ir {
namespace {

constexpr int kMaxDepth = 200;  // nesting of blocks and types

class Parser {
 public:
  Parser(std::string_view text, const std::string& file) : lex_(text, file) {}

  std::unique_ptr<Module> module() {
    auto m = std::make_unique<Module>();
    module_ = m.get();
    if (is_ident("module")) {
      lex_.next();
      if (lex_.peek().kind == Tok::at_name) m->set_name(lex_.next().text);
      expect("{");
      while (is_ident("param") || is_ident("frozen") || is_ident("buffer") || is_ident("constant")) tensor_decl(*m);
      while (is_ident("graph")) m->add_method(graph());
      expect("}");
    } else {
      if (!is_ident("graph")) fail(lex_.peek(), "expected 'module' or 'graph' but found " + describe(lex_.peek()));
      while (is_ident("graph")) m->add_method(graph());
    }
    if (lex_.peek().kind != Tok::eof) fail(lex_.peek(), "expected end of input but found " + describe(lex_.peek()));
    return m;
  }

 private:
  // ---- tokens ----
  [[noreturn]] void fail(const Token& t, const std::string& msg) { lex_.fail(t, msg); }
  bool is_punct(const char* p) const { return lex_.peek().kind == Tok::punct && lex_.peek().text == p; }
  bool is_ident(const char* w) const { return lex_.peek().kind == Tok::ident && lex_.peek().text == w; }
  bool accept(const char* p) {
    if (!is_punct(p)) return false;
    lex_.next();
    return true;
  }
  Token expect(const char* p) {
    if (!is_punct(p)) fail(lex_.peek(), std::string("expected '") + p + "' but found " + describe(lex_.peek()));
    return lex_.next();
  }
  Token expect_kind(Tok k, const char* what) {
    if (lex_.peek().kind != k) fail(lex_.peek(), std::string("expected ") + what + " but found " + describe(lex_.peek()));
    return lex_.next();
  }
  void enter(const Token& at) {
    if (++depth_ > kMaxDepth) fail(at, "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
  }
  void leave() { --depth_; }

  // ---- types ----
  TypePtr type() {
    Token t = expect_kind(Tok::ident, "a type");
    enter(t);
    TypePtr result;
    const std::string& w = t.text;
    if (w == "Tensor") result = tensor_type();
    else if (w == "Int") result = Type::int_();
    else if (w == "Float") result = Type::float_();
    else if (w == "Bool") result = Type::bool_();
    else if (w == "Str") result = Type::string_();
    else if (w == "None") result = Type::none();
    else if (w == "Device") result = Type::device();
    else if (w == "Number") result = Type::number();
    else if (w == "Any") result = Type::any();
    else if (w == "List" || w == "Optional") {
      expect("[");
      TypePtr e = type();
      expect("]");
      result = w == "List" ? Type::list(e) : Type::optional(e);
    } else if (w == "Tuple") {
      expect("[");
      std::vector<TypePtr> elems;
      if (!is_punct("]")) {
        do elems.push_back(type());
        while (accept(","));
      }
      expect("]");
      result = Type::tuple(std::move(elems));
    } else {
      fail(t, "unknown type '" + w + "'");
    }
    leave();
    return result;
  }

  TypePtr tensor_type() {
    if (!accept("(")) return Type::tensor();
    std::optional<DType> dtype;
    if (!accept("?")) {
      Token d = expect_kind(Tok::ident, "a dtype");
      dtype = dtype_from_name(d.text);
      if (!dtype) fail(d, "unknown dtype '" + d.text + "'");
    }
    std::optional<std::vector<Dim>> shape;
    Device device;
    while (accept(",")) {
      if (is_punct("[") && !shape) {
        shape = dims();
      } else {
        Token d = expect_kind(Tok::ident, "a shape or a device");
        device = parse_device(d);
      }
    }
    expect(")");
    return Type::tensor(dtype, std::move(shape), device);
  }

  Device parse_device(const Token& t) {
    if (t.text == "cpu") return Device{};
    if (t.text == "cuda") {
      if (!accept(":")) return Device{DeviceKind::cuda, 0};
      Token n = expect_kind(Tok::integer, "a device index");
      return Device{DeviceKind::cuda, static_cast<int>(to_int(n))};
    }
    fail(t, "unknown device '" + t.text + "'");
  }

  std::vector<Dim> dims() {
    expect("[");
    std::vector<Dim> out;
    if (accept("]")) return out;
    do out.push_back(dim());
    while (accept(","));
    expect("]");
    return out;
  }

  Dim dim() {
    if (accept("?")) return Dim::unknown();
    int64_t coefficient = 1;
    std::vector<std::string> symbols;
    bool first = true;
    do {
      const Token t = lex_.peek();
      if (t.kind == Tok::integer && first) {
        coefficient = to_int(lex_.next());
        if (coefficient < 0) fail(t, "a dim cannot be negative");
      } else if (t.kind == Tok::ident) {
        symbols.push_back(lex_.next().text);
      } else {
        fail(t, "expected a dim (a size, a symbol or '?') but found " + describe(t));
      }
      first = false;
    } while (accept("*"));
    if (symbols.empty()) return Dim::constant(coefficient);
    return Dim::monomial(coefficient, std::move(symbols));
  }

  int64_t to_int(const Token& t) {
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(t.text.c_str(), &end, 10);
    if (errno == ERANGE || *end != '\0') fail(t, "integer " + t.text + " out of range");
    return v;
  }

  double to_double(const Token& t) {
    if (t.text == "-inf") return -std::numeric_limits<double>::infinity();
    char* end = nullptr;
    double v = std::strtod(t.text.c_str(), &end);
    if (*end != '\0') fail(t, "bad number " + t.text);
    return v;
  }

  // ---- attributes ----
  AttrValue attr_value() {
    const Token t = lex_.next();
    switch (t.kind) {
      case Tok::integer: return to_int(t);
      case Tok::floating: return to_double(t);
      case Tok::string: return t.text;
      case Tok::ident:
        if (t.text == "none") return NoneValue{};
        if (t.text == "true") return true;
        if (t.text == "false") return false;
        if (t.text == "inf") return std::numeric_limits<double>::infinity();
        if (t.text == "nan") return std::numeric_limits<double>::quiet_NaN();
        break;
      case Tok::punct:
        if (t.text == "[") return attr_list(t);
        break;
      default: break;
    }
    fail(t, "expected an attribute value but found " + describe(t));
  }

  AttrValue attr_list(const Token& open) {
    std::vector<AttrValue> items;
    if (!accept("]")) {
      do {
        if (is_punct("[")) fail(lex_.peek(), "nested lists are not attribute values");
        items.push_back(attr_value());
      } while (accept(","));
      expect("]");
    }
    if (items.empty()) return std::vector<int64_t>{};
    auto all = [&](auto pred) {
      for (const AttrValue& v : items)
        if (!pred(v)) return false;
      return true;
    };
    auto is_int = [](const AttrValue& v) { return std::holds_alternative<int64_t>(v); };
    auto is_num = [](const AttrValue& v) {
      return std::holds_alternative<int64_t>(v) || std::holds_alternative<double>(v);
    };
    if (all(is_int)) {
      std::vector<int64_t> out;
      for (const AttrValue& v : items) out.push_back(std::get<int64_t>(v));
      return out;
    }
    if (all(is_num)) {
      std::vector<double> out;
      for (const AttrValue& v : items)
        out.push_back(is_int(v) ? static_cast<double>(std::get<int64_t>(v)) : std::get<double>(v));
      return out;
    }
    if (all([](const AttrValue& v) { return std::holds_alternative<bool>(v); })) {
      std::vector<bool> out;
      for (const AttrValue& v : items) out.push_back(std::get<bool>(v));
      return out;
    }
    if (all([](const AttrValue& v) { return std::holds_alternative<std::string>(v); })) {
      std::vector<std::string> out;
      for (const AttrValue& v : items) out.push_back(std::get<std::string>(v));
      return out;
    }
    fail(open, "list attribute mixes element kinds");
  }

  // ---- module and graphs ----
  void tensor_decl(Module& m) {
    Token role = lex_.next();
    Token name = expect_kind(Tok::string, "a tensor name");
    expect(":");
    Token at = lex_.peek();
    TypePtr t = type();
    if (!t->is_tensor()) fail(at, "a module's " + role.text + " must have a Tensor type");
    if (m.find_tensor(name.text)) fail(name, "duplicate tensor \"" + name.text + "\"");
    TensorRole r = role.text == "param"    ? TensorRole::parameter
                   : role.text == "frozen" ? TensorRole::frozen
                   : role.text == "buffer" ? TensorRole::buffer
                                           : TensorRole::constant;
    m.add_tensor(name.text, r, t);
  }

  std::unique_ptr<Graph> graph() {
    lex_.next();  // 'graph'
    Token name = expect_kind(Tok::at_name, "a graph name such as @forward");
    if (module_->method(name.text)) fail(name, "duplicate graph @" + name.text);
    auto g = std::make_unique<Graph>();
    g->set_name(name.text);
    g->set_module(module_);
    graph_ = g.get();
    defined_.clear();
    pending_.clear();
    expect("(");
    block_params(g->block());
    expect("->");
    expect("(");
    std::vector<std::pair<Token, TypePtr>> declared;
    if (!is_punct(")")) {
      do {
        Token at = lex_.peek();
        declared.emplace_back(at, type());
      } while (accept(","));
    }
    expect(")");
    expect("{");
    Token ret = block_body(g->block(), "return");
    expect("}");
    if (!pending_.empty()) {
      const auto& [name_text, use] = *pending_.begin();
      fail(use.first_use, "use of undefined value %" + name_text);
    }
    const auto& results = g->outputs();
    if (declared.size() != results.size())
      fail(ret, "graph declares " + std::to_string(declared.size()) + " results but returns " +
                    std::to_string(results.size()));
    for (size_t i = 0; i < results.size(); ++i)
      if (*declared[i].second != *results[i]->type())
        fail(declared[i].first, "graph declares result " + std::to_string(i) + " as " +
                                    declared[i].second->str() + " but returns a " + results[i]->type()->str());
    g->set_module(nullptr);  // Module::add_method sets it again
    return g;
  }

  // `(%a : T, ...)`, the opening paren already consumed.
  void block_params(Block* b) {
    if (accept(")")) return;
    do {
      Token name = expect_kind(Tok::percent_name, "a value name");
      expect(":");
      TypePtr t = type();
      define(name, b->add_param(t));
    } while (accept(","));
    expect(")");
  }

  // Nodes up to and including the terminator; returns the terminator token.
  Token block_body(Block* b, const char* terminator) {
    for (;;) {
      const Token& t = lex_.peek();
      if (t.kind == Tok::ident && t.text == terminator) {
        Token term = lex_.next();
        expect("(");
        if (!is_punct(")")) {
          do b->add_result(use(expect_kind(Tok::percent_name, "a value name")));
          while (accept(","));
        }
        expect(")");
        return term;
      }
      if (t.kind == Tok::punct && t.text == "}")
        fail(t, std::string("block ends without '") + terminator + "(...)'");
      node(b);
    }
  }

  void node(Block* b) {
    Token start = lex_.peek();
    std::vector<std::pair<Token, TypePtr>> outs;
    if (start.kind == Tok::percent_name) {
      do {
        Token name = expect_kind(Tok::percent_name, "a value name");
        expect(":");
        outs.emplace_back(name, type());
      } while (accept(","));
      expect("=");
    }
    Token op_tok = expect_kind(Tok::ident, "an op name");
    const OpDef* op = find_op(op_tok.text);
    if (!op) fail(op_tok, "unknown op '" + op_tok.text + "'");
    if (op->lowering == Lowering::internal) fail(op_tok, "'" + op_tok.text + "' cannot be written in IR text");
    std::vector<TypePtr> types;
    for (auto& o : outs) types.push_back(o.second);
    Node* n = graph_->create(*op, {}, types);
    n->set_text_location({lex_.file(), op_tok.line, op_tok.column});
    b->append(n);
    if (accept("[")) {
      do {
        Token key = expect_kind(Tok::ident, "an attribute name");
        if (n->attrs().has(key.text)) fail(key, "duplicate attribute '" + key.text + "'");
        expect("=");
        n->attrs().set(key.text, attr_value());
      } while (accept(","));
      expect("]");
    }
    expect("(");
    if (!is_punct(")")) {
      do n->add_input(use(expect_kind(Tok::percent_name, "a value name")));
      while (accept(","));
    }
    expect(")");
    for (size_t i = 0; i < outs.size(); ++i) define(outs[i].first, n->output(i));
    if (is_ident("loc")) {
      lex_.next();
      expect("(");
      Token file = expect_kind(Tok::string, "a file name");
      expect(":");
      int line = static_cast<int>(to_int(expect_kind(Tok::integer, "a line number")));
      expect(":");
      int col = static_cast<int>(to_int(expect_kind(Tok::integer, "a column number")));
      expect(")");
      n->set_source({file.text, line, col}, {});
    }
    if (accept("{")) {
      enter(start);
      while (!accept("}")) {
        Token label = expect_kind(Tok::ident, "a block label such as block0");
        if (label.text != "block" + std::to_string(n->blocks().size()))
          fail(label, "expected block" + std::to_string(n->blocks().size()) + " but found '" + label.text + "'");
        Block* nb = n->add_block();
        expect("(");
        block_params(nb);
        expect("{");
        block_body(nb, "yield");
        expect("}");
      }
      leave();
    }
  }

  // ---- values ----
  struct Pending {
    Node* placeholder;
    Token first_use;
  };

  Value* use(const Token& name) {
    auto it = defined_.find(name.text);
    if (it != defined_.end()) return it->second;
    auto p = pending_.find(name.text);
    if (p != pending_.end()) return p->second.placeholder->output();
    // A forward reference: a placeholder stands in until the definition.
    Node* ph = graph_->create("prim::Uninitialized", {}, {Type::any()});
    pending_.emplace(name.text, Pending{ph, name});
    return ph->output();
  }

  void define(const Token& name, Value* v) {
    if (defined_.count(name.text)) fail(name, "redefinition of %" + name.text);
    defined_[name.text] = v;
    v->set_name(name.text);
    auto p = pending_.find(name.text);
    if (p != pending_.end()) {
      Node* ph = p->second.placeholder;
      ph->output()->replace_all_uses_with(v);
      ph->destroy();
      pending_.erase(p);
    }
  }

  TextLexer lex_;
  Module* module_ = nullptr;
  Graph* graph_ = nullptr;
  int depth_ = 0;
  std::unordered_map<std::string, Value*> defined_;
  std::unordered_map<std::string, Pending> pending_;
};

}  // namespace

std::unique_ptr<Module> parse_module(std::string_view text, const std::string& file_name) {
  return Parser(text, file_name).module();
}

}  // namespace wick::ir
