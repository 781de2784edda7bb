// Test helper: runs a Python script (the python3 that has torch) in a fresh
// temporary folder, for tests that check wick against files torch writes.
// The interpreter is /usr/bin/python3 unless WICK_TORCH_PYTHON names another.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace wick::test {

inline std::string python_command() {
  const char* env = std::getenv("WICK_TORCH_PYTHON");
  return env && *env ? env : "/usr/bin/python3";
}

inline bool python_has(const std::string& module) {
  const std::string cmd = python_command() + " -c 'import " + module + "' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

inline bool have_torch() {
  static const bool ok = python_has("torch");
  return ok;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void spit(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out << bytes;
}

// A temporary folder removed when the object goes away.
class TempDir {
 public:
  explicit TempDir(const std::string& tag) {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / ("wick_" + tag + "_XXXXXX")).string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes `script` to <dir>/script.py and runs it with <dir> as the working
// folder; returns the exit status (0 on success). Output goes to <dir>/log.txt.
inline int run_python(const TempDir& dir, const std::string& script) {
  spit(dir / "script.py", script);
  const std::string cmd = "cd '" + dir.path().string() + "' && PYTHONDONTWRITEBYTECODE=1 " +
                          python_command() + " script.py >log.txt 2>&1";
  return std::system(cmd.c_str());
}

}  // namespace wick::test
