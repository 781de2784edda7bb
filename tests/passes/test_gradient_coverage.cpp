// Every op that can carry a gradient has a gradient rule: each op the code
// generator handles (pointwise, reduction, view, movement, extern) has one,
// except the ops listed here with the reason they have none. Composite ops
// have none either: autodiff differentiates their decomposition.
#include <gtest/gtest.h>

#include <map>

#include "ir/gradient_rule.h"
#include "ir/op_table.h"

namespace wick {
namespace {

const std::map<std::string, const char*>& no_gradient() {
  static const std::map<std::string, const char*> ops = [] {
    std::map<std::string, const char*> m;
    for (const char* c : {"eq", "ne", "lt", "le", "gt", "ge"})
      for (const char* o : {".Tensor", ".Scalar"}) m[std::string("aten::") + c + o] = "a bool result";
    for (const char* c : {"not", "and", "or", "xor"}) m[std::string("aten::logical_") + c] = "a bool result";
    for (const char* name : {"bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift", "bitwise_right_shift"}) {
      const bool shift = std::string(name).find("shift") != std::string::npos;
      for (const char* o : {".Tensor", shift ? ".Tensor_Scalar" : ".Scalar", ".Scalar_Tensor"})
        m[std::string("aten::") + name + o] = "bitwise: integer or bool results";
    }
    for (const char* name : {"__and__", "__or__", "__xor__", "__lshift__", "__rshift__"})
      for (const char* o : {".Tensor", ".Scalar"}) m[std::string("aten::") + name + o] = "bitwise: integer or bool results";
    m["aten::bitwise_not"] = "bitwise: integer or bool results";
    m["aten::floor_divide"] = "torch defines no derivative";
    m["aten::floor_divide.Scalar"] = "torch defines no derivative";
    m["aten::where.Scalar"] = "no tensor operand but the bool condition";
    m["aten::zeros"] = "no tensor operand";
    m["aten::ones"] = "no tensor operand";
    m["aten::full"] = "no tensor operand";
    for (const char* s : {"aten::arange", "aten::arange.start", "aten::arange.start_step"}) m[s] = "no tensor operand";
    m["wick::uniform"] = "random numbers: no operand but the stream's integer state";
    m["aten::argmax"] = "an integer result";
    m["aten::argmin"] = "an integer result";
    for (const char* s : {"aten::isnan", "aten::isinf", "aten::isfinite", "aten::isposinf", "aten::isneginf"})
      m[s] = "a bool result";
    m["aten::one_hot"] = "an integer result";
    m["aten::nonzero"] = "an integer result";
    m["wick::repeat_positions"] = "an integer result";
    m["wick::lu_permutation"] = "an integer result";
    for (const char* s : {"aten::split.Tensor", "aten::split", "aten::split.sizes", "aten::split_with_sizes", "aten::chunk",
                          "aten::broadcast_tensors", "aten::unsafe_chunk", "aten::unsafe_split.Tensor",
                          "aten::unsafe_split_with_sizes", "aten::tensor_split.indices", "aten::tensor_split.sections"})
      m[s] = "a list result, which canonicalize turns into views";
    for (const char* split : {"hsplit", "vsplit", "dsplit"})
      for (const char* o : {".int", ".array"}) m[std::string("aten::") + split + o] = "a list result, which canonicalize turns into views";
    for (const char* s : {"wick::conv_weight_backward", "wick::max_pool2d_backward", "wick::ctc_loss_backward",
                          "wick::avg_pool2d_backward", "wick::adaptive_avg_pool2d_backward"})
      m[s] = "a backward op: no second-order gradients yet";
    return m;
  }();
  return ops;
}

bool generated(ir::Lowering l) {
  using L = ir::Lowering;
  return l == L::pointwise || l == L::reduction || l == L::view || l == L::movement || l == L::extern_call;
}

TEST(GradientCoverage, EveryDifferentiableOpHasARule) {
  int with_rule = 0;
  for (const ir::OpDef* op : ir::all_ops()) {
    if (op->lowering == ir::Lowering::composite) {
      EXPECT_EQ(op->gradient, nullptr) << op->name << ": composite ops are differentiated through their decomposition";
      continue;
    }
    if (!generated(op->lowering)) continue;
    auto it = no_gradient().find(op->name);
    if (it != no_gradient().end()) {
      EXPECT_EQ(op->gradient, nullptr) << op->name << " is listed without a gradient (" << it->second << ")";
      continue;
    }
    EXPECT_NE(op->gradient, nullptr) << op->name << " has no gradient rule";
    if (op->gradient) {
      EXPECT_NE(op->gradient->fn, nullptr) << op->name;
    }
    ++with_rule;
  }
  EXPECT_GE(with_rule, 100);
  // The list names only ops of the table.
  for (const auto& [name, why] : no_gradient()) EXPECT_NE(ir::find_op(name), nullptr) << name;
}

}  // namespace
}  // namespace wick
