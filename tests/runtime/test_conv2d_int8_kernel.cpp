// rt::conv2d_int8 (runtime/dnnl_conv_int8.cpp) against direct integer sums
// on fresh random levels and weights: zero points of 0 and not, padding
// (which must add nothing), strides, dilation, groups and depthwise, the
// kept conversion of constant weights, the f32 path a CPU without VNNI
// takes, one image split into bands of rows across threads, and the errors
// for operands it cannot read.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "runtime/extern_kernels.h"
#include "runtime/thread_pool.h"
#include "support/error.h"

namespace wick::rt {
namespace {

std::mt19937& rng() {
  static std::mt19937 r(std::random_device{}());
  return r;
}

struct Problem {
  int64_t n, c, h, w, o, kh, kw;
  Conv2dParams p;
};

Tensor random_levels(const std::vector<int64_t>& sizes) {
  std::uniform_int_distribution<int> u8(0, 255);
  Tensor t = Tensor::empty(DType::u8, sizes);
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<uint8_t>()[i] = static_cast<uint8_t>(u8(rng()));
  return t;
}

Tensor random_weight(const std::vector<int64_t>& sizes) {
  std::uniform_int_distribution<int> i8(-128, 127);
  Tensor t = Tensor::empty(DType::i8, sizes);
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<int8_t>()[i] = static_cast<int8_t>(i8(rng()));
  return t;
}

// sum over the window of (x - zero) * w, padding skipped: [N, oH, oW, O].
std::vector<int64_t> direct(const Tensor& x, int64_t zero, const Tensor& w, const Conv2dParams& p, int64_t oh,
                            int64_t ow) {
  const int64_t n = x.size(0), h = x.size(1), wd = x.size(2), c = x.size(3), o = w.size(0);
  const int64_t cg = w.size(1), og = o / p.groups, kh = w.size(2), kw = w.size(3);
  std::vector<int64_t> out(static_cast<size_t>(n * oh * ow * o));
  const uint8_t* xq = x.data_as<uint8_t>();
  const int8_t* wq = w.data_as<int8_t>();
  for (int64_t b = 0; b < n; ++b)
    for (int64_t y = 0; y < oh; ++y)
      for (int64_t z = 0; z < ow; ++z)
        for (int64_t oc = 0; oc < o; ++oc) {
          int64_t acc = 0;
          const int64_t g = oc / og;
          for (int64_t ic = 0; ic < cg; ++ic)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                const int64_t r = y * p.stride[0] - p.padding[0] + i * p.dilation[0];
                const int64_t s = z * p.stride[1] - p.padding[1] + j * p.dilation[1];
                if (r < 0 || s < 0 || r >= h || s >= wd) continue;
                const int64_t level = xq[((b * h + r) * wd + s) * c + g * cg + ic];
                acc += (level - zero) * wq[((oc * cg + ic) * kh + i) * kw + j];
              }
          out[static_cast<size_t>(((b * oh + y) * ow + z) * o + oc)] = acc;
        }
  return out;
}

void check(const Problem& q, int64_t zero) {
  SCOPED_TRACE("C " + std::to_string(q.c) + " O " + std::to_string(q.o) + " k " + std::to_string(q.kh) + "x" +
               std::to_string(q.kw) + " stride " + std::to_string(q.p.stride[0]) + " groups " +
               std::to_string(q.p.groups) + " zero point " + std::to_string(zero));
  const Tensor x = random_levels({q.n, q.h, q.w, q.c});
  const Tensor w = random_weight({q.o, q.c / q.p.groups, q.kh, q.kw});
  const int64_t oh = (q.h + 2 * q.p.padding[0] - q.p.dilation[0] * (q.kh - 1) - 1) / q.p.stride[0] + 1;
  const int64_t ow = (q.w + 2 * q.p.padding[1] - q.p.dilation[1] * (q.kw - 1) - 1) / q.p.stride[1] + 1;
  const std::vector<int64_t> want = direct(x, zero, w, q.p, oh, ow);
  // Twice: with constant weights the second call reads the kept conversion.
  for (int call = 0; call < 2; ++call) {
    Tensor out = Tensor::empty(DType::f32, {q.n, oh, ow, q.o});
    conv2d_int8(x, zero, w, q.p, out);
    int64_t wrong = 0;
    for (int64_t i = 0; i < out.numel(); ++i)
      if (out.data_as<float>()[i] != static_cast<float>(want[static_cast<size_t>(i)])) ++wrong;
    EXPECT_EQ(wrong, 0) << "call " << call << ": first value " << out.data_as<float>()[0] << ", want " << want[0];
  }
}

// Padding, strides, dilation and groups, named.
struct Settings {
  Conv2dParams plain, padded, strided, dilated, grouped, depthwise;
  explicit Settings(int64_t channels) {
    padded.padding = {1, 1};
    padded.constant_weights = true;
    strided.stride = {2, 2};
    strided.padding = {3, 3};
    dilated.dilation = {2, 2};
    dilated.padding = {2, 1};
    grouped.groups = 2;
    grouped.padding = {1, 1};
    depthwise.groups = channels;
    depthwise.padding = {1, 1};
    depthwise.constant_weights = true;
  }
};

std::vector<Problem> problems() {
  const Settings s(32);
  return {{2, 16, 6, 5, 8, 1, 1, s.plain},    {2, 32, 7, 7, 32, 3, 3, s.padded}, {1, 3, 12, 12, 16, 7, 7, s.strided},
          {1, 16, 9, 8, 16, 3, 3, s.dilated}, {2, 16, 5, 5, 8, 3, 3, s.grouped}, {2, 32, 6, 6, 32, 3, 3, s.depthwise}};
}

// Each problem with a zero point of 0 and with a random one.
void check_all(const std::vector<Problem>& qs) {
  std::uniform_int_distribution<int> zero(1, 255);
  for (const Problem& q : qs) {
    check(q, 0);
    check(q, zero(rng()));
  }
}

TEST(Conv2dInt8Kernel, SumsExactIntegersWithAndWithoutAZeroPoint) { check_all(problems()); }

// One image on three threads: bands of output rows, one per thread, each
// convolved from the input rows it reads.
TEST(Conv2dInt8Kernel, OneImageInRowBandsSumsTheSameIntegers) {
  const Settings s(64);
  Conv2dParams past_the_image;
  past_the_image.padding = {8, 8};  // the first and last bands read only padding
  // The first, of two images, and the last, with fewer output rows than
  // threads, run on oneDNN's own split.
  const std::vector<Problem> bands = {
      {2, 32, 32, 32, 64, 3, 3, s.padded},  {1, 64, 28, 28, 64, 1, 1, s.plain},     {1, 16, 23, 20, 32, 3, 3, s.padded},
      {1, 8, 33, 30, 16, 7, 7, s.strided},  {1, 16, 25, 20, 16, 3, 3, s.dilated},   {1, 64, 30, 30, 64, 3, 3, s.depthwise},
      {1, 32, 4, 4, 32, 1, 1, past_the_image}, {1, 64, 2, 40, 64, 3, 3, s.padded}};
  ThreadPool& pool = default_thread_pool();
  const int threads = pool.num_threads();
  pool.set_num_threads(3);
  check_all(bands);
  pool.set_num_threads(threads);
}

TEST(Conv2dInt8Kernel, FloatPathSumsTheSameIntegers) {
  force_float_conv2d_int8(true);
  check_all(problems());
  force_float_conv2d_int8(false);
}

TEST(Conv2dInt8Kernel, EmptyBatchAndNoInputChannels) {
  Conv2dParams p;
  Tensor out = Tensor::empty(DType::f32, {0, 4, 4, 3});
  conv2d_int8(random_levels({0, 4, 4, 2}), 5, random_weight({3, 2, 1, 1}), p, out);
  Tensor zeros = Tensor::empty(DType::f32, {1, 4, 4, 3});
  conv2d_int8(random_levels({1, 4, 4, 0}), 5, random_weight({3, 0, 1, 1}), p, zeros);
  for (int64_t i = 0; i < zeros.numel(); ++i) EXPECT_EQ(zeros.data_as<float>()[i], 0.f);
}

void expect_error(const Tensor& x, int64_t zero, const Tensor& w, const std::vector<int64_t>& out_sizes,
                  const std::string& text, Conv2dParams p = {}) {
  try {
    Tensor out = Tensor::empty(DType::f32, out_sizes);
    conv2d_int8(x, zero, w, p, out);
    ADD_FAILURE() << "no error; expected: " << text;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    EXPECT_EQ(e.op(), "conv2d_int8");
  }
}

TEST(Conv2dInt8Kernel, RejectsOperandsItCannotRead) {
  const Tensor x = random_levels({1, 4, 4, 8});
  const Tensor w = random_weight({6, 8, 3, 3});
  expect_error(Tensor::zeros(DType::f32, {1, 4, 4, 8}), 0, w, {1, 2, 2, 6}, "the input's levels must be u8, got f32");
  expect_error(x, 0, Tensor::zeros(DType::f32, {6, 8, 3, 3}), {1, 2, 2, 6}, "the weight must be i8, got f32");
  expect_error(random_levels({4, 4, 8}), 0, w, {1, 2, 2, 6}, "the input's levels must have rank 4");
  expect_error(x, 256, w, {1, 2, 2, 6}, "the input's zero point must lie in [0, 255], got 256");
  expect_error(x, 0, random_weight({6, 5, 3, 3}), {1, 2, 2, 6}, "channels");
  expect_error(x, 0, w, {1, 4, 4, 6}, "shape");
  Conv2dParams groups;
  groups.groups = 4;
  expect_error(x, 0, random_weight({6, 2, 3, 3}), {1, 2, 2, 6}, "groups must be positive and divide", groups);
}

}  // namespace
}  // namespace wick::rt
