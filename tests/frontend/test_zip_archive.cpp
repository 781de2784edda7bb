// Tests of ZipArchive: archives torch and Python's zipfile write, archives
// built byte by byte (ZIP64, deflate), and broken ones, each of which must
// give a wick::Error that names the file and the problem.
#include <gtest/gtest.h>

#include <random>

#include "frontend/zip_archive.h"
#include "python_helpers.h"
#include "support/error.h"
#include "zip_builder.h"

namespace wick {
namespace {

using test::build_zip;
using test::ZipEntrySpec;

// Runs `fn`, expecting a wick::Error whose text contains every one of `parts`.
template <typename Fn>
void expect_error(Fn fn, std::initializer_list<std::string> parts) {
  try {
    fn();
    ADD_FAILURE() << "expected a wick::Error";
  } catch (const Error& e) {
    for (const std::string& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "message: " << e.what() << "\nmissing: " << p;
  }
}

// Reads every entry; a damaged archive must fail only with wick::Error.
void read_all(const ZipArchive& z) {
  for (const std::string& n : z.names()) z.read(n);
}

std::string repeated(const std::string& s, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) out += s;
  return out;
}

TEST(ZipArchive, ReadsStoredAndDeflatedEntries) {
  const std::string text = repeated("def forward(self, x):\n    return x\n", 200);
  const std::string blob = "\x00\x01\x02\xff binary";
  std::string bytes = build_zip({{"model/code/__torch__.py", text, true},
                                 {"model/data/0", blob},
                                 {"model/data.pkl", "\x80\x02N."}});
  ZipArchive z = ZipArchive::from_bytes(bytes, "model.pt");
  EXPECT_EQ(z.root(), "model");
  EXPECT_EQ(z.names(), (std::vector<std::string>{"code/__torch__.py", "data/0", "data.pkl"}));
  EXPECT_TRUE(z.contains("data.pkl"));
  EXPECT_FALSE(z.contains("model/data.pkl"));
  EXPECT_FALSE(z.contains("data"));
  EXPECT_EQ(z.size_of("code/__torch__.py"), text.size());
  EXPECT_EQ(z.read("code/__torch__.py"), text);
  EXPECT_EQ(z.read("data/0"), blob);
  std::string into(blob.size(), '\0');
  z.read_into("data/0", into.data(), into.size());
  EXPECT_EQ(into, blob);
}

TEST(ZipArchive, ReadsZip64Records) {
  const std::string big = repeated("0123456789abcdef", 5000);
  std::string bytes = build_zip({{"archive/data.pkl", "\x80\x02N."},
                                 {"archive/data/0", big, true},
                                 {"archive/data/1", big}},
                                /*zip64=*/true);
  ZipArchive z = ZipArchive::from_bytes(bytes, "z64.pt");
  EXPECT_EQ(z.root(), "archive");
  EXPECT_EQ(z.names().size(), 3u);
  EXPECT_EQ(z.read("data/0"), big);
  EXPECT_EQ(z.read("data/1"), big);
}

TEST(ZipArchive, SkipsFolderEntries) {
  std::string bytes = build_zip({{"m/", ""}, {"m/code/", ""}, {"m/data.pkl", "x"}});
  ZipArchive z = ZipArchive::from_bytes(bytes, "m.pt");
  EXPECT_EQ(z.names(), std::vector<std::string>{"data.pkl"});
}

TEST(ZipArchive, ReadsWhatPythonZipfileWrites) {
  if (!test::python_has("zipfile")) GTEST_SKIP() << "python3 is not available";
  test::TempDir dir("zip_python");
  ASSERT_EQ(test::run_python(dir, R"(
import zipfile, random
random.seed(7)
text = ("weights " * 5000).encode()
noise = bytes(random.getrandbits(8) for _ in range(70000))
with zipfile.ZipFile("p.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("pyroot/text.txt", text)
    z.writestr("pyroot/noise.bin", noise)
    z.writestr(zipfile.ZipInfo("pyroot/stored.bin"), noise[:100], zipfile.ZIP_STORED)
open("text.txt", "wb").write(text)
open("noise.bin", "wb").write(noise)
)"),
            0)
      << test::slurp(dir / "log.txt");
  ZipArchive z = ZipArchive::open((dir / "p.zip").string());
  EXPECT_EQ(z.root(), "pyroot");
  EXPECT_EQ(z.read("text.txt"), test::slurp(dir / "text.txt"));
  EXPECT_EQ(z.read("noise.bin"), test::slurp(dir / "noise.bin"));
  EXPECT_EQ(z.read("stored.bin"), test::slurp(dir / "noise.bin").substr(0, 100));
}

TEST(ZipArchive, ReadsEveryEntryOfATorchArchive) {
  if (!test::have_torch()) GTEST_SKIP() << "python3 with torch is not available";
  test::TempDir dir("zip_torch");
  ASSERT_EQ(test::run_python(dir, R"(
import torch, zipfile, os
m = torch.jit.script(torch.nn.Linear(3, 2))
torch.jit.save(m, "lin.pt")
os.mkdir("out")
with zipfile.ZipFile("lin.pt") as z, open("names.txt", "w") as names:
    for i, info in enumerate(z.infolist()):
        names.write(info.filename + "\n")
        open("out/%d" % i, "wb").write(z.read(info))
)"),
            0)
      << test::slurp(dir / "log.txt");
  ZipArchive z = ZipArchive::open((dir / "lin.pt").string());
  EXPECT_EQ(z.root(), "lin");
  std::istringstream names(test::slurp(dir / "names.txt"));
  std::string full;
  size_t i = 0;
  for (; std::getline(names, full); ++i) {
    ASSERT_EQ(full.rfind("lin/", 0), 0u) << full;
    const std::string rel = full.substr(4);
    ASSERT_TRUE(z.contains(rel)) << rel;
    EXPECT_EQ(z.read(rel), test::slurp(dir / ("out/" + std::to_string(i)))) << rel;
  }
  EXPECT_EQ(i, z.names().size());
  EXPECT_GE(i, 5u);
  EXPECT_NE(z.read("code/__torch__/torch/nn/modules/linear.py").find("def forward"),
            std::string::npos);
}

// Bad input ------------------------------------------------------------------

TEST(ZipArchiveErrors, MissingFile) {
  expect_error([] { ZipArchive::open("no/such/model.pt"); },
               {"no/such/model.pt", "cannot open file"});
}

TEST(ZipArchiveErrors, EmptyFile) {
  test::TempDir dir("zip_empty");
  test::spit(dir / "empty.pt", "");
  const std::string path = (dir / "empty.pt").string();
  expect_error([&] { ZipArchive::open(path); }, {path, "not a zip archive", "empty"});
}

TEST(ZipArchiveErrors, RandomBytes) {
  std::mt19937 rng(42);
  std::string bytes(4096, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  expect_error([&] { ZipArchive::from_bytes(bytes, "noise.pt"); },
               {"noise.pt", "not a zip archive"});
}

TEST(ZipArchiveErrors, TextFileIsNotAZip) {
  expect_error([] { ZipArchive::from_bytes("def forward(self, x): return x\n", "model.py"); },
               {"model.py", "not a zip archive", "no end-of-central-directory record"});
}

TEST(ZipArchiveErrors, TruncatedAtEveryLength) {
  std::string bytes = build_zip({{"m/data.pkl", "\x80\x02N."},
                                 {"m/code/__torch__.py", repeated("x = 1\n", 100), true}},
                                true);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    SCOPED_TRACE(cut);
    expect_error([&] { read_all(ZipArchive::from_bytes(bytes.substr(0, cut), "cut.pt")); },
                 {"cut.pt"});
  }
}

TEST(ZipArchiveErrors, CorruptedAtEveryByteNeverCrashes) {
  std::string bytes = build_zip({{"m/data.pkl", "\x80\x02N."},
                                 {"m/code/__torch__.py", repeated("x = 1\n", 100), true}},
                                true);
  int failures = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    try {
      read_all(ZipArchive::from_bytes(bad, "flip.pt"));
    } catch (const Error& e) {
      ++failures;
      EXPECT_NE(std::string(e.what()).find("flip.pt"), std::string::npos) << e.what();
    }
  }
  // Entry data is CRC-protected, so most flips must be caught.
  EXPECT_GT(failures, static_cast<int>(bytes.size() / 2));
}

TEST(ZipArchiveErrors, SeveralTopLevelFolders) {
  std::string bytes = build_zip({{"a/data.pkl", "x"}, {"b/data.pkl", "y"}});
  expect_error([&] { ZipArchive::from_bytes(bytes, "two.pt"); },
               {"two.pt", "more than one top-level folder", "'a'", "'b'"});
}

TEST(ZipArchiveErrors, EntryOutsideAnyFolder) {
  std::string bytes = build_zip({{"data.pkl", "x"}});
  expect_error([&] { ZipArchive::from_bytes(bytes, "flat.pt"); },
               {"flat.pt", "'data.pkl'", "not inside a top-level folder"});
}

TEST(ZipArchiveErrors, MissingEntry) {
  ZipArchive z = ZipArchive::from_bytes(build_zip({{"m/data.pkl", "x"}}), "m.pt");
  expect_error([&] { z.read("constants.pkl"); }, {"m.pt", "no entry 'm/constants.pkl'"});
  expect_error([&] { z.size_of("data/0"); }, {"no entry 'm/data/0'"});
}

TEST(ZipArchiveErrors, DuplicateEntries) {
  std::string bytes = build_zip({{"m/data.pkl", "x"}, {"m/data.pkl", "y"}});
  expect_error([&] { ZipArchive::from_bytes(bytes, "dup.pt"); },
               {"dup.pt", "two entries named 'm/data.pkl'"});
}

TEST(ZipArchiveErrors, BombDeclaredSmallInflatesHuge) {
  ZipEntrySpec e{"m/data/0", std::string(20 << 20, '\0'), true};
  e.declared_size = 100;
  ZipArchive z = ZipArchive::from_bytes(build_zip({e}), "bomb.pt");
  EXPECT_EQ(z.size_of("data/0"), 100u);
  expect_error([&] { z.read("data/0"); },
               {"bomb.pt", "'m/data/0'", "inflates to more than its declared size of 100 bytes"});
}

TEST(ZipArchiveErrors, BombDeclaredHuge) {
  ZipEntrySpec e{"m/data/0", std::string(1000, 'a'), true};
  e.declared_size = uint64_t{1} << 40;
  expect_error([&] { ZipArchive::from_bytes(build_zip({e}, true), "huge.pt"); },
               {"huge.pt", "'m/data/0'", "declares 1099511627776 uncompressed bytes",
                "more than is possible"});
}

TEST(ZipArchiveErrors, DeclaredLargerThanInflated) {
  ZipEntrySpec e{"m/data/0", std::string(1000, 'a'), true};
  e.declared_size = 2000;
  ZipArchive z = ZipArchive::from_bytes(build_zip({e}), "short.pt");
  expect_error([&] { z.read("data/0"); }, {"short.pt", "inflates to 1000 bytes but declares 2000"});
}

TEST(ZipArchiveErrors, StoredSizeMismatch) {
  ZipEntrySpec e{"m/data/0", "abcdef"};
  e.declared_size = 4;
  expect_error([&] { ZipArchive::from_bytes(build_zip({e}), "s.pt"); },
               {"s.pt", "stored entry 'm/data/0' declares 4 bytes but holds 6"});
}

TEST(ZipArchiveErrors, TruncatedDeflateStream) {
  const std::string text = repeated("tensor data ", 1000);
  std::string packed = test::raw_deflate(text);
  ZipEntrySpec e{"m/code/a.py", text, true};
  e.compressed_data = packed.substr(0, packed.size() / 2);
  ZipArchive z = ZipArchive::from_bytes(build_zip({e}), "t.pt");
  expect_error([&] { z.read("code/a.py"); }, {"t.pt", "'m/code/a.py'", "truncated deflate"});
}

TEST(ZipArchiveErrors, CorruptDeflateData) {
  ZipEntrySpec e{"m/code/a.py", "hello", true};
  e.compressed_data = std::string("\xff\xff\xff\xff\xff\xff\xff\xff", 8);
  ZipArchive z = ZipArchive::from_bytes(build_zip({e}), "c.pt");
  expect_error([&] { z.read("code/a.py"); }, {"c.pt", "corrupt deflate data"});
}

TEST(ZipArchiveErrors, CrcMismatch) {
  ZipEntrySpec e{"m/data/0", "weights"};
  e.crc = 0x12345678;
  ZipArchive z = ZipArchive::from_bytes(build_zip({e}), "crc.pt");
  expect_error([&] { z.read("data/0"); }, {"crc.pt", "'m/data/0'", "CRC-32 mismatch"});
}

TEST(ZipArchiveErrors, UnsupportedMethod) {
  ZipEntrySpec e{"m/data/0", "weights"};
  e.method = 12;
  expect_error([&] { ZipArchive::from_bytes(build_zip({e}), "bz.pt"); },
               {"bz.pt", "compression method 12"});
}

TEST(ZipArchiveErrors, Encrypted) {
  ZipEntrySpec e{"m/data/0", "weights"};
  e.flags = 1;
  expect_error([&] { ZipArchive::from_bytes(build_zip({e}), "enc.pt"); },
               {"enc.pt", "'m/data/0' is encrypted"});
}

TEST(ZipArchiveErrors, CentralDirectoryOutsideFile) {
  std::string bytes = build_zip({{"m/data.pkl", "x"}});
  // The 32-bit central directory offset is the last field but the comment length.
  const size_t at = bytes.size() - 6;
  bytes[at + 3] = '\x7f';
  expect_error([&] { ZipArchive::from_bytes(bytes, "cd.pt"); },
               {"cd.pt", "central directory", "outside the file"});
}

TEST(ZipArchiveErrors, EntryCountTooLargeForDirectory) {
  std::string bytes = build_zip({{"m/data.pkl", "x"}});
  const size_t at = bytes.size() - 12;  // total entry count
  bytes[at] = '\xff';
  bytes[at + 1] = '\x00';
  expect_error([&] { ZipArchive::from_bytes(bytes, "n.pt"); },
               {"n.pt", "255 entries cannot fit"});
}

}  // namespace
}  // namespace wick
