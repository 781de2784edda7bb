// Pointwise expressions to arith/math ops, one element at a time.
#include "codegen/pointwise_eval.h"

#include <cmath>
#include <limits>
#include <optional>
#include <set>

#include "ir/constant_value.h"
#include "ir/op_table.h"
#include "support/error.h"

namespace wick::codegen {

using ir::PointwiseExpr;
using K = PointwiseExpr::Kind;

bool gathered_in(const KernelGroup& group, const ir::Value* v) {
  for (const ir::Node* n : group.nodes)
    for (int i : ir::gathered_args(n->op()))
      if (n->input(static_cast<size_t>(i)) == v) return true;
  return false;
}

std::vector<std::string> broadcast_index(MlirWriter& w, const std::vector<Size>& operand_sizes,
                                         const std::vector<Size>& result_sizes,
                                         const std::vector<std::string>& idx) {
  WICK_ASSERT(operand_sizes.size() <= result_sizes.size() && idx.size() == result_sizes.size(),
              "an operand of higher rank than its result");
  const size_t lead = result_sizes.size() - operand_sizes.size();
  std::vector<std::string> out;
  for (size_t k = 0; k < operand_sizes.size(); ++k) {
    if (operand_sizes[k].is(1)) {
      out.push_back(w.index(0));
      continue;
    }
    WICK_ASSERT(operand_sizes[k] == result_sizes[lead + k], "an operand does not broadcast to its result");
    out.push_back(idx[lead + k]);
  }
  return out;
}

namespace {
std::string cache_key(const std::vector<std::string>& idx) {
  std::string key;
  for (const std::string& i : idx) key += i + ",";
  return key;
}
}  // namespace

void PointwiseEval::preset(const ir::Value* v, const std::vector<std::string>& idx, const Scalar& s) {
  cache_[{v, cache_key(idx)}] = s;
}

Scalar PointwiseEval::value_at(const ir::Value* v, const std::vector<std::string>& idx) {
  if (const Scalar* s = b_.input_scalar(v)) return *s;
  const std::string key = cache_key(idx);
  auto it = cache_.find({v, key});
  if (it != cache_.end()) return it->second;
  Scalar r;
  if (const MemRef* m = b_.input_tensor(v)) {
    r = w_.load(*m, idx);
  } else {
    const ir::Node* n = v->node();
    WICK_ASSERT(b_.in_group(n) && n->op().lowering == ir::Lowering::pointwise,
                "%" + v->name() + " (from " + n->kind() + ") is neither a kernel input nor computed in the group");
    r = eval_node(*n, idx);
  }
  cache_[{v, key}] = r;
  return r;
}

namespace {

// Arguments the expression reads for their value (not only through defined()).
void collect_reads(const PointwiseExpr& e, std::set<int>* out) {
  if (e.kind == K::arg) out->insert(e.arg_index);
  if (e.kind == K::call && e.text == "defined") return;
  for (const auto& o : e.operands) collect_reads(*o, out);
}

std::optional<DType> promote_opt(std::optional<DType> a, DType b) { return a ? promote(*a, b) : b; }

// torch's combine_categories: the higher-priority operand class wins unless
// the lower one brings a higher category.
std::optional<DType> combine(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return lower;
  if (!lower) return higher;
  if (is_floating(*higher)) return higher;
  if (*higher == DType::b8 || is_floating(*lower)) return promote(*higher, *lower);
  return higher;
}

// An op applied to a dtype it has no meaning for, as torch would refuse it
// (hardswish of an int64 tensor, negation of a bool tensor).
Error unsupported(const ir::Node& n, DType compute, const std::string& what) {
  return n.error(what + " is not supported on " + std::string(dtype_name(compute)) + " values");
}

const std::set<std::string>& float_functions() {
  static const std::set<std::string> fns = {"exp",   "log",  "log1p", "tanh",  "erf", "sqrt", "rsqrt", "sin",
                                            "cos",   "expm1", "exp2", "log2",  "log10", "tan", "atan", "atan2"};
  return fns;
}

}  // namespace

// torch.result_type over the operands the expression reads: dimensioned
// tensors, then zero-dim tensors, then scalars (a float scalar counts as the
// default dtype f32, an int one as i64).
DType PointwiseEval::compute_dtype(const ir::Node& n, const PointwiseExpr& e) {
  const DType out = static_dtype(n.output());
  if (!n.op().pointwise.compute_in_input_type) return opmath_dtype(out);
  std::set<int> reads;
  collect_reads(e, &reads);
  std::optional<DType> dimensioned, zero_dim, wrapped;
  for (int i : reads) {
    const ir::Value* v = n.input(i);
    if (v->type()->is_tensor()) {
      const DType t = static_dtype(v);
      if (v->type()->rank() == 0) zero_dim = promote_opt(zero_dim, t);
      else dimensioned = promote_opt(dimensioned, t);
      continue;
    }
    std::optional<DType> t;
    if (const ir::AttrValue* a = ir::constant_attr(v)) {
      if (std::holds_alternative<bool>(*a)) t = DType::b8;
      else if (std::holds_alternative<int64_t>(*a)) t = DType::i64;
      else if (std::holds_alternative<double>(*a)) t = DType::f32;
    } else {
      switch (v->type()->kind()) {
        case ir::TypeKind::Bool: t = DType::b8; break;
        case ir::TypeKind::Int: t = DType::i64; break;
        case ir::TypeKind::Float: t = DType::f32; break;
        default: break;
      }
    }
    if (t) wrapped = promote_opt(wrapped, *t);
  }
  std::optional<DType> r = combine(dimensioned, combine(zero_dim, wrapped));
  return opmath_dtype(r ? *r : out);
}

PointwiseEval::Operand PointwiseEval::number_operand(double v, bool is_bool) {
  Operand o;
  o.kind = Operand::Kind::number;
  o.number = v;
  o.is_bool = o.is_int = is_bool;
  o.integer = static_cast<int64_t>(v);
  return o;
}

Scalar PointwiseEval::eval_node(const ir::Node& n, const std::vector<std::string>& idx) {
  const PointwiseExpr& e = ir::pointwise_expr(n.op());
  Context c{&n, compute_dtype(n, e), &idx};
  Operand r = eval(e, c);
  return in(r, static_dtype(n.output()));
}

Scalar PointwiseEval::in(const Operand& o, DType t) {
  switch (o.kind) {
    case Operand::Kind::value: return w_.convert(o.value, t);
    case Operand::Kind::number: return w_.number(t, o.number, o.integer, o.is_int);
    default: WICK_ASSERT(false, "a string or None used as a number in a pointwise expression");
  }
  return {};
}

PointwiseEval::Operand PointwiseEval::eval(const PointwiseExpr& e, const Context& c) {
  switch (e.kind) {
    case K::number: {
      Operand o;
      o.kind = Operand::Kind::number;
      o.number = e.number;
      o.is_int = e.integer_literal;
      if (o.is_int) o.integer = static_cast<int64_t>(e.number);
      return o;
    }
    case K::string: {
      Operand o;
      o.kind = Operand::Kind::string;
      o.text = e.text;
      return o;
    }
    case K::arg: return arg(e.arg_index, c);
    case K::unary: return unary(e, c);
    case K::binary: return binary(e, c);
    case K::ternary: return ternary(e, c);
    case K::call: return call(e, c);
  }
  return {};
}

PointwiseEval::Operand PointwiseEval::arg(int index, const Context& c) {
  const ir::Value* v = c.node->input(index);
  Operand o;
  if (ir::is_none(v)) {
    o.kind = Operand::Kind::none;
    return o;
  }
  if (const ir::AttrValue* a = ir::constant_attr(v)) {
    o.kind = Operand::Kind::number;
    if (auto* b = std::get_if<bool>(a)) {
      o.is_bool = o.is_int = true;
      o.integer = *b;
      o.number = *b;
    } else if (auto* i = std::get_if<int64_t>(a)) {
      o.is_int = true;
      o.integer = *i;
      o.number = static_cast<double>(*i);
    } else if (auto* d = std::get_if<double>(a)) {
      o.number = *d;
    } else if (auto* s = std::get_if<std::string>(a)) {
      o.kind = Operand::Kind::string;
      o.text = *s;
    } else {
      WICK_ASSERT(false, c.node->kind() + ": a list constant in a pointwise expression");
    }
    return o;
  }
  if (!v->type()->is_tensor()) return value(value_at(v, {}));
  const auto idx = broadcast_index(w_, b_.shape(v), b_.shape(c.node->output()), *c.idx);
  return value(value_at(v, idx));
}

PointwiseEval::Operand PointwiseEval::unary(const PointwiseExpr& e, const Context& c) {
  Operand x = eval(e.operand(0), c);
  if (e.text == "!") {
    if (x.kind == Operand::Kind::number) {
      Operand o = x;
      o.is_bool = o.is_int = true;
      o.integer = x.is_int ? x.integer == 0 : x.number == 0;
      o.number = static_cast<double>(o.integer);
      return o;
    }
    Scalar b = as_bool(x);
    return value(w_.op("arith.xori " + b.ssa + ", " + w_.bool_constant(true).ssa + " : i1", DType::b8));
  }
  WICK_ASSERT(e.text == "-", "unknown unary operator " + e.text);
  if (x.kind == Operand::Kind::number) {
    x.number = -x.number;
    x.integer = -x.integer;
    x.is_bool = false;
    return x;
  }
  if (c.compute == DType::b8) throw unsupported(*c.node, c.compute, "negation");
  Scalar v = in(x, c.compute);
  const std::string t = register_type(v.dtype);
  if (is_floating(v.dtype)) return value(w_.op("arith.negf " + v.ssa + " : " + t, v.dtype));
  return value(w_.op("arith.subi " + w_.int_constant(v.dtype, 0).ssa + ", " + v.ssa + " : " + t, v.dtype));
}

PointwiseEval::Operand PointwiseEval::binary(const PointwiseExpr& e, const Context& c) {
  Operand a = eval(e.operand(0), c);
  Operand b = eval(e.operand(1), c);
  const std::string& op = e.text;
  if (op == "&&" || op == "||") {
    Scalar x = as_bool(a), y = as_bool(b);
    return value(w_.op(std::string(op == "&&" ? "arith.andi " : "arith.ori ") + x.ssa + ", " + y.ssa + " : i1",
                       DType::b8));
  }
  const bool comparison = op == "==" || op == "!=" || op == "<" || op == "<=" || op == ">" || op == ">=";
  if (comparison && a.kind == Operand::Kind::string && b.kind == Operand::Kind::string) {
    // Known now: `approximate == "tanh"`.
    WICK_ASSERT(op == "==" || op == "!=", "strings only compare for equality");
    return number_operand((a.text == b.text) == (op == "=="), true);
  }
  if (comparison && a.kind == Operand::Kind::number && b.kind == Operand::Kind::number) {
    // Known now: `decimals >= 0`.
    const double x = a.number, y = b.number;
    const bool r = op == "==" ? x == y : op == "!=" ? x != y : op == "<" ? x < y : op == "<=" ? x <= y
                   : op == ">" ? x > y : x >= y;
    return number_operand(r, true);
  }
  if (!comparison && ((op == "/" && !is_floating(c.compute)) || (op == "-" && c.compute == DType::b8)))
    throw unsupported(*c.node, c.compute, "'" + op + "'");
  Scalar x = in(a, c.compute), y = in(b, c.compute);
  if (comparison) return value(compare(op, x, y));
  return value(arith(op, x, y));
}

PointwiseEval::Operand PointwiseEval::ternary(const PointwiseExpr& e, const Context& c) {
  Operand cond = eval(e.operand(0), c);
  if (cond.kind == Operand::Kind::number) {
    // Decided now; the other branch may name an absent argument.
    const bool take = cond.is_int ? cond.integer != 0 : cond.number != 0;
    return eval(e.operand(take ? 1 : 2), c);
  }
  Scalar cb = as_bool(cond);
  Scalar a = in(eval(e.operand(1), c), c.compute);
  Scalar b = in(eval(e.operand(2), c), c.compute);
  return value(w_.select(cb, a, b));
}

PointwiseEval::Operand PointwiseEval::call(const PointwiseExpr& e, const Context& c) {
  const std::string& fn = e.text;
  if (fn == "defined") return number_operand(!ir::is_none(c.node->input(e.operand(0).arg_index)), true);
  if (fn == "uniform") {
    if (!is_floating(c.compute)) throw unsupported(*c.node, c.compute, fn);
    return value(uniform(e, c));
  }
  if (fn == "largest") return value(largest(c.compute));
  if (fn == "gather") {
    // The source is read whole, at the position the index gives, clamped
    // into it: no read leaves the tensor whatever the position.
    const ir::Value* source = c.node->input(e.operand(0).arg_index);
    const MemRef* m = b_.input_tensor(source);
    WICK_ASSERT(m && m->sizes.size() == 1, c.node->kind() + ": the gathered tensor must be a 1-D kernel input");
    Scalar i = in(eval(e.operand(1), c), DType::i64);
    const Size& n = m->sizes[0];
    Scalar last = n.dynamic() ? w_.op("arith.subi " + w_.index_to_i64(n.ssa).ssa + ", " +
                                          w_.int_constant(DType::i64, 1).ssa + " : i64", DType::i64)
                              : w_.int_constant(DType::i64, n.value - 1);
    i = w_.op("arith.minsi " + i.ssa + ", " + last.ssa + " : i64", DType::i64);
    i = w_.op("arith.maxsi " + i.ssa + ", " + w_.int_constant(DType::i64, 0).ssa + " : i64", DType::i64);
    return value(w_.load(*m, {w_.i64_to_index(i)}));
  }
  if (fn == "position") {
    WICK_ASSERT(c.idx->size() == 1, c.node->kind() + ": position() needs a 1-D result");
    return value(w_.index_to_i64((*c.idx)[0]));
  }
  if (fn == "lower_triangle" || fn == "upper_triangle") {
    // Column minus row of the element in the node's result (rank >= 2),
    // against the diagonal, in i64 whatever the op computes in.
    const std::vector<std::string>& idx = *c.idx;
    WICK_ASSERT(idx.size() >= 2, c.node->kind() + ": " + fn + " needs two dims");
    Scalar diff = w_.index_to_i64(w_.op("arith.subi " + idx[idx.size() - 1] + ", " + idx[idx.size() - 2] + " : index"));
    Scalar d = in(eval(e.operand(0), c), DType::i64);
    const char* pred = fn == "lower_triangle" ? "sle" : "sge";
    return value(w_.op(std::string("arith.cmpi ") + pred + ", " + diff.ssa + ", " + d.ssa + " : i64", DType::b8));
  }
  const bool bitwise_fn = fn == "bitand" || fn == "bitor" || fn == "bitxor" || fn == "bitnot";
  const bool shift_fn = fn == "shl" || fn == "shr";
  if ((float_functions().count(fn) && !is_floating(c.compute)) || ((bitwise_fn || shift_fn) && is_floating(c.compute)) ||
      ((fn == "pow" || fn == "floordiv" || fn == "truncdiv" || fn == "mod" || fn == "fmod" || shift_fn) &&
       c.compute == DType::b8))
    throw unsupported(*c.node, c.compute, fn);
  if (fn == "pow") {
    const Operand base = eval(e.operand(0), c), exponent = eval(e.operand(1), c);
    // Known now: round's pow(10, decimals).
    if (base.kind == Operand::Kind::number && exponent.kind == Operand::Kind::number && is_floating(c.compute))
      return number_operand(std::pow(base.number, exponent.number), false);
    return value(pow(base, exponent, c.compute));
  }
  if (fn == "fma") {
    // One rounding of a * b + c where the op asks for it: LLVM contracts a
    // separate multiply and add only when they meet in one basic block.
    Scalar a = in(eval(e.operand(0), c), c.compute);
    Scalar b = in(eval(e.operand(1), c), c.compute);
    Scalar addend = in(eval(e.operand(2), c), c.compute);
    if (is_floating(c.compute))
      return value(w_.op("math.fma " + a.ssa + ", " + b.ssa + ", " + addend.ssa + " : " + register_type(c.compute),
                         c.compute));
    return value(arith("+", arith("*", a, b), addend));
  }
  if (e.operands.size() == 2) {
    const Operand second = eval(e.operand(1), c);
    Scalar a = in(eval(e.operand(0), c), c.compute);
    Scalar b = in(second, c.compute);
    if (fn == "max" || fn == "min") {
      // Against a number (relu's max(x, 0), clamp's bounds) NaN can only come
      // from x: `x < b ? b : x` passes it on, and is one max instruction.
      if (second.kind == Operand::Kind::number && is_floating(c.compute) && !std::isnan(second.number))
        return value(w_.op("arith.select " +
                               compare(fn == "max" ? "<" : ">", a, b).ssa + ", " + b.ssa + ", " + a.ssa + " : " +
                               register_type(a.dtype),
                           a.dtype));
      return value(max_min(fn == "max", a, b));
    }
    if (bitwise_fn) return value(bitwise(fn, a, b));
    if (shift_fn) return value(shift(fn == "shl", a, b));
    if (fn == "floordiv") return value(floordiv(a, b));
    if (fn == "truncdiv") return value(truncdiv(a, b));
    if (fn == "fmod") return value(fmod(a, b));
    if (fn == "atan2") return value(atan2(a, b));
    WICK_ASSERT(fn == "mod", "unknown function " + fn);
    return value(mod(a, b));
  }
  return value(math(fn, in(eval(e.operand(0), c), c.compute)));
}

Scalar PointwiseEval::arith(const std::string& op, const Scalar& a, const Scalar& b) {
  const std::string t = register_type(a.dtype);
  const std::string operands = " " + a.ssa + ", " + b.ssa + " : " + t;
  if (is_floating(a.dtype)) {
    const char* name = op == "+" ? "arith.addf" : op == "-" ? "arith.subf" : op == "*" ? "arith.mulf" : "arith.divf";
    WICK_ASSERT(op == "+" || op == "-" || op == "*" || op == "/", "unknown operator " + op);
    return w_.op(name + operands, a.dtype);
  }
  if (a.dtype == DType::b8) {
    // torch's bool arithmetic: + is or, * is and.
    WICK_ASSERT(op == "+" || op == "*", "operator " + op + " on bools");
    return w_.op((op == "+" ? "arith.ori" : "arith.andi") + operands, a.dtype);
  }
  WICK_ASSERT(op != "/", "'/' computes in a floating type only");
  const char* name = op == "+" ? "arith.addi" : op == "-" ? "arith.subi" : "arith.muli";
  WICK_ASSERT(op == "+" || op == "-" || op == "*", "unknown operator " + op);
  return w_.op(name + operands, a.dtype);
}

Scalar PointwiseEval::compare(const std::string& op, const Scalar& a, const Scalar& b) {
  const std::string t = register_type(a.dtype);
  std::string pred;
  if (is_floating(a.dtype)) {
    // Ordered comparisons are false on NaN; != is true on NaN.
    pred = op == "==" ? "oeq" : op == "!=" ? "une" : op == "<" ? "olt" : op == "<=" ? "ole" : op == ">" ? "ogt" : "oge";
    return w_.op("arith.cmpf " + pred + ", " + a.ssa + ", " + b.ssa + " : " + t, DType::b8);
  }
  const bool u = a.dtype == DType::u8 || a.dtype == DType::b8;
  pred = op == "==" ? "eq" : op == "!=" ? "ne" : std::string(u ? "u" : "s") +
         (op == "<" ? "lt" : op == "<=" ? "le" : op == ">" ? "gt" : "ge");
  return w_.op("arith.cmpi " + pred + ", " + a.ssa + ", " + b.ssa + " : " + t, DType::b8);
}

Scalar PointwiseEval::math(const std::string& fn, const Scalar& a) {
  const std::string t = register_type(a.dtype);
  if (fn == "abs") {
    if (is_floating(a.dtype)) return w_.op("math.absf " + a.ssa + " : " + t, a.dtype);
    if (a.dtype == DType::u8 || a.dtype == DType::b8) return a;
    // max(x, -x): math.absi has no lowering to NVVM.
    Scalar negated = w_.op("arith.subi " + w_.int_constant(a.dtype, 0).ssa + ", " + a.ssa + " : " + t, a.dtype);
    return w_.op("arith.maxsi " + a.ssa + ", " + negated.ssa + " : " + t, a.dtype);
  }
  if (fn == "floor" || fn == "ceil") {
    if (!is_floating(a.dtype)) return a;
    return w_.op("math." + fn + " " + a.ssa + " : " + t, a.dtype);
  }
  if (fn == "trunc" || fn == "roundeven") return is_floating(a.dtype) ? round(fn == "trunc", a) : a;
  if (fn == "atan") return atan(a);
  if (fn == "bitnot") {
    // All ones: -1, or true for a bool.
    Scalar ones = a.dtype == DType::b8 ? w_.bool_constant(true) : w_.int_constant(a.dtype, -1);
    return w_.op("arith.xori " + a.ssa + ", " + ones.ssa + " : " + t, a.dtype);
  }
  if (fn == "isinf") {
    if (!is_floating(a.dtype)) return w_.bool_constant(false);
    Scalar inf = w_.float_constant(a.dtype, std::numeric_limits<double>::infinity());
    return w_.op("arith.cmpf oeq, " + w_.op("math.absf " + a.ssa + " : " + t, a.dtype).ssa + ", " + inf.ssa + " : " + t,
                 DType::b8);
  }
  WICK_ASSERT(is_floating(a.dtype) && float_functions().count(fn), "unexpected function " + fn);
  return w_.op("math." + fn + " " + a.ssa + " : " + t, a.dtype);
}

Scalar PointwiseEval::max_min(bool is_max, const Scalar& a, const Scalar& b) {
  const std::string operands = " " + a.ssa + ", " + b.ssa + " : " + register_type(a.dtype);
  if (is_floating(a.dtype)) return w_.op((is_max ? "arith.maximumf" : "arith.minimumf") + operands, a.dtype);
  if (a.dtype == DType::b8) return w_.op((is_max ? "arith.ori" : "arith.andi") + operands, a.dtype);
  if (a.dtype == DType::u8) return w_.op((is_max ? "arith.maxui" : "arith.minui") + operands, a.dtype);
  return w_.op((is_max ? "arith.maxsi" : "arith.minsi") + operands, a.dtype);
}

}  // namespace wick::codegen
