// weights.bin: the module tensors a plan reads, in one file that the runtime
// maps read-only and uses in place (no copy, no parse of the data).
//
//   0   char[8]  magic "WICKWGTS"
//   8   u32      format version (kWeightsFormatVersion)
//   12  u32      tensor count
//   16  u64      table size in bytes
//   24  u64      data offset (a multiple of 64, after the table)
//   32  u64      data size in bytes
//   40  u64      XXH64 of the table
//   48  u64      XXH64 of the data
//   56  u64      reserved, 0
//   64           table: per tensor a u32 name length and the name, u8 dtype
//                (wick::DType), u32 rank, i64 sizes[rank], u64 offset from the
//                data start (a multiple of 64), u64 byte size
//   data offset  the tensors' bytes, contiguous, row-major, little-endian
//
// Opening checks the header, both checksums (one pass over the data), every
// table entry against the file, and refuses duplicate names.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "support/tensor.h"

namespace wick::rt {

inline constexpr uint32_t kWeightsFormatVersion = 1;

struct WeightsFile {
  std::vector<std::string> names;
  std::vector<Tensor> tensors;  // parallel to names; views of the mapped file
  uint64_t data_checksum = 0;
  uint64_t file_size = 0;

  // The tensor named `name`, or null.
  const Tensor* find(const std::string& name) const;
};

// Writes the tensors (any strides; written contiguous) atomically. Returns
// what open_weights would report: checksums and size.
WeightsFile write_weights(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors);

// Maps `path` and returns zero-copy tensors over it; the mapping lives as long
// as any of them.
WeightsFile open_weights(const std::string& path);

}  // namespace wick::rt
