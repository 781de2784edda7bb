// The op table: the single source of truth about every operator wick knows.
// One entry per op overload gives its aten-style schema, how to infer its
// output types, extra structural checks, its gradient rule and its lowering
// class. The frontend matches TorchScript calls against the schemas; shape
// inference, the verifier, autodiff, fusion and codegen all read the entry.
//
// Entries live in ops_<category>.cpp files, each adding its ops from one
// function called when the table is first used.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ir/op_schema.h"
#include "ir/type.h"

namespace wick::ir {

class Node;

// How codegen treats an op.
enum class Lowering : uint8_t {
  pointwise,    // elementwise with broadcasting; fuses
  reduction,    // reduces dims; fuses as a group root
  view,         // reinterprets sizes/strides; no data movement
  movement,     // copies data with index arithmetic (cat, stack, gathers)
  extern_call,  // a library call (GEMM, convolution, pooling)
  composite,    // rewritten into other ops before codegen
  control,      // structured control flow (If, Loop)
  fusion,       // a group of nodes compiled as one kernel (FusionGroup)
  scalar,       // host-side scalar arithmetic and shape queries
  data,         // constants, parameters, tuples and lists
  internal,     // bookkeeping nodes of a block (params, return)
};

std::string_view lowering_name(Lowering l);

// Computes output types from the node's inputs (types and constant values).
// Throws a user error (node.error(...)) when the inputs contradict each other.
using InferFn = std::vector<TypePtr> (*)(const Node& node);
// Extra checks beyond schema matching (blocks, attributes); throws Error.
using VerifyFn = void (*)(const Node& node);
// The reverse-mode rule; its type is defined by autodiff.
struct GradientRule;

// How a pointwise op computes one element, in a small C-like expression
// language that codegen translates (ir/pointwise_expr.h has the grammar):
// schema argument names (`self`, `other`, `alpha`), numbers, + - * / unary -,
// comparisons, && || !, `c ? a : b`, and functions exp expm1 exp2 log log1p
// log2 log10 tanh erf sqrt rsqrt abs floor ceil trunc roundeven sin cos tan
// atan atan2 max min pow floordiv truncdiv mod fmod isinf, bitand bitor
// bitxor bitnot shl shr (integers; bools but for the shifts), `largest()` (the
// largest finite value of the dtype computed in), `defined(arg)`, which is
// false for an argument passed as None, and `uniform(seed, step, stream)`, a
// random number in [0, 1) of the element's position (wick::uniform).
struct PointwiseRule {
  const char* expr = nullptr;
  // The type the expression computes in: the result's dtype (arithmetic), or
  // the promoted dtype of the inputs (comparisons and casts, whose result
  // dtype differs from what they compute on).
  bool compute_in_input_type = false;
};

struct OpDef {
  std::string name;  // qualified: "aten::add.Tensor"
  Schema schema;
  Lowering lowering;
  InferFn infer = nullptr;
  VerifyFn verify = nullptr;
  PointwiseRule pointwise;
  const GradientRule* gradient = nullptr;
};

// What an ops_<category>.cpp file gives for one entry.
struct OpSpec {
  const char* schema;
  Lowering lowering;
  InferFn infer = nullptr;
  VerifyFn verify = nullptr;
  PointwiseRule pointwise = {};
};

class OpTableBuilder {
 public:
  void add(const OpSpec& spec);
  // A pointwise op computing `expr` in the result's dtype (arithmetic), or
  // in the inputs' promoted dtype (comparisons and casts). `expr` must be a
  // literal: the table keeps the pointer.
  void pointwise(const char* schema, InferFn infer, const char* expr) {
    add({schema, Lowering::pointwise, infer, nullptr, {expr, false}});
  }
  void pointwise_on_inputs(const char* schema, InferFn infer, const char* expr) {
    add({schema, Lowering::pointwise, infer, nullptr, {expr, true}});
  }
  // Attaches the gradient rule (ir/gradient_rule.h) of an op already added.
  void set_gradient(std::string_view qualified_name, const GradientRule& rule);

 private:
  friend class OpTable;
  std::vector<OpDef> defs_;
};

const OpDef* find_op(std::string_view qualified_name);
// Every overload of `aten::add`, in table order.
std::vector<const OpDef*> find_overloads(std::string_view base_name);
const std::vector<const OpDef*>& all_ops();

// Category registration functions, one per ops_<category>.cpp.
void add_prim_ops(OpTableBuilder& t);
void add_scalar_ops(OpTableBuilder& t);
void add_pointwise_ops(OpTableBuilder& t);
void add_math_ops(OpTableBuilder& t);       // ops_math.cpp: more elementwise math
void add_reduction_ops(OpTableBuilder& t);
void add_linalg_ops(OpTableBuilder& t);
void add_complex_ops(OpTableBuilder& t);   // ops_complex.cpp: complex tensors, torch.fft, stft
void add_layout_ops(OpTableBuilder& t);
void add_nn_ops(OpTableBuilder& t);
void add_backward_ops(OpTableBuilder& t);  // ops_backward.cpp: what gradients are built from
void add_write_ops(OpTableBuilder& t);     // ops_writes.cpp: functional forms of in-place writes
void add_random_ops(OpTableBuilder& t);    // ops_random.cpp: sampling
void add_quantized_ops(OpTableBuilder& t);  // ops_quantized.cpp: dynamically quantized layers

}  // namespace wick::ir
