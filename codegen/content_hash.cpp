// XXH3-128 from LLVM's support library, wrapped so that callers need no LLVM
// headers.
#include "codegen/content_hash.h"

#include <cstdio>

#include <llvm/ADT/ArrayRef.h>
#include <llvm/Support/xxhash.h>

namespace wick::codegen {

std::string Hash128::hex() const {
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(high),
                static_cast<unsigned long long>(low));
  return text;
}

Hash128 hash128(std::string_view bytes) {
  llvm::ArrayRef<uint8_t> data(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  llvm::XXH128_hash_t h = llvm::xxh3_128bits(data);
  return Hash128{h.high64, h.low64};
}

HashBuilder& HashBuilder::add(std::string_view field) {
  add(static_cast<int64_t>(field.size()));
  buffer_.append(field);
  return *this;
}

HashBuilder& HashBuilder::add(int64_t value) {
  for (int i = 0; i < 8; ++i) buffer_.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  return *this;
}

}  // namespace wick::codegen
