#include "support/tensor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "support/error.h"

namespace wick {
namespace {

TEST(Tensor, ZerosIsContiguousAndZeroed) {
  Tensor t = Tensor::zeros(DType::f32, {2, 3});
  EXPECT_EQ(t.numel(), 6);
  EXPECT_EQ(t.strides(), (std::vector<int64_t>{3, 1}));
  EXPECT_TRUE(t.is_contiguous());
  for (int i = 0; i < 6; ++i) EXPECT_EQ(t.data_as<float>()[i], 0.0f);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
}

TEST(Tensor, ZerosRejectsNegativeAndOverflowingShapes) {
  EXPECT_THROW(Tensor::zeros(DType::f32, {2, -1}), Error);
  EXPECT_THROW(Tensor::zeros(DType::f32, {int64_t{1} << 40, int64_t{1} << 40}), Error);
  EXPECT_THROW(Tensor::zeros(DType::f64, {int64_t{1} << 34}), Error);  // 128 GiB
}

TEST(Tensor, ViewOutsideStorageIsAnError) {
  auto storage = Storage::allocate_cpu(6 * sizeof(float));
  EXPECT_NO_THROW(Tensor::view_of(storage, DType::f32, {2, 3}, {3, 1}, 0));
  EXPECT_THROW(Tensor::view_of(storage, DType::f32, {2, 3}, {3, 1}, 1), Error);
  EXPECT_THROW(Tensor::view_of(storage, DType::f32, {3, 3}, {3, 1}, 0), Error);
  EXPECT_THROW(Tensor::view_of(storage, DType::f32, {2}, {3, 1}, 0), Error);
  EXPECT_THROW(Tensor::view_of(storage, DType::f32, {2, 3}, {3, 1}, -1), Error);
  EXPECT_THROW(Tensor::view_of(storage, DType::f32, {2, 3}, {int64_t{1} << 62, 1}, 0), Error);
  // An empty tensor reads nothing: at the very end or past it is fine (a
  // view into a batch of 0 keeps its static offset).
  EXPECT_NO_THROW(Tensor::view_of(storage, DType::f32, {0, 3}, {3, 1}, 6));
  auto empty = Storage::allocate_cpu(0);
  EXPECT_NO_THROW(Tensor::view_of(empty, DType::f32, {0, 64, 4}, {256, 4, 1}, 64));
}

// A large block freed is handed out again for the same size (a model called
// in a loop gets its output memory back without faulting pages in), zeroed
// when asked; small blocks and what exceeds the bound are given back.
TEST(Storage, LargeFreedBlocksAreReused) {
  const size_t mib = size_t{1} << 20;
  void* first = nullptr;
  {
    auto a = Storage::allocate_cpu(3 * mib, false);
    first = a->data();
    std::memset(first, 0xab, 3 * mib);
  }
  EXPECT_GE(Storage::cpu_bytes_kept(), 3 * mib);
  auto b = Storage::allocate_cpu(3 * mib);
  EXPECT_EQ(b->data(), first);
  const auto* bytes = static_cast<const unsigned char*>(b->data());
  EXPECT_EQ(*std::max_element(bytes, bytes + 3 * mib), 0) << "not zeroed";
  // Freeing far more than the bound keeps at most the bound.
  {
    std::vector<std::shared_ptr<Storage>> many;
    for (int i = 0; i < 300; ++i) many.push_back(Storage::allocate_cpu(mib + 64 * static_cast<size_t>(i), false));
  }
  EXPECT_LE(Storage::cpu_bytes_kept(), 256 * mib);
  EXPECT_GT(Storage::cpu_bytes_kept(), 200 * mib);
}

TEST(Tensor, TransposedViewClonesInRowMajorOrder) {
  Tensor t = Tensor::zeros(DType::f32, {2, 3});
  for (int i = 0; i < 6; ++i) t.data_as<float>()[i] = static_cast<float>(i);
  Tensor tt = t.as_strided({3, 2}, {1, 3}, 0);
  EXPECT_FALSE(tt.is_contiguous());
  Tensor c = tt.contiguous();
  EXPECT_TRUE(c.is_contiguous());
  const float expected[] = {0, 3, 1, 4, 2, 5};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(c.data_as<float>()[i], expected[i]);
}

// Every element width through a 3-D view that is strided in its last dim,
// and one whose rows are contiguous but not adjacent (a slice).
TEST(Tensor, StridedViewsOfEveryWidthClone) {
  for (DType dtype : {DType::f64, DType::f32, DType::f16, DType::u8}) {
    const size_t width = dtype_size(dtype);
    Tensor t = Tensor::zeros(dtype, {2, 3, 4});
    auto* bytes = static_cast<unsigned char*>(t.data());
    for (size_t i = 0; i < 24 * width; ++i) bytes[i] = static_cast<unsigned char>(i * 7 + 1);
    // Element [a][b][c] of the permuted view is t[a][c][b].
    Tensor permuted = t.as_strided({2, 4, 3}, {12, 1, 4}, 0);
    Tensor c = permuted.contiguous();
    for (int64_t a = 0; a < 2; ++a)
      for (int64_t b = 0; b < 4; ++b)
        for (int64_t k = 0; k < 3; ++k)
          EXPECT_EQ(std::memcmp(static_cast<const char*>(c.data()) + ((a * 4 + b) * 3 + k) * width,
                                bytes + ((a * 3 + k) * 4 + b) * width, width),
                    0)
              << dtype_name(dtype) << " " << a << b << k;
    // Rows 1..2 of each [3, 4] block: contiguous runs of 4, 12 apart.
    Tensor rows = t.as_strided({2, 2, 4}, {12, 4, 1}, 4);
    Tensor r = rows.contiguous();
    for (int64_t a = 0; a < 2; ++a)
      EXPECT_EQ(std::memcmp(static_cast<const char*>(r.data()) + a * 8 * width, bytes + (a * 12 + 4) * width, 8 * width), 0)
          << dtype_name(dtype);
  }
}

}  // namespace
}  // namespace wick
