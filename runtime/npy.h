// Reading and writing NumPy's .npy files, the format `wick run` takes inputs in
// and writes outputs to, so that models can be fed from and checked against
// Python without a pickle or a LibTorch in between.
//
// Supported: format versions 1.0, 2.0 and 3.0, C order, little-endian
// float32/float64/float16, int64/int32/int16/int8, uint8 and bool, 0-d arrays
// and zero-size shapes. Anything else is a wick::Error naming the file.
#pragma once

#include <cstddef>
#include <string>

#include "support/tensor.h"

namespace wick {

// Reads a .npy file into a fresh contiguous CPU tensor.
Tensor read_npy(const std::string& path);

// Parses the bytes of a .npy file; `name` is the file name used in errors.
// The result owns its data (nothing points into `data`).
Tensor parse_npy(const void* data, size_t size, const std::string& name);

// Writes `t` (any strides, CPU) as a .npy file in C order.
void write_npy(const std::string& path, const Tensor& t);

// The bytes write_npy would write.
std::string encode_npy(const Tensor& t);

}  // namespace wick
