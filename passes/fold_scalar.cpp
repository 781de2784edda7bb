#include "passes/fold_scalar.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <string>

#include "ir/constant_value.h"
#include "ir/module.h"
#include "ir/op_table.h"

namespace wick::passes {
namespace {

using ir::AttrValue;

// Python's floor division and modulo.
int64_t floordiv(const ir::Node& n, int64_t a, int64_t b) {
  if (b == 0) throw n.error("integer division by zero");
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}
int64_t pymod(const ir::Node& n, int64_t a, int64_t b) { return a - floordiv(n, a, b) * b; }
double pymod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

std::optional<double> as_double(const AttrValue& v) {
  if (auto* d = std::get_if<double>(&v)) return *d;
  if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (auto* b = std::get_if<bool>(&v)) return *b ? 1.0 : 0.0;
  return std::nullopt;
}

bool is_int(const AttrValue& v) { return std::holds_alternative<int64_t>(v); }

std::optional<AttrValue> compare(const std::string& op, const AttrValue& a, const AttrValue& b) {
  std::optional<int> cmp;
  if (auto* sa = std::get_if<std::string>(&a)) {
    auto* sb = std::get_if<std::string>(&b);
    if (!sb) return std::nullopt;
    cmp = sa->compare(*sb) < 0 ? -1 : sa->compare(*sb) > 0 ? 1 : 0;
  } else if (is_int(a) && is_int(b)) {
    int64_t x = std::get<int64_t>(a), y = std::get<int64_t>(b);
    cmp = x < y ? -1 : x > y ? 1 : 0;
  } else if (std::holds_alternative<std::vector<int64_t>>(a) && std::holds_alternative<std::vector<int64_t>>(b)) {
    if (op != "eq" && op != "ne") return std::nullopt;
    bool eq = a == b;
    return op == "eq" ? eq : !eq;
  } else {
    auto x = as_double(a), y = as_double(b);
    if (!x || !y) return std::nullopt;
    if (std::isnan(*x) || std::isnan(*y)) return op == "ne";
    cmp = *x < *y ? -1 : *x > *y ? 1 : 0;
  }
  if (op == "eq") return *cmp == 0;
  if (op == "ne") return *cmp != 0;
  if (op == "lt") return *cmp < 0;
  if (op == "le") return *cmp <= 0;
  if (op == "gt") return *cmp > 0;
  if (op == "ge") return *cmp >= 0;
  return std::nullopt;
}

std::optional<AttrValue> arithmetic(const ir::Node& n, const std::string& op, const AttrValue& a, const AttrValue& b,
                                    bool int_result) {
  if (int_result && is_int(a) && is_int(b)) {
    int64_t x = std::get<int64_t>(a), y = std::get<int64_t>(b), r = 0;
    if (op == "add") {
      if (__builtin_add_overflow(x, y, &r)) throw n.error("integer overflow");
    } else if (op == "sub") {
      if (__builtin_sub_overflow(x, y, &r)) throw n.error("integer overflow");
    } else if (op == "mul") {
      if (__builtin_mul_overflow(x, y, &r)) throw n.error("integer overflow");
    } else if (op == "floordiv") {
      r = floordiv(n, x, y);
    } else if (op == "remainder") {
      r = pymod(n, x, y);
    } else if (op == "pow") {
      if (y < 0) return std::nullopt;
      r = 1;
      for (int64_t i = 0; i < y; ++i)
        if (__builtin_mul_overflow(r, x, &r)) throw n.error("integer overflow");
    } else {
      return std::nullopt;
    }
    return r;
  }
  auto x = as_double(a), y = as_double(b);
  if (!x || !y) return std::nullopt;
  if (op == "add") return *x + *y;
  if (op == "sub") return *x - *y;
  if (op == "mul") return *x * *y;
  if (op == "div") return *x / *y;
  if (op == "pow") return std::pow(*x, *y);
  if (op == "floordiv") return std::floor(*x / *y);
  if (op == "remainder") return pymod(*x, *y);
  return std::nullopt;
}

// str(v) as Python prints it, for the kinds TorchScript formats.
std::optional<std::string> python_str(const AttrValue& v) {
  if (auto* s = std::get_if<std::string>(&v)) return *s;
  if (auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (auto* b = std::get_if<bool>(&v)) return std::string(*b ? "True" : "False");
  if (auto* d = std::get_if<double>(&v)) return ir::float_str(*d);
  if (std::holds_alternative<ir::NoneValue>(v)) return std::string("None");
  if (auto* l = std::get_if<std::vector<int64_t>>(&v)) {
    std::string out = "[";
    for (size_t k = 0; k < l->size(); ++k) out += (k ? ", " : "") + std::to_string((*l)[k]);
    return out + "]";
  }
  return std::nullopt;
}

// str.format with `{}` fields (and `{{`, `}}`); other fields are not folded.
std::optional<AttrValue> format(const std::vector<const AttrValue*>& in) {
  auto* fmt = std::get_if<std::string>(in[0]);
  if (!fmt) return std::nullopt;
  std::string out;
  size_t next = 1;
  for (size_t i = 0; i < fmt->size(); ++i) {
    const char c = (*fmt)[i];
    const char after = i + 1 < fmt->size() ? (*fmt)[i + 1] : '\0';
    if ((c == '{' && after == '{') || (c == '}' && after == '}')) {
      out += c;
      ++i;
    } else if (c == '{' && after == '}') {
      if (next >= in.size()) return std::nullopt;
      auto s = python_str(*in[next++]);
      if (!s) return std::nullopt;
      out += *s;
      ++i;
    } else if (c == '{' || c == '}') {
      return std::nullopt;
    } else {
      out += c;
    }
  }
  return out;
}

// `item in l` for a list of ints, floats or strings.
template <typename T>
std::optional<AttrValue> contains(const AttrValue& l, const AttrValue& item) {
  auto* list = std::get_if<std::vector<T>>(&l);
  auto* x = std::get_if<T>(&item);
  if (!list || !x) return std::nullopt;
  return std::find(list->begin(), list->end(), *x) != list->end();
}

// str.find(substr, start, end), with Python's clamping of the bounds.
std::optional<AttrValue> find(const AttrValue& s, const AttrValue& sub, const AttrValue& start, const AttrValue& end) {
  auto* str = std::get_if<std::string>(&s);
  auto* what = std::get_if<std::string>(&sub);
  auto* lo = std::get_if<int64_t>(&start);
  auto* hi = std::get_if<int64_t>(&end);
  if (!str || !what || !lo || !hi) return std::nullopt;
  const int64_t size = static_cast<int64_t>(str->size());
  auto clamp = [&](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + size : v, 0, size); };
  const int64_t a = clamp(*lo), b = clamp(*hi);
  if (b - a < static_cast<int64_t>(what->size())) return int64_t{-1};
  size_t at = std::string_view(*str).substr(static_cast<size_t>(a), static_cast<size_t>(b - a)).find(*what);
  return at == std::string_view::npos ? int64_t{-1} : a + static_cast<int64_t>(at);
}

}  // namespace

std::optional<AttrValue> fold_scalar(const ir::Node& n) {
  const ir::OpDef& op = n.op();
  if (op.lowering != ir::Lowering::scalar || n.num_outputs() != 1) return std::nullopt;
  if ((n.is("aten::__is__") || n.is("aten::__isnot__")) && n.num_inputs() == 2) {
    std::optional<bool> same = ir::known_identity(n.input(0), n.input(1));
    if (!same) return std::nullopt;
    return n.is("aten::__is__") ? *same : !*same;
  }
  std::vector<const AttrValue*> in;
  for (const ir::Value* v : n.inputs()) {
    const AttrValue* a = ir::constant_attr(v);
    if (!a) return std::nullopt;
    in.push_back(a);
  }
  const std::string& name = op.schema.name;
  const std::string& overload = op.schema.overload;
  const ir::TypeKind result = n.output()->type()->kind();
  if (name == "device" && in.size() == 1)
    if (auto* str = std::get_if<std::string>(in[0])) return *str;
  if (name == "type" && in.size() == 1)
    if (auto* dev = std::get_if<std::string>(in[0])) return dev->substr(0, dev->find(':'));  // "cuda:0" -> "cuda"
  if (name == "str" && in.size() == 1) {
    // Devices are kept as their string; numbers print as Python does.
    if (auto s = python_str(*in[0])) return *s;
    return std::nullopt;
  }
  if (name == "format" && !in.empty()) return format(in);
  if (name == "add" && overload == "str") {
    auto* a = std::get_if<std::string>(in[0]);
    auto* b = std::get_if<std::string>(in[1]);
    if (a && b) return *a + *b;
    return std::nullopt;
  }
  if (name == "len" && overload == "str")
    if (auto* s = std::get_if<std::string>(in[0])) return static_cast<int64_t>(s->size());
  if (name == "find" && in.size() == 4) return find(*in[0], *in[1], *in[2], *in[3]);
  if (name == "__contains__" && in.size() == 2) {
    if (overload == "int_list") return contains<int64_t>(*in[0], *in[1]);
    if (overload == "float_list") return contains<double>(*in[0], *in[1]);
    if (overload == "str_list") return contains<std::string>(*in[0], *in[1]);
  }
  if (overload == "t" && name == "add" && in.size() == 2) {
    auto* a = std::get_if<std::vector<int64_t>>(in[0]);
    auto* b = std::get_if<std::vector<int64_t>>(in[1]);
    if (a && b) {
      std::vector<int64_t> joined = *a;
      joined.insert(joined.end(), b->begin(), b->end());
      return joined;
    }
  }
  if (name == "_infer_size" && in.size() == 2) {
    auto* a = std::get_if<std::vector<int64_t>>(in[0]);
    auto* b = std::get_if<std::vector<int64_t>>(in[1]);
    if (!a || !b) return std::nullopt;
    std::vector<int64_t> out(std::max(a->size(), b->size()), 1);
    for (size_t i = 0; i < out.size(); ++i) {
      const int64_t x = i < out.size() - a->size() ? 1 : (*a)[i - (out.size() - a->size())];
      const int64_t y = i < out.size() - b->size() ? 1 : (*b)[i - (out.size() - b->size())];
      if (x != y && x != 1 && y != 1)
        throw n.error("shapes " + shape_str(*a) + " and " + shape_str(*b) + " do not broadcast");
      out[i] = x == 1 ? y : x;
    }
    return out;
  }
  if (name == "sum" && overload == "int" && in.size() == 1)
    if (auto* l = std::get_if<std::vector<int64_t>>(in[0])) return std::accumulate(l->begin(), l->end(), int64_t{0});
  if (overload == "t" && name == "slice" && in.size() == 4) {
    auto* l = std::get_if<std::vector<int64_t>>(in[0]);
    auto* step = std::get_if<int64_t>(in[3]);
    if (!l || !step || *step <= 0) return std::nullopt;
    const int64_t size = static_cast<int64_t>(l->size());
    auto bound = [&](const AttrValue* v, int64_t dflt) -> std::optional<int64_t> {
      if (std::holds_alternative<ir::NoneValue>(*v)) return dflt;
      auto* i = std::get_if<int64_t>(v);
      if (!i) return std::nullopt;
      int64_t x = *i < 0 ? *i + size : *i;
      return std::clamp<int64_t>(x, 0, size);
    };
    auto lo = bound(in[1], 0), hi = bound(in[2], size);
    if (!lo || !hi) return std::nullopt;
    std::vector<int64_t> out;
    for (int64_t i = *lo; i < *hi; i += *step) out.push_back((*l)[static_cast<size_t>(i)]);
    return out;
  }
  if (in.size() == 2) {
    if (auto c = compare(name, *in[0], *in[1])) return c;
    static const char* arith_ops[] = {"add", "sub", "mul", "div", "floordiv", "remainder", "pow"};
    for (const char* a : arith_ops)
      if (name == a) {
        if (overload == "t") return std::nullopt;  // list concatenation
        return arithmetic(n, name, *in[0], *in[1], result == ir::TypeKind::Int);
      }
    if (name == "__and__" || name == "__or__" || name == "__xor__") {
      if (is_int(*in[0]) && is_int(*in[1])) {
        const int64_t a = std::get<int64_t>(*in[0]), b = std::get<int64_t>(*in[1]);
        return name == "__and__" ? (a & b) : name == "__or__" ? (a | b) : (a ^ b);
      }
      auto* a = std::get_if<bool>(in[0]);
      auto* b = std::get_if<bool>(in[1]);
      if (!a || !b) return std::nullopt;
      return name == "__and__" ? (*a && *b) : name == "__or__" ? (*a || *b) : (*a != *b);
    }
    if ((name == "__lshift__" || name == "__rshift__") && is_int(*in[0]) && is_int(*in[1])) {
      const int64_t a = std::get<int64_t>(*in[0]), count = std::get<int64_t>(*in[1]);
      if (count < 0 || count > 63) return name == "__lshift__" ? 0 : (a < 0 ? -1 : 0);
      return name == "__lshift__" ? static_cast<int64_t>(static_cast<uint64_t>(a) << count) : a >> count;
    }
    if ((name == "max" || name == "min") && n.op().schema.ns == "prim") {
      if (is_int(*in[0]) && is_int(*in[1])) {
        int64_t x = std::get<int64_t>(*in[0]), y = std::get<int64_t>(*in[1]);
        return name == "max" ? std::max(x, y) : std::min(x, y);
      }
      auto x = as_double(*in[0]), y = as_double(*in[1]);
      if (!x || !y) return std::nullopt;
      return name == "max" ? std::fmax(*x, *y) : std::fmin(*x, *y);
    }
  }
  if (in.size() == 1) {
    const AttrValue& a = *in[0];
    if (name == "__not__")
      if (auto* b = std::get_if<bool>(&a)) return !*b;
    if (name == "neg") {
      if (is_int(a)) return -std::get<int64_t>(a);
      if (auto* d = std::get_if<double>(&a)) return -*d;
    }
    if (name == "abs") {
      if (is_int(a)) return std::llabs(std::get<int64_t>(a));
      if (auto* d = std::get_if<double>(&a)) return std::fabs(*d);
    }
    auto d = as_double(a);
    if (d && overload != "Tensor") {
      if (name == "Int") {
        if (!std::isfinite(*d)) throw n.error("cannot convert " + ir::float_str(*d) + " to int");
        return static_cast<int64_t>(*d);
      }
      if (name == "Float") return *d;
      if (name == "Bool") return *d != 0;
      if (name == "floor") return static_cast<int64_t>(std::floor(*d));
      if (name == "ceil") return static_cast<int64_t>(std::ceil(*d));
      if (name == "sqrt") return std::sqrt(*d);
      if (name == "exp") return std::exp(*d);
      if (name == "log") return std::log(*d);
    }
  }
  if (name == "__range_length" && in.size() == 3 && is_int(*in[0]) && is_int(*in[1]) && is_int(*in[2])) {
    int64_t lo = std::get<int64_t>(*in[0]), hi = std::get<int64_t>(*in[1]), step = std::get<int64_t>(*in[2]);
    if (step == 0) throw n.error("range() step must not be zero");
    if (step > 0) return lo < hi ? (hi - lo + step - 1) / step : int64_t{0};
    return lo > hi ? (lo - hi - step - 1) / -step : int64_t{0};
  }
  if (name == "__derive_index" && in.size() == 3 && is_int(*in[0]) && is_int(*in[1]) && is_int(*in[2]))
    return std::get<int64_t>(*in[1]) + std::get<int64_t>(*in[0]) * std::get<int64_t>(*in[2]);
  return std::nullopt;
}

namespace {

constexpr int kMaxFoldDepth = 32;

// Rounds a value computed in double to what a tensor of `dtype` holds.
double to_dtype(double v, DType dtype) {
  if (dtype == DType::b8) return v != 0;
  if (is_integral(dtype)) return std::trunc(v);
  if (dtype == DType::f32) return static_cast<float>(v);
  return v;
}

std::optional<double> known_element(const Tensor& t) {
  if (!t.defined() || t.numel() != 1) return std::nullopt;
  const void* p = t.data();
  switch (t.dtype()) {
    case DType::f32: return *static_cast<const float*>(p);
    case DType::f64: return *static_cast<const double*>(p);
    case DType::i64: return static_cast<double>(*static_cast<const int64_t*>(p));
    case DType::i32: return *static_cast<const int32_t*>(p);
    default: return std::nullopt;
  }
}

// The value of a 0-dim tensor computed from known numbers.
std::optional<double> tensor_value(const ir::Value* v, int depth) {
  if (depth > kMaxFoldDepth) return std::nullopt;
  const ir::Type& t = *v->type();
  if (!t.is_tensor() || !t.dtype() || !t.has_rank() || t.rank() != 0) return std::nullopt;
  const ir::Node& n = *v->node();
  const std::string& name = n.op().schema.name;
  if (n.is("prim::Param")) {
    const ir::Module* m = n.graph()->module();
    const ir::NamedTensor* nt = m ? m->find_tensor(std::get<std::string>(*n.attrs().find("name"))) : nullptr;
    if (!nt || nt->role != ir::TensorRole::constant) return std::nullopt;
    return known_element(nt->data);
  }
  auto operand = [&](size_t i) -> std::optional<double> {
    const ir::Value* x = n.input(i);
    if (x->type()->is_tensor()) return tensor_value(x, depth + 1);
    const AttrValue* a = ir::constant_attr(x);
    return a ? as_double(*a) : std::nullopt;
  };
  if (name == "NumToTensor") return operand(0);
  std::optional<double> a = n.num_inputs() > 0 ? operand(0) : std::nullopt;
  if (!a) return std::nullopt;
  const DType out = *t.dtype();
  if (name == "neg") return to_dtype(-*a, out);
  if (name == "to") return to_dtype(*a, out);
  std::optional<double> b = n.num_inputs() > 1 ? operand(1) : std::nullopt;
  if (!b) return std::nullopt;
  double alpha = 1;
  if ((name == "add" || name == "sub") && n.num_inputs() > 2) {
    auto al = operand(2);
    if (!al) return std::nullopt;
    alpha = *al;
  }
  if (name == "add") return to_dtype(*a + alpha * *b, out);
  if (name == "sub") return to_dtype(*a - alpha * *b, out);
  if (name == "mul") return to_dtype(*a * *b, out);
  if (name == "div") {
    const AttrValue* mode = n.num_inputs() > 2 ? ir::constant_attr(n.input(2)) : nullptr;
    const std::string* m = mode ? std::get_if<std::string>(mode) : nullptr;
    if (m && *b == 0 && is_integral(out)) throw n.error("integer division by zero");
    if (m && *m == "trunc") return to_dtype(std::trunc(*a / *b), out);
    if (m && *m == "floor") return to_dtype(std::floor(*a / *b), out);
    return to_dtype(*a / *b, out);
  }
  if (name == "floor_divide") {
    if (*b == 0 && is_integral(out)) throw n.error("integer division by zero");
    return to_dtype(std::floor(*a / *b), out);
  }
  if (name == "remainder") return to_dtype(pymod(*a, *b), out);
  if (name == "pow") return to_dtype(std::pow(*a, *b), out);
  return std::nullopt;
}

}  // namespace

std::optional<AttrValue> fold_tensor_to_scalar(const ir::Node& n) {
  const std::string& k = n.kind();
  // A traced file's annotate(number, t) is an unchecked_cast of a 0-d tensor.
  const bool cast_to_number = k == "prim::unchecked_cast" && n.input(0)->type()->is_tensor() &&
                              !n.output()->type()->is_tensor();
  if (k != "aten::Int.Tensor" && k != "aten::Float.Tensor" && k != "aten::Bool.Tensor" && k != "aten::ScalarImplicit" &&
      k != "aten::item" && !cast_to_number)
    return std::nullopt;
  auto v = tensor_value(n.input(0), 0);
  if (!v) return std::nullopt;
  const ir::TypeKind result = n.output()->type()->kind();
  if (result == ir::TypeKind::Bool) return *v != 0;
  if (result == ir::TypeKind::Float) return *v;
  if (result == ir::TypeKind::Int) {
    if (!std::isfinite(*v)) throw n.error("cannot convert a non-finite value to an int");
    return static_cast<int64_t>(*v);
  }
  // Number (ScalarImplicit, item): the tensor's kind of number.
  const DType dt = *n.input(0)->type()->dtype();
  if (is_floating(dt)) return *v;
  if (dt == DType::b8) return *v != 0;
  return static_cast<int64_t>(*v);
}

}  // namespace wick::passes
