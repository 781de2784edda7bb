// A 128-bit content hash (XXH3-128) for cache keys and cache-file checksums.
// 128 bits keep accidental collisions out of reach for any realistic number of
// cached kernels; the hash is not meant to resist a deliberate attacker, who
// could write the cache directory directly anyway.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace wick::codegen {

struct Hash128 {
  uint64_t high = 0;
  uint64_t low = 0;

  bool operator==(const Hash128&) const = default;
  std::string hex() const;  // 32 lowercase hex digits, high word first
};

Hash128 hash128(std::string_view bytes);

// Hashes a sequence of fields. Each field is length-prefixed, so ("ab", "c")
// and ("a", "bc") give different keys.
class HashBuilder {
 public:
  HashBuilder& add(std::string_view field);
  HashBuilder& add(int64_t value);
  Hash128 finish() const { return hash128(buffer_); }

 private:
  std::string buffer_;
};

}  // namespace wick::codegen
