// Training-mode dropout: the mask comes from the step's random stream
// (wick::uniform, codegen/pointwise_eval_random.cpp). Each element's kept
// flag must equal a host-side computation of the documented hash, on
// several threads (a kernel split into slices would index elements wrongly);
// the same seed and step give the same mask, another seed or step another
// one; about 1 - p of a large tensor is kept; the gradient flows through
// kept elements only. A Trainer with dropout repeats its losses for one
// seed and draws new masks every step. Feature and alpha dropout follow
// the same streams with ATen's shapes and values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "../frontend/python_helpers.h"
#include "api/compiled_graph.h"
#include "api/jit_module.h"
#include "api/trainer.h"
#include "ir/parser.h"
#include "passes/autodiff.h"
#include "passes/pipeline.h"
#include "runtime/npy.h"
#include "test_paths.h"

namespace wick {
namespace {

constexpr int64_t kRows = 256, kCols = 1024;
constexpr double kP = 0.3;

// The stream as the header of pointwise_eval_random.cpp defines it.
uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

float uniform(uint64_t seed, uint64_t step, uint64_t stream, uint64_t i) {
  constexpr uint64_t g = 0x9E3779B97F4A7C15ULL;
  const uint64_t base = mix(mix(seed + stream * g) + step * g);
  return static_cast<float>(mix(base + (i + 1) * g) >> 40) * 0x1.0p-24f;
}

const char* kModule = R"(module @Drop {
  buffer "wick::seed" : Tensor(i64, [])
  buffer "wick::step" : Tensor(i64, [])

  graph @forward(%x : Tensor(f32, [256, 1024]), %w : Tensor(f32, [256, 1024])) -> (Tensor(f32, []), Tensor(f32, [256, 1024])) {
    %p : Float = prim::Constant[value=0.3]()
    %true : Bool = prim::Constant[value=true]()
    %none : None = prim::Constant[value=none]()
    %y : Tensor(f32, [256, 1024]) = aten::dropout(%x, %p, %true)
    %m : Tensor(f32, [256, 1024]) = aten::mul.Tensor(%y, %w)
    %l : Tensor(f32, []) = aten::sum(%m, %none)
    return(%l, %y)
  }
}
)";

Tensor scalar_i64(int64_t v) {
  Tensor t = Tensor::zeros(DType::i64, {});
  *t.data_as<int64_t>() = v;
  return t;
}

Tensor filled(float v) {
  Tensor t = Tensor::zeros(DType::f32, {kRows, kCols});
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = v;
  return t;
}

// The dropout graph compiled with its gradient w.r.t. x as a third output.
class DropoutGraph : public ::testing::Test {
 protected:
  void SetUp() override {
    set_num_threads(4);
    module_ = ir::parse_module(kModule, "dropout.wir");
    module_->set_tensor_data("wick::seed", scalar_i64(0));
    module_->set_tensor_data("wick::step", scalar_i64(0));
    ir::Graph& g = *module_->method("forward");
    const std::vector<ir::TypePtr> types = {g.inputs()[0]->type(), g.inputs()[1]->type()};
    passes::specialize_stage(g, &types);
    passes::lower_stage(g);
    passes::AutodiffSpec spec;
    spec.outputs = {g.outputs()[0]};
    spec.wrt = {g.inputs()[0]};
    passes::autodiff(g, spec);
    passes::finish_stage(g);
    GraphCompileOptions options;
    options.prepared = true;
    options.mutable_tensors = true;
    compiled_ = compile_graph(g, *module_, types, options);
  }
  void TearDown() override { set_num_threads(1); }

  // Runs with `seed` and `step` on x = 1, w = 2: {y, dloss/dx}.
  std::pair<Tensor, Tensor> run(int64_t seed, int64_t step) {
    *module_->find_tensor("wick::seed")->data.data_as<int64_t>() = seed;
    *module_->find_tensor("wick::step")->data.data_as<int64_t>() = step;
    std::vector<Tensor> out = compiled_->executor().run({filled(1), filled(2)});
    return {out.at(1), out.at(2)};
  }

  static std::vector<bool> kept(const Tensor& y) {
    std::vector<bool> k(static_cast<size_t>(y.numel()));
    for (size_t i = 0; i < k.size(); ++i) k[i] = y.data_as<float>()[i] != 0;
    return k;
  }

  std::unique_ptr<ir::Module> module_;
  std::shared_ptr<CompiledGraph> compiled_;
};

TEST_F(DropoutGraph, MaskIsTheDocumentedStream) {
  const float scale = static_cast<float>(1.0 / (1.0 - kP));
  for (int64_t step : {0, 7}) {
    const auto [y, grad] = run(42, step);
    int64_t wrong = 0;
    for (int64_t i = 0; i < y.numel(); ++i) {
      const bool keep = uniform(42, static_cast<uint64_t>(step), 0, static_cast<uint64_t>(i)) >= static_cast<float>(kP);
      wrong += y.data_as<float>()[i] != (keep ? scale : 0.0f);
    }
    EXPECT_EQ(wrong, 0) << "step " << step;
  }
}

TEST_F(DropoutGraph, SameSeedSameMaskOtherSeedOrStepAnother) {
  const auto first = kept(run(1, 3).first);
  EXPECT_EQ(kept(run(1, 3).first), first);
  auto agreement = [&](const std::vector<bool>& other) {
    int64_t same = 0;
    for (size_t i = 0; i < first.size(); ++i) same += first[i] == other[i];
    return static_cast<double>(same) / static_cast<double>(first.size());
  };
  // Independent masks agree where both keep or both drop: 0.7^2 + 0.3^2.
  EXPECT_NEAR(agreement(kept(run(2, 3).first)), 0.58, 0.01);
  EXPECT_NEAR(agreement(kept(run(1, 4).first)), 0.58, 0.01);
}

TEST_F(DropoutGraph, KeepsOneMinusPOfALargeTensor) {
  const auto k = kept(run(9, 0).first);
  int64_t n = 0;
  for (bool b : k) n += b;
  // 262144 elements: the standard deviation of the mean is 0.0009.
  EXPECT_NEAR(static_cast<double>(n) / static_cast<double>(k.size()), 1 - kP, 0.005);
}

TEST_F(DropoutGraph, GradientFlowsThroughKeptElementsOnly) {
  const auto [y, grad] = run(5, 1);
  const float scale = static_cast<float>(1.0 / (1.0 - kP));
  int64_t wrong = 0;
  for (int64_t i = 0; i < y.numel(); ++i) {
    const bool keep = y.data_as<float>()[i] != 0;
    // d/dx sum(dropout(x) * w) = w / (1 - p) where kept, else 0; w = 2.
    wrong += grad.data_as<float>()[i] != (keep ? 2.0f * scale : 0.0f);
  }
  EXPECT_EQ(wrong, 0);
}

// Feature dropout (dropout2d) and alpha dropout in training mode, from
// the streams 0 and 1 of one step: a feature map is kept or dropped whole,
// by the documented number of its (sample, channel); an alpha-dropped
// element takes exactly one of ATen's two values, by its own number.
const char* kVariants = R"(module @Variants {
  buffer "wick::seed" : Tensor(i64, [])
  buffer "wick::step" : Tensor(i64, [])

  graph @forward(%x : Tensor(f32, [64, 32, 2, 2]), %z : Tensor(f32, [256, 1024])) -> (Tensor(f32, [64, 32, 2, 2]), Tensor(f32, [256, 1024])) {
    %p : Float = prim::Constant[value=0.3]()
    %true : Bool = prim::Constant[value=true]()
    %y : Tensor(f32, [64, 32, 2, 2]) = aten::feature_dropout(%x, %p, %true)
    %a : Tensor(f32, [256, 1024]) = aten::alpha_dropout(%z, %p, %true)
    return(%y, %a)
  }
}
)";

TEST(DropoutVariants, FeatureMapsWholeAndAlphaValuesAsATen) {
  auto module = ir::parse_module(kVariants, "variants.wir");
  module->set_tensor_data("wick::seed", scalar_i64(11));
  module->set_tensor_data("wick::step", scalar_i64(2));
  ir::Graph& g = *module->method("forward");
  const std::vector<ir::TypePtr> types = {g.inputs()[0]->type(), g.inputs()[1]->type()};
  passes::specialize_stage(g, &types);
  passes::lower_stage(g);
  passes::finish_stage(g);
  GraphCompileOptions options;
  options.prepared = true;
  auto compiled = compile_graph(g, *module, types, options);
  Tensor x = Tensor::zeros(DType::f32, {64, 32, 2, 2});
  for (int64_t i = 0; i < x.numel(); ++i) x.data_as<float>()[i] = 1;
  std::vector<Tensor> out = compiled->executor().run({x, filled(1)});

  const float scale = static_cast<float>(1.0 / (1.0 - kP));
  int64_t wrong = 0, kept_maps = 0;
  for (int64_t map = 0; map < 64 * 32; ++map) {
    const bool keep = uniform(11, 2, 0, static_cast<uint64_t>(map)) >= static_cast<float>(kP);
    kept_maps += keep;
    for (int64_t k = 0; k < 4; ++k) wrong += out[0].data_as<float>()[map * 4 + k] != (keep ? scale : 0.0f);
  }
  EXPECT_EQ(wrong, 0) << "feature maps kept or dropped otherwise than their numbers say";
  EXPECT_NEAR(static_cast<double>(kept_maps) / (64 * 32), 1 - kP, 0.04);

  const double alpha = 1.7580993408473766, a = 1.0 / std::sqrt((alpha * alpha * kP + 1) * (1 - kP));
  const float kept_value = static_cast<float>(a * 1.0 + alpha * a * kP), dropped_value = static_cast<float>(alpha * a * (kP - 1));
  wrong = 0;
  for (int64_t i = 0; i < out[1].numel(); ++i) {
    const bool keep = uniform(11, 2, 1, static_cast<uint64_t>(i)) >= static_cast<float>(kP);
    const float v = out[1].data_as<float>()[i];
    wrong += std::abs(v - (keep ? kept_value : dropped_value)) > 1e-6f;
  }
  EXPECT_EQ(wrong, 0) << "alpha dropout values other than a x + alpha a p and alpha a (p - 1)";
}

// A scripted MLP with two dropouts, trained with a learning rate of 0 so
// that only the masks change the loss.
class DropoutTrainer : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!test::have_torch()) GTEST_SKIP() << "no python3 with torch";
    dir_ = std::make_unique<test::TempDir>("dropout");
    const std::string cmd = "cd '" + dir_->path().string() + "' && PYTHONDONTWRITEBYTECODE=1 " +
                            test::python_command() + " '" + wick::test_paths::source_dir() +
                            "/tests/api/train_reference.py' model --kind dropout_mlp --out m.pt >log.txt 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << test::slurp(*dir_ / "log.txt");
    x_ = Tensor::zeros(DType::f32, {32, 16});
    y_ = Tensor::zeros(DType::f32, {32, 1});
    for (int64_t i = 0; i < x_.numel(); ++i) x_.data_as<float>()[i] = std::sin(static_cast<float>(i));
  }

  std::vector<double> losses(uint64_t seed, int steps) {
    OptimizerConfig sgd;
    sgd.lr = 0;
    TrainerOptions options;
    options.seed = seed;
    Trainer t((*dir_ / "m.pt").string(), LossConfig{}, sgd, options);
    std::vector<double> out;
    for (int i = 0; i < steps; ++i) out.push_back(t.step({x_}, y_));
    const double a = t.evaluate({x_}, y_), b = t.evaluate({x_}, y_);
    EXPECT_EQ(a, b) << "eval mode has no dropout";
    return out;
  }

  std::unique_ptr<test::TempDir> dir_;
  Tensor x_, y_;
};

TEST_F(DropoutTrainer, SeedRepeatsTheStreamAndStepsAdvanceIt) {
  const std::vector<double> a = losses(1, 3);
  EXPECT_EQ(losses(1, 3), a);
  EXPECT_NE(losses(2, 3), a);
  EXPECT_NE(a[0], a[1]);
  EXPECT_NE(a[1], a[2]);
}

}  // namespace
}  // namespace wick
