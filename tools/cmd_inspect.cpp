// `wick inspect MODEL.pt [--method NAME]`: loads a TorchScript file natively
// and prints the module's IR.
#include <cstdio>

#include "frontend/loader.h"
#include "ir/printer.h"
#include "tools/command.h"

namespace wick::tools {

int run_inspect(const Args& args) {
  const char* usage = usage_of("inspect");
  if (wants_help(args)) {
    std::printf("%s", usage);
    return 0;
  }
  std::string file;
  LoadOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--method") {
      if (i + 1 >= args.size()) usage_error("--method needs a name", usage);
      options.method = args[++i];
    } else if (!a.empty() && a[0] == '-') {
      usage_error("unknown option " + a, usage);
    } else if (file.empty()) {
      file = a;
    } else {
      usage_error("more than one model given", usage);
    }
  }
  if (file.empty()) usage_error("no model given", usage);
  auto module = load_torchscript(file, options);
  std::fputs(ir::print(*module).c_str(), stdout);
  return 0;
}

}  // namespace wick::tools
