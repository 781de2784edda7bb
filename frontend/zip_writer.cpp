#include "frontend/zip_writer.h"

#include <cstdio>

#include "frontend/zip_inflate.h"
#include "support/error.h"

namespace wick {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint16_t kZip64ExtraId = 0x0001;
constexpr uint16_t kPaddingExtraId = 0x4246;  // "FB", torch's alignment padding
constexpr uint64_t kMax32 = 0xffffffffULL;
constexpr uint16_t kVersion = 45;  // ZIP64
constexpr uint16_t kDosDate = (0 << 9) | (1 << 5) | 1;  // 1980-01-01

// Little-endian fields appended to a header being built.
struct Bytes {
  std::string s;
  void u16(uint64_t v) {
    for (int i = 0; i < 2; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  void u32(uint64_t v) {
    for (int i = 0; i < 4; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) s += static_cast<char>((v >> (8 * i)) & 0xff);
  }
};

}  // namespace

ZipWriter::ZipWriter(const std::string& path) : path_(path), out_(path, std::ios::binary | std::ios::trunc) {
  if (!out_) throw Error("cannot open " + path + " for writing");
}

void ZipWriter::check() const {
  if (!out_) throw Error("writing " + path_ + " failed (disk full?)");
}

void ZipWriter::write(const void* data, uint64_t n) {
  out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
  check();
  offset_ += n;
}

void ZipWriter::add(const std::string& name, const void* data, uint64_t size) {
  WICK_ASSERT(!finished_, "ZipWriter::add after finish");
  WICK_ASSERT(!name.empty() && name.size() < 0xffff, "a zip entry name of bad length");
  Entry e{name, offset_, size, crc32_of(data, size), force_zip64_ || size >= kMax32 || offset_ >= kMax32};
  Bytes h;
  h.u32(kLocalSig);
  h.u16(kVersion);
  h.u16(0);  // flags
  h.u16(0);  // stored
  h.u16(0);  // time
  h.u16(kDosDate);
  h.u32(e.crc);
  h.u32(e.zip64 ? kMax32 : size);
  h.u32(e.zip64 ? kMax32 : size);
  h.u16(name.size());
  const uint64_t zip64_extra = e.zip64 ? 4 + 16 : 0;
  // The padding field's own header is 4 bytes; the data starts after it.
  const uint64_t unpadded = offset_ + 30 + name.size() + zip64_extra + 4;
  const uint64_t padding = (kAlignment - unpadded % kAlignment) % kAlignment;
  h.u16(zip64_extra + 4 + padding);
  h.s += name;
  if (e.zip64) {
    h.u16(kZip64ExtraId);
    h.u16(16);
    h.u64(size);
    h.u64(size);
  }
  h.u16(kPaddingExtraId);
  h.u16(padding);
  h.s.append(padding, 'Z');
  write(h.s.data(), h.s.size());
  write(data, size);
  entries_.push_back(std::move(e));
}

void ZipWriter::finish() {
  WICK_ASSERT(!finished_, "ZipWriter::finish twice");
  finished_ = true;
  const uint64_t cd_offset = offset_;
  for (const Entry& e : entries_) {
    const bool big_size = e.zip64 && (force_zip64_ || e.size >= kMax32);
    const bool big_offset = e.zip64 && (force_zip64_ || e.offset >= kMax32);
    Bytes extra;
    if (big_size || big_offset) {
      extra.u16(kZip64ExtraId);
      extra.u16((big_size ? 16 : 0) + (big_offset ? 8 : 0));
      if (big_size) {
        extra.u64(e.size);
        extra.u64(e.size);
      }
      if (big_offset) extra.u64(e.offset);
    }
    Bytes h;
    h.u32(kCentralSig);
    h.u16(kVersion);  // made by
    h.u16(kVersion);  // needed
    h.u16(0);
    h.u16(0);
    h.u16(0);
    h.u16(kDosDate);
    h.u32(e.crc);
    h.u32(big_size ? kMax32 : e.size);
    h.u32(big_size ? kMax32 : e.size);
    h.u16(e.name.size());
    h.u16(extra.s.size());
    h.u16(0);  // comment
    h.u16(0);  // disk
    h.u16(0);  // internal attributes
    h.u32(0);  // external attributes
    h.u32(big_offset ? kMax32 : e.offset);
    h.s += e.name + extra.s;
    write(h.s.data(), h.s.size());
  }
  const uint64_t cd_size = offset_ - cd_offset;
  const uint64_t zip64_end = offset_;
  const uint64_t count = entries_.size();
  Bytes end;
  end.u32(kZip64EndSig);
  end.u64(44);  // the record's size after this field
  end.u16(kVersion);
  end.u16(kVersion);
  end.u32(0);
  end.u32(0);
  end.u64(count);
  end.u64(count);
  end.u64(cd_size);
  end.u64(cd_offset);
  end.u32(kZip64LocatorSig);
  end.u32(0);
  end.u64(zip64_end);
  end.u32(1);
  end.u32(kEndSig);
  end.u16(0);
  end.u16(0);
  end.u16(count >= 0xffff ? 0xffff : count);
  end.u16(count >= 0xffff ? 0xffff : count);
  end.u32(cd_size >= kMax32 ? kMax32 : cd_size);
  end.u32(cd_offset >= kMax32 ? kMax32 : cd_offset);
  end.u16(0);
  write(end.s.data(), end.s.size());
  out_.close();
  check();
}

void write_zip_file(const std::string& path, const std::function<void(ZipWriter&)>& fill) {
  const std::string tmp = path + ".tmp";
  try {
    ZipWriter zip(tmp);
    fill(zip);
    zip.finish();
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw Error("cannot write " + path);
  }
}

}  // namespace wick
