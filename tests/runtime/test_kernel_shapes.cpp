// Tests of the extern kernels' shape rules and argument checks: output sizes
// on hand-worked cases (ceil-mode pooling, matmul broadcasting, unbatched
// inputs) and the wick::Error messages for every kind of bad argument,
// through both the shape helpers and the kernels themselves. Comparisons of
// values and of sizes against LibTorch are in test_extern_kernels.cpp.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/extern_kernels.h"
#include "support/error.h"

namespace wick::rt {
namespace {

using Sizes = std::vector<int64_t>;

// The message of the wick::Error that f() throws ("" when it throws none).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

Tensor f32(Sizes sizes) { return Tensor::zeros(DType::f32, std::move(sizes)); }

TEST(KernelShapes, ConvAndPoolFormulas) {
  EXPECT_EQ(conv_output_size(7, 3, 1, 1, 1), 7);
  EXPECT_EQ(conv_output_size(224, 7, 2, 3, 1), 112);
  EXPECT_EQ(conv_output_size(10, 3, 1, 0, 2), 6);
  EXPECT_EQ(conv_output_size(2, 5, 1, 0, 1), -2);  // does not fit: no clamping
  EXPECT_EQ(pool_output_size(5, 2, 2, 0, 1, false), 2);
  EXPECT_EQ(pool_output_size(5, 2, 2, 0, 1, true), 3);
  EXPECT_EQ(pool_output_size(112, 3, 2, 1, 1, false), 56);
  // Ceil mode drops a last window that would start in the right padding.
  EXPECT_EQ(pool_output_size(5, 2, 2, 1, 1, true), 3);
  EXPECT_EQ(pool_output_size(5, 2, 2, 1, 1, false), 3);
  EXPECT_EQ(pool_output_size(4, 2, 2, 1, 1, true), 3);
  EXPECT_EQ(pool_output_size(6, 3, 3, 1, 1, true), 3);
  EXPECT_EQ(pool_output_size(5, 3, 2, 1, 1, true), 3);
}

TEST(KernelShapes, MatmulSizes) {
  EXPECT_EQ(matmul_output_sizes({3, 4}, {4, 5}), (Sizes{3, 5}));
  EXPECT_EQ(matmul_output_sizes({4}, {4}), (Sizes{}));
  EXPECT_EQ(matmul_output_sizes({3, 4}, {4}), (Sizes{3}));
  EXPECT_EQ(matmul_output_sizes({4}, {4, 5}), (Sizes{5}));
  EXPECT_EQ(matmul_output_sizes({4}, {2, 4, 5}), (Sizes{2, 5}));
  EXPECT_EQ(matmul_output_sizes({2, 3, 4}, {4}), (Sizes{2, 3}));
  EXPECT_EQ(matmul_output_sizes({2, 1, 3, 4}, {5, 4, 6}), (Sizes{2, 5, 3, 6}));
  EXPECT_EQ(matmul_output_sizes({1, 3, 4}, {7, 4, 2}), (Sizes{7, 3, 2}));
  EXPECT_EQ(linear_output_sizes({2, 5, 16}, {8, 16}, {8}), (Sizes{2, 5, 8}));
  EXPECT_EQ(linear_output_sizes({16}, {8, 16}, {}), (Sizes{8}));
  EXPECT_EQ(addmm_output_sizes({5}, {3, 4}, {4, 5}), (Sizes{3, 5}));
  EXPECT_EQ(addmm_output_sizes({3, 1}, {3, 4}, {4, 5}), (Sizes{3, 5}));
  EXPECT_EQ(addmm_output_sizes({}, {3, 4}, {4, 5}), (Sizes{3, 5}));
}

TEST(KernelShapes, ConvAndPoolSizes) {
  EXPECT_EQ(
      conv2d_output_sizes({2, 3, 224, 224}, {64, 3, 7, 7}, {.stride = {2, 2}, .padding = {3, 3}}),
      (Sizes{2, 64, 112, 112}));
  EXPECT_EQ(conv2d_output_sizes({32, 56, 56}, {32, 1, 3, 3},
                                {.stride = {2, 2}, .padding = {1, 1}, .groups = 32}),
            (Sizes{32, 28, 28}));
  EXPECT_EQ(conv1d_output_sizes({4, 6, 50}, {8, 3, 5}, {.dilation = 2, .groups = 2}),
            (Sizes{4, 8, 42}));
  EXPECT_EQ(max_pool2d_output_sizes({1, 3, 5, 7},
                                    {.kernel = {2, 2}, .stride = {2, 2}, .ceil_mode = true}),
            (Sizes{1, 3, 3, 4}));
  EXPECT_EQ(
      avg_pool2d_output_sizes(
          {3, 6, 6}, {.kernel = {3, 3}, .stride = {3, 3}, .padding = {1, 1}, .ceil_mode = true}),
      (Sizes{3, 3, 3}));
  EXPECT_EQ(adaptive_avg_pool2d_output_sizes({2, 3, 7, 9}, {3, 4}), (Sizes{2, 3, 3, 4}));
}

TEST(KernelShapes, BadConvolutionParameters) {
  const Sizes x = {1, 3, 8, 8};
  EXPECT_EQ(error_of([&] {
              conv2d_output_sizes(x, {8, 4, 3, 3}, {});
            }),
            "error: in conv2d: input has 3 channels but weight expects 4 (weight [8, 4, 3, 3], "
            "groups 1)");
  EXPECT_EQ(error_of([&] {
              conv2d_output_sizes({1, 6, 8, 8}, {8, 2, 3, 3}, {.groups = 2});
            }),
            "error: in conv2d: input has 6 channels but weight expects 4 (weight [8, 2, 3, 3], "
            "groups 2)");
  EXPECT_EQ(error_of([&] {
              conv2d_output_sizes({1, 6, 8, 8}, {8, 2, 3, 3}, {.groups = 3});
            }),
            "error: in conv2d: 8 output channels are not divisible by 3 groups");
  EXPECT_EQ(error_of([&] {
              conv2d_output_sizes(x, {8, 3, 3, 3}, {.padding = {-1, 0}});
            }),
            "error: in conv2d: padding must be non-negative, got [-1, 0]");
  EXPECT_EQ(error_of([&] {
              conv2d_output_sizes(x, {8, 3, 3, 3}, {.stride = {1, 0}});
            }),
            "error: in conv2d: stride must be positive, got [1, 0]");
  EXPECT_EQ(error_of([&] {
              conv2d_output_sizes(x, {8, 3, 3, 3}, {.dilation = {0, 1}});
            }),
            "error: in conv2d: dilation must be positive, got [0, 1]");
  EXPECT_EQ(error_of([&] {
              conv2d_output_sizes(x, {8, 3, 3, 3}, {.groups = 0});
            }),
            "error: in conv2d: groups must be positive, got 0");
  EXPECT_EQ(
      error_of([&] {
        conv2d_output_sizes({1, 3, 4, 4}, {8, 3, 5, 5}, {});
      }),
      "error: in conv2d: padded input size [4, 4] is smaller than the dilated kernel size [5, 5]");
  EXPECT_EQ(
      error_of([&] {
        conv2d_output_sizes({1, 3, 4, 4}, {8, 3, 3, 3}, {.dilation = {2, 2}});
      }),
      "error: in conv2d: padded input size [4, 4] is smaller than the dilated kernel size [5, 5]");
  EXPECT_EQ(error_of([&] {
              conv2d_output_sizes({3, 8}, {8, 3, 3, 3}, {});
            }),
            "error: in conv2d: expected a 3-D or 4-D input, got [3, 8]");
  EXPECT_EQ(error_of([&] {
              conv2d_output_sizes(x, {8, 3, 3}, {});
            }),
            "error: in conv2d: expected a 4-D weight, got [8, 3, 3]");
  EXPECT_EQ(
      error_of([&] {
        conv1d_output_sizes({1, 3, 8}, {8, 2, 3}, {});
      }),
      "error: in conv1d: input has 3 channels but weight expects 2 (weight [8, 2, 3], groups 1)");
  EXPECT_EQ(error_of([&] {
              conv3d_output_sizes({1, 3, 4, 8, 8}, {8, 2, 3, 3, 3}, {});
            }),
            "error: in conv3d: input has 3 channels but weight expects 2 (weight [8, 2, 3, 3, 3], groups 1)");
  EXPECT_EQ(error_of([&] {
              conv3d_output_sizes({1, 3, 2, 8, 8}, {8, 3, 3, 3, 3}, {});
            }),
            "error: in conv3d: padded input size [2, 8, 8] is smaller than the dilated kernel size [3, 3, 3]");
  EXPECT_EQ(error_of([&] {
              conv3d_output_sizes({3, 8, 8}, {8, 3, 3, 3, 3}, {});
            }),
            "error: in conv3d: expected a 4-D or 5-D input, got [3, 8, 8]");
}

TEST(KernelShapes, BadPoolingParameters) {
  const Sizes x = {1, 3, 8, 8};
  EXPECT_EQ(error_of([&] {
              max_pool2d_output_sizes(x, {.kernel = {2, 2}, .stride = {0, 2}});
            }),
            "error: in max_pool2d: stride must be positive, got [0, 2]");
  EXPECT_EQ(error_of([&] {
              max_pool2d_output_sizes(x, {.kernel = {0, 2}, .stride = {2, 2}});
            }),
            "error: in max_pool2d: kernel size must be positive, got [0, 2]");
  EXPECT_EQ(error_of([&] {
              max_pool2d_output_sizes(x, {.kernel = {3, 3}, .stride = {1, 1}, .padding = {2, 1}});
            }),
            "error: in max_pool2d: padding [2, 1] must be at most half of the effective kernel "
            "size [3, 3]");
  EXPECT_EQ(error_of([&] {
              avg_pool2d_output_sizes(x, {.kernel = {2, 2}, .stride = {1, 1}, .padding = {-1, 0}});
            }),
            "error: in avg_pool2d: padding must be non-negative, got [-1, 0]");
  EXPECT_EQ(error_of([&] {
              max_pool2d_output_sizes({1, 3, 2, 2}, {.kernel = {3, 3}, .stride = {1, 1}});
            }),
            "error: in max_pool2d: output size [0, 0] is too small for input [1, 3, 2, 2] and "
            "kernel [3, 3]");
  EXPECT_EQ(
      error_of([&] {
        max_pool2d_output_sizes({3, 0, 4}, {.kernel = {1, 1}});
      }),
      "error: in max_pool2d: expected an input with non-empty channel and spatial dimensions, got "
      "[3, 0, 4]");
  EXPECT_EQ(error_of([&] {
              adaptive_avg_pool2d_output_sizes({8, 8}, {2, 2});
            }),
            "error: in adaptive_avg_pool2d: expected a 3-D or 4-D input, got [8, 8]");
  EXPECT_EQ(error_of([&] {
              adaptive_avg_pool2d_output_sizes(x, {-1, 2});
            }),
            "error: in adaptive_avg_pool2d: output size must be non-negative, got [-1, 2]");
}

TEST(KernelShapes, BadMatrixShapes) {
  EXPECT_EQ(error_of([] {
              matmul_output_sizes({3, 4}, {5, 6});
            }),
            "error: in matmul: shapes [3, 4] and [5, 6] cannot be multiplied (4 != 5)");
  EXPECT_EQ(error_of([] {
              matmul_output_sizes({2, 3, 4}, {3, 4, 5});
            }),
            "error: in matmul: batch dimensions of [2, 3, 4] and [3, 4, 5] cannot be broadcast");
  EXPECT_EQ(error_of([] { matmul_output_sizes({}, {3}); }),
            "error: in matmul: both arguments need at least one dimension, got [] and [3]");
  EXPECT_EQ(error_of([] {
              linear_output_sizes({2, 5}, {3, 4}, {});
            }),
            "error: in linear: input has 5 features but weight [3, 4] expects 4");
  EXPECT_EQ(error_of([] {
              linear_output_sizes({2, 4}, {3, 4}, {4});
            }),
            "error: in linear: expected a bias of shape [3], got [4]");
  EXPECT_EQ(error_of([] {
              addmm_output_sizes({2, 5}, {3, 4}, {4, 5});
            }),
            "error: in addmm: input [2, 5] cannot be broadcast to [3, 5]");
}

TEST(KernelShapes, KernelsCheckTheirArguments) {
  Tensor a = f32({3, 4}), b = f32({4, 5});
  Tensor out = f32({3, 5}), wrong = f32({5, 3});
  EXPECT_EQ(error_of([&] { matmul(a, b, wrong); }),
            "error: in matmul: output has shape [5, 3] but the result has shape [3, 5]");
  Tensor d = Tensor::zeros(DType::f64, {3, 4});
  EXPECT_EQ(error_of([&] { matmul(d, b, out); }),
            "error: in matmul: second argument must be f64 as the first operand is, got f32[4, 5]");
  EXPECT_EQ(error_of([&] { matmul(Tensor::zeros(DType::i64, {3, 4}), b, out); }),
            "error: in matmul: takes f32, f64 or bf16 operands, got i64[3, 4]");
  Tensor i = Tensor::zeros(DType::i64, {5});
  EXPECT_EQ(error_of([&] {
              linear(a, f32({5, 4}), i, out);
            }),
            "error: in linear: bias must be f32 as the first operand is, got i64[5]");
  EXPECT_EQ(error_of([&] { matmul(Tensor(), b, out); }),
            "error: in matmul: first argument is undefined");

  Tensor x = f32({1, 3, 8, 8}), w = f32({8, 4, 3, 3}), y = f32({1, 8, 6, 6});
  EXPECT_EQ(error_of([&] { conv2d(x, w, Tensor(), {}, y); }),
            "error: in conv2d: input has 3 channels but weight expects 4 (weight [8, 4, 3, 3], "
            "groups 1)");
  EXPECT_EQ(error_of([&] {
              conv2d(x, f32({8, 3, 3, 3}), f32({7}), {}, y);
            }),
            "error: in conv2d: expected a bias of shape [8], got [7]");
  Tensor p = f32({1, 3, 4, 4});
  EXPECT_EQ(error_of([&] {
              max_pool2d(x, {.kernel = {2, 2}, .stride = {0, 2}}, p);
            }),
            "error: in max_pool2d: stride must be positive, got [0, 2]");
  EXPECT_EQ(
      error_of([&] {
        avg_pool2d(x, {.kernel = {2, 2}, .stride = {2, 2}}, y);
      }),
      "error: in avg_pool2d: output has shape [1, 8, 6, 6] but the result has shape [1, 3, 4, 4]");
  EXPECT_EQ(error_of([&] {
              adaptive_avg_pool2d(Tensor::zeros(DType::f16, {1, 3, 8, 8}), {4, 4}, p);
            }),
            "error: in adaptive_avg_pool2d: input must be f32, got f16[1, 3, 8, 8]");

  try {
    conv2d(x, w, Tensor(), {}, y);
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "conv2d");
  }
}

}  // namespace
}  // namespace wick::rt
