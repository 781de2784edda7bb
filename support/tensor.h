// wick::Tensor: a strided view (dtype, sizes, strides, offset) over shared
// storage. It is the value type every layer passes around: the IR keeps module
// parameters in it, the runtime computes on it, the API hands it to users.
// Storage is reference counted and knows how to free itself, so a tensor can
// alias memory owned by someone else (an mmap'd weights file, a LibTorch
// tensor) without copying.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "support/dtype.h"

namespace wick {

enum class DeviceKind : uint8_t { cpu, cuda };

struct Device {
  DeviceKind kind = DeviceKind::cpu;
  int index = 0;
  bool operator==(const Device& o) const { return kind == o.kind && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const;
};

class Storage {
 public:
  // Takes ownership through `release`, called once with `data` when the last
  // reference goes away (may be empty for borrowed memory).
  Storage(void* data, size_t nbytes, Device device, std::function<void(void*)> release);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // Fresh CPU memory aligned to 64 bytes, zero-initialised unless `zero` is
  // false. Blocks of 1 MiB and more, once freed, are kept (up to 256 MiB in
  // all, the oldest given back first) for the next request of the same size.
  static std::shared_ptr<Storage> allocate_cpu(size_t nbytes, bool zero = true);
  // The bytes of freed blocks kept for reuse.
  static size_t cpu_bytes_kept();

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  void* data_;
  size_t nbytes_;
  Device device_;
  std::function<void(void*)> release_;
};

// Checked arithmetic for sizes that come from users or files.
// Returns false on overflow or on a negative operand.
bool checked_mul(int64_t a, int64_t b, int64_t* out);
bool checked_numel(const std::vector<int64_t>& sizes, int64_t* out);

class Tensor {
 public:
  Tensor() = default;  // undefined tensor

  // Contiguous, zero-filled CPU tensor. Throws wick::Error on negative sizes or
  // when the byte size overflows or exceeds `max_bytes`.
  static Tensor zeros(DType dtype, std::vector<int64_t> sizes);
  // The same without clearing the memory, for tensors about to be overwritten.
  static Tensor empty(DType dtype, std::vector<int64_t> sizes);
  // A view of `storage`; throws wick::Error when the view reaches outside it.
  static Tensor view_of(std::shared_ptr<Storage> storage, DType dtype, std::vector<int64_t> sizes,
                        std::vector<int64_t> strides, int64_t offset_elements);
  static std::vector<int64_t> contiguous_strides(const std::vector<int64_t>& sizes);

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  Device device() const { return storage_ ? storage_->device() : Device{}; }
  int dim() const { return static_cast<int>(sizes_.size()); }
  const std::vector<int64_t>& sizes() const { return sizes_; }
  const std::vector<int64_t>& strides() const { return strides_; }
  int64_t size(int d) const { return sizes_.at(d < 0 ? d + dim() : d); }
  int64_t offset() const { return offset_; }
  int64_t numel() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  bool is_contiguous() const;

  void* data() const;  // address of element 0 (after the offset)
  template <typename T>
  T* data_as() const { return static_cast<T*>(data()); }
  const std::shared_ptr<Storage>& storage() const { return storage_; }

  // A contiguous copy (or *this when already contiguous). CPU only.
  Tensor contiguous() const;
  // A contiguous copy always. CPU only.
  Tensor clone() const;
  // Same storage, new sizes/strides/offset (checked against the storage).
  Tensor as_strided(std::vector<int64_t> sizes, std::vector<int64_t> strides, int64_t offset) const;

  std::string describe() const;  // e.g. "f32[200, 14]"

 private:
  std::shared_ptr<Storage> storage_;
  DType dtype_ = DType::f32;
  std::vector<int64_t> sizes_;
  std::vector<int64_t> strides_;
  int64_t offset_ = 0;
};

std::string shape_str(const std::vector<int64_t>& sizes);  // "[200, 14]"

// A complex tensor's elements as (real, imaginary) pairs: the same memory
// seen as its real dtype with a trailing dim of 2 (torch.view_as_real).
Tensor as_real_pairs(const Tensor& complex);

// Largest allocation wick makes on behalf of file contents or user-given
// shapes, so that a corrupt header cannot exhaust memory (64 GiB).
inline constexpr int64_t kMaxTensorBytes = int64_t{64} << 30;

}  // namespace wick
