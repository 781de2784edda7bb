// The executor on hand-written plans: input checks, scalar ops, structured
// If/Loop, run-time select with bounds checks, views, and raise.
#include "runtime/executor.h"

#include <gtest/gtest.h>

#include <cmath>

#include "runtime/plan_validate.h"
#include "support/error.h"

namespace wick::rt {
namespace {

Instr make(Op op, std::vector<Slot> in, std::vector<Slot> out) {
  Instr i;
  i.op = op;
  i.inputs = std::move(in);
  i.outputs = std::move(out);
  return i;
}

Instr int_constant(Slot s, int64_t v) {
  Instr i = make(Op::constant, {}, {s});
  i.scalar = ScalarType::int_;
  i.ints = {v};
  return i;
}

Tensor iota(int64_t n) {
  Tensor t = Tensor::zeros(DType::f32, {n});
  for (int64_t i = 0; i < n; ++i) t.data_as<float>()[i] = static_cast<float>(i);
  return t;
}

// out = select(x, 0, sum of 0..k-1 computed by a loop), to exercise loops,
// scalar ops and a run-time index together.
Plan loop_select_plan() {
  Plan p;
  p.num_slots = 12;
  p.inputs = {0};
  p.input_specs = {{DType::f32, {10}}};
  // slots: 0 x, 1 trips, 2 true, 3 zero acc, 4 loop out, body: 5 i, 6 acc, 7 next
  p.body.instrs.push_back(int_constant(1, 4));
  Instr t = make(Op::constant, {}, {2});
  t.scalar = ScalarType::bool_;
  t.ints = {1};
  p.body.instrs.push_back(t);
  p.body.instrs.push_back(int_constant(3, 0));
  Instr loop = make(Op::loop, {1, 2, 3}, {4});
  loop.blocks.resize(1);
  loop.blocks[0].params = {5, 6};
  Instr add = make(Op::scalar, {6, 5}, {7});
  add.index = static_cast<int32_t>(ScalarOp::add_int);
  loop.blocks[0].instrs.push_back(add);
  loop.blocks[0].results = {2, 7};
  p.body.instrs.push_back(loop);
  Instr sel = make(Op::select, {0, 4}, {8});
  sel.ints = {0};
  p.body.instrs.push_back(sel);
  // A view of x: elements 2, 4, 6 (offset 2, stride 2).
  Instr view = make(Op::view, {0}, {9});
  view.ints = {1, 3, 2, 2};
  p.body.instrs.push_back(view);
  p.outputs = {8, 9};
  return p;
}

TEST(Executor, LoopsScalarsSelectAndViews) {
  Executor e(loop_select_plan(), {}, {});
  auto out = e.run({iota(10)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].dim(), 0);
  EXPECT_EQ(*out[0].data_as<float>(), 6.0f);  // 0 + 1 + 2 + 3
  ASSERT_EQ(out[1].sizes(), (std::vector<int64_t>{3}));
  EXPECT_TRUE(out[1].is_contiguous());  // outputs are returned compact
  EXPECT_EQ(out[1].data_as<float>()[0], 2.0f);
  EXPECT_EQ(out[1].data_as<float>()[2], 6.0f);
}

// Bitwise ops on ints: two's complement, >> rounding down, and shift
// counts outside [0, 63] giving 0 (<<) or the sign (>>).
TEST(Executor, IntBitwiseOps) {
  Plan p;
  const std::vector<int64_t> operands = {-7, 12, 2, 64};  // slots 0..3
  struct Case {
    ScalarOp op;
    Slot a, b;
    int64_t expected;
  };
  const std::vector<Case> cases = {
      {ScalarOp::and_int, 0, 1, 8},   {ScalarOp::or_int, 0, 1, -3},  {ScalarOp::xor_int, 0, 1, -11},
      {ScalarOp::shl_int, 0, 2, -28}, {ScalarOp::shr_int, 0, 2, -2}, {ScalarOp::shr_int, 0, 3, -1},
      {ScalarOp::shr_int, 1, 3, 0},   {ScalarOp::shl_int, 1, 3, 0},  {ScalarOp::shl_int, 1, 2, 48},
  };
  p.num_slots = static_cast<int32_t>(operands.size() + 2 * cases.size());
  for (size_t i = 0; i < operands.size(); ++i) p.body.instrs.push_back(int_constant(static_cast<Slot>(i), operands[i]));
  for (size_t i = 0; i < cases.size(); ++i) {
    const Slot r = static_cast<Slot>(operands.size() + 2 * i);
    Instr op = make(Op::scalar, {cases[i].a, cases[i].b}, {r});
    op.index = static_cast<int32_t>(cases[i].op);
    p.body.instrs.push_back(op);
    Instr t = make(Op::to_tensor, {r}, {r + 1});
    t.dtype = DType::i64;
    p.body.instrs.push_back(t);
    p.outputs.push_back(r + 1);
  }
  Executor e(std::move(p), {}, {});
  auto out = e.run({});
  ASSERT_EQ(out.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(*out[i].data_as<int64_t>(), cases[i].expected) << "case " << i;
}

TEST(Executor, InputsAreCheckedBeforeAnythingRuns) {
  Executor e(loop_select_plan(), {}, {});
  try {
    e.run({});
    FAIL();
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("takes 1 input, got 0"), std::string::npos) << err.what();
  }
  try {
    e.run({Tensor::zeros(DType::f64, {10})});
    FAIL();
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("input 0 has dtype f64 but the model expects f32"), std::string::npos);
  }
  try {
    e.run({iota(11)});
    FAIL();
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("input 0 has shape [11]"), std::string::npos) << err.what();
  }
}

TEST(Executor, RunTimeIndexOutOfRangeIsAnError) {
  Plan p = loop_select_plan();
  p.body.instrs[0].ints = {5};  // sum 0..4 = 10: out of range for 10 elements
  Executor e(std::move(p), {}, {});
  try {
    e.run({iota(10)});
    FAIL();
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("index 10 is out of range for dim 0 of size 10"), std::string::npos)
        << err.what();
  }
}

TEST(Executor, IfRunsOneBranchAndRaiseStops) {
  Plan p;
  p.num_slots = 4;
  p.inputs = {0};
  p.input_specs = {{DType::f32, {1}}};
  // slot 1: bool(x); if x: output x, else raise.
  Instr item = make(Op::item, {0}, {1});
  item.index = 2;
  p.body.instrs.push_back(item);
  Instr branch = make(Op::if_, {1}, {2});
  branch.blocks.resize(2);
  branch.blocks[0].results = {0};
  Instr raise = make(Op::raise, {}, {});
  raise.text = "x must be nonzero";
  branch.blocks[1].instrs.push_back(raise);
  branch.blocks[1].results = {0};
  p.body.instrs.push_back(branch);
  p.outputs = {2};
  Executor e(std::move(p), {}, {});
  Tensor one = Tensor::zeros(DType::f32, {1});
  one.data_as<float>()[0] = 3.0f;
  EXPECT_EQ(e.run({one})[0].data_as<float>()[0], 3.0f);
  try {
    e.run({Tensor::zeros(DType::f32, {1})});
    FAIL();
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("the model raised an exception: x must be nonzero"), std::string::npos);
  }
}

}  // namespace
}  // namespace wick::rt

namespace wick::rt {
namespace {

// x [3, 2] read through a transposing view [2, 3]; nonzero gives the
// positions of the view's nonzero elements, row-major, binding dim "n";
// then an alloc of [n] shows the binding.
Plan nonzero_plan() {
  Plan p;
  p.num_slots = 4;
  p.inputs = {0};
  p.input_specs = {{DType::f32, {3, 2}, {}}};
  p.symbols = {"n"};
  Instr view = make(Op::view, {0}, {1});
  view.ints = {2, 2, 3, 1, 2, 0};
  p.body.instrs.push_back(view);
  Instr nz = make(Op::nonzero, {1}, {2});
  nz.ints = {0};
  p.body.instrs.push_back(nz);
  Instr al = make(Op::alloc, {}, {3});
  al.ints = {1};
  al.int_symbols = {0};
  p.body.instrs.push_back(al);
  p.outputs = {2, 3};
  return p;
}

Tensor matrix(const std::vector<float>& v) {
  Tensor t = Tensor::zeros(DType::f32, {3, 2});
  for (size_t i = 0; i < v.size(); ++i) t.data_as<float>()[i] = v[i];
  return t;
}

TEST(Executor, NonzeroFindsPositionsAndBindsTheirCount) {
  Plan p = nonzero_plan();
  validate_plan(p, "nonzero");
  Executor e(std::move(p), {}, {});
  // x = [[0, 1], [2, 0], [0, -0.0]]; its transpose [[0, 2, 0], [1, 0, -0]]
  // has nonzeros at (0, 1) and (1, 0); -0 counts as zero.
  auto out = e.run({matrix({0, 1, 2, 0, 0, -0.0f})});
  ASSERT_EQ(out[0].sizes(), (std::vector<int64_t>{2, 2}));
  const int64_t* d = out[0].data_as<int64_t>();
  EXPECT_EQ((std::vector<int64_t>(d, d + 4)), (std::vector<int64_t>{0, 1, 1, 0}));
  EXPECT_EQ(out[1].sizes(), (std::vector<int64_t>{2}));
  // The next run binds the dim anew; NaN is nonzero.
  out = e.run({matrix({std::nanf(""), 1, 2, 3, 0, 0})});
  EXPECT_EQ(out[0].sizes(), (std::vector<int64_t>{4, 2}));
  EXPECT_EQ(out[1].sizes(), (std::vector<int64_t>{4}));
  out = e.run({matrix({0, 0, 0, 0, 0, 0})});
  EXPECT_EQ(out[0].sizes(), (std::vector<int64_t>{0, 2}));
}

// Two nonzero instructions that bind one dim (the compiler named their
// counts alike): the second must find the count the first bound.
TEST(Executor, SelectionsOfOneDimMustAgree) {
  Plan q = nonzero_plan();
  Instr row = make(Op::view, {0}, {3});
  row.ints = {1, 2, 1, 0};  // row 0 of x: [x00, x01]
  q.num_slots = 5;
  Instr nz2 = make(Op::nonzero, {3}, {4});
  nz2.ints = {0};
  q.body.instrs[2] = row;
  q.body.instrs.push_back(nz2);
  q.outputs = {2, 4};
  Executor f(std::move(q), {}, {});
  EXPECT_NO_THROW(f.run({matrix({1, 1, 0, 0, 0, 0})}));  // two and two
  try {
    f.run({matrix({1, 1, 2, 0, 0, 0})});  // three nonzeros in all, two in row 0
    FAIL() << "counts 3 and 2 bound to one dim";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("select 3 and 2 elements"), std::string::npos) << err.what();
  }
}

TEST(Executor, DimReadBeforeItIsBoundIsAnError) {
  Plan p = nonzero_plan();
  std::swap(p.body.instrs[1], p.body.instrs[2]);  // the alloc of [n] first
  Executor e(std::move(p), {}, {});
  try {
    e.run({matrix({1, 0, 0, 0, 0, 0})});
    FAIL();
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("dynamic dim \"n\" is used before a nonzero binds it"), std::string::npos)
        << err.what();
  }
}

TEST(PlanValidate, DimsNeedAnInputOrANonzero) {
  Plan p = nonzero_plan();
  p.body.instrs.erase(p.body.instrs.begin() + 1);  // no nonzero left
  p.outputs = {3};
  try {
    validate_plan(p, "unbound");
    FAIL();
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("no dim of an input and no nonzero binds it"), std::string::npos)
        << err.what();
  }
  Plan q = nonzero_plan();
  q.device = PlanDevice::cuda;
  EXPECT_THROW(validate_plan(q, "cuda"), Error);
  Plan r = nonzero_plan();
  r.body.instrs[1].ints = {1};  // no dim 1
  EXPECT_THROW(validate_plan(r, "range"), Error);
}

}  // namespace
}  // namespace wick::rt
