// Runs every case in tests/ir/cases/*.wir: round trips must print back
// exactly; error cases must fail at the stated position with the stated text.
#include <gtest/gtest.h>

#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "ir_case_file.h"
#include "test_paths.h"

namespace wick {
namespace {

using testing::IrCase;

std::vector<IrCase> all_cases() {
  std::vector<IrCase> all;
  for (const auto& f : testing::list_case_files((wick::test_paths::source_dir() + "/tests/ir/cases"))) {
    auto cs = testing::read_ir_cases(f);
    all.insert(all.end(), cs.begin(), cs.end());
  }
  return all;
}

std::string case_name(const ::testing::TestParamInfo<IrCase>& info) {
  std::string f = info.param.file.substr(info.param.file.rfind('/') + 1);
  f = f.substr(0, f.find('.'));
  return f + "_line" + std::to_string(info.param.first_line);
}

class IrText : public ::testing::TestWithParam<IrCase> {};

TEST_P(IrText, Case) {
  const IrCase& c = GetParam();
  if (c.expects_error) {
    try {
      auto m = ir::parse_module(c.text, "case.wir");
      ir::verify(*m);
      FAIL() << "expected an error at " << c.error_line << ":" << c.error_column << ": "
             << c.error_text;
    } catch (const Error& e) {
      EXPECT_EQ(e.where().line, c.error_line) << e.what();
      EXPECT_EQ(e.where().column, c.error_column) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.error_text), std::string::npos)
          << "message: " << e.what() << "\nexpected to contain: " << c.error_text;
    }
    return;
  }
  auto m = ir::parse_module(c.text, "case.wir");
  ir::verify(*m);
  // The body minus comment lines is the expected print.
  std::string expected;
  std::istringstream in(c.body);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("//", 0) != 0 && !(expected.empty() && line.empty())) expected += line + "\n";
  while (expected.size() >= 2 && expected.compare(expected.size() - 2, 2, "\n\n") == 0)
    expected.pop_back();
  EXPECT_EQ(ir::print(*m), expected);
  // And what is printed parses back to the same print.
  auto again = ir::parse_module(ir::print(*m), "printed.wir");
  ir::verify(*again);
  EXPECT_EQ(ir::print(*again), ir::print(*m));
}

INSTANTIATE_TEST_SUITE_P(Cases, IrText, ::testing::ValuesIn(all_cases()), case_name);

TEST(IrText, EveryFileHasCases) {
  auto files = testing::list_case_files((wick::test_paths::source_dir() + "/tests/ir/cases"));
  ASSERT_GE(files.size(), 3u);
  for (const auto& f : files) EXPECT_FALSE(testing::read_ir_cases(f).empty()) << f;
}

}  // namespace
}  // namespace wick
