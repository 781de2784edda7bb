// The `wick` command line: each subcommand is one function taking its own
// arguments and returning an exit code. User errors are thrown as wick::Error
// and turned into exit code 2 by main.
#pragma once

#include <string>
#include <vector>

namespace wick::tools {

using Args = std::vector<std::string>;

struct Command {
  const char* name;
  const char* summary;
  const char* usage;
  int (*run)(const Args& args);
};

const std::vector<Command>& commands();
const char* usage_of(const std::string& name);

int run_ir(const Args& args);
int run_inspect(const Args& args);
int run_run(const Args& args);
int run_compile(const Args& args);
int run_bench(const Args& args);
int run_train(const Args& args);

// Small argument helpers shared by subcommands.
bool wants_help(const Args& args);
[[noreturn]] void usage_error(const std::string& message, const char* usage);

}  // namespace wick::tools
