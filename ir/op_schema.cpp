#include "ir/op_schema.h"

#include <cctype>
#include <charconv>

#include "support/error.h"

namespace wick::ir {

std::string Schema::qualified_name() const {
  return overload.empty() ? base_name() : base_name() + "." + overload;
}

std::string Schema::base_name() const { return ns + "::" + name; }

namespace {

// The aten spelling of a schema type: int, Tensor?, int[2], Scalar, ...
std::string aten_type(const Type& t, int fixed_list_size) {
  switch (t.kind()) {
    case TypeKind::Tensor: return "Tensor";
    case TypeKind::Int: return "int";
    case TypeKind::Float: return "float";
    case TypeKind::Bool: return "bool";
    case TypeKind::Str: return "str";
    case TypeKind::None: return "NoneType";
    case TypeKind::Device: return "Device";
    case TypeKind::Number: return "Scalar";
    case TypeKind::Any: return "Any";
    case TypeKind::Optional: return aten_type(*t.element(), fixed_list_size) + "?";
    case TypeKind::List:
      return aten_type(*t.element(), 0) + "[" +
             (fixed_list_size ? std::to_string(fixed_list_size) : std::string()) + "]";
    case TypeKind::Tuple: {
      std::string s = "Tuple(";
      for (size_t i = 0; i < t.elements().size(); ++i)
        s += (i ? ", " : "") + aten_type(*t.elements()[i], 0);
      return s + ")";
    }
  }
  return "?";
}

std::string default_str(const AttrValue& v) {
  if (std::holds_alternative<NoneValue>(v)) return "None";
  if (auto* b = std::get_if<bool>(&v)) return *b ? "True" : "False";
  if (auto* s = std::get_if<std::string>(&v)) return "\"" + *s + "\"";
  std::string s = attr_str(v);
  return s;
}

std::string arg_str(const SchemaArg& a) {
  std::string s = aten_type(*a.type, a.fixed_list_size);
  if (!a.name.empty()) s += " " + a.name;
  if (a.default_value) s += "=" + default_str(*a.default_value);
  return s;
}

class SchemaParser {
 public:
  explicit SchemaParser(std::string_view text) : text_(text) {}

  Schema parse() {
    Schema s;
    std::string qualified = identifier_with(":.");
    auto sep = qualified.find("::");
    if (sep == std::string::npos) fail("expected namespace::name");
    s.ns = qualified.substr(0, sep);
    std::string rest = qualified.substr(sep + 2);
    auto dot = rest.find('.');
    s.name = rest.substr(0, dot);
    if (dot != std::string::npos) s.overload = rest.substr(dot + 1);
    expect('(');
    bool keyword_only = false;
    if (accept(')')) {
    } else {
      do {
        if (accept_word("...")) {
          s.variadic_args = true;
          continue;
        }
        if (accept('*')) {
          keyword_only = true;
          continue;
        }
        SchemaArg a = argument(true);
        a.keyword_only = keyword_only;
        s.args.push_back(std::move(a));
      } while (accept(','));
      expect(')');
    }
    expect_word("->");
    if (accept_word("...")) {
      s.variadic_returns = true;
    } else if (accept('(')) {
      if (!accept(')')) {
        do s.returns.push_back(argument(false));
        while (accept(','));
        expect(')');
      }
    } else {
      s.returns.push_back(argument(false));
    }
    skip_space();
    if (pos_ != text_.size()) fail("trailing text");
    return s;
  }

 private:
  [[noreturn]] void fail(const std::string& what) {
    throw InternalError("bad op schema `" + std::string(text_) + "` at offset " +
                        std::to_string(pos_) + ": " + what);
  }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  bool accept(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!accept(c)) fail(std::string("expected '") + c + "'");
  }
  bool accept_word(std::string_view w) {
    skip_space();
    if (text_.substr(pos_, w.size()) == w) {
      pos_ += w.size();
      return true;
    }
    return false;
  }
  void expect_word(std::string_view w) {
    if (!accept_word(w)) fail("expected '" + std::string(w) + "'");
  }
  std::string identifier_with(std::string_view extra) {
    skip_space();
    size_t start = pos_;
    while (pos_ < text_.size() &&
           (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_' ||
            extra.find(text_[pos_]) != std::string_view::npos))
      ++pos_;
    if (start == pos_) fail("expected an identifier");
    return std::string(text_.substr(start, pos_ - start));
  }

  // Drops an alias annotation: (a), (a!), (a -> *), (b|c).
  void skip_alias() {
    if (pos_ < text_.size() && text_[pos_] == '(') {
      size_t close = text_.find(')', pos_);
      if (close == std::string_view::npos) fail("unclosed alias annotation");
      pos_ = close + 1;
    }
  }

  TypePtr base_type(const std::string& word) {
    if (word == "Tensor") return Type::tensor();
    if (word == "int" || word == "SymInt" || word == "ScalarType" || word == "Layout" ||
        word == "MemoryFormat")
      return Type::int_();
    if (word == "float") return Type::float_();
    if (word == "bool") return Type::bool_();
    if (word == "str") return Type::string_();
    if (word == "Scalar" || word == "number") return Type::number();
    if (word == "Device") return Type::device();
    if (word == "Generator" || word == "Any" || word == "t" || word == "t1" || word == "t2")
      return Type::any();
    if (word == "NoneType") return Type::none();
    fail("unknown schema type " + word);
  }

  SchemaArg argument(bool allow_default) {
    SchemaArg a;
    std::string word = identifier_with("");
    TypePtr t;
    if (word == "Tuple") {
      // Tuple(t1, t2) in a few prim schemas.
      expect('(');
      std::vector<TypePtr> elems;
      do elems.push_back(base_type(identifier_with("")));
      while (accept(','));
      expect(')');
      t = Type::tuple(std::move(elems));
    } else {
      t = base_type(word);
      skip_alias();
    }
    for (;;) {
      if (accept('?')) {
        t = Type::optional(t);
      } else if (pos_ < text_.size() && text_[pos_] == '[') {
        ++pos_;
        skip_space();
        size_t start = pos_;
        while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
        if (pos_ > start)
          std::from_chars(text_.data() + start, text_.data() + pos_, a.fixed_list_size);
        expect(']');
        skip_alias();
        t = Type::list(t);
      } else {
        break;
      }
    }
    a.type = t;
    skip_space();
    if (pos_ < text_.size() && (std::isalpha(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_'))
      a.name = identifier_with("");
    if (allow_default && accept('=')) a.default_value = default_value(a);
    return a;
  }

  AttrValue default_value(const SchemaArg& a) {
    skip_space();
    if (accept('[')) {
      std::vector<int64_t> ints;
      std::vector<double> floats;
      bool any_float = false;
      if (!accept(']')) {
        do {
          AttrValue v = scalar_literal();
          if (auto* i = std::get_if<int64_t>(&v)) {
            ints.push_back(*i);
            floats.push_back(static_cast<double>(*i));
          } else if (auto* d = std::get_if<double>(&v)) {
            any_float = true;
            floats.push_back(*d);
          } else {
            fail("unsupported list default");
          }
        } while (accept(','));
        expect(']');
      }
      if (any_float) return floats;
      return ints;
    }
    AttrValue v = scalar_literal();
    if (a.fixed_list_size > 0) {
      if (auto* i = std::get_if<int64_t>(&v)) return std::vector<int64_t>(a.fixed_list_size, *i);
    }
    return v;
  }

  AttrValue scalar_literal() {
    skip_space();
    if (pos_ >= text_.size()) fail("expected a default value");
    char c = text_[pos_];
    if (c == '"' || c == '\'') {
      size_t close = text_.find(c, pos_ + 1);
      if (close == std::string_view::npos) fail("unterminated string");
      std::string s(text_.substr(pos_ + 1, close - pos_ - 1));
      pos_ = close + 1;
      return s;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.') {
      size_t start = pos_;
      ++pos_;
      while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                     text_[pos_] == '.' || text_[pos_] == '-' || text_[pos_] == '+'))
        ++pos_;
      std::string num(text_.substr(start, pos_ - start));
      if (num.find_first_of(".ein") != std::string::npos) return std::stod(num);
      return static_cast<int64_t>(std::stoll(num));
    }
    std::string word = identifier_with("");
    if (word == "True") return true;
    if (word == "False") return false;
    if (word == "None") return NoneValue{};
    if (word == "Mean") return int64_t{1};  // at::Reduction::Mean
    if (word == "Sum") return int64_t{2};
    if (word == "contiguous_format") return int64_t{0};
    if (word == "inf") return 1.0 / 0.0;
    fail("unknown default value " + word);
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Schema parse_schema(std::string_view text) { return SchemaParser(text).parse(); }

std::string Schema::str() const {
  std::string s = qualified_name() + "(";
  bool first = true;
  bool star = false;
  for (const SchemaArg& a : args) {
    if (!first) s += ", ";
    first = false;
    if (a.keyword_only && !star) {
      s += "*, ";
      star = true;
    }
    s += arg_str(a);
  }
  if (variadic_args) s += first ? "..." : ", ...";
  s += ") -> ";
  if (variadic_returns) return s + "...";
  if (returns.size() == 1) return s + arg_str(returns[0]);
  s += "(";
  for (size_t i = 0; i < returns.size(); ++i) s += (i ? ", " : "") + arg_str(returns[i]);
  return s + ")";
}

}  // namespace wick::ir
