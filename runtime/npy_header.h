// The self-describing front of a .npy file: the magic string, the format
// version, the header length and the Python dict literal that gives the dtype,
// the memory order and the shape. Kept apart from file I/O and tensor copies so
// that the parser works on bytes alone and can be checked byte by byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "support/dtype.h"

namespace wick {

struct NpyHeader {
  DType dtype = DType::f32;
  std::vector<int64_t> shape;  // () for a 0-d array
  int64_t data_bytes = 0;      // numel * element size, checked against kMaxTensorBytes
};

// The longest preamble (magic, version, header length); reading this many bytes
// of a file, or the whole file when shorter, is enough for npy_header_size.
inline constexpr size_t kNpyPreambleMax = 12;

// Most dimensions a .npy shape may have; more is treated as a corrupt header.
inline constexpr size_t kNpyMaxDims = 64;

// From the first `prefix_size` bytes of a file of `file_size` bytes, checks the
// magic and version and returns the offset of the array data (preamble plus
// header dict), which is guaranteed to be at most `file_size`.
size_t npy_header_size(const unsigned char* prefix, size_t prefix_size, uint64_t file_size,
                       const std::string& name);

// Parses the header in `bytes[0, header_size)` (header_size as returned above).
NpyHeader parse_npy_header(const unsigned char* bytes, size_t header_size, const std::string& name);

// The preamble and header dict of a C-order array, padded with spaces so that
// the data that follows starts on a 64-byte boundary, as numpy does. Throws
// wick::Error for a dtype numpy has no name for (bf16).
std::string format_npy_header(DType dtype, const std::vector<int64_t>& shape);

}  // namespace wick
