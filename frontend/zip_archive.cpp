#include "frontend/zip_archive.h"

#include <algorithm>
#include <cstring>

#include "frontend/byte_source.h"
#include "frontend/zip_inflate.h"
#include "support/error.h"

namespace wick {

namespace {

constexpr uint32_t kEndSig = 0x06054b50;           // end of central directory
constexpr uint32_t kZip64EndSig = 0x06064b50;      // ZIP64 end of central directory
constexpr uint32_t kZip64LocatorSig = 0x07064b50;  // ZIP64 end locator
constexpr uint32_t kCentralSig = 0x02014b50;       // central directory file header
constexpr uint32_t kLocalSig = 0x04034b50;         // local file header
constexpr size_t kEndSize = 22;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kZip64EndSize = 56;
constexpr size_t kCentralSize = 46;
constexpr size_t kLocalSize = 30;
constexpr uint16_t kStored = 0;
constexpr uint16_t kDeflated = 8;

// Little-endian reads from a buffer whose size the caller has checked.
uint16_t u16(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) | static_cast<uint8_t>(p[1]) << 8);
}
uint32_t u32(const char* p) { return u16(p) | static_cast<uint32_t>(u16(p + 2)) << 16; }
uint64_t u64(const char* p) { return u32(p) | static_cast<uint64_t>(u32(p + 4)) << 32; }

struct EndRecord {
  uint64_t entries = 0;
  uint64_t cd_size = 0;
  uint64_t cd_offset = 0;
  uint64_t cd_limit = 0;  // the central directory must end at or before this offset
};

}  // namespace

void ZipArchive::fail(const std::string& message) const {
  throw Error(message, SourceLocation{name_});
}

ZipArchive ZipArchive::open(const std::string& path) { return parse(ByteSource::open_file(path)); }

ZipArchive ZipArchive::from_bytes(std::string bytes, std::string name) {
  return parse(ByteSource::from_string(std::move(bytes), std::move(name)));
}

ZipArchive ZipArchive::parse(std::shared_ptr<const ByteSource> source) {
  ZipArchive z;
  z.name_ = source->name();
  z.source_ = std::move(source);
  const ByteSource& src = *z.source_;
  const uint64_t file_size = src.size();
  if (file_size == 0) z.fail("not a zip archive: the file is empty");
  if (file_size < kEndSize) z.fail("not a zip archive: the file is only " +
                                   std::to_string(file_size) + " bytes long");

  // The end record sits in the last 22 + 65535 (longest comment) bytes.
  const uint64_t tail_size = std::min<uint64_t>(file_size, kEndSize + 0xffff);
  std::string tail(tail_size, '\0');
  src.read(file_size - tail_size, tail.data(), tail_size);
  size_t end_pos = std::string::npos;
  for (size_t i = tail_size - kEndSize + 1; i-- > 0;) {
    if (u32(&tail[i]) == kEndSig && i + kEndSize + u16(&tail[i + 20]) <= tail_size) {
      end_pos = i;
      break;
    }
  }
  if (end_pos == std::string::npos)
    z.fail("not a zip archive: no end-of-central-directory record (truncated or not a .pt file)");
  const char* e = &tail[end_pos];
  const uint64_t end_offset = file_size - tail_size + end_pos;
  if (u16(e + 4) != 0 || u16(e + 6) != 0)
    z.fail("multi-part zip archives are not supported");
  EndRecord end{u16(e + 10), u32(e + 12), u32(e + 16), end_offset};

  // torch writes a ZIP64 end record (and a locator just before the end record)
  // in every archive; its 64-bit fields take precedence.
  if (end_offset >= kZip64LocatorSize) {
    char loc[kZip64LocatorSize];
    src.read(end_offset - kZip64LocatorSize, loc, sizeof loc);
    if (u32(loc) == kZip64LocatorSig) {
      const uint64_t z64_offset = u64(loc + 8);
      if (z64_offset > end_offset - kZip64LocatorSize ||
          end_offset - kZip64LocatorSize - z64_offset < kZip64EndSize)
        z.fail("corrupt ZIP64 end record: offset " + std::to_string(z64_offset) +
               " is outside the archive");
      char rec[kZip64EndSize];
      src.read(z64_offset, rec, sizeof rec);
      if (u32(rec) != kZip64EndSig) z.fail("corrupt ZIP64 end record: bad signature");
      if (u32(rec + 16) != 0 || u32(rec + 20) != 0)
        z.fail("multi-part zip archives are not supported");
      end = EndRecord{u64(rec + 32), u64(rec + 40), u64(rec + 48), z64_offset};
    }
  }
  if (end.cd_offset > end.cd_limit || end.cd_size > end.cd_limit - end.cd_offset)
    z.fail("corrupt zip archive: central directory (offset " + std::to_string(end.cd_offset) +
           ", " + std::to_string(end.cd_size) + " bytes) lies outside the file");
  if (end.entries > end.cd_size / kCentralSize)
    z.fail("corrupt zip archive: " + std::to_string(end.entries) + " entries cannot fit in a " +
           std::to_string(end.cd_size) + "-byte central directory");

  std::string cd(end.cd_size, '\0');
  src.read(end.cd_offset, cd.data(), cd.size());
  size_t pos = 0;
  for (uint64_t i = 0; i < end.entries; ++i) {
    if (cd.size() - pos < kCentralSize || u32(&cd[pos]) != kCentralSig)
      z.fail("corrupt zip archive: central directory entry " + std::to_string(i) + " is damaged");
    const char* h = &cd[pos];
    const uint16_t flags = u16(h + 8);
    const size_t name_len = u16(h + 28), extra_len = u16(h + 30), comment_len = u16(h + 32);
    if (cd.size() - pos - kCentralSize < name_len + extra_len + comment_len)
      z.fail("corrupt zip archive: central directory entry " + std::to_string(i) + " is truncated");
    Entry entry;
    entry.full_name.assign(h + kCentralSize, name_len);
    entry.method = u16(h + 10);
    entry.crc = u32(h + 16);
    entry.compressed_size = u32(h + 20);
    entry.uncompressed_size = u32(h + 24);
    entry.header_offset = u32(h + 42);
    uint32_t disk = u16(h + 34);

    // ZIP64 extended information: present fields replace the saturated 32-bit ones.
    bool need_usize = entry.uncompressed_size == 0xffffffffu;
    bool need_csize = entry.compressed_size == 0xffffffffu;
    bool need_offset = entry.header_offset == 0xffffffffu;
    bool need_disk = disk == 0xffff;
    const char* x = h + kCentralSize + name_len;
    const char* x_end = x + extra_len;
    while (x_end - x >= 4) {
      const uint16_t id = u16(x), len = u16(x + 2);
      if (static_cast<size_t>(x_end - x - 4) < len) break;
      if (id == 0x0001) {
        const char* f = x + 4;
        size_t left = len;
        auto take64 = [&](uint64_t* out) {
          if (left < 8) z.fail("corrupt ZIP64 field in entry '" + entry.full_name + "'");
          *out = u64(f);
          f += 8;
          left -= 8;
        };
        if (need_usize) take64(&entry.uncompressed_size);
        if (need_csize) take64(&entry.compressed_size);
        if (need_offset) take64(&entry.header_offset);
        if (need_disk && left >= 4) disk = u32(f);
        need_usize = need_csize = need_offset = false;
      }
      x += 4 + len;
    }
    if (need_usize || need_csize || need_offset)
      z.fail("corrupt zip archive: entry '" + entry.full_name + "' lacks its ZIP64 sizes");
    if (disk != 0) z.fail("multi-part zip archives are not supported");
    pos += kCentralSize + name_len + extra_len + comment_len;

    if (flags & 1) z.fail("entry '" + entry.full_name + "' is encrypted");
    if (entry.method != kStored && entry.method != kDeflated)
      z.fail("entry '" + entry.full_name + "' uses compression method " +
             std::to_string(entry.method) + "; only stored and deflated entries are supported");
    if (entry.header_offset > end.cd_offset ||
        entry.compressed_size > end.cd_offset - entry.header_offset)
      z.fail("corrupt zip archive: entry '" + entry.full_name + "' lies outside the file");
    if (entry.method == kStored && entry.compressed_size != entry.uncompressed_size)
      z.fail("corrupt zip archive: stored entry '" + entry.full_name + "' declares " +
             std::to_string(entry.uncompressed_size) + " bytes but holds " +
             std::to_string(entry.compressed_size));
    if (entry.uncompressed_size > kMaxEntryBytes ||
        (entry.method == kDeflated &&
         entry.uncompressed_size > entry.compressed_size * kMaxDeflateRatio + 4096))
      z.fail("entry '" + entry.full_name + "' declares " +
             std::to_string(entry.uncompressed_size) + " uncompressed bytes from " +
             std::to_string(entry.compressed_size) +
             " compressed bytes, more than is possible or allowed");

    // Everything lives under one top-level folder, whose name varies.
    const size_t slash = entry.full_name.find('/');
    if (slash == std::string::npos || slash == 0)
      z.fail("entry '" + entry.full_name +
             "' is not inside a top-level folder; a .pt archive keeps all entries in one folder");
    const std::string root = entry.full_name.substr(0, slash);
    if (z.root_.empty()) z.root_ = root;
    if (root != z.root_)
      z.fail("archive has more than one top-level folder ('" + z.root_ + "' and '" + root +
             "'); a .pt archive has exactly one");
    const std::string rel = entry.full_name.substr(slash + 1);
    if (rel.empty() || rel.back() == '/') continue;  // a folder entry
    if (!z.index_.emplace(rel, z.entries_.size()).second)
      z.fail("archive has two entries named '" + entry.full_name + "'");
    z.entries_.push_back(std::move(entry));
  }
  if (z.entries_.empty()) z.fail("zip archive has no entries");
  return z;
}

std::vector<std::string> ZipArchive::names() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const Entry& e : entries_) out.push_back(e.full_name.substr(root_.size() + 1));
  return out;
}

bool ZipArchive::contains(std::string_view rel) const { return index_.find(rel) != index_.end(); }

const ZipArchive::Entry& ZipArchive::find(std::string_view rel) const {
  auto it = index_.find(rel);
  if (it == index_.end()) fail("archive has no entry '" + root_ + "/" + std::string(rel) + "'");
  return entries_[it->second];
}

uint64_t ZipArchive::size_of(std::string_view rel) const { return find(rel).uncompressed_size; }

std::string ZipArchive::read(std::string_view rel) const {
  std::string out(find(rel).uncompressed_size, '\0');
  read_into(rel, out.data(), out.size());
  return out;
}

void ZipArchive::read_into(std::string_view rel, void* dst, uint64_t capacity) const {
  const Entry& e = find(rel);
  WICK_ASSERT(capacity == e.uncompressed_size, "read_into buffer does not match the entry size");
  // The local header repeats the name and has its own extra field length;
  // the sizes in it may be zero (torch writes them in a data descriptor).
  char h[kLocalSize];
  source_->read(e.header_offset, h, sizeof h);
  if (u32(h) != kLocalSig)
    fail("corrupt zip archive: entry '" + e.full_name + "' has no local header");
  const uint64_t name_len = u16(h + 26), extra_len = u16(h + 28);
  std::string local_name(name_len, '\0');
  source_->read(e.header_offset + kLocalSize, local_name.data(), name_len);
  if (local_name != e.full_name)
    fail("corrupt zip archive: entry '" + e.full_name + "' has local name '" + local_name + "'");
  const uint64_t data_offset = e.header_offset + kLocalSize + name_len + extra_len;
  if (data_offset > source_->size() || e.compressed_size > source_->size() - data_offset)
    fail("entry '" + e.full_name + "' is truncated: its data runs past the end of the file");

  char* out = static_cast<char*>(dst);
  if (e.method == kStored)
    source_->read(data_offset, out, e.uncompressed_size);
  else
    inflate_entry(*source_, data_offset, e.compressed_size, out, e.uncompressed_size, e.full_name);
  const uint32_t crc = crc32_of(out, e.uncompressed_size);
  if (crc != e.crc)
    fail("entry '" + e.full_name + "' is corrupt: CRC-32 mismatch");
}

}  // namespace wick
