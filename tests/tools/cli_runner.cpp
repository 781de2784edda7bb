#include "cli_runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>
#include "test_paths.h"

namespace wick::testing {

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

// The directories made by temp_dir, removed when the test process exits so
// that runs leave nothing behind.
struct MadeDirs {
  std::vector<std::filesystem::path> dirs;
  ~MadeDirs() {
    std::error_code ignored;
    for (const auto& d : dirs) std::filesystem::remove_all(d, ignored);
  }
};

std::string temp_dir(const std::string& name) {
  static MadeDirs made;
  auto dir = std::filesystem::temp_directory_path() /
             ("wick_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  made.dirs.push_back(dir);
  return dir.string();
}

std::string bad_models_dir() {
  static const std::string dir = [] {
    std::string d = temp_dir("bad_models");
    std::string cmd = std::string("/usr/bin/python3 ") + wick::test_paths::source_dir() + "/tests/tools/make_bad_models.py --base " + wick::test_paths::zoo_dir() + "/nn5.scripted.pt --out " + d;
    return std::system(cmd.c_str()) == 0 ? d : std::string();
  }();
  return dir;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

CliResult run_tool(const std::string& tool, const std::string& command) {
  std::string dir = temp_dir("cli");
  std::string out = dir + "/out", err = dir + "/err";
  std::string cmd = std::string(wick::test_paths::binary_dir()) + "/bin/" + tool + " " + command + " >" + out + " 2>" + err;
  int raw = std::system(cmd.c_str());
  CliResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  std::filesystem::remove_all(dir);
  return r;
}

}  // namespace wick::testing
