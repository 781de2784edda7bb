// Runs ptxas on a temporary PTX file with posix_spawn (no shell, so no
// quoting trouble) and collects the cubin and ptxas's output.
#include "codegen/ptxas.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

extern char** environ;

namespace wick::codegen {
namespace {

bool executable(const std::string& path) { return !path.empty() && ::access(path.c_str(), X_OK) == 0; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A fresh private directory for one run's files.
std::string make_temp_dir() {
  std::error_code ec;
  std::string base = std::filesystem::temp_directory_path(ec).string();
  if (ec || base.empty()) base = "/tmp";
  std::string pattern = base + "/wick-ptxas-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) return "";
  return buf.data();
}

}  // namespace

std::string find_ptxas() {
  if (const char* env = std::getenv("WICK_PTXAS")) {
    std::string v = env;
    if (v.empty() || v == "off") return "";
    return executable(v) ? v : "";
  }
  if (executable("/usr/local/cuda/bin/ptxas")) return "/usr/local/cuda/bin/ptxas";
  if (const char* path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (dir.empty()) continue;
      std::string candidate = dir + "/ptxas";
      if (executable(candidate)) return candidate;
    }
  }
  return "";
}

std::string assemble_ptx(const std::string& ptx, const PtxasOptions& options, std::string* log) {
  std::string local_log;
  std::string& out_log = log ? *log : local_log;
  out_log.clear();
  const std::string ptxas = find_ptxas();
  if (ptxas.empty()) {
    out_log = "ptxas not found (set WICK_PTXAS, or install the CUDA toolkit in /usr/local/cuda)";
    return "";
  }
  const std::string dir = make_temp_dir();
  if (dir.empty()) {
    out_log = std::string("cannot make a temporary directory: ") + std::strerror(errno);
    return "";
  }
  const std::string in_path = dir + "/kernel.ptx", out_path = dir + "/kernel.cubin", log_path = dir + "/log.txt";
  {
    std::ofstream f(in_path, std::ios::binary);
    f << ptx;
  }
  std::vector<std::string> args = {ptxas, "-arch=sm_" + std::to_string(options.sm),
                                   "-O" + std::to_string(options.opt_level), "-o", out_path};
  if (options.verbose) args.push_back("-v");
  args.push_back(in_path);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, ptxas.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  std::string cubin;
  if (spawned != 0) {
    out_log = "cannot run " + ptxas + ": " + std::strerror(spawned);
  } else {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    out_log = read_file(log_path);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      cubin = read_file(out_path);
      if (cubin.empty()) out_log += "\nptxas wrote no cubin";
    } else if (out_log.empty()) {
      out_log = ptxas + " failed with status " + std::to_string(status);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return cubin;
}

}  // namespace wick::codegen
