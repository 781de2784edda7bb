// Op::store, a training step's write into a module tensor: the value is
// copied element by element whatever the layouts (here a transposed view),
// into the very storage the executor was given, so whoever shares it sees
// the update; a value of another shape is an error; the validator refuses a
// store into a slot that holds no module tensor.
#include <gtest/gtest.h>

#include "runtime/executor.h"
#include "runtime/plan_validate.h"
#include "support/error.h"

namespace wick::rt {
namespace {

// x [2, 3] in slot 0; module tensor "w" in slot 1; x transposed in slot 2,
// stored into w.
Plan store_plan() {
  Plan p;
  p.num_slots = 3;
  p.inputs = {0};
  p.input_specs = {{DType::f32, {2, 3}, {}}};
  p.tensors = {{1, "w"}};
  Instr view;
  view.op = Op::view;
  view.inputs = {0};
  view.outputs = {2};
  view.ints = {2, 3, 2, 1, 3, 0};  // sizes [3, 2], strides [1, 3]
  p.body.instrs.push_back(view);
  Instr store;
  store.op = Op::store;
  store.inputs = {2, 1};
  p.body.instrs.push_back(store);
  p.outputs = {0};
  return p;
}

Tensor iota(std::vector<int64_t> sizes) {
  Tensor t = Tensor::zeros(DType::f32, std::move(sizes));
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = static_cast<float>(i);
  return t;
}

TEST(ExecutorStore, CopiesAStridedValueIntoTheSharedTensor) {
  Tensor w = Tensor::zeros(DType::f32, {3, 2});
  Plan p = store_plan();
  validate_plan(p, "store.plan");
  Executor e(p, {}, {w});
  e.run({iota({2, 3})});
  // w = x^T: w[i][j] = x[j][i] = 3 j + i.
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 2; ++j) EXPECT_EQ(w.data_as<float>()[i * 2 + j], static_cast<float>(3 * j + i));
}

TEST(ExecutorStore, AValueOfAnotherShapeIsAnError) {
  Tensor w = Tensor::zeros(DType::f32, {2, 3});
  Executor e(store_plan(), {}, {w});
  try {
    e.run({iota({2, 3})});
    FAIL() << "expected an error";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("cannot store a f32[3, 2] into a module tensor of f32[2, 3]"),
              std::string::npos)
        << err.what();
  }
}

TEST(ExecutorStore, ValidatorWantsAModuleTensorSlot) {
  Plan p = store_plan();
  p.tensors.clear();
  try {
    validate_plan(p, "store.plan");
    FAIL() << "expected an error";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("a store into a slot that holds no module tensor"), std::string::npos)
        << err.what();
  }
}

}  // namespace
}  // namespace wick::rt
