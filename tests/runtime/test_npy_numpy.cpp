// Tests of .npy files against numpy itself: files numpy writes are read by
// wick and compared with the raw bytes numpy reports, and files wick writes
// from non-contiguous tensors are read by numpy and checked by a checksum it
// prints. Skipped when /usr/bin/python3 with numpy is not installed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/npy.h"
#include "support/error.h"

namespace wick {
namespace {

const char kPython[] = "/usr/bin/python3";

bool have_numpy() {
  static const bool ok =
      std::system((std::string(kPython) + " -c 'import numpy' >/dev/null 2>&1").c_str()) == 0;
  return ok;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class NpyNumpy : public testing::Test {
 protected:
  void SetUp() override {
    if (!have_numpy()) GTEST_SKIP() << kPython << " with numpy is not available";
    dir_ = std::filesystem::temp_directory_path() /
           ("wick_test_npy_numpy_" + std::to_string(getpid()) + "_" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Runs `script` with the temp dir as argv[1]; returns its stdout.
  std::string run_python(const std::string& script) {
    std::ofstream(dir_ / "script.py") << script;
    std::string out = (dir_ / "out.txt").string();
    std::string cmd = std::string(kPython) + " '" + (dir_ / "script.py").string() + "' '" +
                      dir_.string() + "' >'" + out + "' 2>&1";
    int rc = std::system(cmd.c_str());
    EXPECT_EQ(rc, 0) << slurp(out);
    return slurp(out);
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

// numpy saves each array as NAME.npy and its C-order bytes as NAME.raw.
const char kWriteScript[] = R"(
import sys, numpy as np
d = sys.argv[1]
def save(name, a, version=None):
    with open(f"{d}/{name}.npy", "wb") as f:
        np.lib.format.write_array(f, a, version=version)
    with open(f"{d}/{name}.raw", "wb") as f:
        f.write(np.ascontiguousarray(a).tobytes())
rng = np.random.default_rng(0)
for dt in ["<f4", "<f8", "<f2", "<i8", "<i4", "<i2", "|i1", "|u1"]:
    save("random_" + dt[1:], (rng.standard_normal((2, 3, 4)) * 50).astype(dt))
save("bool", rng.standard_normal(7) > 0)
save("scalar", np.array(3.5, dtype=np.float32))
save("empty", np.zeros((0, 3), dtype=np.float64))
save("v2", np.arange(12, dtype=np.int64).reshape(3, 4), (2, 0))
save("v3", np.arange(12, dtype=np.int32).reshape(3, 4), (3, 0))
save("sliced", np.arange(20, dtype=np.float32).reshape(4, 5)[:, 1:4])
save("fortran", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
save("complex", np.zeros(3, dtype=np.complex64))
save("unicode", np.array(["abc", "de"]))
save("bigendian", np.arange(3, dtype=">f4"))
print("ok")
)";

TEST_F(NpyNumpy, ReadsWhatNumpyWrites) {
  ASSERT_EQ(run_python(kWriteScript), "ok\n");
  struct Case {
    const char* name;
    DType dtype;
    std::vector<int64_t> shape;
  };
  const Case cases[] = {
      {"random_f4", DType::f32, {2, 3, 4}},
      {"random_f8", DType::f64, {2, 3, 4}},
      {"random_f2", DType::f16, {2, 3, 4}},
      {"random_i8", DType::i64, {2, 3, 4}},
      {"random_i4", DType::i32, {2, 3, 4}},
      {"random_i2", DType::i16, {2, 3, 4}},
      {"random_i1", DType::i8, {2, 3, 4}},
      {"random_u1", DType::u8, {2, 3, 4}},
      {"bool", DType::b8, {7}},
      {"scalar", DType::f32, {}},
      {"empty", DType::f64, {0, 3}},
      {"v2", DType::i64, {3, 4}},
      {"v3", DType::i32, {3, 4}},
      {"sliced", DType::f32, {4, 3}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Tensor t = read_npy(path(std::string(c.name) + ".npy"));
    EXPECT_EQ(t.dtype(), c.dtype);
    EXPECT_EQ(t.sizes(), c.shape);
    std::string raw = slurp(dir_ / (std::string(c.name) + ".raw"));
    ASSERT_EQ(raw.size(), t.nbytes());
    EXPECT_EQ(std::string(static_cast<const char*>(t.data()), t.nbytes()), raw);
    // The in-memory parser gives the same tensor as the file reader.
    std::string file = slurp(dir_ / (std::string(c.name) + ".npy"));
    Tensor p = parse_npy(file.data(), file.size(), c.name);
    EXPECT_EQ(std::string(static_cast<const char*>(p.data()), p.nbytes()), raw);
  }
  EXPECT_EQ(read_npy(path("scalar.npy")).data_as<float>()[0], 3.5f);
}

TEST_F(NpyNumpy, RejectsWhatWickCannotHold) {
  ASSERT_EQ(run_python(kWriteScript), "ok\n");
  const std::pair<const char*, const char*> cases[] = {
      {"fortran", "Fortran-order arrays are not supported; save with np.ascontiguousarray"},
      {"complex", "unsupported .npy dtype '<c8'"},
      {"unicode", "unsupported .npy dtype '<U3'"},
      {"bigendian", "unsupported .npy dtype '>f4'"},
  };
  for (const auto& [name, fragment] : cases) {
    std::string file = path(std::string(name) + ".npy");
    try {
      read_npy(file);
      ADD_FAILURE() << name << " was read";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
      EXPECT_EQ(e.where().file, file);
    }
  }
}

// Value k of a small-integer pattern, valid in every dtype numpy shares with wick.
int pattern_value(int64_t k, DType dtype) {
  int v = static_cast<int>((k * 5) % 11);
  return dtype == DType::b8 ? v % 2 : v;
}

void store(Tensor& t, int64_t i, int v) {
  void* p = static_cast<char*>(t.data()) + i * static_cast<int64_t>(dtype_size(t.dtype()));
  switch (t.dtype()) {
    case DType::f32:
      *static_cast<float*>(p) = static_cast<float>(v);
      break;
    case DType::f64:
      *static_cast<double*>(p) = v;
      break;
    case DType::f16: {
      // Small non-negative integers are exact halves: 1.m * 2^e.
      uint16_t bits = 0;
      if (v > 0) {
        int e = 31 - __builtin_clz(static_cast<unsigned>(v));
        bits = static_cast<uint16_t>(((e + 15) << 10) | ((v << (10 - e)) & 0x3ff));
      }
      *static_cast<uint16_t*>(p) = bits;
      break;
    }
    case DType::i64:
      *static_cast<int64_t*>(p) = v;
      break;
    case DType::i32:
      *static_cast<int32_t*>(p) = v;
      break;
    case DType::i16:
      *static_cast<int16_t*>(p) = static_cast<int16_t>(v);
      break;
    case DType::i8:
      *static_cast<int8_t*>(p) = static_cast<int8_t>(v);
      break;
    case DType::u8:
    case DType::b8:
      *static_cast<uint8_t*>(p) = static_cast<uint8_t>(v);
      break;
    case DType::bf16:
      FAIL() << "bf16 has no numpy dtype";
    case DType::c64:
    case DType::c128:
      FAIL() << "wick's runtime has no complex tensors";
  }
}

TEST_F(NpyNumpy, NumpyReadsNonContiguousTensorsWickWrites) {
  const std::pair<DType, const char*> dtypes[] = {
      {DType::f32, "<f4"}, {DType::f64, "<f8"}, {DType::f16, "<f2"},
      {DType::i64, "<i8"}, {DType::i32, "<i4"}, {DType::i16, "<i2"},
      {DType::i8, "|i1"},  {DType::u8, "|u1"},  {DType::b8, "|b1"}};
  std::string expected;
  for (const auto& [dtype, descr] : dtypes) {
    // A 3x4 slice of the transpose of a 5x6 base, starting at base[1][1].
    Tensor base = Tensor::zeros(dtype, {5, 6});
    for (int64_t k = 0; k < 30; ++k) store(base, k, pattern_value(k, dtype));
    Tensor view = base.as_strided({3, 4}, {1, 6}, 7);
    ASSERT_FALSE(view.is_contiguous());
    write_npy(path(std::string(dtype_name(dtype)) + ".npy"), view);
    // Checksum: sum over the row-major order n of (n + 1) * value.
    int64_t sum = 0, n = 0;
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 4; ++j) sum += ++n * pattern_value(7 + i * 1 + j * 6, dtype);
    expected +=
        std::string(dtype_name(dtype)) + " " + descr + " (3, 4) " + std::to_string(sum) + "\n";
  }
  write_npy(path("scalar.npy"), Tensor::zeros(DType::i64, {}));
  write_npy(path("empty.npy"), Tensor::zeros(DType::f32, {0, 3}));
  expected += "scalar <i8 () 0\nempty <f4 (0, 3) 0\n";

  std::string script = R"(
import sys, numpy as np
d = sys.argv[1]
names = ["f32", "f64", "f16", "i64", "i32", "i16", "i8", "u8", "bool", "scalar", "empty"]
for name in names:
    a = np.load(f"{d}/{name}.npy")
    w = np.arange(1, a.size + 1, dtype=np.float64).reshape(a.shape)
    print(name, a.dtype.str, a.shape, int((a.astype(np.float64) * w).sum()))
)";
  EXPECT_EQ(run_python(script), expected);
}

}  // namespace
}  // namespace wick
