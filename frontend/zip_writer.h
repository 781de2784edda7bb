// ZipWriter: writes a zip archive the way torch.jit.save does, so that
// LibTorch and R torch read it: every entry stored (uncompressed), its data
// aligned to 64 bytes by padding the local header's extra field (torch's
// "FB" field), a correct CRC-32, ZIP64 fields for entries and offsets past
// 4 GiB, and ZIP64 end records as torch writes them. Timestamps are fixed,
// so equal contents give equal files.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

namespace wick {

class ZipWriter {
 public:
  static constexpr uint64_t kAlignment = 64;

  // Creates (or truncates) `path`; throws wick::Error when it cannot.
  explicit ZipWriter(const std::string& path);
  // Adds an entry named `name` (the full name, top-level folder included).
  void add(const std::string& name, const void* data, uint64_t size);
  // Writes the central directory and end records and closes the file.
  void finish();
  // Every entry with ZIP64 size and offset fields, whatever its size (tests).
  void force_zip64() { force_zip64_ = true; }

 private:
  struct Entry {
    std::string name;
    uint64_t offset = 0;
    uint64_t size = 0;
    uint32_t crc = 0;
    bool zip64 = false;
  };
  void write(const void* data, uint64_t n);
  void check() const;

  std::string path_;
  std::ofstream out_;
  uint64_t offset_ = 0;
  std::vector<Entry> entries_;
  bool force_zip64_ = false;
  bool finished_ = false;
};

// Writes the archive `fill` adds entries to into `path` through a temporary
// file renamed at the end, so `path` is never left half written (and may
// be a file the entries are read from). Throws wick::Error when writing
// fails.
void write_zip_file(const std::string& path, const std::function<void(ZipWriter&)>& fill);

}  // namespace wick
