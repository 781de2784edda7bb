// `wick ir`: parse, verify and print IR text. Without a file it prints the
// bundled example, the NN5 tabular MLP.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "tools/command.h"
#include "tools/example_graph.h"

namespace wick::tools {

namespace {
std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open file", {path});
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

int run_ir(const Args& args) {
  const char* usage = usage_of("ir");
  if (wants_help(args)) {
    std::printf("%s", usage);
    return 0;
  }
  std::string file;
  bool verify_ir = true;
  for (const std::string& a : args) {
    if (a == "--no-verify") verify_ir = false;
    else if (!a.empty() && a[0] == '-') usage_error("unknown option " + a, usage);
    else if (file.empty()) file = a;
    else usage_error("more than one file given", usage);
  }
  std::string text = file.empty() ? std::string(kExampleGraph) : read_text_file(file);
  auto module = ir::parse_module(text, file.empty() ? "<example>" : file);
  if (verify_ir) ir::verify(*module);
  std::fputs(ir::print(*module).c_str(), stdout);
  return 0;
}

}  // namespace wick::tools
