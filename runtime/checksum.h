// XXH64, the checksum of every file in a deployed artifact. It runs at
// several GB/s, so verifying the weights at load costs little next to reading
// them; it guards against truncated and corrupted files, not against someone
// who forges them on purpose (who could replace model.so just as well).
// Implemented here because the runtime links no hashing library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace wick::rt {

uint64_t xxh64(const void* data, size_t size, uint64_t seed = 0);
inline uint64_t xxh64(std::string_view bytes) { return xxh64(bytes.data(), bytes.size()); }

// 16 lowercase hex digits, and back; parse_hex64 returns false on anything
// but exactly 16 hex digits.
std::string hex64(uint64_t value);
bool parse_hex64(std::string_view text, uint64_t* value);

}  // namespace wick::rt
