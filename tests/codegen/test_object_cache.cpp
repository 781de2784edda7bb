// The on-disk object cache: hits skip compilation and run correctly; damaged
// files are detected and rewritten; the directory follows options and the
// environment.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "codegen/jit_engine.h"
#include "codegen/mlir_compiler.h"
#include "codegen/object_cache.h"
#include "kernels.h"

namespace wick::codegen {
namespace {

namespace fs = std::filesystem;
using test::vector_memref;

// Compiles the sigmoid kernel on a fresh engine (so nothing is in memory),
// checks its results, and returns the stats.
CompileStats compile_and_run_sigmoid(const std::string& cache_dir) {
  JitEngine engine;
  CompileOptions options;
  options.cache_dir = cache_dir;
  CompiledModule module = engine.compile(test::kSigmoid, {packed_entry_name("sigmoid")}, options);
  std::vector<float> x = {-3.f, 0.f, 2.f}, y(3);
  auto xd = vector_memref(x), yd = vector_memref(y);
  void* args[] = {xd.data(), yd.data()};
  reinterpret_cast<PackedKernelFn>(module.address(0))(args);
  for (size_t i = 0; i < x.size(); ++i)
    EXPECT_NEAR(y[i], 1.0 / (1.0 + std::exp(-x[i])), 1e-6) << x[i];
  return module.stats();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(ObjectCache, SecondCompileIsADiskHit) {
  std::string dir = test::fresh_temp_dir("hit");
  CompileStats first = compile_and_run_sigmoid(dir);
  EXPECT_EQ(first.source, CodeSource::compiled);
  EXPECT_TRUE(first.cache_written);
  EXPECT_GT(first.llvm_opt_ms, 0);
  ASSERT_TRUE(fs::exists(first.cache_file));
  EXPECT_EQ(fs::path(first.cache_file).parent_path(), fs::path(dir));

  CompileStats second = compile_and_run_sigmoid(dir);
  EXPECT_EQ(second.source, CodeSource::disk_cache);
  EXPECT_TRUE(second.cache_hit());
  EXPECT_EQ(second.cache_file, first.cache_file);
  EXPECT_EQ(second.parse_ms, 0);  // MLIR and LLVM never ran
  EXPECT_EQ(second.llvm_opt_ms, 0);
  EXPECT_EQ(second.codegen_ms, 0);

  // Only the final file is left: no temporaries.
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(entry.path().extension(), ".o") << entry.path();
  }
  EXPECT_EQ(files, 1);
  fs::remove_all(dir);
}

TEST(ObjectCache, DamagedFilesAreRecompiledAndRewritten) {
  std::string dir = test::fresh_temp_dir("damaged");
  CompileStats first = compile_and_run_sigmoid(dir);
  std::string good = read_file(first.cache_file);
  ASSERT_GT(good.size(), 100u);

  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x5a;  // a bit error inside the object
  std::string wrong_key = good;
  wrong_key[10] ^= 1;  // inside the stored key
  const std::string damaged[] = {
      flipped, good.substr(0, good.size() - 1), good.substr(0, 20), wrong_key, "", good + "x"};
  for (const std::string& bytes : damaged) {
    write_file(first.cache_file, bytes);
    CompileStats again = compile_and_run_sigmoid(dir);
    EXPECT_EQ(again.source, CodeSource::compiled) << "size " << bytes.size();
    EXPECT_TRUE(again.cache_written);
    EXPECT_EQ(read_file(first.cache_file), good);  // codegen is deterministic
  }
  EXPECT_EQ(compile_and_run_sigmoid(dir).source, CodeSource::disk_cache);
  fs::remove_all(dir);
}

TEST(ObjectCache, OffMeansNoFiles) {
  CompileStats stats = compile_and_run_sigmoid("off");
  EXPECT_EQ(stats.source, CodeSource::compiled);
  EXPECT_TRUE(stats.cache_file.empty());
  EXPECT_FALSE(stats.cache_written);
}

TEST(ObjectCache, UnwritableDirectoryOnlyCostsTheCache) {
  std::string dir = test::fresh_temp_dir("unwritable");
  std::string blocker = dir + "/file";
  write_file(blocker, "not a directory");
  CompileStats stats = compile_and_run_sigmoid(blocker + "/cache");
  EXPECT_EQ(stats.source, CodeSource::compiled);
  EXPECT_FALSE(stats.cache_written);
  fs::remove_all(dir);
}

TEST(ObjectCache, StoreAndLoadRoundTrip) {
  std::string dir = test::fresh_temp_dir("roundtrip");
  ObjectCache cache(dir);
  Hash128 key = hash128("some kernel"), other = hash128("another kernel");
  EXPECT_FALSE(cache.load(key).has_value());
  ASSERT_TRUE(cache.store(key, std::string("\x7f" "ELF bytes\0more", 15)));
  EXPECT_EQ(cache.load(key), std::string("\x7f" "ELF bytes\0more", 15));
  EXPECT_FALSE(cache.load(other).has_value());
  // A valid file under the wrong name is not taken for another key.
  fs::copy_file(cache.path_for(key), cache.path_for(other));
  EXPECT_FALSE(cache.load(other).has_value());
  fs::remove_all(dir);
}

// Sets an environment variable for one scope, then puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    if (old) old_ = old;
    had_old_ = old != nullptr;
    if (value) setenv(name, value, 1);
    else unsetenv(name);
  }
  ~ScopedEnv() {
    if (had_old_) setenv(name_, old_.c_str(), 1);
    else unsetenv(name_);
  }

 private:
  const char* name_;
  std::string old_;
  bool had_old_ = false;
};

TEST(ObjectCache, DirectoryFromTheEnvironment) {
  ScopedEnv home("HOME", "/home/someone");
  ScopedEnv xdg("XDG_CACHE_HOME", "/xdg");
  {
    ScopedEnv wick("WICK_CACHE_DIR", "/some/where");
    EXPECT_EQ(default_cache_dir(), "/some/where");
    EXPECT_EQ(ObjectCache("").dir(), "/some/where");
    EXPECT_EQ(ObjectCache("/explicit").dir(), "/explicit");  // the option wins
  }
  {
    ScopedEnv wick("WICK_CACHE_DIR", "off");
    EXPECT_EQ(default_cache_dir(), "");
    EXPECT_FALSE(ObjectCache("").enabled());
    EXPECT_TRUE(ObjectCache("/explicit").enabled());
  }
  ScopedEnv wick("WICK_CACHE_DIR", nullptr);
  EXPECT_EQ(default_cache_dir(), "/xdg/wick");
  EXPECT_FALSE(ObjectCache("off").enabled());
  ScopedEnv no_xdg("XDG_CACHE_HOME", nullptr);
  EXPECT_EQ(default_cache_dir(), "/home/someone/.cache/wick");
}

TEST(ObjectCache, KeyCoversTextTargetAndOptions) {
  CompileOptions options;
  TargetDescription target = resolve_target(options);
  Hash128 base = kernel_cache_key(test::kSigmoid, target, options);
  EXPECT_EQ(base, kernel_cache_key(test::kSigmoid, target, options));
  EXPECT_NE(base, kernel_cache_key(test::kExp, target, options));
  CompileOptions libm = options;
  libm.approximate_math = false;
  EXPECT_NE(base, kernel_cache_key(test::kSigmoid, target, libm));
  TargetDescription other_cpu = target;
  other_cpu.features += ",-fma";
  EXPECT_NE(base, kernel_cache_key(test::kSigmoid, other_cpu, options));
  TargetDescription o2 = target;
  o2.opt_level = 2;
  EXPECT_NE(base, kernel_cache_key(test::kSigmoid, o2, options));
}

}  // namespace
}  // namespace wick::codegen
