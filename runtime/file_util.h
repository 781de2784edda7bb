// Whole-file reads and atomic writes, and read-only memory maps, for the
// runtime's artifact files. Every failure is a wick::Error naming the file
// and the reason (strerror), never a silent short read.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace wick::rt {

// The file's bytes; an error when it is missing, unreadable, not a regular
// file or larger than `max_bytes`.
std::string read_file(const std::string& path, size_t max_bytes);

// Writes `path.tmp.<pid>` and renames it over `path`, so readers see the old
// file or the new one, never half of one.
void write_file_atomic(const std::string& path, std::string_view bytes);

// A whole file mapped read-only; unmapped when the last reference goes.
class MappedFile {
 public:
  static std::shared_ptr<MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const char* data() const { return static_cast<const char*>(data_); }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(void* data, size_t size, std::string path) : data_(data), size_(size), path_(std::move(path)) {}
  void* data_;
  size_t size_;
  std::string path_;
};

}  // namespace wick::rt
