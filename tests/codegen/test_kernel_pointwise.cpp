// Pointwise kernels against LibTorch: every pointwise op of the table, dtype
// cases, broadcasting and strided inputs, NaN and infinity, and fused
// groups of several nodes.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "ir/attribute.h"
#include "ir/op_table.h"
#include "kernel_test_util.h"
#include "support/error.h"

namespace wick::codegen {
namespace {

using test::matches;

class PointwiseKernels : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    torch::manual_seed(7);
  }
};

// Runs a whole graph as one kernel and compares every output with torch's.
void check_graph(const std::string& text, const std::vector<c10::IValue>& inputs, double tol = 1e-5) {
  auto m = test::parse_graph(text);
  const ir::Graph& g = test::graph_of(*m);
  auto ref = test::torch_graph(g, inputs);
  auto got = test::run_group(test::whole_graph_group(g, inputs), inputs);
  ASSERT_EQ(got.outputs.size(), ref.size());
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_TRUE(matches(got.outputs[i], ref[i], tol)) << "output " << i << "\n" << text;
}

// ---- every op of the table ---------------------------------------------------

// The scalar operands used for each op, by "op:arg" or by argument name;
// where neither names one, the schema default.
const std::map<std::string, std::string>& scalar_choices() {
  static const std::map<std::string, std::string> c = {
      {"alpha", "2"},
      {"other", "1.5"},
      {"aten::mul.Scalar:other", "2.5"},
      {"aten::div.Scalar:other", "3.0"},
      {"aten::pow.Tensor_Scalar:exponent", "2.5"},
      {"aten::pow.Scalar:self", "2.0"},
      {"aten::where.ScalarSelf:self", "1.5"},
      {"aten::where.ScalarOther:other", "-2.0"},
      {"aten::where.Scalar:self", "1.5"},
      {"aten::where.Scalar:other", "-2.0"},
      {"aten::masked_fill.Scalar:value", "-inf"},
      {"fill_value", "-2.5"},
      {"end", "17"},
      {"start", "2"},
      {"aten::arange.start_step:start", "0.5"},
      {"aten::arange.start_step:step", "1.25"},
      {"aten::triu:diagonal", "1"},
      {"aten::tril:diagonal", "-2"},
      {"min", "-0.5"},
      {"max", "0.5"},
      {"negative_slope", "0.2"},
      {"aten::elu:alpha", "1.5"},
      {"beta", "2"},
      {"threshold", "5"},
      {"dtype", "7"},  // f64
      {"size", "[3, 17]"},
      {"device", "\"cpu\""},
      {"aten::threshold:threshold", "0.1"},
      {"aten::threshold:value", "20.0"},
      {"decimals", "2"},
      {"aten::lerp.Scalar:weight", "0.7"},
      {"value", "0.5"},
  };
  return c;
}

bool is_bitwise(const std::string& op) {
  for (const char* name : {"bitwise_", "__and__", "__or__", "__xor__", "__lshift__", "__rshift__"})
    if (op.find(name) != std::string::npos) return true;
  return false;
}

// A random input for tensor argument `arg` of `op`.
torch::Tensor tensor_input(const std::string& op, const std::string& arg) {
  const std::vector<int64_t> shape = {3, 17};
  auto positive = [&] { return torch::rand(shape) * 1.5 + 0.5; };
  if (op.rfind("aten::where", 0) == 0 && arg == "condition") return torch::rand(shape) > 0.5;
  if (op.rfind("aten::masked_fill", 0) == 0 && arg == "mask") return torch::rand(shape) > 0.5;
  if (op == "aten::masked_fill.Tensor" && arg == "value") return torch::randn({});
  // Logical ops read any nonzero as true: floats with zeros among them.
  if (op.rfind("aten::logical_", 0) == 0 && op != "aten::logical_not")
    return (torch::randint(0, 3, shape) - 1).to(torch::kFloat);
  if (op == "aten::logical_not") return torch::rand(shape) > 0.5;
  // Bitwise ops take integers; shift counts within the type's width.
  if (is_bitwise(op)) {
    if (op.find("shift") != std::string::npos && arg == "other") return torch::randint(0, 40, shape, torch::kLong);
    return torch::randint(-1000, 1000, shape, torch::kLong);
  }
  if (op == "aten::log" || op == "aten::sqrt" || op == "aten::rsqrt" || op == "aten::log2" || op == "aten::log10")
    return positive();
  if (op == "aten::logit") return torch::rand(shape) * 0.98 + 0.01;
  if (op == "aten::round" || op == "aten::round.decimals" || op == "aten::trunc" || op == "aten::frac")
    return torch::randn(shape) * 5;
  if (op == "aten::addcdiv" && arg == "tensor2") return positive();
  if (op.rfind("aten::pow", 0) == 0 && arg == "self") return positive();
  if ((op == "aten::remainder.Tensor" || op == "aten::floor_divide" || op == "aten::fmod.Tensor") && arg == "other")
    return positive() * (torch::randint(0, 2, shape) * 2 - 1);
  if (op == "aten::remainder.Tensor" || op == "aten::floor_divide" || op.find(".Scalar") != std::string::npos)
    return torch::randn(shape) * 5;
  if (op == "aten::type_as" || op == "aten::to.other") return torch::randn(shape, torch::kDouble);
  if (op.find("hard") != std::string::npos || op == "aten::relu6" || op == "aten::softplus")
    return torch::randn(shape) * 4;
  return torch::randn(shape);
}

// One-node graph text for `op`, and the tensors it takes.
std::string op_graph(const ir::OpDef& op, std::vector<c10::IValue>* inputs,
                     const std::map<std::string, std::string>& extra = {}) {
  std::string params, consts, operands;
  for (const ir::SchemaArg& a : op.schema.args) {
    const std::string name = "%" + a.name;
    operands += (operands.empty() ? "" : ", ") + name;
    const bool optional_tensor = a.type->kind() == ir::TypeKind::Optional && a.type->element()->is_tensor();
    if (a.type->is_tensor() || optional_tensor) {
      torch::Tensor t = tensor_input(op.name, a.name);
      inputs->push_back(t);
      std::string sizes;
      for (int64_t d : t.sizes()) sizes += (sizes.empty() ? "" : ", ") + std::to_string(d);
      params += (params.empty() ? "" : ", ") + name + " : Tensor(" +
                std::string(dtype_name(test::wick_dtype(t.scalar_type()))) + ", [" + sizes + "])";
      continue;
    }
    std::string value;
    for (const auto* choices : {&extra, &scalar_choices()}) {
      if (value.empty() && choices->count(op.name + ":" + a.name)) value = choices->at(op.name + ":" + a.name);
      if (value.empty() && choices->count(a.name)) value = choices->at(a.name);
    }
    const ir::TypeKind kind = a.type->kind();
    const ir::TypeKind inner = kind == ir::TypeKind::Optional ? a.type->element()->kind() : kind;
    if (value.empty() && a.default_value) value = ir::attr_str(*a.default_value);
    if (value.empty()) value = "none";
    std::string type;
    if (value == "none") type = "None";
    else if (value == "true" || value == "false") type = "Bool";
    else if (value[0] == '[') type = "List[Int]";
    else if (value[0] == '"') type = inner == ir::TypeKind::Device ? "Device" : "Str";
    else if (value.find_first_of(".en") != std::string::npos) type = "Float";
    else type = "Int";
    // Memory formats, layouts and pin_memory stay None.
    if (a.name == "memory_format" || a.name == "layout" || a.name == "pin_memory") value = "none", type = "None";
    consts += "  " + name + " : " + type + " = prim::Constant[value=" + value + "]()\n";
  }
  return "graph @g(" + params + ") -> (Tensor) {\n" + consts + "  %r : Tensor = " + op.name + "(" + operands +
         ")\n  return(%r)\n}\n";
}

TEST_F(PointwiseKernels, EveryPointwiseOpOfTheTableMatchesTorch) {
  int tested = 0;
  for (const ir::OpDef* op : ir::all_ops()) {
    if (op->lowering != ir::Lowering::pointwise) continue;
    // wick's random numbers have no torch counterpart: tests/api/test_dropout.cpp.
    if (op->name == "wick::uniform") continue;
    // Nor has wick's gather: GatherFlatReadsClampedPositions.
    if (op->name == "wick::gather_flat") continue;
    // Nor its fused multiply-add: FmaRoundsOnce.
    if (op->name == "wick::fma") continue;
    // torch's empty_like leaves its memory as it was; wick's gives zeros (test_gradients).
    if (op->name == "aten::empty_like") continue;
    std::vector<c10::IValue> inputs;
    // Bitwise ops take integer scalars.
    const std::map<std::string, std::string> integer_scalars = {{"other", "5"}, {"self", "-6"}};
    std::string text = op_graph(*op, &inputs, is_bitwise(op->name) ? integer_scalars : std::map<std::string, std::string>{});
    // The type rule of to.prim_Device does not read its dtype operand: the
    // result type is given.
    if (op->name == "aten::to.prim_Device") {
      text.replace(text.find("%r : Tensor"), 11, "%r : Tensor(f64, [3, 17])");
      text.replace(text.find("-> (Tensor)"), 11, "-> (Tensor(f64, [3, 17]))");
    }
    SCOPED_TRACE(text);
    try {
      check_graph(text, inputs);
    } catch (const std::exception& e) {
      ADD_FAILURE() << op->name << ": " << e.what();
    }
    ++tested;
  }
  EXPECT_GT(tested, 60);
}

TEST_F(PointwiseKernels, OptionalAndStringArguments) {
  const ir::OpDef& clamp = *ir::find_op("aten::clamp");
  for (auto extra : std::vector<std::map<std::string, std::string>>{
           {{"min", "none"}}, {{"max", "none"}}, {{"min", "-1"}, {"max", "2"}}}) {
    std::vector<c10::IValue> inputs;
    std::string text = op_graph(clamp, &inputs, extra);
    SCOPED_TRACE(text);
    check_graph(text, inputs);
  }
  std::vector<c10::IValue> inputs;
  std::string text = op_graph(*ir::find_op("aten::gelu"), &inputs, {{"approximate", "\"tanh\""}});
  check_graph(text, inputs);
  inputs.clear();
  text = op_graph(*ir::find_op("aten::pow.Tensor_Scalar"), &inputs, {{"exponent", "2"}});
  check_graph(text, inputs);
  for (const char* e : {"3", "0.5", "-1", "-0.5", "-2", "0"}) {
    inputs.clear();
    text = op_graph(*ir::find_op("aten::pow.Tensor_Scalar"), &inputs, {{"exponent", e}});
    SCOPED_TRACE(text);
    check_graph(text, inputs);
  }
}

// ---- dtypes -----------------------------------------------------------------

TEST_F(PointwiseKernels, Int64Arithmetic) {
  torch::Tensor a = torch::randint(-50, 50, {4, 9}, torch::kLong);
  torch::Tensor b = torch::randint(1, 7, {4, 9}, torch::kLong) * (torch::randint(0, 2, {4, 9}, torch::kLong) * 2 - 1);
  for (const char* op : {"aten::add.Tensor(%a, %b, %two)", "aten::sub.Tensor(%a, %b, %two)", "aten::mul.Tensor(%a, %b)",
                         "aten::floor_divide(%a, %b)", "aten::remainder.Tensor(%a, %b)", "aten::maximum(%a, %b)",
                         "aten::eq.Tensor(%a, %b)", "aten::lt.Tensor(%a, %b)", "aten::ge.Scalar(%a, %two)",
                         "aten::div.Tensor(%a, %b)", "aten::abs(%a)", "aten::neg(%a)", "aten::pow.Tensor_Scalar(%a, %two)",
                         "aten::floor_divide.Scalar(%a, %three)", "aten::remainder.Scalar(%a, %three)",
                         "aten::relu(%a)", "aten::clamp(%a, %two, %none)", "aten::sigmoid(%a)",
                         "aten::mul.Scalar(%a, %half)"}) {
    std::string text = std::string("graph @g(%a : Tensor(i64, [4, 9]), %b : Tensor(i64, [4, 9])) -> (Tensor) {\n") +
                       "  %two : Int = prim::Constant[value=2]()\n  %three : Int = prim::Constant[value=-3]()\n" +
                       "  %half : Float = prim::Constant[value=0.5]()\n  %none : None = prim::Constant[value=none]()\n" +
                       "  %r : Tensor = " + op + "\n  return(%r)\n}\n";
    SCOPED_TRACE(text);
    check_graph(text, {a, b});
  }
}

TEST_F(PointwiseKernels, IntegerDivisionByZeroDoesNotTrap) {
  // torch raises; the kernel must not fault (x86 traps on idiv by 0 and INT_MIN / -1).
  torch::Tensor a = torch::tensor(std::vector<int64_t>{7, -7, INT64_MIN, 5});
  torch::Tensor b = torch::tensor(std::vector<int64_t>{0, 0, -1, -1});
  auto r = test::run_graph(R"(graph @g(%a : Tensor(i64, [4]), %b : Tensor(i64, [4])) -> (Tensor(i64, [4]), Tensor(i64, [4])) {
  %q : Tensor(i64, [4]) = aten::floor_divide(%a, %b)
  %m : Tensor(i64, [4]) = aten::remainder.Tensor(%a, %b)
  return(%q, %m)
})", {a, b});
  EXPECT_TRUE(matches(r.outputs[0], torch::tensor(std::vector<int64_t>{0, 0, INT64_MIN, -5})));
  EXPECT_TRUE(matches(r.outputs[1], torch::tensor(std::vector<int64_t>{0, 0, 0, 0})));
}

TEST_F(PointwiseKernels, IntegerPowers) {
  torch::Tensor a = torch::tensor({2, -3, 1, -1, 0, 5, -1}, torch::kLong);
  torch::Tensor e = torch::tensor({10, 3, 7, 5, 0, 2, 4}, torch::kLong);
  check_graph(R"(graph @g(%a : Tensor(i64, [7]), %e : Tensor(i64, [7])) -> (Tensor) {
  %r : Tensor = aten::pow.Tensor_Tensor(%a, %e)
  return(%r)
})", {a, e});
}

// Shifts of narrow types shift as C's int, as torch's kernels do; counts
// outside [0, bits), undefined in torch, give 0 (<<) and the sign (>>).
TEST_F(PointwiseKernels, ShiftsOfEveryWidth) {
  torch::Tensor a8 = torch::tensor({127, -128, 5, -7, 64, 1}, torch::kChar);
  torch::Tensor n8 = torch::tensor({3, 9, 7, 2, 1, 0}, torch::kChar);
  torch::Tensor u = torch::tensor({200, 3, 255, 128, 1, 0}, torch::kByte);
  check_graph(R"(graph @g(%a : Tensor(i8, [6]), %n : Tensor(i8, [6]), %u : Tensor(u8, [6])) -> (Tensor, Tensor, Tensor, Tensor) {
  %l : Tensor = aten::__lshift__.Tensor(%a, %n)
  %r : Tensor = aten::__rshift__.Tensor(%a, %n)
  %ul : Tensor = aten::__lshift__.Tensor(%u, %n)
  %ur : Tensor = aten::__rshift__.Tensor(%u, %n)
  return(%l, %r, %ul, %ur)
})", {a8, n8, u});
  torch::Tensor a = torch::tensor(std::vector<int64_t>{1, -8, 100, -100, INT64_MIN, 3});
  torch::Tensor n = torch::tensor(std::vector<int64_t>{63, 64, 70, 200, -1, 62});
  auto r = test::run_graph(R"(graph @g(%a : Tensor(i64, [6]), %n : Tensor(i64, [6])) -> (Tensor(i64, [6]), Tensor(i64, [6])) {
  %l : Tensor(i64, [6]) = aten::__lshift__.Tensor(%a, %n)
  %r : Tensor(i64, [6]) = aten::__rshift__.Tensor(%a, %n)
  return(%l, %r)
})", {a, n});
  EXPECT_TRUE(matches(r.outputs[0], torch::tensor(std::vector<int64_t>{INT64_MIN, 0, 0, 0, 0, INT64_MIN | (int64_t{1} << 62)})));
  EXPECT_TRUE(matches(r.outputs[1], torch::tensor(std::vector<int64_t>{0, -1, 0, -1, -1, 0})));
}

TEST_F(PointwiseKernels, OpsWithoutMeaningForTheDtypeAreUserErrors) {
  // torch refuses these too; a kernel cannot compute them.
  for (const char* text : {R"(graph @g(%x : Tensor(i64, [4])) -> (Tensor(i64, [4])) {
  %r : Tensor(i64, [4]) = aten::hardswish(%x)
  return(%r)
})", R"(graph @g(%x : Tensor(bool, [4])) -> (Tensor(bool, [4])) {
  %r : Tensor(bool, [4]) = aten::neg(%x)
  return(%r)
})"}) {
    auto m = test::parse_graph(text);
    EXPECT_THROW(generate_kernel(test::whole_graph_group(test::graph_of(*m)), "k"), Error) << text;
  }
}

TEST_F(PointwiseKernels, BoolWhereAndLogic) {
  torch::Tensor c = torch::rand({5, 6}) > 0.5, x = torch::rand({5, 6}) > 0.3, y = torch::rand({5, 6}) > 0.6;
  check_graph(R"(graph @g(%c : Tensor(bool, [5, 6]), %x : Tensor(bool, [5, 6]), %y : Tensor(bool, [5, 6])) -> (Tensor, Tensor, Tensor, Tensor) {
  %w : Tensor = aten::where.self(%c, %x, %y)
  %a : Tensor = aten::__and__.Tensor(%x, %y)
  %o : Tensor = aten::__or__.Tensor(%x, %y)
  %n : Tensor = aten::logical_not(%c)
  return(%w, %a, %o, %n)
})", {c, x, y});
}

// Triangles compare positions as integers whatever the dtype: bool and
// int64 tensors, batched, both sides of the diagonal.
TEST_F(PointwiseKernels, TrianglesOfAnyDtype) {
  torch::Tensor b = torch::rand({2, 5, 6}) > 0.2, i = torch::randint(-9, 9, {2, 5, 6}, torch::kLong);
  check_graph(R"(graph @g(%b : Tensor(bool, [2, 5, 6]), %i : Tensor(i64, [2, 5, 6])) -> (Tensor, Tensor, Tensor, Tensor) {
  %zero : Int = prim::Constant[value=0]()
  %two : Int = prim::Constant[value=2]()
  %minus : Int = prim::Constant[value=-1]()
  %lb : Tensor = aten::tril(%b, %zero)
  %ub : Tensor = aten::triu(%b, %two)
  %li : Tensor = aten::tril(%i, %two)
  %ui : Tensor = aten::triu(%i, %minus)
  return(%lb, %ub, %li, %ui)
})", {b, i});
}

TEST_F(PointwiseKernels, Casts) {
  torch::Tensor x = torch::randn({6, 7}) * 10;
  x.index_put_({0, 0}, 0.0);
  check_graph(R"(graph @g(%x : Tensor(f32, [6, 7])) -> (Tensor, Tensor, Tensor, Tensor, Tensor) {
  %f : Bool = prim::Constant[value=false]()
  %none : None = prim::Constant[value=none]()
  %i64 : Int = prim::Constant[value=4]()
  %f64 : Int = prim::Constant[value=7]()
  %b8 : Int = prim::Constant[value=11]()
  %i32 : Int = prim::Constant[value=3]()
  %f16 : Int = prim::Constant[value=5]()
  %a : Tensor = aten::to.dtype(%x, %i64, %f, %f, %none)
  %b : Tensor = aten::to.dtype(%x, %f64, %f, %f, %none)
  %c : Tensor = aten::to.dtype(%x, %b8, %f, %f, %none)
  %d : Tensor = aten::to.dtype(%x, %i32, %f, %f, %none)
  %e : Tensor = aten::to.dtype(%x, %f16, %f, %f, %none)
  return(%a, %b, %c, %d, %e)
})", {x}, 1e-3);
  // From ints and bools.
  torch::Tensor i = torch::randint(-100, 100, {6, 7}, torch::kLong);
  torch::Tensor b = torch::rand({6, 7}) > 0.5;
  check_graph(R"(graph @g(%i : Tensor(i64, [6, 7]), %b : Tensor(bool, [6, 7])) -> (Tensor, Tensor, Tensor, Tensor) {
  %f : Bool = prim::Constant[value=false]()
  %none : None = prim::Constant[value=none]()
  %f32 : Int = prim::Constant[value=6]()
  %u8 : Int = prim::Constant[value=0]()
  %a : Tensor = aten::to.dtype(%i, %f32, %f, %f, %none)
  %c : Tensor = aten::to.dtype(%b, %f32, %f, %f, %none)
  %d : Tensor = aten::add.Tensor(%i, %b, %f32)
  %e : Tensor = aten::to.dtype(%b, %u8, %f, %f, %none)
  return(%a, %c, %d, %e)
})", {i, b});
}

// f64 and i64 reach f16 and bf16 through f32, as c10's conversions do: the
// first two values round differently straight to 16 bits (their f32 is a
// tie, broken to even; the f64 lies just above it). Straight to bf16 the
// JIT also lacked the compiler-rt routine.
TEST_F(PointwiseKernels, CastsToHalfPrecisionRoundThroughFloat) {
  torch::Tensor x = torch::randn({2, 8}, torch::kDouble) * 1e3;
  x.index_put_({0, 0}, 1.0 + std::ldexp(1.0, -8) + std::ldexp(1.0, -30));
  x.index_put_({0, 1}, 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -30));
  torch::Tensor i = torch::randint(-(int64_t{1} << 40), int64_t{1} << 40, {2, 8}, torch::kLong);
  i.index_put_({0, 0}, (int64_t{1} << 24) + 1 + (int64_t{1} << 16));
  check_graph(R"(graph @g(%x : Tensor(f64, [2, 8]), %i : Tensor(i64, [2, 8])) -> (Tensor, Tensor, Tensor, Tensor) {
  %f : Bool = prim::Constant[value=false]()
  %none : None = prim::Constant[value=none]()
  %f16 : Int = prim::Constant[value=5]()
  %bf16 : Int = prim::Constant[value=15]()
  %a : Tensor = aten::to.dtype(%x, %bf16, %f, %f, %none)
  %b : Tensor = aten::to.dtype(%x, %f16, %f, %f, %none)
  %c : Tensor = aten::to.dtype(%i, %bf16, %f, %f, %none)
  %d : Tensor = aten::to.dtype(%i, %f16, %f, %f, %none)
  return(%a, %b, %c, %d)
})", {x, i}, 0);
}

TEST_F(PointwiseKernels, HalfPrecisionComputesInFloat) {
  for (const char* dt : {"f16", "bf16"}) {
    auto dtype = std::string(dt) == "f16" ? torch::kHalf : torch::kBFloat16;
    torch::Tensor x = torch::randn({4, 21}).to(dtype), y = torch::randn({4, 21}).to(dtype);
    std::string t = std::string("Tensor(") + dt + ", [4, 21])";
    check_graph("graph @g(%x : " + t + ", %y : " + t + R"() -> (Tensor, Tensor, Tensor, Tensor) {
  %one : Int = prim::Constant[value=1]()
  %f32 : Int = prim::Constant[value=6]()
  %f : Bool = prim::Constant[value=false]()
  %none : None = prim::Constant[value=none]()
  %a : Tensor = aten::add.Tensor(%x, %y, %one)
  %b : Tensor = aten::mul.Tensor(%x, %y)
  %c : Tensor = aten::gt.Tensor(%x, %y)
  %d : Tensor = aten::to.dtype(%x, %f32, %f, %f, %none)
  return(%a, %b, %c, %d)
})", {x, y}, 1e-2);
  }
}

TEST_F(PointwiseKernels, MixedDtypesPromote) {
  torch::Tensor x = torch::randn({3, 8});
  torch::Tensor i = torch::randint(-5, 5, {3, 8}, torch::kInt);
  torch::Tensor d = torch::randn({}, torch::kDouble);
  check_graph(R"(graph @g(%x : Tensor(f32, [3, 8]), %i : Tensor(i32, [3, 8]), %d : Tensor(f64, [])) -> (Tensor, Tensor, Tensor, Tensor, Tensor) {
  %one : Int = prim::Constant[value=1]()
  %half : Float = prim::Constant[value=0.5]()
  %a : Tensor = aten::add.Tensor(%x, %i, %one)
  %b : Tensor = aten::mul.Tensor(%i, %d)
  %c : Tensor = aten::lt.Tensor(%i, %x)
  %e : Tensor = aten::eq.Scalar(%i, %half)
  %f : Tensor = aten::add.Scalar(%i, %one, %one)
  return(%a, %b, %c, %e, %f)
})", {x, i, d});
}

// ---- broadcasting and layouts ----------------------------------------------

TEST_F(PointwiseKernels, Broadcasting) {
  torch::Tensor a = torch::randn({4, 1}), b = torch::randn({3}), s = torch::randn({});
  check_graph(R"(graph @g(%a : Tensor(f32, [4, 1]), %b : Tensor(f32, [3]), %s : Tensor(f32, [])) -> (Tensor, Tensor, Tensor) {
  %one : Int = prim::Constant[value=1]()
  %x : Tensor = aten::add.Tensor(%a, %b, %one)
  %y : Tensor = aten::mul.Tensor(%s, %b)
  %z : Tensor = aten::sub.Tensor(%s, %s, %one)
  return(%x, %y, %z)
})", {a, b, s});
}

TEST_F(PointwiseKernels, StridedInputs) {
  torch::Tensor base = torch::randn({20, 6});
  torch::Tensor t = base.t();                                // [6, 20], strides [1, 6]
  torch::Tensor sl = torch::randn({8, 40}).slice(1, 3, 23);  // offset 3, strides [40, 1]
  torch::Tensor ex = torch::randn({6, 1}).expand({6, 20});   // stride 0
  check_graph(R"(graph @g(%t : Tensor(f32, [6, 20]), %s : Tensor(f32, [8, 20]), %e : Tensor(f32, [6, 20])) -> (Tensor, Tensor) {
  %one : Int = prim::Constant[value=1]()
  %x : Tensor = aten::add.Tensor(%t, %e, %one)
  %y : Tensor = aten::exp(%s)
  return(%x, %y)
})", {t, sl, ex});
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = 0; (p = text.find(what, p)) != std::string::npos; p += what.size()) ++n;
  return n;
}

// Dims that every argument holds contiguously run as one loop; a dim where
// one argument is not contiguous with the next (a slice, a transpose, a
// broadcast) keeps its own, and a value broadcast along some dims only, or
// a position-dependent op, keeps the whole nest. The results match torch's
// in every case.
TEST_F(PointwiseKernels, ContiguousDimsRunAsOneLoop) {
  struct Case {
    std::string what;
    torch::Tensor y;
    size_t loops;
  };
  const torch::Tensor x = torch::randn({4, 3, 8});
  const std::vector<Case> cases = {
      {"contiguous", torch::randn({4, 3, 8}), 1},
      {"dim 2 sliced", torch::randn({4, 3, 16}).slice(2, 5, 13), 2},       // strides [48, 16, 1]
      {"dims 1, 2 transposed", torch::randn({4, 8, 3}).transpose(1, 2), 3},  // strides [24, 1, 3]
      {"dim 0 broadcast", torch::randn({1, 3, 8}).expand({4, 3, 8}), 2},    // strides [0, 8, 1]
      {"dim 2 broadcast", torch::randn({4, 3, 1}).expand({4, 3, 8}), 2},    // strides [3, 1, 0]
  };
  const std::string text = R"(graph @g(%x : Tensor(f32, [4, 3, 8]), %y : Tensor(f32, [4, 3, 8])) -> (Tensor, Tensor) {
  %one : Int = prim::Constant[value=1]()
  %s : Tensor = aten::add.Tensor(%x, %y, %one)
  %t : Tensor = aten::sigmoid(%s)
  %p : Tensor = aten::mul.Tensor(%t, %x)
  return(%p, %s)
})";
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    auto m = test::parse_graph(text);
    const ir::Graph& g = test::graph_of(*m);
    const std::vector<c10::IValue> in = {x, c.y};
    auto ref = test::torch_graph(g, in);
    auto got = test::run_group(test::whole_graph_group(g, in), in);
    EXPECT_TRUE(matches(got.outputs[0], ref[0]));
    EXPECT_TRUE(matches(got.outputs[1], ref[1]));
    EXPECT_EQ(count_of(got.kernel.mlir, "scf.for"), c.loops) << got.kernel.mlir;
  }
  // A tensor broadcast along its rows keeps the nest; tril reads its dims.
  auto partial = test::run_graph(R"(graph @g(%x : Tensor(f32, [4, 3, 8]), %b : Tensor(f32, [8])) -> (Tensor) {
  %one : Int = prim::Constant[value=1]()
  %s : Tensor = aten::add.Tensor(%x, %b, %one)
  return(%s)
})", {x, torch::randn({8})});
  EXPECT_EQ(count_of(partial.kernel.mlir, "scf.for"), 3u) << partial.kernel.mlir;
  check_graph(R"(graph @g(%x : Tensor(f32, [4, 3, 8])) -> (Tensor) {
  %d : Int = prim::Constant[value=1]()
  %e : Tensor = aten::exp(%x)
  %t : Tensor = aten::tril(%e, %d)
  return(%t)
})", {x});
}

TEST_F(PointwiseKernels, ScalarArguments) {
  // Int, Float and Bool values that are not constants arrive as arguments.
  torch::Tensor x = torch::randn({5, 3});
  check_graph(R"(graph @g(%x : Tensor(f32, [5, 3]), %k : Int, %f : Float) -> (Tensor, Tensor, Tensor) {
  %a : Tensor = aten::add.Scalar(%x, %f, %k)
  %b : Tensor = aten::mul.Scalar(%x, %k)
  %c : Tensor = aten::gt.Scalar(%x, %f)
  return(%a, %b, %c)
})", {x, int64_t{3}, 0.25});
}

// ---- NaN and infinity ---------------------------------------------------------

TEST_F(PointwiseKernels, NanAndInfinity) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  torch::Tensor x = torch::tensor({nan, inf, -inf, 0.0f, -0.0f, 1.0f, -2.0f, 100.0f, -100.0f, 88.0f, -88.0f, 1e-30f});
  torch::Tensor y = torch::tensor({1.0f, nan, 2.0f, nan, -1.0f, inf, -inf, 0.5f, nan, 1.0f, 0.0f, -1.0f});
  for (const char* op : {"aten::relu(%x)", "aten::maximum(%x, %y)", "aten::minimum(%x, %y)", "aten::max.other(%x, %y)",
                         "aten::clamp(%x, %lo, %hi)", "aten::sigmoid(%x)", "aten::exp(%x)", "aten::log(%x)",
                         "aten::tanh(%x)", "aten::relu6(%x)", "aten::hardtanh(%x, %lo, %hi)", "aten::leaky_relu(%x, %hi)",
                         "aten::silu(%x)", "aten::softplus(%x, %one, %twenty)", "aten::sqrt(%x)", "aten::gelu(%x, %approx)",
                         "aten::erf(%x)", "aten::abs(%x)", "aten::floor(%x)", "aten::neg(%x)",
                         "aten::remainder.Tensor(%x, %y)", "aten::floor_divide(%x, %y)", "aten::div.Tensor(%x, %y)",
                         "aten::eq.Tensor(%x, %y)", "aten::ne.Tensor(%x, %y)", "aten::where.self(%c, %x, %y)",
                         "aten::isnan(%x)", "aten::isinf(%x)", "aten::isfinite(%x)", "aten::isposinf(%x)",
                         "aten::isneginf(%x)", "aten::nan_to_num(%x, %none, %none, %none)",
                         "aten::nan_to_num(%x, %lo, %hi, %lo)", "aten::round(%x)", "aten::trunc(%x)",
                         "aten::frac(%x)", "aten::sign(%x)", "aten::fmod.Tensor(%x, %y)", "aten::expm1(%x)",
                         "aten::atan2(%x, %y)", "aten::threshold(%x, %lo, %hi)"}) {
    std::string text = std::string("graph @g(%x : Tensor(f32, [12]), %y : Tensor(f32, [12])) -> (Tensor) {\n") +
                       "  %lo : Float = prim::Constant[value=-0.5]()\n  %hi : Float = prim::Constant[value=0.5]()\n" +
                       "  %one : Int = prim::Constant[value=1]()\n  %twenty : Int = prim::Constant[value=20]()\n" +
                       "  %approx : Str = prim::Constant[value=\"none\"]()\n" +
                       "  %none : None = prim::Constant[value=none]()\n" +
                       "  %c : Tensor(bool, [12]) = aten::gt.Scalar(%x, %one)\n" +
                       "  %r : Tensor = " + op + "\n  return(%r)\n}\n";
    SCOPED_TRACE(text);
    check_graph(text, {x, y});
  }
}

// Every pair of signed zeros, infinities and finite values of both signs:
// the quadrants and signs of C's atan2.
TEST_F(PointwiseKernels, Atan2QuadrantsAndSignedZeros) {
  const float inf = std::numeric_limits<float>::infinity();
  const std::vector<float> values = {0.0f, -0.0f, inf, -inf, 2.0f, -3.0f, 1e-20f};
  std::vector<float> ys, xs;
  for (float a : values)
    for (float b : values) ys.push_back(a), xs.push_back(b);
  const int64_t n = static_cast<int64_t>(ys.size());
  const std::string t = "Tensor(f32, [" + std::to_string(n) + "])";
  check_graph("graph @g(%y : " + t + ", %x : " + t + ") -> (Tensor) {\n  %r : Tensor = aten::atan2(%y, %x)\n"
              "  return(%r)\n}\n",
              {torch::tensor(ys), torch::tensor(xs)});
}

// ---- fused groups -------------------------------------------------------------

TEST_F(PointwiseKernels, ChainOfNodesInOneKernel) {
  torch::Tensor x = torch::randn({16, 33}), b = torch::randn({33});
  check_graph(R"(graph @g(%x : Tensor(f32, [16, 33]), %b : Tensor(f32, [33])) -> (Tensor(f32, [16, 33])) {
  %one : Int = prim::Constant[value=1]()
  %h : Tensor(f32, [16, 33]) = aten::add.Tensor(%x, %b, %one)
  %s : Tensor(f32, [16, 33]) = aten::sigmoid(%h)
  %g : Tensor(f32, [16, 33]) = aten::mul.Tensor(%h, %s)
  %t : Tensor(f32, [16, 33]) = aten::tanh(%g)
  return(%t)
})", {x, b});
}

TEST_F(PointwiseKernels, DagWithTwoOutputsAndBroadcastIntermediates) {
  torch::Tensor x = torch::randn({8, 12}), v = torch::randn({12}), c = torch::randn({8, 1});
  auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [8, 12]), %v : Tensor(f32, [12]), %c : Tensor(f32, [8, 1])) -> (Tensor(f32, [8, 12]), Tensor(bool, [8, 12])) {
  %one : Int = prim::Constant[value=1]()
  %e : Tensor(f32, [12]) = aten::exp(%v)
  %k : Tensor(f32, [8, 1]) = aten::mul.Scalar(%c, %one)
  %y : Tensor(f32, [8, 12]) = aten::mul.Tensor(%x, %e)
  %z : Tensor(f32, [8, 12]) = aten::sub.Tensor(%y, %k, %one)
  %w : Tensor(f32, [8, 12]) = aten::add.Tensor(%z, %y, %one)
  %p : Tensor(bool, [8, 12]) = aten::gt.Tensor(%w, %y)
  return(%w, %p)
})");
  const ir::Graph& g = test::graph_of(*m);
  std::vector<c10::IValue> in = {x, v, c};
  auto ref = test::torch_graph(g, in);
  auto got = test::run_group(test::whole_graph_group(g, in), in);
  EXPECT_TRUE(matches(got.outputs[0], ref[0]));
  EXPECT_TRUE(matches(got.outputs[1], ref[1]));
  // Intermediates stay in registers: only the two outputs are stored.
  size_t stores = 0;
  for (size_t p = 0; (p = got.kernel.mlir.find("memref.store", p)) != std::string::npos; ++p) ++stores;
  EXPECT_EQ(stores, 2u) << got.kernel.mlir;
}

TEST_F(PointwiseKernels, FillsWriteConstants) {
  torch::Tensor x = torch::randn({3, 5});
  check_graph(R"(graph @g(%x : Tensor(f32, [3, 5])) -> (Tensor, Tensor, Tensor) {
  %none : None = prim::Constant[value=none]()
  %i64 : Int = prim::Constant[value=4]()
  %size : List[Int] = prim::Constant[value=[2, 7]]()
  %a : Tensor = aten::zeros_like(%x, %none, %none, %none, %none, %none)
  %b : Tensor = aten::ones_like(%x, %i64, %none, %none, %none, %none)
  %c : Tensor = aten::ones(%size, %none, %none, %none, %none)
  return(%a, %b, %c)
})", {x});
}

TEST_F(PointwiseKernels, CloneCopiesStridedAndIntegerInputs) {
  // A transposed input comes out as a contiguous copy of the same values.
  torch::Tensor t = torch::randn({20, 6}).t();
  torch::Tensor i = torch::randint(-1000, 1000, {4, 5}, torch::kLong);
  auto r = test::run_graph(R"(graph @g(%t : Tensor(f32, [6, 20]), %i : Tensor(i64, [4, 5])) -> (Tensor, Tensor) {
  %none : None = prim::Constant[value=none]()
  %a : Tensor = aten::clone(%t, %none)
  %b : Tensor = aten::clone(%i, %none)
  return(%a, %b)
})", {t, i});
  ASSERT_EQ(r.outputs.size(), 2u);
  EXPECT_TRUE(r.outputs[0].is_contiguous());
  EXPECT_TRUE(torch::equal(r.outputs[0], t));
  EXPECT_NE(r.outputs[0].data_ptr(), t.data_ptr());
  EXPECT_TRUE(torch::equal(r.outputs[1], i));
}

// gather_flat fused with the arithmetic around it: torch's take at the
// positions clamped into the tensor (its own ones are in range), the source
// read whole however the kernel's domain is shaped.
TEST_F(PointwiseKernels, GatherFlatReadsClampedPositions) {
  torch::Tensor x = torch::randn({37});
  torch::Tensor i = torch::randint(-5, 42, {4, 6}, torch::kLong), w = torch::randn({4, 1});
  auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [37]), %i : Tensor(i64, [4, 6]), %w : Tensor(f32, [4, 1])) -> (Tensor(f32, [4, 6])) {
  %one : Int = prim::Constant[value=1]()
  %j : Tensor(i64, [4, 6]) = aten::add.Scalar(%i, %one, %one)
  %v : Tensor(f32, [4, 6]) = wick::gather_flat(%x, %j)
  %r : Tensor(f32, [4, 6]) = aten::mul.Tensor(%v, %w)
  return(%r)
})");
  const ir::Graph& g = test::graph_of(*m);
  std::vector<c10::IValue> in = {x, i, w};
  auto got = test::run_group(test::whole_graph_group(g, in), in);
  torch::Tensor want = torch::take(x, (i + 1).clamp(0, 36)) * w;
  EXPECT_TRUE(matches(got.outputs[0], want)) << got.kernel.mlir;
}

// wick::fma rounds x * factor + addend once: with x = 1 + j * 2^-12 and
// factor 1 + 2^-12, the product needs bits below f32's ulp at 1, which a
// multiply then an add would drop for every odd j.
TEST_F(PointwiseKernels, FmaRoundsOnce) {
  torch::Tensor j = torch::randint(0, 4000, {8, 33}, torch::kFloat);
  torch::Tensor x = 1 + j * std::ldexp(1.0f, -12);
  auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [8, 33])) -> (Tensor(f32, [8, 33])) {
  %factor : Float = prim::Constant[value=1.000244140625]()
  %addend : Float = prim::Constant[value=-1.0]()
  %r : Tensor(f32, [8, 33]) = wick::fma(%x, %factor, %addend)
  return(%r)
})");
  const ir::Graph& g = test::graph_of(*m);
  auto got = test::run_group(test::whole_graph_group(g, {x}), {x});
  torch::Tensor r = got.outputs[0].contiguous();
  const float factor = 1.0f + std::ldexp(1.0f, -12);
  int unfused_differs = 0;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const float xi = x.data_ptr<float>()[i];
    volatile float product = xi * factor;  // rounded on its own
    ASSERT_EQ(r.data_ptr<float>()[i], std::fma(xi, factor, -1.0f)) << "x = " << xi << "\n" << got.kernel.mlir;
    unfused_differs += product - 1.0f != std::fma(xi, factor, -1.0f);
  }
  EXPECT_GT(unfused_differs, 0);  // the inputs tell one rounding from two
}

}  // namespace
}  // namespace wick::codegen
