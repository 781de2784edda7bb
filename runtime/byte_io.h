// Little-endian binary encoding for the runtime's file formats (plan.bin,
// weights.bin). The reader checks every read against the bytes that remain,
// so a truncated or corrupt file becomes a wick::Error naming the file and
// the offset, and a count read from a file can be checked against what the
// rest of the file could possibly hold before anything is allocated.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "support/error.h"

namespace wick::rt {

class ByteWriter {
 public:
  void u8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void u32(uint32_t v) { put(v); }
  void u64(uint64_t v) { put(v); }
  void i32(int32_t v) { put(static_cast<uint32_t>(v)); }
  void i64(int64_t v) { put(static_cast<uint64_t>(v)); }
  void f64(double v) { put(std::bit_cast<uint64_t>(v)); }
  void bytes(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  // A u32 length, then the bytes.
  void str(std::string_view s) {
    u32(checked_count(s.size()));
    bytes(s.data(), s.size());
  }
  void pad_to(size_t alignment) {
    while (out_.size() % alignment != 0) out_.push_back('\0');
  }

  static uint32_t checked_count(size_t n) {
    if (n > UINT32_MAX) throw Error("too many elements to write: " + std::to_string(n));
    return static_cast<uint32_t>(n);
  }

  const std::string& data() const { return out_; }
  std::string& data() { return out_; }
  size_t size() const { return out_.size(); }

 private:
  template <typename T>
  void put(T v) {
    for (size_t i = 0; i < sizeof(T); ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

class ByteReader {
 public:
  // `file` names the data in errors; `base` is the offset of `data` in the file.
  ByteReader(const char* data, size_t size, std::string file, size_t base = 0)
      : p_(data), size_(size), file_(std::move(file)), base_(base) {}

  uint8_t u8() { return get<uint8_t>(); }
  uint32_t u32() { return get<uint32_t>(); }
  uint64_t u64() { return get<uint64_t>(); }
  int32_t i32() { return static_cast<int32_t>(get<uint32_t>()); }
  int64_t i64() { return static_cast<int64_t>(get<uint64_t>()); }
  double f64() { return std::bit_cast<double>(get<uint64_t>()); }

  // A u32 element count whose elements take at least `min_bytes` each: a
  // count the remaining bytes cannot hold is an error before any allocation.
  uint32_t count(size_t min_bytes, const char* what) {
    const size_t at = pos_;
    uint32_t n = u32();
    if (min_bytes > 0 && n > remaining() / min_bytes)
      fail_at(at, std::string("bad ") + what + " count " + std::to_string(n) + " (only " +
                      std::to_string(remaining()) + " bytes left)");
    return n;
  }
  std::string str(const char* what) {
    uint32_t n = count(1, what);
    std::string s(p_ + pos_, n);
    pos_ += n;
    return s;
  }
  const char* take(size_t n, const char* what) {
    if (n > remaining()) fail(std::string("truncated ") + what);
    const char* p = p_ + pos_;
    pos_ += n;
    return p;
  }

  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }
  bool at_end() const { return pos_ == size_; }
  const std::string& file() const { return file_; }

  [[noreturn]] void fail(const std::string& message) const { fail_at(pos_, message); }
  [[noreturn]] void fail_at(size_t pos, const std::string& message) const {
    throw Error(message + " at byte " + std::to_string(base_ + pos), SourceLocation{file_});
  }

 private:
  template <typename T>
  T get() {
    if (remaining() < sizeof(T)) fail("unexpected end of data (file truncated?)");
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i)
      v |= static_cast<T>(static_cast<T>(static_cast<unsigned char>(p_[pos_ + i])) << (8 * i));
    pos_ += sizeof(T);
    return v;
  }

  const char* p_;
  size_t size_;
  size_t pos_ = 0;
  std::string file_;
  size_t base_;
};

}  // namespace wick::rt
