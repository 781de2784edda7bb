// How the runtime calls a compiled kernel, with no MLIR or LLVM in sight.
//
// MLIR passes a memref as a descriptor struct
//   { T* allocated; T* aligned; int64_t offset; int64_t sizes[N]; int64_t strides[N]; }
// with offset and strides counted in elements. Every public kernel `k` of a
// compiled module also gets a uniform entry point
//   void _wick_packed_k(void** args);   // packed_entry_name("k")
// where args[i] points at the i-th argument: at its memref descriptor for a
// memref, at the value for a scalar (float, int64_t for index, ...). A kernel
// returning one scalar writes it through args[n], n = number of arguments.
// So a runtime builds one MemRefDescriptorBuffer per tensor argument,
// collects their data() pointers and calls any kernel the same way; the same
// holds for kernels in a shared library built ahead of time.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "support/error.h"

namespace wick {

using PackedKernelFn = void (*)(void** args);

inline constexpr std::string_view kPackedEntryPrefix = "_wick_packed_";

inline std::string packed_entry_name(std::string_view kernel) {
  return std::string(kPackedEntryPrefix) + std::string(kernel);
}

// The descriptor of a memref of static rank N, as MLIR lays it out.
template <int N>
struct MemRefDescriptor {
  void* allocated;
  void* aligned;
  int64_t offset;
  int64_t sizes[N];
  int64_t strides[N];
};

template <>
struct MemRefDescriptor<0> {
  void* allocated;
  void* aligned;
  int64_t offset;
};

// A descriptor of any rank up to kMaxRank, built at run time. The layout is
// MemRefDescriptor<rank>: pointers and int64_t are both 8 bytes, so the fields
// are consecutive 8-byte words.
class MemRefDescriptorBuffer {
 public:
  static constexpr int kMaxRank = 16;

  MemRefDescriptorBuffer() = default;
  // `data` is the base of the allocation; `offset` and `strides` in elements.
  MemRefDescriptorBuffer(void* data, int64_t offset, std::span<const int64_t> sizes,
                         std::span<const int64_t> strides) {
    set(data, offset, sizes, strides);
  }
  // The same in place: no copy of the whole buffer.
  void set(void* data, int64_t offset, std::span<const int64_t> sizes, std::span<const int64_t> strides) {
    WICK_ASSERT(sizes.size() == strides.size(), "memref sizes and strides differ in rank");
    WICK_ASSERT(sizes.size() <= static_cast<size_t>(kMaxRank), "memref rank above kMaxRank");
    rank_ = static_cast<int>(sizes.size());
    words_[0] = reinterpret_cast<intptr_t>(data);
    words_[1] = reinterpret_cast<intptr_t>(data);
    words_[2] = offset;
    for (int i = 0; i < rank_; ++i) {
      words_[3 + i] = sizes[i];
      words_[3 + rank_ + i] = strides[i];
    }
  }

  int rank() const { return rank_; }
  void* data() { return words_.data(); }  // what goes into the packed args array
  int64_t offset() const { return words_[2]; }
  int64_t size(int d) const { return words_[3 + d]; }
  int64_t stride(int d) const { return words_[3 + rank_ + d]; }

 private:
  static_assert(sizeof(void*) == sizeof(int64_t), "descriptor words must be 8 bytes");
  int rank_ = 0;
  std::array<int64_t, 3 + 2 * kMaxRank> words_;  // only the first 3 + 2 * rank_ are meaningful
};

static_assert(sizeof(MemRefDescriptor<2>) == 7 * sizeof(int64_t));

}  // namespace wick
