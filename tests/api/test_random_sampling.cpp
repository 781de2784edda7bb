// Sampling in a model's forward (rand, randn, normal, bernoulli, randint,
// the in-place fills uniform_, normal_ and exponential_, and dropout with
// training=True at inference): wick's numbers are its own, not LibTorch's,
// so the tests check their distributions over 100,000 draws (means within
// six standard errors), their ranges and dtypes, that every call draws new
// numbers, and that two processes (two loads) draw the same ones.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "api/jit_module.h"
#include "tests/api/jit_helpers.h"
#include "tests/frontend/python_files.h"

namespace wick {
namespace {

class RandomSampling : public test::PythonFiles<RandomSampling> {
 public:
  static const char* tag() { return "random_sampling"; }
  static std::string script() {
    return R"py(
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from typing import List


class Sampler(nn.Module):
    def forward(self, x: Tensor) -> List[Tensor]:
        u = torch.rand(400, 250)
        z = torch.randn_like(x)
        n = torch.normal(x * 0.0 + 2.0, 3.0)
        b = torch.bernoulli(torch.full_like(x, 0.3))
        r = torch.randint(3, 9, (200, 500))
        e = torch.empty_like(x).exponential_(2.0)
        v = torch.empty_like(x).uniform_(-1.0, 3.0)
        w = torch.empty_like(x).normal_(1.0, 0.5)
        d = F.dropout(torch.ones_like(x), 0.25, training=True)
        u64 = torch.rand(400, 250, dtype=torch.float64)
        return [u, z, n, b, r, e, v, w, d, u64, torch.rand(400, 250)]


class Choices(nn.Module):
    def forward(self, p: Tensor) -> List[Tensor]:
        with_replacement = torch.multinomial(p[0, 1:], 100000, True)
        without = torch.multinomial(p, 2)
        return [torch.randperm(1000), with_replacement, without]


torch.jit.script(Sampler()).save("sampler.pt")
torch.jit.script(Choices()).save("choices.pt")
probabilities = np.tile(np.array([[0.1, 0.2, 0.3, 0.4]], dtype=np.float32), (50000, 1))
np.save("p.npy", probabilities)
np.save("x.npy", np.zeros((200, 500), dtype=np.float32))
)py";
  }

  static std::vector<Tensor> sample(JitModule& m) { return m.forward({read_npy(path("x.npy"))}); }

  struct Moments {
    double mean = 0, sd = 0, min = INFINITY, max = -INFINITY;
  };

  static Moments moments(const Tensor& t) {
    Moments m;
    const int64_t n = t.numel();
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double v = test::element_value(t, i);
      sum += v;
      sq += v * v;
      m.min = std::min(m.min, v);
      m.max = std::max(m.max, v);
    }
    m.mean = sum / static_cast<double>(n);
    m.sd = std::sqrt(std::max(0.0, sq / static_cast<double>(n) - m.mean * m.mean));
    return m;
  }

  // The sample's mean is mu within six standard errors, and its standard deviation sigma within 2%.
  static void expect_distribution(const Tensor& t, double mu, double sigma, const std::string& what) {
    const Moments m = moments(t);
    const double error = 6 * sigma / std::sqrt(static_cast<double>(t.numel()));
    EXPECT_NEAR(m.mean, mu, error) << what;
    EXPECT_NEAR(m.sd, sigma, 0.02 * sigma) << what;
  }
};

TEST_F(RandomSampling, DistributionsAreTorchs) {
  auto m = test::load_uncached(path("sampler.pt"));
  const auto outs = sample(m);
  ASSERT_EQ(outs.size(), 11u);
  for (const Tensor& t : outs) EXPECT_EQ(t.numel(), 100000);
  expect_distribution(outs[0], 0.5, std::sqrt(1.0 / 12), "rand");
  EXPECT_GE(moments(outs[0]).min, 0.0);
  EXPECT_LT(moments(outs[0]).max, 1.0);
  expect_distribution(outs[1], 0.0, 1.0, "randn_like");
  expect_distribution(outs[2], 2.0, 3.0, "normal(mean tensor, std)");
  expect_distribution(outs[3], 0.3, std::sqrt(0.3 * 0.7), "bernoulli");
  expect_distribution(outs[5], 0.5, 0.5, "exponential_(2)");
  EXPECT_GE(moments(outs[5]).min, 0.0);
  expect_distribution(outs[6], 1.0, 4 / std::sqrt(12.0), "uniform_(-1, 3)");
  EXPECT_GE(moments(outs[6]).min, -1.0);
  EXPECT_LT(moments(outs[6]).max, 3.0);
  expect_distribution(outs[7], 1.0, 0.5, "normal_(1, 0.5)");
  expect_distribution(outs[9], 0.5, std::sqrt(1.0 / 12), "rand in float64");
  EXPECT_EQ(outs[9].dtype(), DType::f64);
  // A third of the normal draws lie beyond one standard deviation.
  int64_t within = 0;
  for (int64_t i = 0; i < outs[1].numel(); ++i) within += std::abs(test::element_value(outs[1], i)) < 1.0;
  EXPECT_NEAR(static_cast<double>(within) / 1e5, 0.6827, 0.01);
}

TEST_F(RandomSampling, IntegersAndMasksTakeTheirValues) {
  auto m = test::load_uncached(path("sampler.pt"));
  const auto outs = sample(m);
  ASSERT_EQ(outs.size(), 11u);
  ASSERT_EQ(outs[4].dtype(), DType::i64);
  std::map<int64_t, int64_t> counts;
  for (int64_t i = 0; i < outs[4].numel(); ++i) ++counts[outs[4].data_as<int64_t>()[i]];
  ASSERT_EQ(counts.size(), 6u) << "randint(3, 9) takes the values 3 to 8";
  for (const auto& [value, count] : counts) {
    EXPECT_GE(value, 3);
    EXPECT_LE(value, 8);
    EXPECT_NEAR(static_cast<double>(count) / 1e5, 1.0 / 6, 0.007) << "value " << value;
  }
  for (int64_t i = 0; i < outs[3].numel(); ++i) {
    const double v = test::element_value(outs[3], i);
    ASSERT_TRUE(v == 0.0 || v == 1.0) << "bernoulli element " << i << " is " << v;
  }
  // Dropout at inference: each element dropped with p = 0.25, the kept ones scaled by 4/3.
  int64_t dropped = 0;
  for (int64_t i = 0; i < outs[8].numel(); ++i) {
    const double v = test::element_value(outs[8], i);
    ASSERT_TRUE(v == 0.0 || std::abs(v - 4.0 / 3) < 1e-6) << "dropout element " << i << " is " << v;
    dropped += v == 0.0;
  }
  EXPECT_NEAR(static_cast<double>(dropped) / 1e5, 0.25, 0.01);
}

// randperm is a permutation; multinomial with replacement picks each
// category by its weight over their sum, without replacement distinct
// categories, the first by its probability.
TEST_F(RandomSampling, PermutationsAndChoices) {
  auto m = test::load_uncached(path("choices.pt"));
  const auto outs = m.forward({read_npy(path("p.npy"))});
  ASSERT_EQ(outs.size(), 3u);
  ASSERT_EQ(outs[0].dtype(), DType::i64);
  ASSERT_EQ(outs[0].numel(), 1000);
  std::vector<int64_t> seen(1000, 0);
  int64_t in_place = 0;
  for (int64_t i = 0; i < 1000; ++i) {
    const int64_t v = outs[0].data_as<int64_t>()[i];
    ASSERT_TRUE(v >= 0 && v < 1000) << v;
    ++seen[static_cast<size_t>(v)];
    in_place += v == i;
  }
  for (int64_t c : seen) EXPECT_EQ(c, 1);
  EXPECT_LT(in_place, 10) << "randperm left most elements in place";
  const double p3[] = {2.0 / 9, 3.0 / 9, 4.0 / 9};  // [0.2, 0.3, 0.4], normalized
  std::vector<int64_t> counts(3, 0);
  for (int64_t i = 0; i < outs[1].numel(); ++i) {
    const int64_t v = outs[1].data_as<int64_t>()[i];
    ASSERT_TRUE(v >= 0 && v < 3) << v;
    ++counts[static_cast<size_t>(v)];
  }
  for (size_t c = 0; c < 3; ++c) EXPECT_NEAR(static_cast<double>(counts[c]) / 1e5, p3[c], 0.01) << "category " << c;
  // Without replacement: rows of [0.1, 0.2, 0.3, 0.4].
  ASSERT_EQ(outs[2].sizes(), (std::vector<int64_t>{50000, 2}));
  const double p4[] = {0.1, 0.2, 0.3, 0.4};
  std::vector<int64_t> first(4, 0);
  for (int64_t r = 0; r < 50000; ++r) {
    const int64_t a = outs[2].data_as<int64_t>()[2 * r], b = outs[2].data_as<int64_t>()[2 * r + 1];
    ASSERT_NE(a, b) << "row " << r << " drew category " << a << " twice";
    ++first[static_cast<size_t>(a)];
  }
  for (size_t c = 0; c < 4; ++c) EXPECT_NEAR(static_cast<double>(first[c]) / 5e4, p4[c], 0.012) << "category " << c;
}

// Two draws in one call, and one draw in two calls, differ; two loads of the
// model (two processes) draw the same numbers call by call.
TEST_F(RandomSampling, EveryCallDrawsNewNumbersTheSameInEveryProcess) {
  auto a = test::load_uncached(path("sampler.pt"));
  auto b = test::load_uncached(path("sampler.pt"));
  const auto first = sample(a), second = sample(a);
  const auto again = sample(b);
  ASSERT_EQ(first.size(), 11u);
  auto same = [](const Tensor& x, const Tensor& y) {
    for (int64_t i = 0; i < x.numel(); ++i)
      if (test::element_value(x, i) != test::element_value(y, i)) return false;
    return true;
  };
  EXPECT_FALSE(same(first[0], first[10])) << "two rand calls in one forward drew the same numbers";
  EXPECT_FALSE(same(first[0], second[0])) << "the second call repeated the first one's numbers";
  for (size_t i = 0; i < first.size(); ++i) EXPECT_TRUE(same(first[i], again[i])) << "output " << i;
}

// Compiled ahead of time, the deployed runtime draws the same numbers as
// the first call of a jit-loaded module.
TEST_F(RandomSampling, DeployedDrawsAsJit) {
  auto m = test::load_uncached(path("sampler.pt"));
  const auto outs = sample(m);
  for (size_t i = 0; i < outs.size(); ++i) write_npy(path("jit_out" + std::to_string(i) + ".npy"), outs[i]);
  const std::string input = " --input '" + path("x.npy") + "'";
  test::expect_deployed_match(path("sampler.pt"), input, path("deployed"), input, path("jit_out"),
                              static_cast<int>(outs.size()), 0.0);
}

}  // namespace
}  // namespace wick
