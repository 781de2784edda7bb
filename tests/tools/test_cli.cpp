// The `wick` command line: help, version, `wick ir`, and exit codes.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "cli_runner.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "test_paths.h"

namespace wick {
namespace {

using testing::run_wick;

TEST(Cli, HelpListsCommandsAndExitsZero) {
  auto r = run_wick("--help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("usage: wick <command>"), std::string::npos);
  EXPECT_NE(r.out.find("  ir "), std::string::npos);
  auto sub = run_wick("ir --help");
  EXPECT_EQ(sub.status, 0);
  EXPECT_NE(sub.out.find("usage: wick ir"), std::string::npos);
}

TEST(Cli, VersionPrintsTheVersion) {
  auto r = run_wick("--version");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("wick ", 0), 0u);
}

TEST(Cli, UnknownCommandExitsTwo) {
  auto r = run_wick("frobnicate");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos);
}

TEST(Cli, IrWithoutFilePrintsTheBundledExampleExactly) {
  auto r = run_wick("ir");
  ASSERT_EQ(r.status, 0) << r.err;
  std::string example;
  {
    std::ifstream in((wick::test_paths::source_dir() + "/examples/nn5.wir"));
    std::ostringstream s;
    s << in.rdbuf();
    example = s.str();
  }
  EXPECT_EQ(r.out, example);
}

TEST(Cli, IrPrintsWhatItParsed) {
  std::string dir = testing::temp_dir("ir");
  std::string text =
      "graph @f(%x : Tensor(f32, [2])) -> (Tensor(f32, [2])) {\n"
      "  %y : Tensor(f32, [2]) = aten::relu(%x)\n"
      "  return(%y)\n"
      "}\n";
  testing::write_text(dir + "/g.wir", text);
  auto r = run_wick(dir + "/g.wir");
  EXPECT_EQ(r.status, 2);  // forgot the subcommand
  r = run_wick("ir " + dir + "/g.wir");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, text);
}

TEST(Cli, IrErrorsExitTwoWithFileLineAndColumn) {
  std::string dir = testing::temp_dir("ir_err");
  testing::write_text(dir + "/bad.wir",
                      "graph @f(%x : Tensor) -> (Tensor) {\n"
                      "  %y : Tensor = aten::nope(%x)\n"
                      "  return(%y)\n"
                      "}\n");
  auto r = run_wick("ir " + dir + "/bad.wir");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("bad.wir:2:17: error: unknown op 'aten::nope'"), std::string::npos) << r.err;

  testing::write_text(dir + "/unverified.wir",
                      "graph @f(%n : Int) -> (Tensor) {\n"
                      "  %y : Tensor = aten::relu(%n)\n"
                      "  return(%y)\n"
                      "}\n");
  r = run_wick("ir " + dir + "/unverified.wir");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unverified.wir:2:17: error: in aten::relu: operand 0 (self) must be Tensor"),
            std::string::npos)
      << r.err;
  r = run_wick("ir --no-verify " + dir + "/unverified.wir");
  EXPECT_EQ(r.status, 0) << r.err;
}

TEST(Cli, IrMissingFileAndBadOptionExitTwo) {
  auto r = run_wick("ir /nonexistent/graph.wir");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("/nonexistent/graph.wir: error: cannot open file"), std::string::npos) << r.err;
  r = run_wick("ir --frob");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("unknown option --frob"), std::string::npos);
}

}  // namespace
}  // namespace wick
