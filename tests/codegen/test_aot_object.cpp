// Ahead-of-time path: the object from compile_to_object links into a shared
// library with the system C compiler, and its kernels run after dlopen.
#include <gtest/gtest.h>

#include <dlfcn.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "codegen/mlir_compiler.h"
#include "kernels.h"

namespace wick::codegen {
namespace {

using test::vector_memref;

// Links `object` into `<dir>/lib<name>.so` and dlopens it.
void* link_and_open(const std::string& object, const std::string& dir, const std::string& name) {
  std::string obj_path = dir + "/" + name + ".o", so_path = dir + "/lib" + name + ".so";
  std::ofstream(obj_path, std::ios::binary) << object;
  std::string command = "cc -shared -o '" + so_path + "' '" + obj_path + "' -lm";
  if (std::system(command.c_str()) != 0) return nullptr;
  return dlopen(so_path.c_str(), RTLD_NOW | RTLD_LOCAL);
}

TEST(AotObject, SharedLibraryFromObjectRuns) {
  if (std::system("cc --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no C compiler";
  std::string dir = test::fresh_temp_dir("aot");
  CompileOptions options;
  options.cache_dir = "off";
  std::string object = compile_to_object(test::kSigmoid, options);
  ASSERT_GE(object.size(), 4u);
  EXPECT_EQ(object.substr(0, 4), "\x7f" "ELF");

  void* library = link_and_open(object, dir, "sigmoid");
  ASSERT_NE(library, nullptr) << dlerror();
  auto fn = reinterpret_cast<PackedKernelFn>(dlsym(library, packed_entry_name("sigmoid").c_str()));
  ASSERT_NE(fn, nullptr);
  std::vector<float> x(100), y(100);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) / 10.f - 5.f;
  auto xd = vector_memref(x), yd = vector_memref(y);
  void* args[] = {xd.data(), yd.data()};
  fn(args);
  for (size_t i = 0; i < x.size(); ++i)
    ASSERT_NEAR(y[i], 1.0 / (1.0 + std::exp(-x[i])), 1e-6) << x[i];
  dlclose(library);
  std::filesystem::remove_all(dir);
}

// Without approximations the kernel calls expf: the library must link libm.
TEST(AotObject, LibmCallsResolveInTheSharedLibrary) {
  if (std::system("cc --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no C compiler";
  std::string dir = test::fresh_temp_dir("aot_libm");
  CompileOptions options;
  options.cache_dir = "off";
  options.approximate_math = false;
  void* library = link_and_open(compile_to_object(test::kExp, options), dir, "exp");
  ASSERT_NE(library, nullptr) << dlerror();
  auto fn = reinterpret_cast<PackedKernelFn>(dlsym(library, packed_entry_name("exp").c_str()));
  ASSERT_NE(fn, nullptr);
  std::vector<float> x = {-1.f, 0.f, 3.f}, y(3);
  auto xd = vector_memref(x), yd = vector_memref(y);
  void* args[] = {xd.data(), yd.data()};
  fn(args);
  for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(y[i], std::exp(x[i]), 1e-6 * std::exp(x[i]));
  dlclose(library);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wick::codegen
