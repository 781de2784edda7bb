#include "support/tensor.h"

#include <cstdlib>
#include <cstring>
#include <deque>
#include <iterator>
#include <mutex>
#include <utility>

#include "support/error.h"
#include "support/strides.h"

namespace wick {

std::string Device::str() const {
  if (kind == DeviceKind::cpu) return "cpu";
  return "cuda:" + std::to_string(index);
}

Storage::Storage(void* data, size_t nbytes, Device device, std::function<void(void*)> release)
    : data_(data), nbytes_(nbytes), device_(device), release_(std::move(release)) {}

Storage::~Storage() {
  if (release_) release_(data_);
}

namespace {

// Large blocks freed lately, kept for the next allocation of the same size.
// A model called in a loop frees its outputs between calls; handed back to
// the system, such a block comes back as fresh pages that every call faults
// in again (for a 16 MB output, more time than the kernel that writes it).
// Blocks below kMinBytes are left to malloc's own bins; at most kMaxHeld
// bytes are kept, the oldest given back first.
class BlockCache {
 public:
  static constexpr size_t kMinBytes = size_t{1} << 20;
  static constexpr size_t kMaxHeld = size_t{256} << 20;

  void* take(size_t bytes) {
    if (bytes < kMinBytes) return nullptr;
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = blocks_.rbegin(); it != blocks_.rend(); ++it) {
      if (it->first != bytes) continue;
      void* p = it->second;
      blocks_.erase(std::next(it).base());
      held_ -= bytes;
      return p;
    }
    return nullptr;
  }

  size_t held() {
    std::lock_guard<std::mutex> lock(mutex_);
    return held_;
  }

  void give(void* p, size_t bytes) {
    if (bytes < kMinBytes || bytes > kMaxHeld) return std::free(p);
    std::lock_guard<std::mutex> lock(mutex_);
    while (held_ + bytes > kMaxHeld && !blocks_.empty()) {
      std::free(blocks_.front().second);
      held_ -= blocks_.front().first;
      blocks_.pop_front();
    }
    blocks_.emplace_back(bytes, p);
    held_ += bytes;
  }

 private:
  std::mutex mutex_;
  std::deque<std::pair<size_t, void*>> blocks_;  // oldest first
  size_t held_ = 0;
};

BlockCache& block_cache() {
  static auto* cache = new BlockCache;  // never destroyed: storages may outlive static destruction
  return *cache;
}

}  // namespace

std::shared_ptr<Storage> Storage::allocate_cpu(size_t nbytes, bool zero) {
  size_t rounded = (nbytes + 63) / 64 * 64;
  if (rounded == 0) rounded = 64;
  void* p = block_cache().take(rounded);
  if (!p) p = std::aligned_alloc(64, rounded);
  if (!p) throw Error("out of memory allocating " + std::to_string(nbytes) + " bytes");
  if (zero) std::memset(p, 0, rounded);
  return std::make_shared<Storage>(p, nbytes, Device{}, [rounded](void* q) { block_cache().give(q, rounded); });
}

size_t Storage::cpu_bytes_kept() { return block_cache().held(); }

bool checked_mul(int64_t a, int64_t b, int64_t* out) {
  if (a < 0 || b < 0) return false;
  return !__builtin_mul_overflow(a, b, out);
}

bool checked_numel(const std::vector<int64_t>& sizes, int64_t* out) {
  int64_t n = 1;
  for (int64_t s : sizes)
    if (!checked_mul(n, s, &n)) return false;
  *out = n;
  return true;
}

std::string shape_str(const std::vector<int64_t>& sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(sizes[i]);
  }
  return s + "]";
}

std::vector<int64_t> Tensor::contiguous_strides(const std::vector<int64_t>& sizes) {
  return wick::contiguous_strides(sizes);
}

namespace {
int64_t checked_bytes(DType dtype, const std::vector<int64_t>& sizes) {
  int64_t numel = 0, bytes = 0;
  if (!checked_numel(sizes, &numel) ||
      !checked_mul(numel, static_cast<int64_t>(dtype_size(dtype)), &bytes) ||
      bytes > kMaxTensorBytes)
    throw Error("tensor of shape " + shape_str(sizes) + " is too large or has a negative size");
  return bytes;
}
}  // namespace

Tensor Tensor::empty(DType dtype, std::vector<int64_t> sizes) {
  Tensor t;
  t.storage_ = Storage::allocate_cpu(static_cast<size_t>(checked_bytes(dtype, sizes)), false);
  t.dtype_ = dtype;
  t.strides_ = contiguous_strides(sizes);
  t.sizes_ = std::move(sizes);
  return t;
}

Tensor Tensor::zeros(DType dtype, std::vector<int64_t> sizes) {
  Tensor t;
  t.storage_ = Storage::allocate_cpu(static_cast<size_t>(checked_bytes(dtype, sizes)));
  t.dtype_ = dtype;
  t.strides_ = contiguous_strides(sizes);
  t.sizes_ = std::move(sizes);
  return t;
}

Tensor Tensor::view_of(std::shared_ptr<Storage> storage, DType dtype, std::vector<int64_t> sizes,
                       std::vector<int64_t> strides, int64_t offset_elements) {
  if (!storage) throw Error("tensor view of a missing storage");
  if (sizes.size() != strides.size())
    throw Error("tensor has " + std::to_string(sizes.size()) + " sizes but " +
                std::to_string(strides.size()) + " strides");
  if (offset_elements < 0) throw Error("tensor has a negative storage offset");
  // The highest element index reached, checked for overflow.
  int64_t numel = 0;
  if (!checked_numel(sizes, &numel))
    throw Error("tensor shape " + shape_str(sizes) + " is negative or overflows");
  int64_t last = offset_elements;
  if (numel > 0) {
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (strides[i] < 0) throw Error("tensor has a negative stride");
      int64_t reach = 0;
      if (!checked_mul(sizes[i] - 1, strides[i], &reach) || __builtin_add_overflow(last, reach, &last))
        throw Error("tensor extent overflows");
    }
  }
  int64_t needed_bytes = 0;
  // As in torch, a tensor with no elements reads nothing: any offset is fine.
  int64_t needed_elems = numel > 0 ? last + 1 : 0;
  if (!checked_mul(needed_elems, static_cast<int64_t>(dtype_size(dtype)), &needed_bytes) ||
      static_cast<uint64_t>(needed_bytes) > storage->nbytes())
    throw Error("tensor " + std::string(dtype_name(dtype)) + shape_str(sizes) + " at offset " +
                std::to_string(offset_elements) + " needs " + std::to_string(needed_bytes) +
                " bytes but its storage holds " + std::to_string(storage->nbytes()));
  Tensor t;
  t.storage_ = std::move(storage);
  t.dtype_ = dtype;
  t.sizes_ = std::move(sizes);
  t.strides_ = std::move(strides);
  t.offset_ = offset_elements;
  return t;
}

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t s : sizes_) n *= s;
  return n;
}

bool Tensor::is_contiguous() const { return wick::is_contiguous(sizes_, strides_); }

void* Tensor::data() const {
  if (!storage_) return nullptr;
  return static_cast<char*>(storage_->data()) + offset_ * static_cast<int64_t>(dtype_size(dtype_));
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  WICK_ASSERT(defined(), "clone of an undefined tensor");
  WICK_ASSERT(device().kind == DeviceKind::cpu, "clone of a non-CPU tensor");
  Tensor out = empty(dtype_, sizes_);  // every element is written below
  const size_t esize = dtype_size(dtype_);
  const int64_t n = numel();
  if (n == 0) return out;
  if (is_contiguous()) {
    std::memcpy(out.data(), data(), static_cast<size_t>(n) * esize);
    return out;
  }
  // Row by row along the last dim, the leading dims walked with an index
  // counter; a row is one memcpy where its elements are adjacent, else a
  // strided loop of the element's width.
  const size_t rank = sizes_.size();
  const int64_t inner = sizes_[rank - 1], step = strides_[rank - 1];
  std::vector<int64_t> index(rank - 1, 0);
  const char* src = static_cast<const char*>(data());
  char* dst = static_cast<char*>(out.data());
  auto strided_row = [&](auto element, const char* from, char* to) {
    using E = decltype(element);
    const E* f = reinterpret_cast<const E*>(from);
    E* t = reinterpret_cast<E*>(to);
    for (int64_t i = 0; i < inner; ++i) t[i] = f[i * step];
  };
  for (int64_t row = 0; row < n / inner; ++row) {
    int64_t off = 0;
    for (size_t d = 0; d + 1 < rank; ++d) off += index[d] * strides_[d];
    const char* from = src + off * static_cast<int64_t>(esize);
    char* to = dst + row * inner * static_cast<int64_t>(esize);
    if (step == 1) std::memcpy(to, from, static_cast<size_t>(inner) * esize);
    else if (esize == 4) strided_row(uint32_t{}, from, to);
    else if (esize == 8) strided_row(uint64_t{}, from, to);
    else if (esize == 2) strided_row(uint16_t{}, from, to);
    else if (esize == 1) strided_row(uint8_t{}, from, to);
    else
      for (int64_t i = 0; i < inner; ++i)
        std::memcpy(to + i * static_cast<int64_t>(esize), from + i * step * static_cast<int64_t>(esize), esize);
    for (size_t d = rank - 1; d-- > 0;) {
      if (++index[d] < sizes_[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

Tensor Tensor::as_strided(std::vector<int64_t> sizes, std::vector<int64_t> strides,
                          int64_t offset) const {
  return view_of(storage_, dtype_, std::move(sizes), std::move(strides), offset);
}

std::string Tensor::describe() const {
  if (!defined()) return "undefined";
  return std::string(dtype_name(dtype_)) + shape_str(sizes_);
}

}  // namespace wick

namespace wick {

Tensor as_real_pairs(const Tensor& complex) {
  WICK_ASSERT(is_complex(complex.dtype()), "as_real_pairs of a real tensor");
  std::vector<int64_t> sizes = complex.sizes(), strides = complex.strides();
  for (int64_t& s : strides) s *= 2;
  sizes.push_back(2);
  strides.push_back(1);
  return Tensor::view_of(complex.storage(), real_part_dtype(complex.dtype()), std::move(sizes), std::move(strides),
                         complex.offset() * 2);
}

}  // namespace wick
