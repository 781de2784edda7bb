// ByteSource: random-access reads from a file or an in-memory buffer.
//
// The zip reader works on byte ranges (end record, central directory, one
// entry's data) and never needs the whole file at once, so a multi-gigabyte
// .pt costs no more memory than the entries actually read. Files are read with
// pread rather than mapped, so a file that shrinks while it is read gives a
// clean error instead of a bus fault.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace wick {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Reads exactly n bytes at `offset`; throws wick::Error naming `name()` when
  // the range is outside the source or the read fails.
  virtual void read(uint64_t offset, void* dst, size_t n) const = 0;
  const std::string& name() const { return name_; }

  static std::shared_ptr<const ByteSource> open_file(const std::string& path);
  static std::shared_ptr<const ByteSource> from_string(std::string bytes, std::string name);

 protected:
  explicit ByteSource(std::string name) : name_(std::move(name)) {}

 private:
  std::string name_;
};

}  // namespace wick
