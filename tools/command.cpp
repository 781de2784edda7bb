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
      {"run", "compile and run a model on the CPU",
       "usage: wick run MODEL.pt --input A.npy|SHAPE [--input ...] --output-dir DIR\n"
       "                [--threads N] [--seed S] [--method NAME] [--verbose]\n"
       "  Each --input is a .npy file or a shape such as 200x14 (seeded standard-normal\n"
       "  float32). Writes DIR/output0.npy, DIR/output1.npy, ... (tuple outputs flattened in\n"
       "  order). --verbose prints the time to load, to compile (per kernel, with cache hits)\n"
       "  and to execute.\n",
       run_run},
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
