// Test helper: writes zip archives byte by byte, so tests can make exactly
// the archives they need, including broken ones (lying sizes, bad CRCs,
// ZIP64 records, unsupported methods).
#pragma once

#include <zlib.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace wick::test {

struct ZipEntrySpec {
  ZipEntrySpec(std::string n, std::string d, bool deflated = false)
      : name(std::move(n)), data(std::move(d)), deflate(deflated) {}
  std::string name;
  std::string data;
  bool deflate = false;
  // Overrides for broken archives.
  std::optional<uint64_t> declared_size;       // uncompressed size in the directory
  std::optional<uint32_t> crc;                 // CRC in the directory
  std::optional<uint16_t> method;              // compression method in the directory
  std::optional<std::string> compressed_data;  // bytes stored instead of the real ones
  uint16_t flags = 0;
};

inline std::string raw_deflate(const std::string& in) {
  z_stream z{};
  if (deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate failed");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

class ZipWriter {
 public:
  void u16(uint16_t v) { le(v, 2); }
  void u32(uint32_t v) { le(v, 4); }
  void u64(uint64_t v) { le(v, 8); }
  void raw(const std::string& s) { out += s; }
  std::string out;

 private:
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out += static_cast<char>(v >> (8 * i));
  }
};

// Builds a zip; with `zip64`, every size and offset in the central directory
// goes through ZIP64 extra fields and the end record is a ZIP64 one.
inline std::string build_zip(const std::vector<ZipEntrySpec>& entries, bool zip64 = false) {
  struct Written {
    uint64_t offset, csize, usize;
    uint32_t crc;
    uint16_t method;
  };
  ZipWriter w;
  std::vector<Written> written;
  for (const ZipEntrySpec& e : entries) {
    std::string stored = e.compressed_data ? *e.compressed_data
                                           : (e.deflate ? raw_deflate(e.data) : e.data);
    Written r{w.out.size(), stored.size(), e.declared_size.value_or(e.data.size()),
              e.crc.value_or(static_cast<uint32_t>(
                  crc32(0, reinterpret_cast<const Bytef*>(e.data.data()),
                        static_cast<uInt>(e.data.size())))),
              e.method.value_or(e.deflate ? 8 : 0)};
    w.u32(0x04034b50);
    w.u16(zip64 ? 45 : 20);
    w.u16(e.flags);
    w.u16(r.method);
    w.u16(0);
    w.u16(0);
    w.u32(r.crc);
    w.u32(zip64 ? 0xffffffffu : static_cast<uint32_t>(r.csize));
    w.u32(zip64 ? 0xffffffffu : static_cast<uint32_t>(r.usize));
    w.u16(static_cast<uint16_t>(e.name.size()));
    w.u16(zip64 ? 20 : 0);
    w.raw(e.name);
    if (zip64) {
      w.u16(1);
      w.u16(16);
      w.u64(r.usize);
      w.u64(r.csize);
    }
    w.raw(stored);
    written.push_back(r);
  }
  const uint64_t cd_offset = w.out.size();
  for (size_t i = 0; i < entries.size(); ++i) {
    const ZipEntrySpec& e = entries[i];
    const Written& r = written[i];
    w.u32(0x02014b50);
    w.u16(zip64 ? 45 : 20);
    w.u16(zip64 ? 45 : 20);
    w.u16(e.flags);
    w.u16(r.method);
    w.u16(0);
    w.u16(0);
    w.u32(r.crc);
    w.u32(zip64 ? 0xffffffffu : static_cast<uint32_t>(r.csize));
    w.u32(zip64 ? 0xffffffffu : static_cast<uint32_t>(r.usize));
    w.u16(static_cast<uint16_t>(e.name.size()));
    w.u16(zip64 ? 28 : 0);
    w.u16(0);
    w.u16(0);
    w.u16(0);
    w.u32(0);
    w.u32(zip64 ? 0xffffffffu : static_cast<uint32_t>(r.offset));
    w.raw(e.name);
    if (zip64) {
      w.u16(1);
      w.u16(24);
      w.u64(r.usize);
      w.u64(r.csize);
      w.u64(r.offset);
    }
  }
  const uint64_t cd_size = w.out.size() - cd_offset;
  if (zip64) {
    const uint64_t z64 = w.out.size();
    w.u32(0x06064b50);
    w.u64(44);
    w.u16(45);
    w.u16(45);
    w.u32(0);
    w.u32(0);
    w.u64(entries.size());
    w.u64(entries.size());
    w.u64(cd_size);
    w.u64(cd_offset);
    w.u32(0x07064b50);
    w.u32(0);
    w.u64(z64);
    w.u32(1);
  }
  w.u32(0x06054b50);
  w.u16(0);
  w.u16(0);
  w.u16(zip64 ? 0xffff : static_cast<uint16_t>(entries.size()));
  w.u16(zip64 ? 0xffff : static_cast<uint16_t>(entries.size()));
  w.u32(zip64 ? 0xffffffffu : static_cast<uint32_t>(cd_size));
  w.u32(zip64 ? 0xffffffffu : static_cast<uint32_t>(cd_offset));
  w.u16(0);
  return w.out;
}

}  // namespace wick::test
