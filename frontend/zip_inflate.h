// Bounded raw-deflate decoding and CRC-32 for zip entries.
//
// inflate_entry decodes exactly `out_size` bytes and fails when the stream
// ends early, is corrupt, or would produce more than `out_size` bytes, so a
// zip bomb can never write past the buffer its declared size paid for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace wick {

class ByteSource;

// Deflate cannot expand by more than 1032:1 (a 258-byte match in two bits);
// a declared size above this is a lie, rejected before allocating.
inline constexpr uint64_t kMaxDeflateRatio = 1032;

// Decodes the raw deflate stream of `in_size` bytes at `in_offset` of `src`
// into `out`. Throws wick::Error naming `entry` (and the source file).
void inflate_entry(const ByteSource& src, uint64_t in_offset, uint64_t in_size, char* out,
                   uint64_t out_size, const std::string& entry);

uint32_t crc32_of(const void* data, uint64_t n);

}  // namespace wick
