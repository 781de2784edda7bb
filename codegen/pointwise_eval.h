// Internal to kernel generation: computes the value of an IR value at one
// index, inside whatever loops the caller has opened. A group input is
// loaded from its memref (broadcasting: size-1 dims read index 0), a scalar
// argument is used as is, and the output of a pointwise node of the group is
// computed from the op's expression (ir/pointwise_expr.h), recursively, so
// intermediate values of a fused group never touch memory. Results are
// cached per (value, index) within one loop body.
//
// Semantics, as torch: the expression computes in the compute type (the
// output dtype, or for compute_in_input_type ops the promoted dtype of the
// operands it reads, with torch.result_type's rules for scalars and zero-dim
// tensors); f16/bf16 compute in f32. Conditions (?:, &&, ||, !) test
// nonzero. max/min propagate NaN. Integer floordiv/mod follow Python (floor;
// the remainder takes the divisor's sign); division by zero gives 0 instead
// of trapping. Integer pow by a negative exponent gives 0 (torch raises),
// except for bases 1 and -1. Bitwise functions and shifts take integers
// and (except the shifts) bools, never floats.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "codegen/kernel_builder.h"
#include "ir/pointwise_expr.h"

namespace wick::codegen {

class PointwiseEval {
 public:
  explicit PointwiseEval(KernelBuilder& b) : b_(b), w_(b.w()) {}

  // The value of `v` at `idx` (one index per dim of v's shape).
  Scalar value_at(const ir::Value* v, const std::vector<std::string>& idx);
  // Forget cached values: call when leaving the region they were made in.
  void clear_cache() { cache_.clear(); }
  // Makes value_at(v, idx) give `s` until the cache is cleared: for values
  // the caller loaded itself (several elements by one vector load, GPU).
  void preset(const ir::Value* v, const std::vector<std::string>& idx, const Scalar& s);

 private:
  // An operand while evaluating an expression: a value in a register, or a
  // constant known now (number, string or None).
  struct Operand {
    enum class Kind { value, number, string, none } kind = Kind::value;
    Scalar value;
    double number = 0;
    int64_t integer = 0;
    bool is_int = false;  // `integer` is exact
    bool is_bool = false;
    std::string text;
  };

  struct Context {
    const ir::Node* node;
    DType compute;  // in registers: opmath
    const std::vector<std::string>* idx;
  };

  Scalar eval_node(const ir::Node& n, const std::vector<std::string>& idx);
  Operand eval(const ir::PointwiseExpr& e, const Context& c);
  Operand arg(int index, const Context& c);
  Operand unary(const ir::PointwiseExpr& e, const Context& c);
  Operand binary(const ir::PointwiseExpr& e, const Context& c);
  Operand ternary(const ir::PointwiseExpr& e, const Context& c);
  Operand call(const ir::PointwiseExpr& e, const Context& c);
  // The `uniform` builtin (pointwise_eval_random.cpp).
  Scalar uniform(const ir::PointwiseExpr& e, const Context& c);
  DType compute_dtype(const ir::Node& n, const ir::PointwiseExpr& e);

  Scalar in(const Operand& o, DType t);    // the operand as a register value of dtype t
  Scalar as_bool(const Operand& o) { return in(o, DType::b8); }
  Operand value(Scalar s) { Operand o; o.value = std::move(s); return o; }
  static Operand number_operand(double v, bool is_bool);

  Scalar arith(const std::string& op, const Scalar& a, const Scalar& b);
  Scalar compare(const std::string& op, const Scalar& a, const Scalar& b);
  Scalar math(const std::string& fn, const Scalar& a);
  Scalar max_min(bool is_max, const Scalar& a, const Scalar& b);
  Scalar pow(const Operand& base, const Operand& exponent, DType t);
  Scalar int_pow(const Scalar& base, const Scalar& exponent);
  Scalar floordiv(const Scalar& a, const Scalar& b);
  Scalar truncdiv(const Scalar& a, const Scalar& b);
  Scalar mod(const Scalar& a, const Scalar& b);
  Scalar fmod(const Scalar& a, const Scalar& b);
  Scalar bitwise(const std::string& fn, const Scalar& a, const Scalar& b);  // bitand, bitor, bitxor
  Scalar shift(bool left, const Scalar& a, const Scalar& b);
  Scalar atan(const Scalar& a);
  Scalar atan2(const Scalar& y, const Scalar& x);
  Scalar round(bool toward_zero, const Scalar& a);  // trunc, or to nearest with ties to even
  Scalar largest(DType t);                          // the largest finite value of t

  KernelBuilder& b_;
  MlirWriter& w_;
  std::map<std::pair<const ir::Value*, std::string>, Scalar> cache_;
};

// Whether a member of the group reads `v` whole, as the source of a gather
// (ir::gathered_args), rather than element by element.
bool gathered_in(const KernelGroup& group, const ir::Value* v);

// Maps an index of a consumer's shape onto an operand's shape by numpy
// broadcasting: trailing dims align, static size-1 dims read index 0 (a
// dynamic dim is never taken for a broadcast 1).
std::vector<std::string> broadcast_index(MlirWriter& w, const std::vector<Size>& operand_sizes,
                                         const std::vector<Size>& result_sizes,
                                         const std::vector<std::string>& idx);

}  // namespace wick::codegen
