#include "ir_case_file.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace wick::testing {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> list_case_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".wir") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

void finish(IrCase& c, std::vector<IrCase>& out) {
  if (c.body.find_first_not_of(" \n\t") == std::string::npos) return;
  c.text = std::string(static_cast<size_t>(c.first_line - 1), '\n') + c.body;
  out.push_back(c);
}

}  // namespace

std::vector<IrCase> read_ir_cases(const std::string& path) {
  std::istringstream in(read_file(path));
  std::vector<IrCase> out;
  IrCase c;
  c.file = path;
  std::string line;
  int n = 0;
  const std::string kExpect = "// expect-error: ";
  const std::string kRun = "// run: ";
  while (std::getline(in, line)) {
    ++n;
    if (line == "// -----") {
      finish(c, out);
      c = IrCase();
      c.file = path;
      c.first_line = n + 1;
      continue;
    }
    if (c.has_expected) {
      c.expected += line + "\n";
      continue;
    }
    if (line.rfind(kExpect, 0) == 0) {
      std::string rest = line.substr(kExpect.size());
      c.expects_error = true;
      size_t colon1 = rest.find(':');
      size_t colon2 = rest.find(':', colon1 + 1);
      if (colon1 == std::string::npos || colon2 == std::string::npos)
        throw std::runtime_error(path + ":" + std::to_string(n) + ": malformed expect-error");
      c.error_line = std::stoi(rest.substr(0, colon1));
      c.error_column = std::stoi(rest.substr(colon1 + 1, colon2 - colon1 - 1));
      c.error_text = rest.substr(colon2 + 1);
      c.error_text.erase(0, c.error_text.find_first_not_of(' '));
    }
    if (line == "// expect:") {
      c.has_expected = true;
      continue;
    }
    if (line.rfind(kRun, 0) == 0) {
      std::istringstream names(line.substr(kRun.size()));
      std::string name;
      while (std::getline(names, name, ',')) {
        name.erase(0, name.find_first_not_of(' '));
        name.erase(name.find_last_not_of(' ') + 1);
        if (!name.empty()) c.passes.push_back(name);
      }
    }
    c.body += line + "\n";
  }
  finish(c, out);
  return out;
}

}  // namespace wick::testing
