// ZipWriter: what it writes reads back through ZipArchive (CRC-checked) and
// Python's zipfile, every entry's data starts on a 64-byte boundary as
// torch's writer places it, and the ZIP64 form (forced here; real archives
// need it past 4 GiB) reads back the same.
#include <gtest/gtest.h>

#include <cstring>

#include "frontend/zip_archive.h"
#include "frontend/zip_writer.h"
#include "python_helpers.h"
#include "support/error.h"

namespace wick {
namespace {

using test::TempDir;

const std::vector<std::pair<std::string, std::string>> kEntries = {
    {"model/version", "3\n"},
    {"model/data.pkl", std::string("\x80\x02}q\x00.", 6)},
    {"model/data/0", std::string(1000, '\x07')},
    {"model/code/__torch__.py", "class M(Module):\n  pass\n"},
    {"model/empty", ""},
};

uint16_t u16(const std::string& s, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(s[at]) | static_cast<uint8_t>(s[at + 1]) << 8);
}
uint32_t u32(const std::string& s, size_t at) { return u16(s, at) | static_cast<uint32_t>(u16(s, at + 2)) << 16; }

std::string write(const TempDir& dir, bool zip64) {
  const std::string path = (dir / (zip64 ? "z64.zip" : "z.zip")).string();
  ZipWriter w(path);
  if (zip64) w.force_zip64();
  for (const auto& [name, data] : kEntries) w.add(name, data.data(), data.size());
  w.finish();
  return path;
}

void check(const std::string& path) {
  ZipArchive z = ZipArchive::open(path);
  EXPECT_EQ(z.root(), "model");
  ASSERT_EQ(z.names().size(), kEntries.size());
  for (size_t i = 0; i < kEntries.size(); ++i) {
    const std::string rel = kEntries[i].first.substr(6);
    EXPECT_EQ(z.names()[i], rel);
    EXPECT_EQ(z.read(rel), kEntries[i].second) << rel;
  }
  // Local headers one after another; each entry's data 64-byte aligned.
  const std::string bytes = test::slurp(path);
  size_t at = 0;
  for (const auto& [name, data] : kEntries) {
    ASSERT_EQ(u32(bytes, at), 0x04034b50u) << name;
    const size_t start = at + 30 + u16(bytes, at + 26) + u16(bytes, at + 28);
    EXPECT_EQ(start % ZipWriter::kAlignment, 0u) << name;
    EXPECT_EQ(bytes.substr(start, data.size()), data) << name;
    at = start + data.size();
  }
  EXPECT_EQ(u32(bytes, at), 0x02014b50u) << "the central directory follows the last entry";
  if (std::system("python3 -c 'import zipfile' >/dev/null 2>&1") == 0) {
    const std::string cmd = "python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); "
                            "sys.exit(z.testzip() is not None or len(z.namelist()) != 5)' '" + path + "'";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << "Python's zipfile rejects " << path;
  }
}

TEST(ZipWriter, ReadsBackAligned) {
  TempDir dir("zipw");
  check(write(dir, false));
}

TEST(ZipWriter, Zip64ReadsBackAligned) {
  TempDir dir("zipw");
  check(write(dir, true));
}

TEST(ZipWriter, SameContentsSameBytes) {
  TempDir a("zipw"), b("zipw");
  EXPECT_EQ(test::slurp(write(a, false)), test::slurp(write(b, false)));
}

TEST(ZipWriter, UnwritablePath) {
  TempDir dir("zipw");
  try {
    ZipWriter w((dir / "no" / "such" / "dir.zip").string());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wick
