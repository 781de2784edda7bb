// The CTC recursions (ctc_loss.h), in log space and f64, one sample per
// task on the thread pool. The extended target l' puts a blank before,
// between and after the labels (2L + 1 states); alpha[t][s] is the log
// probability of the alignments of frames 0..t that end in state s, beta the
// same for frames t..T-1 starting in s; both include frame t's emission, so
// alpha + beta - log_probs[t] is the log probability through state s at t.
// Every operand is checked before the parallel loop: an exception may not
// leave a thread-pool chunk.
#include "runtime/ctc_loss.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "runtime/thread_pool.h"
#include "support/error.h"

namespace wick::rt {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

[[noreturn]] void fail(const std::string& message) { throw Error("ctc_loss: " + message); }

int64_t integer_at(const Tensor& t, int64_t element_offset) {
  if (t.dtype() == DType::i64) return t.data_as<int64_t>()[element_offset];
  return t.data_as<int32_t>()[element_offset];
}

// log(exp(a) + exp(b) + exp(c)) without overflow; -inf when all are.
double log_sum3(double a, double b, double c) {
  double m = std::max(a, std::max(b, c));
  if (m == kNegInf) return kNegInf;
  return std::log(std::exp(a - m) + std::exp(b - m) + std::exp(c - m)) + m;
}

double log_add(double a, double b) {
  double m = std::max(a, b);
  if (m == kNegInf) return kNegInf;
  return std::log(std::exp(a - m) + std::exp(b - m)) + m;
}

// The checked operands, and sample n's view of them.
struct Problem {
  const Tensor* log_probs = nullptr;
  int64_t frames = 0, batch = 0, classes = 0;
  CtcOptions options;
  std::vector<int64_t> input_lengths, target_lengths;
  // Sample n's labels are targets[target_start[n] + k * target_stride].
  const Tensor* targets = nullptr;
  std::vector<int64_t> target_start;
  int64_t target_stride = 0;

  template <typename T>
  T log_prob(int64_t t, int64_t n, int64_t c) const {
    const auto& s = log_probs->strides();
    return log_probs->data_as<T>()[t * s[0] + n * s[1] + c * s[2]];
  }

  // The labels of sample n's extended target: blank, l1, blank, l2, ..., blank.
  std::vector<int64_t> extended(int64_t n) const {
    const int64_t length = target_lengths[static_cast<size_t>(n)];
    std::vector<int64_t> labels(static_cast<size_t>(2 * length + 1), options.blank);
    for (int64_t k = 0; k < length; ++k)
      labels[static_cast<size_t>(2 * k + 1)] =
          integer_at(*targets, target_start[static_cast<size_t>(n)] + k * target_stride);
    return labels;
  }
};

void check_integers(const Tensor& t, const char* what) {
  if (t.dtype() != DType::i64 && t.dtype() != DType::i32)
    fail(std::string(what) + " must be an int64 or int32 tensor, got " + t.describe());
}

std::vector<int64_t> lengths(const Tensor& t, int64_t batch, const char* what) {
  check_integers(t, what);
  if (t.dim() != 1 || t.size(0) != batch)
    fail(std::string(what) + " must hold one length per sample (" + std::to_string(batch) + "), got " + t.describe());
  std::vector<int64_t> v(static_cast<size_t>(batch));
  for (int64_t n = 0; n < batch; ++n) {
    v[static_cast<size_t>(n)] = integer_at(t, n * t.strides()[0]);
    if (v[static_cast<size_t>(n)] < 0)
      fail(std::string(what) + " must not be negative, got " + std::to_string(v[static_cast<size_t>(n)]) +
           " for sample " + std::to_string(n));
  }
  return v;
}

Problem check(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
              const Tensor& target_lengths, CtcOptions options) {
  if (log_probs.dtype() != DType::f32 && log_probs.dtype() != DType::f64)
    fail("log_probs must be float32 or float64, got " + log_probs.describe());
  if (log_probs.dim() != 3) fail("log_probs must be [T, N, C], got " + log_probs.describe());
  Problem p;
  p.log_probs = &log_probs;
  p.frames = log_probs.size(0);
  p.batch = log_probs.size(1);
  p.classes = log_probs.size(2);
  p.options = options;
  if (options.blank < 0 || options.blank >= p.classes)
    fail("blank " + std::to_string(options.blank) + " is not among the " + std::to_string(p.classes) + " classes");
  p.input_lengths = lengths(input_lengths, p.batch, "input_lengths");
  p.target_lengths = lengths(target_lengths, p.batch, "target_lengths");
  for (int64_t n = 0; n < p.batch; ++n)
    if (p.input_lengths[static_cast<size_t>(n)] > p.frames)
      fail("input length " + std::to_string(p.input_lengths[static_cast<size_t>(n)]) + " of sample " +
           std::to_string(n) + " is longer than log_probs' " + std::to_string(p.frames) + " frames");
  check_integers(targets, "targets");
  p.targets = &targets;
  p.target_start.resize(static_cast<size_t>(p.batch));
  if (targets.dim() == 2) {
    if (targets.size(0) != p.batch)
      fail("targets [N, S] must have a row per sample (" + std::to_string(p.batch) + "), got " + targets.describe());
    p.target_stride = targets.strides()[1];
    for (int64_t n = 0; n < p.batch; ++n) {
      p.target_start[static_cast<size_t>(n)] = n * targets.strides()[0];
      if (p.target_lengths[static_cast<size_t>(n)] > targets.size(1))
        fail("target length " + std::to_string(p.target_lengths[static_cast<size_t>(n)]) + " of sample " +
             std::to_string(n) + " is longer than the targets' rows of " + std::to_string(targets.size(1)));
    }
  } else if (targets.dim() == 1) {
    p.target_stride = targets.strides()[0];
    int64_t start = 0;
    for (int64_t n = 0; n < p.batch; ++n) {
      p.target_start[static_cast<size_t>(n)] = start * p.target_stride;
      start += p.target_lengths[static_cast<size_t>(n)];
    }
    // As ATen, the targets must be exactly the samples' ones.
    if (start != targets.size(0))
      fail("the target lengths add up to " + std::to_string(start) + ", but " + std::to_string(targets.size(0)) +
           " targets are given");
  } else {
    fail("targets must be [N, S] or 1-D, got " + targets.describe());
  }
  for (int64_t n = 0; n < p.batch; ++n)
    for (int64_t k = 0; k < p.target_lengths[static_cast<size_t>(n)]; ++k) {
      const int64_t label = integer_at(targets, p.target_start[static_cast<size_t>(n)] + k * p.target_stride);
      if (label < 0 || label >= p.classes)
        fail("target " + std::to_string(label) + " of sample " + std::to_string(n) + " is not among the " +
             std::to_string(p.classes) + " classes");
      // As torch documents; ATen computes with it, its gradient then
      // inconsistent with its loss.
      if (label == options.blank)
        fail("target " + std::to_string(k) + " of sample " + std::to_string(n) + " is the blank (" +
             std::to_string(label) + ")");
    }
  return p;
}

// Sample n's alphas, [input length][2L + 1], and its negative
// log-likelihood.
template <typename T>
double forward(const Problem& p, int64_t n, const std::vector<int64_t>& labels, std::vector<double>& alpha) {
  const int64_t frames = p.input_lengths[static_cast<size_t>(n)];
  const int64_t states = static_cast<int64_t>(labels.size());
  const int64_t length = (states - 1) / 2;
  // An empty input spells only the empty target.
  if (frames == 0) return length == 0 ? 0.0 : std::numeric_limits<double>::infinity();
  alpha.assign(static_cast<size_t>(frames * states), kNegInf);
  auto a = [&](int64_t t, int64_t s) -> double& { return alpha[static_cast<size_t>(t * states + s)]; };
  a(0, 0) = p.log_prob<T>(0, n, p.options.blank);
  if (length > 0) a(0, 1) = p.log_prob<T>(0, n, labels[1]);
  for (int64_t t = 1; t < frames; ++t)
    for (int64_t s = 0; s < states; ++s) {
      const int64_t label = labels[static_cast<size_t>(s)];
      const double stay = a(t - 1, s);
      const double step = s > 0 ? a(t - 1, s - 1) : kNegInf;
      const double skip = s > 1 && labels[static_cast<size_t>(s - 2)] != label ? a(t - 1, s - 2) : kNegInf;
      a(t, s) = log_sum3(stay, step, skip) + p.log_prob<T>(t, n, label);
    }
  const double end = length == 0 ? a(frames - 1, 0) : log_add(a(frames - 1, states - 1), a(frames - 1, states - 2));
  return -end;
}

// Sample n's betas, [input length][2L + 1].
template <typename T>
void backward(const Problem& p, int64_t n, const std::vector<int64_t>& labels, std::vector<double>& beta) {
  const int64_t frames = p.input_lengths[static_cast<size_t>(n)];
  const int64_t states = static_cast<int64_t>(labels.size());
  beta.assign(static_cast<size_t>(frames * states), kNegInf);
  if (frames == 0) return;
  auto b = [&](int64_t t, int64_t s) -> double& { return beta[static_cast<size_t>(t * states + s)]; };
  b(frames - 1, states - 1) = p.log_prob<T>(frames - 1, n, p.options.blank);
  if (states > 1) b(frames - 1, states - 2) = p.log_prob<T>(frames - 1, n, labels[static_cast<size_t>(states - 2)]);
  for (int64_t t = frames - 2; t >= 0; --t)
    for (int64_t s = 0; s < states; ++s) {
      const int64_t label = labels[static_cast<size_t>(s)];
      const double stay = b(t + 1, s);
      const double step = s + 1 < states ? b(t + 1, s + 1) : kNegInf;
      const double skip = s + 2 < states && labels[static_cast<size_t>(s + 2)] != label ? b(t + 1, s + 2) : kNegInf;
      b(t, s) = log_sum3(stay, step, skip) + p.log_prob<T>(t, n, label);
    }
}

// Runs fn(n) for every sample on the thread pool.
template <typename F>
void for_each_sample(const Problem& p, F&& fn) {
  auto chunk = [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) fn(n);
  };
  ThreadPool& pool = default_thread_pool();
  if (p.batch > 1 && pool.num_threads() > 1 && !ThreadPool::in_parallel_region())
    pool.parallel_for(0, p.batch, 1, chunk);
  else
    chunk(0, p.batch);
}

void check_out(const Tensor& out, const Tensor& like, const std::vector<int64_t>& sizes, const char* what) {
  if (out.dtype() != like.dtype() || out.sizes() != sizes || !out.is_contiguous())
    fail(std::string(what) + " must be a contiguous " + std::string(dtype_name(like.dtype())) + " tensor of the " +
         "right shape, got " + out.describe());
}

template <typename T>
void loss(const Problem& p, Tensor& out) {
  T* o = out.data_as<T>();
  for_each_sample(p, [&](int64_t n) {
    std::vector<double> alpha;
    double nll = forward<T>(p, n, p.extended(n), alpha);
    if (p.options.zero_infinity && std::isinf(nll)) nll = 0;
    o[n] = static_cast<T>(nll);
  });
}

template <typename T>
void loss_gradient(const Problem& p, const Tensor& grad, Tensor& out) {
  T* o = out.data_as<T>();
  const int64_t classes = p.classes, batch = p.batch;
  const int64_t grad_stride = grad.dim() == 0 ? 0 : grad.strides()[0];
  const T* g = grad.data_as<T>();
  for_each_sample(p, [&](int64_t n) {
    auto at = [&](int64_t t, int64_t c) -> T& { return o[(t * batch + n) * classes + c]; };
    const std::vector<int64_t> labels = p.extended(n);
    std::vector<double> alpha, beta;
    const double nll = forward<T>(p, n, labels, alpha);
    const int64_t frames = p.input_lengths[static_cast<size_t>(n)];
    for (int64_t t = 0; t < p.frames; ++t)
      for (int64_t c = 0; c < classes; ++c) at(t, c) = 0;
    if (p.options.zero_infinity && std::isinf(nll)) return;
    backward<T>(p, n, labels, beta);
    const double scale = static_cast<double>(g[n * grad_stride]);
    const int64_t states = static_cast<int64_t>(labels.size());
    std::vector<double> through(static_cast<size_t>(classes));
    for (int64_t t = 0; t < frames; ++t) {
      // log of the summed probability of the alignments through each class at t.
      std::fill(through.begin(), through.end(), kNegInf);
      for (int64_t s = 0; s < states; ++s) {
        double& v = through[static_cast<size_t>(labels[static_cast<size_t>(s)])];
        v = log_add(v, alpha[static_cast<size_t>(t * states + s)] + beta[static_cast<size_t>(t * states + s)]);
      }
      for (int64_t c = 0; c < classes; ++c) {
        const double lp = static_cast<double>(p.log_prob<T>(t, n, c));
        at(t, c) = static_cast<T>((std::exp(lp) - std::exp(through[static_cast<size_t>(c)] + nll - lp)) * scale);
      }
    }
  });
}

}  // namespace

void ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
              const Tensor& target_lengths, CtcOptions options, Tensor& out) {
  const Problem p = check(log_probs, targets, input_lengths, target_lengths, options);
  check_out(out, log_probs, {p.batch}, "the loss");
  if (log_probs.dtype() == DType::f64)
    loss<double>(p, out);
  else
    loss<float>(p, out);
}

void ctc_loss_backward(const Tensor& grad, const Tensor& log_probs, const Tensor& targets,
                       const Tensor& input_lengths, const Tensor& target_lengths, CtcOptions options, Tensor& out) {
  const Problem p = check(log_probs, targets, input_lengths, target_lengths, options);
  if (grad.dtype() != log_probs.dtype() || (grad.dim() != 0 && grad.sizes() != std::vector<int64_t>{p.batch}))
    fail("the loss gradient must be a " + std::string(dtype_name(log_probs.dtype())) + " tensor of one value per sample, got " +
         grad.describe());
  check_out(out, log_probs, log_probs.sizes(), "the gradient");
  if (log_probs.dtype() == DType::f64)
    loss_gradient<double>(p, grad, out);
  else
    loss_gradient<float>(p, grad, out);
}

}  // namespace wick::rt
