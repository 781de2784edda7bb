// Runs the built `wick` binary (or another tool in build/bin) in a shell and
// captures its exit status, stdout and stderr, for command-line tests.
#pragma once

#include <string>

namespace wick::testing {

struct CliResult {
  int status = -1;  // exit code, or -1 when the process did not exit normally
  std::string out;
  std::string err;
};

// `command` is appended to the tool's path; it is passed to /bin/sh.
CliResult run_tool(const std::string& tool, const std::string& command);
inline CliResult run_wick(const std::string& args) { return run_tool("wick", args); }

std::string temp_dir(const std::string& name);  // a fresh empty directory, removed at exit
void write_text(const std::string& path, const std::string& text);

// A directory of make_bad_models.py's broken and unusual models (written on
// the first call in a process); empty if the script failed.
std::string bad_models_dir();

}  // namespace wick::testing
