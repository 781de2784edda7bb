// Entry point of the `wick` command line.
#include <cstdio>
#include <exception>

#include "support/error.h"
#include "tools/command.h"
#include "tools/version.h"

namespace {

void print_help() {
  std::printf(
      "wick %s: a compiler and runtime for TorchScript models\n\n"
      "usage: wick <command> [options]\n\ncommands:\n",
      wick::kVersion);
  for (const auto& c : wick::tools::commands()) std::printf("  %-10s %s\n", c.name, c.summary);
  std::printf(
      "\noptions:\n  --help     show this help (also `wick <command> --help`)\n"
      "  --version  print the version\n\n"
      "User errors exit with status 2; internal errors with status 3.\n");
}

}  // namespace

int main(int argc, char** argv) {
  wick::tools::Args args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_help();
    return args.empty() ? 1 : 0;
  }
  if (args[0] == "--version") {
    std::printf("wick %s\n", wick::kVersion);
    return 0;
  }
  for (const auto& c : wick::tools::commands()) {
    if (args[0] != c.name) continue;
    try {
      return c.run(wick::tools::Args(args.begin() + 1, args.end()));
    } catch (const wick::Error& e) {
      std::fprintf(stderr, "%s\n", e.what());
      return 2;
    } catch (const wick::InternalError& e) {
      std::fprintf(stderr, "wick: %s\n", e.what());
      return 3;
    } catch (const std::bad_alloc&) {
      std::fprintf(stderr, "wick: out of memory\n");
      return 3;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "wick: internal error: %s\n", e.what());
      return 3;
    }
  }
  std::fprintf(stderr, "wick: unknown command '%s' (see wick --help)\n", args[0].c_str());
  return 2;
}
