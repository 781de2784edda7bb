// runtime/ctc_loss.h against the definition, on fresh random inputs: every
// path of C classes over T frames enumerated, collapsed (repeats merged,
// blanks dropped) and its probability summed where it spells the target.
// The loss is minus the log of that sum; the gradient, as ATen defines it,
// exp(log_probs) minus each class's share of that sum at each frame. Also
// the target layouts (padded rows, one after another), int32 operands, the
// blank elsewhere than 0, an input too short for its target (infinite, or
// zero with zero_infinity), an empty input, and every refused operand.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "runtime/ctc_loss.h"
#include "support/error.h"

namespace wick::rt {
namespace {

constexpr int64_t kFrames = 5, kClasses = 3;

Tensor integers(DType dtype, const std::vector<int64_t>& sizes, const std::vector<int64_t>& values) {
  Tensor t = Tensor::empty(dtype, sizes);
  for (size_t i = 0; i < values.size(); ++i) {
    if (dtype == DType::i64) t.data_as<int64_t>()[i] = values[i];
    else t.data_as<int32_t>()[i] = static_cast<int32_t>(values[i]);
  }
  return t;
}

// Random log-probabilities [kFrames, batch, kClasses], each frame's row
// normalized (as log_softmax leaves them).
Tensor log_probs(DType dtype, int64_t batch, std::mt19937& rng) {
  std::normal_distribution<double> d;
  Tensor t = Tensor::empty(dtype, {kFrames, batch, kClasses});
  for (int64_t r = 0; r < kFrames * batch; ++r) {
    std::vector<double> v(kClasses);
    double sum = 0;
    for (double& x : v) sum += std::exp(x = d(rng));
    for (int64_t c = 0; c < kClasses; ++c) {
      const double lp = v[static_cast<size_t>(c)] - std::log(sum);
      if (dtype == DType::f32) t.data_as<float>()[r * kClasses + c] = static_cast<float>(lp);
      else t.data_as<double>()[r * kClasses + c] = lp;
    }
  }
  return t;
}

double at(const Tensor& t, int64_t i) {
  return t.dtype() == DType::f32 ? t.data_as<float>()[i] : t.data_as<double>()[i];
}

// Sample n by enumeration: the loss, and per frame and class the summed
// probability of the paths through that class there (divided by the total).
struct Reference {
  double loss = 0;
  std::vector<double> posterior;  // [frames][kClasses]
};

Reference enumerate(const Tensor& lp, int64_t n, int64_t frames, const std::vector<int64_t>& target, int64_t blank) {
  const int64_t batch = lp.size(1);
  Reference r;
  r.posterior.assign(static_cast<size_t>(frames * kClasses), 0.0);
  double total = 0;
  std::vector<int64_t> path(static_cast<size_t>(frames), 0);
  int64_t paths = 1;
  for (int64_t t = 0; t < frames; ++t) paths *= kClasses;
  for (int64_t p = 0; p < paths; ++p) {
    int64_t code = p;
    for (int64_t t = 0; t < frames; ++t, code /= kClasses) path[static_cast<size_t>(t)] = code % kClasses;
    std::vector<int64_t> spelled;
    for (int64_t t = 0; t < frames; ++t) {
      const int64_t c = path[static_cast<size_t>(t)];
      if (c != blank && (t == 0 || path[static_cast<size_t>(t - 1)] != c)) spelled.push_back(c);
    }
    if (spelled != target) continue;
    double logp = 0;
    for (int64_t t = 0; t < frames; ++t) logp += at(lp, (t * batch + n) * kClasses + path[static_cast<size_t>(t)]);
    const double prob = std::exp(logp);
    total += prob;
    for (int64_t t = 0; t < frames; ++t) r.posterior[static_cast<size_t>(t * kClasses + path[static_cast<size_t>(t)])] += prob;
  }
  r.loss = -std::log(total);
  for (double& v : r.posterior) v /= total;
  return r;
}

struct Case {
  std::vector<std::vector<int64_t>> targets;
  std::vector<int64_t> input_lengths;
  int64_t blank = 0;
};

// Runs the kernels on `c` (padded targets, or one after another) and
// checks them against enumeration.
void expect_matches(const Case& c, DType dtype, DType index_dtype, bool flat, double tolerance) {
  std::mt19937 rng(std::random_device{}());
  const int64_t batch = static_cast<int64_t>(c.targets.size());
  const Tensor lp = log_probs(dtype, batch, rng);
  std::vector<int64_t> lengths, values;
  int64_t width = 0;
  for (const auto& t : c.targets) width = std::max<int64_t>(width, static_cast<int64_t>(t.size()));
  for (const auto& t : c.targets) {
    lengths.push_back(static_cast<int64_t>(t.size()));
    values.insert(values.end(), t.begin(), t.end());
    if (!flat) values.insert(values.end(), static_cast<size_t>(width) - t.size(), 1);  // padding, never read
  }
  const Tensor targets = flat ? integers(index_dtype, {static_cast<int64_t>(values.size())}, values)
                              : integers(index_dtype, {batch, width}, values);
  const Tensor input_lengths = integers(index_dtype, {batch}, c.input_lengths);
  const Tensor target_lengths = integers(index_dtype, {batch}, lengths);
  Tensor loss = Tensor::empty(dtype, {batch});
  ctc_loss(lp, targets, input_lengths, target_lengths, {c.blank, false}, loss);
  Tensor grad_out = Tensor::empty(dtype, {batch});
  for (int64_t n = 0; n < batch; ++n) {
    if (dtype == DType::f32) grad_out.data_as<float>()[n] = 0.5f + static_cast<float>(n);
    else grad_out.data_as<double>()[n] = 0.5 + static_cast<double>(n);
  }
  Tensor grad = Tensor::empty(dtype, {kFrames, batch, kClasses});
  ctc_loss_backward(grad_out, lp, targets, input_lengths, target_lengths, {c.blank, false}, grad);
  for (int64_t n = 0; n < batch; ++n) {
    const int64_t frames = c.input_lengths[static_cast<size_t>(n)];
    const Reference r = enumerate(lp, n, frames, c.targets[static_cast<size_t>(n)], c.blank);
    EXPECT_NEAR(at(loss, n), r.loss, tolerance * std::abs(r.loss)) << "sample " << n;
    for (int64_t t = 0; t < kFrames; ++t)
      for (int64_t k = 0; k < kClasses; ++k) {
        const int64_t i = (t * batch + n) * kClasses + k;
        const double want = t < frames ? (std::exp(at(lp, i)) - r.posterior[static_cast<size_t>(t * kClasses + k)]) *
                                             (0.5 + static_cast<double>(n))
                                       : 0.0;
        EXPECT_NEAR(at(grad, i), want, tolerance * (0.5 + static_cast<double>(n))) << "sample " << n << " frame " << t
                                                                                    << " class " << k;
      }
  }
}

const Case kMixed{{{1, 2}, {2, 2}, {1}, {2, 1, 2}}, {5, 5, 3, 5}, 0};

TEST(CtcLoss, PaddedTargetsMatchEnumerationF64) { expect_matches(kMixed, DType::f64, DType::i64, false, 1e-12); }

TEST(CtcLoss, PaddedTargetsMatchEnumerationF32) { expect_matches(kMixed, DType::f32, DType::i64, false, 1e-5); }

TEST(CtcLoss, TargetsOneAfterAnotherAndInt32) { expect_matches(kMixed, DType::f64, DType::i32, true, 1e-12); }

TEST(CtcLoss, BlankLastAndEmptyTarget) {
  expect_matches({{{0, 1}, {}, {1, 1}}, {5, 4, 5}, 2}, DType::f64, DType::i64, false, 1e-12);
}

// Too few frames for a target (two equal labels need a blank between) is an
// infinite loss; zero_infinity makes it, and its gradient, zero. An empty
// input spells only the empty target.
TEST(CtcLoss, InfeasibleAndEmptyInputs) {
  std::mt19937 rng(7);
  const Tensor lp = log_probs(DType::f64, 3, rng);
  const Tensor targets = integers(DType::i64, {3, 2}, {1, 1, 1, 2, 1, 1});
  const Tensor input_lengths = integers(DType::i64, {3}, {2, 0, 0});
  const Tensor target_lengths = integers(DType::i64, {3}, {2, 0, 1});
  Tensor loss = Tensor::empty(DType::f64, {3});
  ctc_loss(lp, targets, input_lengths, target_lengths, {0, false}, loss);
  EXPECT_EQ(loss.data_as<double>()[0], std::numeric_limits<double>::infinity());
  EXPECT_EQ(loss.data_as<double>()[1], 0.0);
  EXPECT_EQ(loss.data_as<double>()[2], std::numeric_limits<double>::infinity());
  ctc_loss(lp, targets, input_lengths, target_lengths, {0, true}, loss);
  EXPECT_EQ(loss.data_as<double>()[0], 0.0);
  EXPECT_EQ(loss.data_as<double>()[2], 0.0);
  Tensor ones = Tensor::empty(DType::f64, {3});
  for (int i = 0; i < 3; ++i) ones.data_as<double>()[i] = 1.0;
  Tensor grad = Tensor::empty(DType::f64, {kFrames, 3, kClasses});
  ctc_loss_backward(ones, lp, targets, input_lengths, target_lengths, {0, true}, grad);
  for (int64_t t = 0; t < kFrames; ++t)
    for (int64_t k = 0; k < kClasses; ++k) EXPECT_EQ(grad.data_as<double>()[(t * 3 + 0) * kClasses + k], 0.0);
}

TEST(CtcLoss, BadOperandsAreErrors) {
  std::mt19937 rng(3);
  const Tensor lp = log_probs(DType::f32, 2, rng);
  const Tensor targets = integers(DType::i64, {2, 2}, {1, 2, 2, 1});
  const Tensor lengths5 = integers(DType::i64, {2}, {5, 5});
  const Tensor lengths2 = integers(DType::i64, {2}, {2, 2});
  Tensor loss = Tensor::empty(DType::f32, {2});
  auto expect_error = [&](const Tensor& l, const Tensor& t, const Tensor& il, const Tensor& tl, int64_t blank,
                          const char* words) {
    try {
      ctc_loss(l, t, il, tl, {blank, false}, loss);
      ADD_FAILURE() << "no error for: " << words;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  expect_error(lp, targets, integers(DType::i64, {2}, {6, 5}), lengths2, 0, "longer than log_probs' 5 frames");
  expect_error(lp, targets, lengths5, integers(DType::i64, {2}, {3, 2}), 0, "longer than the targets' rows of 2");
  expect_error(lp, targets, lengths5, integers(DType::i64, {2}, {-1, 2}), 0, "must not be negative");
  expect_error(lp, integers(DType::i64, {2, 2}, {1, 3, 2, 1}), lengths5, lengths2, 0, "target 3 of sample 0");
  expect_error(lp, targets, lengths5, lengths2, 3, "blank 3 is not among the 3 classes");
  expect_error(lp, targets, lengths5, lengths2, 2, "target 1 of sample 0 is the blank (2)");
  expect_error(lp, integers(DType::i64, {3}, {1, 2, 1}), lengths5, lengths2, 0, "add up to 4, but 3 targets");
  expect_error(lp, targets, integers(DType::i64, {3}, {5, 5, 5}), lengths2, 0, "one length per sample (2)");
  expect_error(lp, integers(DType::f32, {2, 2}, {1, 2, 2, 1}), lengths5, lengths2, 0, "targets must be an int64");
  expect_error(Tensor::empty(DType::f32, {5, 3}), targets, lengths5, lengths2, 0, "log_probs must be [T, N, C]");
}

}  // namespace
}  // namespace wick::rt
