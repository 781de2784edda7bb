// Resuming training across wick and PyTorch through the optimizer's state
// (Trainer::save_optimizer / load_optimizer, api/optimizer_state.h).
// train_reference.py trains a zoo model for 6 steps with torch.optim,
// saving the model and torch.save(optimizer.state_dict()) after step 3.
// Both ways must continue that run: wick, from torch's files, takes steps
// 4-6 with torch's losses (relative 1e-4) and ends predicting what torch's
// trained model predicts (1e-4); torch, from the files wick writes after
// training steps 1-3 itself, does the same. Resuming without the state
// must not match (so the comparison sees the state). Then what a Trainer
// refuses to take over, with its message.
#include <gtest/gtest.h>

#include <functional>

#include "frontend/torch_save.h"
#include "runtime/npy.h"
#include "train_reference.h"
#include "test_paths.h"

namespace wick {
namespace {

using test::expect_error;
using test::optimizer_args;
using test::relative_error;
using test::TempDir;
using test::train_reference;

struct Case {
  const char* name;
  const char* model;
  const char* input_shape;
  int batch;
  LossKind loss;
  OptimizerConfig optimizer;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

OptimizerConfig config(OptimizerKind kind, double lr, double momentum, double weight_decay, bool nesterov) {
  OptimizerConfig o;
  o.kind = kind;
  o.lr = lr;
  o.momentum = momentum;
  o.weight_decay = weight_decay;
  o.nesterov = nesterov;
  return o;
}

const Case kCases[] = {
    {"nn5_adam", "nn5", "14", 64, LossKind::mse, config(OptimizerKind::adam, 1e-2, 0, 0, false)},
    {"nn5_sgd_nesterov", "nn5", "14", 64, LossKind::mse, config(OptimizerKind::sgd, 0.05, 0.9, 1e-4, true)},
    {"nn5_adamw", "nn5", "14", 64, LossKind::l1, config(OptimizerKind::adamw, 1e-2, 0, 1e-2, false)},
    // Not Adam here: a convolution's bias before batch norm has a gradient
    // of rounding noise, which Adam scales up to full steps, in torch and
    // wick alike, differently.
    {"cnn_bn_sgd", "cnn_bn", "3,32,32", 8, LossKind::cross_entropy, config(OptimizerKind::sgd, 0.05, 0.9, 1e-4, false)},
};

constexpr int kBatches = 3;
constexpr int kEpochs = 2;
constexpr int kSaveAt = 3;  // steps before the state changes hands

std::string zoo(const char* model) { return std::string(wick::test_paths::zoo_dir()) + "/" + model + ".scripted.pt"; }

Tensor npy(const TempDir& dir, const std::string& name) { return read_npy((dir / name).string()); }

class OptimizerState : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (!test::have_torch()) GTEST_SKIP() << "needs python3 with torch";
    const Case& c = GetParam();
    loss_.kind = c.loss;
    common_ = " --batches " + std::to_string(kBatches) + " --epochs " + std::to_string(kEpochs) + " --loss " +
              loss_name(c.loss) + " " + optimizer_args(c.optimizer);
    ASSERT_EQ(train_reference(dir_, "train --model '" + zoo(c.model) + "' --out . --input-shape " + c.input_shape +
                                        " --batch " + std::to_string(c.batch) + " --seed 3 --save-at " +
                                        std::to_string(kSaveAt) + common_),
              0)
        << test::slurp(dir_ / "log.txt");
  }

  // Steps kSaveAt + 1 .. end with `t`; returns their losses.
  std::vector<double> finish(Trainer& t) {
    std::vector<double> losses;
    for (int step = kSaveAt; step < kBatches * kEpochs; ++step) {
      const std::string k = std::to_string(step % kBatches);
      losses.push_back(t.step({npy(dir_, "x_" + k + ".npy")}, npy(dir_, "y_" + k + ".npy")));
    }
    return losses;
  }

  // The worst relative difference of `losses` from torch's steps kSaveAt + 1 ..
  double loss_error(const std::vector<double>& losses, const Tensor& reference, int64_t first) {
    double worst = 0;
    for (size_t i = 0; i < losses.size(); ++i) {
      const double want = reference.data_as<double>()[first + static_cast<int64_t>(i)];
      worst = std::max(worst, std::abs(losses[i] - want) / std::max(std::abs(want), 1e-12));
    }
    return worst;
  }

  TempDir dir_{"optimizer_state"};
  LossConfig loss_;
  std::string common_;
};

TEST_P(OptimizerState, WickGoesOnFromTorchsState) {
  const Case& c = GetParam();
  const Tensor losses = npy(dir_, "losses.npy");
  ASSERT_EQ(losses.numel(), kBatches * kEpochs);
  Trainer t((dir_ / "model_at.pt").string(), loss_, c.optimizer);
  t.load_optimizer((dir_ / "opt_at.pt").string());
  // torch's SGD keeps no step count: its momentum buffers say only that
  // steps were taken.
  EXPECT_EQ(t.steps(), c.optimizer.kind == OptimizerKind::sgd ? 1 : kSaveAt);
  const std::vector<double> resumed = finish(t);
  EXPECT_LT(loss_error(resumed, losses, kSaveAt), 1e-4);
  const Tensor predicted = t.predict({npy(dir_, "eval_x.npy")}).at(0);
  EXPECT_LT(relative_error(predicted, npy(dir_, "eval_pred.npy")), 1e-4);

  // The same without the state starts the moments (or momentum) afresh.
  Trainer fresh((dir_ / "model_at.pt").string(), loss_, c.optimizer);
  finish(fresh);
  EXPECT_GT(relative_error(fresh.predict({npy(dir_, "eval_x.npy")}).at(0), npy(dir_, "eval_pred.npy")), 1e-3);
}

TEST_P(OptimizerState, TorchGoesOnFromWicksState) {
  const Case& c = GetParam();
  Trainer t(zoo(c.model), loss_, c.optimizer);
  for (int step = 0; step < kSaveAt; ++step) {
    const std::string k = std::to_string(step % kBatches);
    t.step({npy(dir_, "x_" + k + ".npy")}, npy(dir_, "y_" + k + ".npy"));
  }
  t.save((dir_ / "wick_at.pt").string());
  t.save_optimizer((dir_ / "wick_opt_at.pt").string());
  ASSERT_EQ(train_reference(dir_, "resume --model wick_at.pt --state wick_opt_at.pt --from-step " +
                                      std::to_string(kSaveAt) + common_),
            0)
      << test::slurp(dir_ / "log.txt");
  const Tensor resumed = npy(dir_, "losses_resumed.npy");
  std::vector<double> got(resumed.data_as<double>(), resumed.data_as<double>() + resumed.numel());
  EXPECT_LT(loss_error(got, npy(dir_, "losses.npy"), kSaveAt), 1e-4);
  EXPECT_LT(relative_error(npy(dir_, "eval_pred_resumed.npy"), npy(dir_, "eval_pred.npy")), 1e-4);
  // And wick's own files resume wick.
  Trainer again((dir_ / "wick_at.pt").string(), loss_, c.optimizer);
  again.load_optimizer((dir_ / "wick_opt_at.pt").string());
  finish(again);
  EXPECT_LT(relative_error(again.predict({npy(dir_, "eval_x.npy")}).at(0), npy(dir_, "eval_pred.npy")), 1e-4);
}

INSTANTIATE_TEST_SUITE_P(Cases, OptimizerState, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

// ---- what load_optimizer refuses

PickleValue key(const char* s) { return PickleValue::string(s); }

// An Adam state_dict for nn5's parameters (its Linear layers' weights and
// biases, in order), every state tensor shaped like its parameter.
PickleValue adam_state(const Trainer& t, size_t groups = 1) {
  std::vector<PickleValue> ids;
  PickleValue state = PickleValue::dict();
  int64_t i = 0;
  for (const ir::NamedTensor& n : t.module().tensors()) {
    if (n.role != ir::TensorRole::parameter) continue;
    PickleValue e = PickleValue::dict();
    Tensor step = Tensor::zeros(DType::f32, {});
    *step.data_as<float>() = 2;
    e.set_item(key("step"), PickleValue::tensor(step, false));
    e.set_item(key("exp_avg"), PickleValue::tensor(Tensor::zeros(DType::f32, n.data.sizes()), false));
    e.set_item(key("exp_avg_sq"), PickleValue::tensor(Tensor::zeros(DType::f32, n.data.sizes()), false));
    state.set_item(PickleValue::integer(i), std::move(e));
    ids.push_back(PickleValue::integer(i++));
  }
  std::vector<PickleValue> group_list;
  for (size_t g = 0; g < groups; ++g) {
    PickleValue group = PickleValue::dict();
    group.set_item(key("lr"), PickleValue::floating(0.001));
    group.set_item(key("betas"), PickleValue::tuple({PickleValue::floating(0.9), PickleValue::floating(0.999)}));
    group.set_item(key("params"), PickleValue::list(ids));
    group_list.push_back(std::move(group));
  }
  PickleValue root = PickleValue::dict();
  root.set_item(key("state"), std::move(state));
  root.set_item(key("param_groups"), PickleValue::list(std::move(group_list)));
  return root;
}

OptimizerConfig adam_config() {
  OptimizerConfig o;
  o.kind = OptimizerKind::adam;
  return o;
}

TEST(OptimizerStateErrors, RefusesStateItCannotTakeOver) {
  TempDir dir("optimizer_state_errors");
  Trainer t(zoo("nn5"), LossConfig{}, adam_config());
  const std::string file = (dir / "opt.pt").string();
  auto load = [&](const PickleValue& v) {
    write_torch_save(file, v);
    t.load_optimizer(file);
  };
  // A well-formed state loads, and sets the step count.
  load(adam_state(t));
  EXPECT_EQ(t.steps(), 2);

  expect_error([&] { load(adam_state(t, 2)); }, "it has 2 parameter groups");
  PickleValue fewer = adam_state(t);
  PickleValue& group = const_cast<PickleValue&>(fewer.find("param_groups")->elements()[0]);
  group.set_item(key("params"), PickleValue::list({PickleValue::integer(0)}));
  expect_error([&] { load(fewer); }, "it holds 1 parameters, but the model has");

  PickleValue ams = adam_state(t);
  const_cast<PickleValue&>(ams.find("param_groups")->elements()[0]).set_item(key("amsgrad"), PickleValue::boolean(true));
  expect_error([&] { load(ams); }, "AMSGrad");

  PickleValue shape = adam_state(t);
  PickleValue& first = const_cast<PickleValue&>(shape.find("state")->dict_items()[0].second);
  first.set_item(key("exp_avg"), PickleValue::tensor(Tensor::zeros(DType::f32, {3}), false));
  expect_error([&] { load(shape); }, "exp_avg is f32[3], but the parameter is");

  PickleValue steps = adam_state(t);
  const_cast<PickleValue&>(steps.find("state")->dict_items()[0].second).set_item(key("step"), PickleValue::floating(-1));
  expect_error([&] { load(steps); }, "not a step count");

  // Adam's state for SGD, and a model file for a state file.
  OptimizerConfig sgd;
  sgd.momentum = 0.9;
  Trainer s(zoo("nn5"), LossConfig{}, sgd);
  write_torch_save(file, adam_state(t));
  expect_error([&] { s.load_optimizer(file); }, "it is not the state of SGD");
  expect_error([&] { t.load_optimizer(zoo("nn5")); }, "not an optimizer's state_dict()");
  // Nothing of the refused files was taken: the step count is the good one's.
  EXPECT_EQ(t.steps(), 2);
  EXPECT_EQ(s.steps(), 0);
}

}  // namespace
}  // namespace wick
