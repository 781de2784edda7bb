#include "tools/command.h"

#include <cstdio>

#include "support/error.h"

namespace wick::tools {

const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      {"ir", "parse, verify and print an IR text file",
       "usage: wick ir [FILE.wir] [--no-verify]\n"
       "  Parses FILE (the bundled example graph when omitted), verifies it and prints it.\n",
       run_ir},
      {"inspect", "load a TorchScript .pt file and print its IR",
       "usage: wick inspect MODEL.pt [--method NAME]\n"
       "  Reads MODEL.pt without LibTorch and prints the IR of a method (forward by default).\n",
       run_inspect},
  };
  return all;
}

const char* usage_of(const std::string& name) {
  for (const auto& c : commands())
    if (name == c.name) return c.usage;
  return "";
}

bool wants_help(const Args& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}

void usage_error(const std::string& message, const char* usage) {
  throw Error(message + "\n" + usage);
}

}  // namespace wick::tools
