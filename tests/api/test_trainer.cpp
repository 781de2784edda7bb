// wick::Trainer against torch.optim: the zoo's NN5 tabular MLP and its small
// CNN with batch norm are trained for 3 epochs of 5 batches with every loss
// and optimizer, by wick and by LibTorch (train_reference.py: the same .pt,
// the same initial weights, data and batch order). Every step's loss must
// agree within a relative difference of 1e-3. The trained model that
// save() writes must load in LibTorch (torch.jit.load) and predict what
// wick's predict() does within 1e-4 (predict() compiled before training sees
// the trained values); batch norm's running statistics must match torch's
// after training (1e-3). The same for a transformer encoder layer, an MLP
// with tied weights, one whose first layer is frozen (requires_grad=False)
// and one whose batch norms average cumulatively (momentum=None), built by
// train_reference.py.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <memory>

#include "train_reference.h"
#include "api/trainer.h"
#include "runtime/npy.h"
#include "test_paths.h"

namespace wick {
namespace {

using test::TempDir;
using test::optimizer_args;
using test::relative_error;
using test::train_reference;

struct Case {
  const char* name;
  const char* model;        // zoo model
  const char* input_shape;  // per sample, for train_reference.py
  int batch;
  LossKind loss;
  const char* target;  // cross_entropy: "indices" or "probabilities"
  OptimizerConfig optimizer;
  // Largest relative differences from torch: each step's loss, the trained
  // model's predictions, and LibTorch's predictions from the saved model.
  // A bf16 model rounds to 2^-8 where an f32 one rounds to 2^-24.
  double loss_tolerance = 1e-3;
  double prediction_tolerance = 1e-2;
  double saved_tolerance = 1e-4;
};

// Test names in listings.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

OptimizerConfig sgd(double lr, double momentum, double weight_decay, bool nesterov = false, double dampening = 0) {
  OptimizerConfig o;
  o.kind = OptimizerKind::sgd;
  o.lr = lr;
  o.momentum = momentum;
  o.weight_decay = weight_decay;
  o.nesterov = nesterov;
  o.dampening = dampening;
  return o;
}

OptimizerConfig adam(OptimizerKind kind, double lr, double weight_decay) {
  OptimizerConfig o;
  o.kind = kind;
  o.lr = lr;
  o.weight_decay = weight_decay;
  return o;
}

const Case kCases[] = {
    {"nn5_mse_sgd", "nn5", "14", 200, LossKind::mse, "", sgd(0.01, 0.9, 1e-4)},
    {"nn5_mse_adam", "nn5", "14", 200, LossKind::mse, "", adam(OptimizerKind::adam, 1e-3, 0)},
    {"nn5_l1_sgd_nesterov", "nn5", "14", 200, LossKind::l1, "", sgd(0.01, 0.9, 1e-4, true)},
    {"nn5_smooth_l1_sgd_dampening", "nn5", "14", 200, LossKind::smooth_l1, "", sgd(0.05, 0.5, 0, false, 0.3)},
    {"nn5_huber_adamw", "nn5", "14", 200, LossKind::huber, "", adam(OptimizerKind::adamw, 1e-3, 1e-2)},
    {"nn5_bce_adam_decay", "nn5", "14", 200, LossKind::bce_with_logits, "", adam(OptimizerKind::adam, 1e-3, 1e-4)},
    {"cnn_bn_ce_sgd", "cnn_bn", "3,32,32", 8, LossKind::cross_entropy, "indices", sgd(0.01, 0.9, 1e-4)},
    {"cnn_bn_ce_adam", "cnn_bn", "3,32,32", 8, LossKind::cross_entropy, "indices",
     adam(OptimizerKind::adam, 1e-3, 0)},
    {"cnn_bn_ce_probabilities_adamw", "cnn_bn", "3,32,32", 8, LossKind::cross_entropy, "probabilities",
     adam(OptimizerKind::adamw, 1e-3, 1e-2)},
};

constexpr int kBatches = 5;
constexpr int kEpochs = 3;

// Trains `pt` as the case says with wick and with torch and checks both
// agree; returns the trainer after training, for further checks.
std::unique_ptr<Trainer> train_against_torch(const Case& c, const std::string& pt, const TempDir& dir) {
  const std::string args = "train --model '" + pt + "' --out . --input-shape " + c.input_shape + " --batch " +
                           std::to_string(c.batch) + " --batches " + std::to_string(kBatches) + " --epochs " +
                           std::to_string(kEpochs) + " --loss " + loss_name(c.loss) +
                           (c.target[0] ? std::string(" --target ") + c.target : std::string()) + " " +
                           optimizer_args(c.optimizer) + " --seed 7";
  EXPECT_EQ(train_reference(dir, args), 0) << test::slurp(dir / "log.txt");
  if (::testing::Test::HasFailure()) return nullptr;

  LossConfig loss;
  loss.kind = c.loss;
  auto trainer = std::make_unique<Trainer>(pt, loss, c.optimizer);
  // Compiled before training: the same executor must see the trained values.
  const Tensor eval_x = read_npy((dir / "eval_x.npy").string());
  const Tensor untrained = trainer->predict({eval_x}).at(0);
  const Tensor reference = read_npy((dir / "losses.npy").string());
  EXPECT_EQ(reference.numel(), kBatches * kEpochs);
  if (reference.numel() != kBatches * kEpochs) return nullptr;
  double worst = 0;
  for (int step = 0; step < kBatches * kEpochs; ++step) {
    const int k = step % kBatches;
    const Tensor x = read_npy((dir / ("x_" + std::to_string(k) + ".npy")).string());
    const Tensor y = read_npy((dir / ("y_" + std::to_string(k) + ".npy")).string());
    const double got = trainer->step({x}, y);
    const double want = reference.data_as<double>()[step];
    const double rel = std::abs(got - want) / std::max(std::abs(want), 1e-12);
    worst = std::max(worst, rel);
    EXPECT_LE(rel, c.loss_tolerance) << "step " << step << ": wick " << got << ", torch " << want;
  }
  EXPECT_EQ(trainer->steps(), kBatches * kEpochs);

  const Tensor predicted = trainer->predict({eval_x}).at(0);
  EXPECT_GT(relative_error(predicted, untrained), 1e-4) << "predict() does not see the trained values";
  const double vs_torch = relative_error(predicted, read_npy((dir / "eval_pred.npy").string()));
  EXPECT_LE(vs_torch, c.prediction_tolerance) << "wick's and torch's trained models predict differently";

  trainer->save((dir / "trained.pt").string());
  EXPECT_EQ(train_reference(dir, "predict --model trained.pt --input eval_x.npy --out saved_pred.npy"), 0)
      << test::slurp(dir / "log.txt");
  const double saved = relative_error(read_npy((dir / "saved_pred.npy").string()), predicted);
  EXPECT_LE(saved, c.saved_tolerance) << "LibTorch's predictions from the saved model differ from wick's";

  // Batch norm's running statistics (and every other buffer) as torch's.
  // Except under Adam the running means: a convolution's bias ahead of a
  // batch norm gets a gradient of pure rounding noise (the norm cancels the
  // bias), which Adam scales up to full-size steps, so the bias, and the
  // running mean that includes it, follow that noise in either framework.
  double buffers = 0;
  for (const ir::NamedTensor& t : trainer->module().tensors()) {
    if (t.role != ir::TensorRole::buffer || t.name.find("::") != std::string::npos) continue;
    // Quantized weights: LibTorch keeps them in packed objects, not buffers.
    if (t.name.find("._packed_params._packed_params.") != std::string::npos) continue;
    const bool noisy = c.optimizer.kind != OptimizerKind::sgd && t.name.find("running_mean") != std::string::npos;
    if (noisy) continue;
    const Tensor ref = read_npy((dir / ("buffer_" + t.name + ".npy")).string());
    const double err = relative_error(t.data, ref);
    buffers = std::max(buffers, err);
    EXPECT_LE(err, 1e-3) << t.name;
  }
  std::printf("[train] %s: worst step loss relative difference %.3g; predictions vs torch-trained %.3g, "
              "LibTorch on the saved model vs wick %.3g; buffers %.3g\n",
              c.name, worst, vs_torch, saved, buffers);
  return trainer;
}

class TrainAgainstTorch : public ::testing::TestWithParam<Case> {};

TEST_P(TrainAgainstTorch, StepLossesPredictionsAndSavedModel) {
  if (!test::have_torch()) GTEST_SKIP() << "no python3 with torch";
  const Case& c = GetParam();
  TempDir dir("train");
  train_against_torch(c, std::string(wick::test_paths::zoo_dir()) + "/" + c.model + ".scripted.pt", dir);
}

INSTANTIATE_TEST_SUITE_P(Zoo, TrainAgainstTorch, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

// Models of PyTorch's own layers (train_reference.py's model kinds), each
// classifying rows of 48 features as 6 steps of 8, trained with Adam and
// cross-entropy as torch trains them. In training mode attention takes
// F.multi_head_attention_forward; recurrent layers unroll over the steps; a
// dynamically quantized layer passes no gradient back, so what comes before
// it keeps its values.
struct LayerModel {
  const char* test;
  const char* kind;
};

void PrintTo(const LayerModel& m, std::ostream* os) { *os << m.test; }

class TrainAgainstTorchLayers : public ::testing::TestWithParam<LayerModel> {};

TEST_P(TrainAgainstTorchLayers, StepsAsTorchDoes) {
  if (!test::have_torch()) GTEST_SKIP() << "no python3 with torch";
  const LayerModel& m = GetParam();
  TempDir dir(std::string("train_") + m.test);
  ASSERT_EQ(train_reference(dir, std::string("model --kind ") + m.kind + " --out model.pt"), 0) << test::slurp(dir / "log.txt");
  const std::string name = std::string(m.test) + "_ce_adam";
  const Case c{name.c_str(), "", "48", 16, LossKind::cross_entropy, "indices", adam(OptimizerKind::adam, 1e-2, 0)};
  EXPECT_TRUE(train_against_torch(c, (dir / "model.pt").string(), dir));
}

INSTANTIATE_TEST_SUITE_P(Layers, TrainAgainstTorchLayers,
                         ::testing::Values(LayerModel{"TransformerEncoderLayer", "attention_classifier"},
                                           LayerModel{"TransformerEncoderStack", "encoder_stack_classifier"},
                                           LayerModel{"RecurrentLayers", "recurrent_classifier"},
                                           LayerModel{"PackedRecurrentLayers", "packed_recurrent_classifier"},
                                           LayerModel{"CumulativeBatchNorm", "cumulative_norm_mlp"},
                                           LayerModel{"InstanceNormRunningStatistics", "instance_norm_classifier"},
                                           LayerModel{"NoGradBlock", "no_grad_mlp"},
                                           LayerModel{"DynamicallyQuantizedMiddle", "quantized_middle_classifier"}),
                         [](const ::testing::TestParamInfo<LayerModel>& info) { return std::string(info.param.test); });

// A model whose parameters are bf16 (inputs and outputs f32, cast at its
// ends) trains as torch.optim trains it, within bf16's rounding: the
// gradients reach the bf16 parameters through the casts, each SGD update
// rounds to bf16, and the saved model keeps bf16 parameters that LibTorch
// runs.
TEST(TrainAgainstTorchModels, Bfloat16Parameters) {
  if (!test::have_torch()) GTEST_SKIP() << "no python3 with torch";
  TempDir dir("train_bf16");
  ASSERT_EQ(train_reference(dir, "model --kind bfloat16_mlp --out bf16.pt"), 0) << test::slurp(dir / "log.txt");
  Case c{"bfloat16_mse_sgd", "", "16", 32, LossKind::mse, "", sgd(0.05, 0.9, 0)};
  c.loss_tolerance = 5e-3;
  c.prediction_tolerance = 3e-2;
  c.saved_tolerance = 2e-2;
  auto trainer = train_against_torch(c, (dir / "bf16.pt").string(), dir);
  ASSERT_TRUE(trainer);
  const ir::NamedTensor* w = trainer->module().find_tensor("net.0.weight");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->data.dtype(), DType::bf16);
}

// A model whose parameters are f64 (a convolution and linear layers, which
// become generated kernels) trains as torch.optim trains it: the gradients
// flow through the gathered windows and products in f64, and the saved
// model keeps f64 parameters.
TEST(TrainAgainstTorchModels, Float64Parameters) {
  if (!test::have_torch()) GTEST_SKIP() << "no python3 with torch";
  TempDir dir("train_f64");
  ASSERT_EQ(train_reference(dir, "model --kind float64_net --out f64.pt"), 0) << test::slurp(dir / "log.txt");
  const Case c{"float64_mse_sgd", "", "16", 32, LossKind::mse, "", sgd(0.05, 0.9, 0)};
  auto trainer = train_against_torch(c, (dir / "f64.pt").string(), dir);
  ASSERT_TRUE(trainer);
  const ir::NamedTensor* w = trainer->module().find_tensor("conv.weight");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->data.dtype(), DType::f64);
  // The loss evaluated alone (its f64 layers kept whole for the small-MLP
  // kernel, as in inference) is the mean squared error of the predictions
  // (checked against LibTorch's above).
  Tensor x = Tensor::zeros(DType::f32, {8, 16}), y = Tensor::zeros(DType::f32, {8, 4});
  for (int64_t i = 0; i < x.numel(); ++i) x.data_as<float>()[i] = 0.05f * static_cast<float>(i % 23) - 0.5f;
  for (int64_t i = 0; i < y.numel(); ++i) y.data_as<float>()[i] = 0.1f * static_cast<float>(i % 5);
  const Tensor pred = trainer->predict({x}).at(0);
  ASSERT_EQ(pred.numel(), y.numel());
  double mse = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    const double d = static_cast<double>(pred.data_as<float>()[i]) - y.data_as<float>()[i];
    mse += d * d / static_cast<double>(y.numel());
  }
  EXPECT_NEAR(trainer->evaluate({x}, y), mse, 1e-6 * mse);
}

// Parameters reached through Cholesky, triangular and LU solves,
// determinants, an eigenvalue and singular values train as torch.optim
// trains them.
TEST(TrainAgainstTorchModels, LinearAlgebra) {
  if (!test::have_torch()) GTEST_SKIP() << "no python3 with torch";
  TempDir dir("train_linalg");
  ASSERT_EQ(train_reference(dir, "model --kind linalg_net --out linalg.pt"), 0) << test::slurp(dir / "log.txt");
  const Case c{"linalg_mse_adam", "", "16", 32, LossKind::mse, "", adam(OptimizerKind::adam, 1e-2, 0)};
  ASSERT_TRUE(train_against_torch(c, (dir / "linalg.pt").string(), dir));
}

// A traced nn.Embedding with max_norm renormalizes the rows each step looks
// up in the weight itself; SGD steps from the renormalized weight, as
// torch.optim does from the tensor's data.
TEST(TrainAgainstTorchModels, MaxNormEmbedding) {
  if (!test::have_torch()) GTEST_SKIP() << "no python3 with torch";
  TempDir dir("train_max_norm");
  ASSERT_EQ(train_reference(dir, "model --kind max_norm_embedding --out emb.pt"), 0) << test::slurp(dir / "log.txt");
  const Case c{"max_norm_mse_sgd", "", "6", 16, LossKind::mse, "", sgd(0.5, 0.9, 1e-3)};
  ASSERT_TRUE(train_against_torch(c, (dir / "emb.pt").string(), dir));
}

// Complex parameters (a filter of a half spectrum, a mixing of short-time
// spectra) train as torch.optim trains them: Adam moves their real and
// imaginary parts as real pairs, as torch's does, and the saved model keeps
// them complex.
TEST(TrainAgainstTorchModels, ComplexParameters) {
  if (!test::have_torch()) GTEST_SKIP() << "no python3 with torch";
  TempDir dir("train_spectral");
  ASSERT_EQ(train_reference(dir, "model --kind spectral_net --out spectral.pt"), 0) << test::slurp(dir / "log.txt");
  const Case c{"spectral_mse_adam", "", "16", 32, LossKind::mse, "", adam(OptimizerKind::adam, 1e-2, 0)};
  auto trainer = train_against_torch(c, (dir / "spectral.pt").string(), dir);
  ASSERT_TRUE(trainer);
  const ir::NamedTensor* filter = trainer->module().find_tensor("filter");
  ASSERT_TRUE(filter);
  EXPECT_TRUE(filter->complex_pairs);
  EXPECT_EQ(filter->data.sizes(), (std::vector<int64_t>{9, 2}));
}

// Tied weights (one Parameter under two names) train as one parameter: the
// gradients of both uses summed into one Adam update, as torch.optim does
// with the module's deduplicated parameters.
TEST(TrainAgainstTorchModels, TiedWeights) {
  if (!test::have_torch()) GTEST_SKIP() << "no python3 with torch";
  TempDir dir("train_tied");
  ASSERT_EQ(train_reference(dir, "model --kind tied_mlp --out tied.pt"), 0) << test::slurp(dir / "log.txt");
  const Case c{"tied_mse_adam", "", "16", 32, LossKind::mse, "", adam(OptimizerKind::adam, 1e-2, 1e-3)};
  auto trainer = train_against_torch(c, (dir / "tied.pt").string(), dir);
  ASSERT_TRUE(trainer);
  const ir::NamedTensor* a = trainer->module().find_tensor("fc1.weight");
  const ir::NamedTensor* b = trainer->module().find_tensor("fc2.weight");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(relative_error(a->data, b->data), 0) << "the two names of one tensor drifted apart";
}

// Parameters saved with requires_grad=False (a frozen first layer) stay as
// they were, weight decay and momentum included, as torch.optim leaves a
// parameter without a gradient; the saved model keeps them frozen.
TEST(TrainAgainstTorchFrozen, FrozenParametersStayPut) {
  if (!test::have_torch()) GTEST_SKIP() << "no python3 with torch";
  TempDir dir("train_frozen");
  ASSERT_EQ(train_reference(dir, "model --kind frozen_mlp --out frozen.pt"), 0) << test::slurp(dir / "log.txt");
  const Case c{"frozen_mlp_mse_sgd", "", "16", 32, LossKind::mse, "", sgd(0.05, 0.9, 1e-2)};
  const std::string pt = (dir / "frozen.pt").string();
  Trainer before(pt, LossConfig{}, c.optimizer);
  auto trainer = train_against_torch(c, pt, dir);
  ASSERT_TRUE(trainer);
  int frozen = 0;
  for (const ir::NamedTensor& t : trainer->module().tensors()) {
    const ir::NamedTensor* old = before.module().find_tensor(t.name);
    if (!old || (t.role != ir::TensorRole::frozen && t.role != ir::TensorRole::parameter)) continue;
    const double moved = relative_error(t.data, old->data);
    if (t.role == ir::TensorRole::frozen) {
      ++frozen;
      EXPECT_EQ(moved, 0) << t.name << " is frozen but was trained";
    } else {
      EXPECT_GT(moved, 0) << t.name << " was not trained";
    }
  }
  EXPECT_EQ(frozen, 2) << "fc1.weight and fc1.bias load as frozen";
  ASSERT_EQ(train_reference(dir, "frozen --model trained.pt --out frozen.txt"), 0) << test::slurp(dir / "log.txt");
  EXPECT_EQ(test::slurp(dir / "frozen.txt"), "fc1.bias fc1.weight\n");
}

}  // namespace
}  // namespace wick
