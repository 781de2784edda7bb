// ZipArchive: read-only access to the zip container of a .pt file.
//
// torch.jit.save (and R torch's jit_save) write a zip whose entries all sit
// under one top-level folder whose name varies ("lin", "archive", ...). This
// class parses the central directory (ZIP64 included, as torch always writes
// ZIP64 end records), finds that folder, and reads entries by their path
// relative to it. Entry names are only ever compared as strings, never used
// as file system paths. Every size read from the file is checked before
// anything is allocated: a deflated entry cannot declare more output than
// deflate can produce from its compressed bytes, nor inflate to more than it
// declared, and its CRC is verified.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/tensor.h"

namespace wick {

class ByteSource;

class ZipArchive {
 public:
  // Largest uncompressed entry accepted.
  static constexpr uint64_t kMaxEntryBytes = static_cast<uint64_t>(kMaxTensorBytes);

  // Throws wick::Error naming the file when it is missing, not a zip, damaged,
  // or does not keep all entries under a single top-level folder.
  static ZipArchive open(const std::string& path);
  // Same, for a zip held in memory; `name` is used in error messages.
  static ZipArchive from_bytes(std::string bytes, std::string name);

  const std::string& name() const { return name_; }  // file name for messages
  const std::string& root() const { return root_; }  // top-level folder, e.g. "lin"

  // Entry names relative to the root ("data.pkl", "data/0", ...), in archive order.
  std::vector<std::string> names() const;
  bool contains(std::string_view rel) const;
  // Uncompressed size; throws wick::Error when the entry is missing.
  uint64_t size_of(std::string_view rel) const;
  // The whole entry, decompressed and CRC-checked.
  std::string read(std::string_view rel) const;
  // Reads the whole entry into `dst`, which must hold exactly size_of(rel) bytes.
  void read_into(std::string_view rel, void* dst, uint64_t capacity) const;

 private:
  struct Entry {
    std::string full_name;  // as stored, root included
    uint64_t header_offset = 0;
    uint64_t compressed_size = 0;
    uint64_t uncompressed_size = 0;
    uint32_t crc = 0;
    uint16_t method = 0;
  };

  static ZipArchive parse(std::shared_ptr<const ByteSource> source);
  const Entry& find(std::string_view rel) const;
  [[noreturn]] void fail(const std::string& message) const;

  std::shared_ptr<const ByteSource> source_;
  std::string name_;
  std::string root_;
  std::vector<Entry> entries_;
  std::map<std::string, size_t, std::less<>> index_;  // relative name -> entries_ position
};

}  // namespace wick
