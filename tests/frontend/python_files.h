// Test helper: a test suite whose files a Python script (with torch) writes
// once, into a temporary folder kept while the suite runs. A suite derives
// as `class S : public test::PythonFiles<S>` and defines
// `static const char* tag()` (the folder's name) and
// `static std::string script()`. Without torch its tests skip; a script
// that fails fails each test with the script's log.
#pragma once

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "tests/frontend/python_helpers.h"

namespace wick::test {

template <class Suite>
class PythonFiles : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!have_torch()) return;
    dir_ = new TempDir(Suite::tag());
    ok_ = run_python(*dir_, Suite::script()) == 0;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    if (!have_torch()) GTEST_SKIP() << "python3 with torch is not available";
    ASSERT_TRUE(ok_) << slurp(*dir_ / "log.txt");
  }
  static std::string path(const std::string& name) { return (*dir_ / name).string(); }
  static std::string bytes_of(const std::string& name) { return slurp(*dir_ / name); }
  // The file's first whitespace-separated word ("yes", a count).
  static std::string word_of(const std::string& name) {
    std::istringstream in(bytes_of(name));
    std::string word;
    in >> word;
    return word;
  }

  static inline TempDir* dir_ = nullptr;
  static inline bool ok_ = false;
};

}  // namespace wick::test
