// What a Trainer refuses, with the message it gives: a target that cannot
// match the model's output (raised by the first step, before any tensor is
// updated), unknown loss and optimizer names, settings torch.optim refuses,
// the wrong number of inputs, parameters that overlap in memory without
// being one tensor, and a file that is no model; and that a quantized
// tensor the model holds but does not use is saved unchanged.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "api/trainer.h"
#include "frontend/loader.h"
#include "runtime/npy.h"
#include "train_reference.h"
#include "test_paths.h"

namespace wick {
namespace {

using test::expect_error;

std::string zoo(const char* model) { return std::string(wick::test_paths::zoo_dir()) + "/" + model + ".scripted.pt"; }

Tensor zeros(DType dtype, std::vector<int64_t> sizes) { return Tensor::zeros(dtype, std::move(sizes)); }

LossConfig loss_of(LossKind kind) {
  LossConfig l;
  l.kind = kind;
  return l;
}

// Every floating-point module tensor's bytes, to see that nothing changed.
std::vector<std::string> snapshot(const Trainer& t) {
  std::vector<std::string> out;
  for (const ir::NamedTensor& n : t.module().tensors())
    if (n.data.defined()) out.emplace_back(static_cast<const char*>(n.data.data()), n.data.nbytes());
  return out;
}

TEST(TrainerErrors, TargetOfTheWrongShapeFailsBeforeAnyUpdate) {
  Trainer t(zoo("nn5"), loss_of(LossKind::mse), OptimizerConfig{});
  const auto before = snapshot(t);
  const Tensor x = zeros(DType::f32, {8, 14});
  expect_error([&] { t.step({x}, zeros(DType::f32, {8})); },
               "the model's output is f32[8, 1] but the target is f32[8]: the mse loss needs a target of the "
               "output's shape and dtype (f32[8, 1])");
  expect_error([&] { t.evaluate({x}, zeros(DType::f32, {8, 2})); }, "but the target is f32[8, 2]");
  EXPECT_EQ(t.steps(), 0);
  EXPECT_EQ(snapshot(t), before);
  // The right target still trains afterwards.
  t.step({x}, zeros(DType::f32, {8, 1}));
  EXPECT_EQ(t.steps(), 1);
}

TEST(TrainerErrors, TargetOfTheWrongDtype) {
  Trainer t(zoo("nn5"), loss_of(LossKind::bce_with_logits), OptimizerConfig{});
  expect_error([&] { t.step({zeros(DType::f32, {4, 14})}, zeros(DType::i64, {4, 1})); },
               "the bce_with_logits loss needs a target of the output's shape and dtype (f32[4, 1])");
}

TEST(TrainerErrors, CrossEntropyTargetThatFitsNeither) {
  Trainer t(zoo("cnn_bn"), loss_of(LossKind::cross_entropy), OptimizerConfig{});
  const Tensor x = zeros(DType::f32, {2, 3, 32, 32});
  expect_error([&] { t.step({x}, zeros(DType::i64, {2, 10})); },
               "the cross_entropy loss needs class indices (i64[2]) or class probabilities (f32[2, 10])");
  expect_error([&] { t.step({x}, zeros(DType::f32, {2})); }, "but the target is f32[2]");
  EXPECT_EQ(t.steps(), 0);
}

TEST(TrainerErrors, ClassIndexOutOfRangeFailsTheStepWithoutUpdates) {
  Trainer t(zoo("cnn_bn"), loss_of(LossKind::cross_entropy), OptimizerConfig{});
  const auto before = snapshot(t);
  Tensor target = zeros(DType::i64, {2});
  target.data_as<int64_t>()[1] = 10;
  expect_error([&] { t.step({zeros(DType::f32, {2, 3, 32, 32})}, target); }, "in aten::one_hot: index out of range");
  EXPECT_EQ(t.steps(), 0);
  EXPECT_EQ(snapshot(t), before);
}

TEST(TrainerErrors, WrongInputs) {
  Trainer t(zoo("nn5"), loss_of(LossKind::mse), OptimizerConfig{});
  expect_error([&] { t.step({}, zeros(DType::f32, {4, 1})); }, "@forward takes 1 input, got 0");
  expect_error([&] { t.step({zeros(DType::f32, {4, 14})}, Tensor()); }, "the target tensor is undefined");
  expect_error([&] { t.predict({zeros(DType::f32, {4, 13})}); },
               "linear input has 13 features but the weight expects 14");
  EXPECT_EQ(t.steps(), 0);
}

TEST(TrainerErrors, UnknownNames) {
  expect_error([] { loss_from_name("hinge"); },
               "unknown loss 'hinge'; the losses are mse, cross_entropy, bce_with_logits, l1, smooth_l1, huber");
  expect_error([] { optimizer_from_name("rmsprop"); },
               "unknown optimizer 'rmsprop'; the optimizers are sgd, adam, adamw");
  EXPECT_EQ(loss_from_name("smooth_l1"), LossKind::smooth_l1);
  EXPECT_EQ(optimizer_from_name("adamw"), OptimizerKind::adamw);
  EXPECT_STREQ(loss_name(LossKind::bce_with_logits), "bce_with_logits");
  EXPECT_STREQ(optimizer_name(OptimizerKind::adam), "adam");
}

TEST(TrainerErrors, SettingsTorchOptimRefuses) {
  auto make = [](OptimizerConfig o) { Trainer(zoo("nn5"), loss_of(LossKind::mse), o); };
  OptimizerConfig o;
  o.lr = -1;
  expect_error([&] { make(o); }, "invalid learning rate: -1");
  o = {};
  o.nesterov = true;
  expect_error([&] { make(o); }, "Nesterov momentum requires a momentum and zero dampening");
  o = {};
  o.kind = OptimizerKind::adam;
  o.beta2 = 1.0;
  expect_error([&] { make(o); }, "invalid beta parameter at index 1: 1");
  o = {};
  o.weight_decay = -0.1;
  expect_error([&] { make(o); }, "invalid weight_decay value: -0.1");
}

// Writes the named model of train_reference.py into dir/m.pt.
std::string reference_model(const test::TempDir& dir, const char* kind) {
  const std::string cmd = "cd '" + dir.path().string() + "' && " + test::python_command() + std::string(" '") + (wick::test_paths::source_dir() + "/tests/api/train_reference.py' model --kind ") + kind + " --out m.pt >log.txt 2>&1";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << test::slurp(dir / "log.txt");
  return (dir / "m.pt").string();
}

TEST(TrainerErrors, OverlappingParameters) {
  if (!test::have_torch()) GTEST_SKIP() << "no python3 with torch";
  test::TempDir dir("trainer");
  const std::string pt = reference_model(dir, "overlapping_mlp");
  expect_error([&] { Trainer(pt, LossConfig{}, OptimizerConfig{}); },
               "parameters fc1.weight and fc2.weight overlap in memory without being one tensor");
}

// torch implements no derivative of igamma with respect to its first
// argument: a parameter there is refused when the step is built, while a
// buffer there lets the layer before the second argument train.
TEST(TrainerErrors, IncompleteGammaOfATrainedShape) {
  if (!test::have_torch()) GTEST_SKIP() << "no python3 with torch";
  test::TempDir dir("trainer");
  Trainer refused(reference_model(dir, "gamma_trained_shape"), loss_of(LossKind::mse), OptimizerConfig{});
  Tensor x = zeros(DType::f32, {4, 16}), y = zeros(DType::f32, {4, 16});
  expect_error([&] { refused.step({x}, y); },
               "the derivative of igamma with respect to its first argument (a) is not implemented (in torch "
               "either), and a trained parameter reaches it");

  Trainer t(reference_model(dir, "gamma_buffer_shape"), loss_of(LossKind::mse), OptimizerConfig{});
  auto weight_bytes = [&] {
    const Tensor w = t.module().find_tensor("fc.weight")->data.contiguous();
    return std::string(static_cast<const char*>(w.data()), w.nbytes());
  };
  const std::string before = weight_bytes();
  for (int64_t i = 0; i < x.numel(); ++i) x.data_as<float>()[i] = 0.1f * static_cast<float>(i % 7) - 0.3f;
  t.step({x}, y);
  EXPECT_TRUE(weight_bytes() != before) << "the layer before x trains";
}

// Frozen parameters may share their bytes: nothing writes them.
TEST(TrainerErrors, TiedFrozenParametersTrain) {
  if (!test::have_torch()) GTEST_SKIP() << "no python3 with torch";
  test::TempDir dir("trainer");
  Trainer t(reference_model(dir, "tied_frozen_mlp"), loss_of(LossKind::mse), OptimizerConfig{});
  auto bytes = [&](const char* name) {
    const ir::NamedTensor* n = t.module().find_tensor(name);
    EXPECT_TRUE(n && n->data.defined()) << name;
    return n && n->data.defined() ? std::string(static_cast<const char*>(n->data.data()), n->data.nbytes())
                                  : std::string();
  };
  const std::string weight = bytes("fc1.weight"), bias = bytes("fc2.bias");
  Tensor x = zeros(DType::f32, {4, 16}), y = zeros(DType::f32, {4, 16});
  for (int64_t i = 0; i < y.numel(); ++i) y.data_as<float>()[i] = 1.0f;
  t.step({x}, y);
  EXPECT_EQ(t.steps(), 1);
  EXPECT_EQ(bytes("fc1.weight"), weight);
  EXPECT_NE(bytes("fc2.bias"), bias) << "the biases train";
  EXPECT_EQ(t.module().find_tensor("fc2.weight")->role, ir::TensorRole::frozen);
}

// A quantized tensor the model holds but does not use is saved as it was
// read (its integers), and LibTorch loads the trained file.
TEST(TrainerErrors, UnusedQuantizedTensorIsSavedUnchanged) {
  if (!test::have_torch()) GTEST_SKIP() << "no python3 with torch";
  test::TempDir dir("trainer");
  const std::string original = reference_model(dir, "quantized_attribute_mlp");
  Trainer t(original, loss_of(LossKind::mse), OptimizerConfig{});
  Tensor x = zeros(DType::f32, {4, 16}), y = zeros(DType::f32, {4, 1});
  for (int64_t i = 0; i < x.numel(); ++i) x.data_as<float>()[i] = 0.25f * static_cast<float>(i % 7);
  t.step({x}, y);
  t.save((dir / "trained.pt").string());
  auto codebook = [](const std::string& path) {
    auto m = load_torchscript(path);
    const ir::NamedTensor* n = m->find_tensor("codebook");
    EXPECT_TRUE(n && n->data.defined());
    return n && n->data.defined() ? std::string(static_cast<const char*>(n->data.data()), n->data.nbytes())
                                  : std::string();
  };
  EXPECT_EQ(codebook((dir / "trained.pt").string()), codebook(original));
  write_npy((dir / "x.npy").string(), x);
  EXPECT_EQ(test::train_reference(dir, "predict --model trained.pt --input x.npy --out pred.npy"), 0);
}

TEST(TrainerErrors, NotAModel) {
  test::TempDir dir("trainer");
  test::spit(dir / "junk.pt", "not a zip file at all");
  expect_error([&] { Trainer((dir / "junk.pt").string(), LossConfig{}, OptimizerConfig{}); }, "junk.pt");
  expect_error([&] { Trainer((dir / "missing.pt").string(), LossConfig{}, OptimizerConfig{}); }, "missing.pt");
}

}  // namespace
}  // namespace wick
