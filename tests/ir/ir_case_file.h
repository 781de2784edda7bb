// Reads IR text test files: cases separated by a line `// -----`, each case
// optionally carrying directives in comments:
//   // expect-error: LINE:COL: TEXT   parsing then verifying must fail with an
//                                    error at LINE:COL whose message has TEXT
// A case without directives must parse, verify and print back exactly.
// Pass tests (tests/passes) add two more:
//   // run: PASS[, PASS...]          the passes to run, in order
//   // expect:                       the rest of the case is the expected
//                                    print after the passes, not input
// Line numbers are those of the whole file, so editors and messages agree.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace wick::testing {

struct IrCase {
  std::string file;
  int first_line = 1;  // line of the case's first line in the file
  std::string text;    // padded with newlines so positions match the file
  std::string body;    // the case's own text, unpadded
  bool expects_error = false;
  int error_line = 0;
  int error_column = 0;
  std::string error_text;
  std::vector<std::string> passes;  // from `// run:`
  bool has_expected = false;
  std::string expected;  // the lines after `// expect:`
};

// Keeps test names readable when a case fails.
inline void PrintTo(const IrCase& c, std::ostream* os) { *os << c.file << ":" << c.first_line; }

std::vector<IrCase> read_ir_cases(const std::string& path);
std::string read_file(const std::string& path);
std::vector<std::string> list_case_files(const std::string& dir);

}  // namespace wick::testing
