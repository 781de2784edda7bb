// The parser must never crash, hang or recurse without bound: every prefix of
// every test graph, random mutations and random bytes either parse or raise a
// wick::Error.
#include <gtest/gtest.h>

#include <random>

#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "ir_case_file.h"
#include "test_paths.h"

namespace wick {
namespace {

// Parses and, when that works, verifies and prints; only wick::Error may escape.
void parse_anything(const std::string& text) {
  try {
    auto m = ir::parse_module(text, "fuzz.wir");
    ir::verify(*m);
    (void)ir::print(*m);
  } catch (const Error&) {
  }
}

std::vector<std::string> corpus() {
  std::vector<std::string> texts;
  for (const auto& f : testing::list_case_files((wick::test_paths::source_dir() + "/tests/ir/cases")))
    for (const auto& c : testing::read_ir_cases(f)) texts.push_back(c.body);
  texts.push_back(testing::read_file((wick::test_paths::source_dir() + "/examples/nn5.wir")));
  return texts;
}

TEST(ParserRobustness, EveryPrefixOfEveryTestGraph) {
  size_t tried = 0;
  for (const std::string& text : corpus()) {
    for (size_t n = 0; n < text.size(); ++n) {
      parse_anything(text.substr(0, n));
      ++tried;
    }
  }
  EXPECT_GT(tried, 5000u);
}

TEST(ParserRobustness, TruncatedGraphsAreErrorsWithPositions) {
  std::string text = testing::read_file((wick::test_paths::source_dir() + "/examples/nn5.wir"));
  for (size_t n : {size_t{10}, text.size() / 2, text.size() - 3}) {
    try {
      ir::parse_module(text.substr(0, n), "cut.wir");
      FAIL() << "a graph cut at " << n << " bytes parsed";
    } catch (const Error& e) {
      EXPECT_EQ(e.where().file, "cut.wir");
      EXPECT_GT(e.where().line, 0);
      EXPECT_GT(e.where().column, 0);
    }
  }
}

TEST(ParserRobustness, RandomMutations) {
  std::mt19937 rng(1234);
  const std::string alphabet = "%@()[]{},:=*?-> \n\"\\0123456789abcxyzTensorIntf32prim::aten::";
  auto texts = corpus();
  for (int i = 0; i < 3000; ++i) {
    std::string t = texts[rng() % texts.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !t.empty(); ++e) {
      size_t pos = rng() % t.size();
      switch (rng() % 3) {
        case 0: t[pos] = alphabet[rng() % alphabet.size()]; break;
        case 1: t.erase(pos, 1 + rng() % 8); break;
        default: t.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
      }
    }
    parse_anything(t);
  }
}

TEST(ParserRobustness, RandomBytes) {
  std::mt19937 rng(99);
  for (int i = 0; i < 2000; ++i) {
    std::string t(rng() % 200, '\0');
    for (char& c : t) c = static_cast<char>(rng() % 256);
    parse_anything(t);
  }
}

TEST(ParserRobustness, DeepNestingIsAnErrorNotAStackOverflow) {
  std::string type;
  for (int i = 0; i < 100000; ++i) type += "List[";
  std::string text = "graph @g(%x : " + type + "Int" + std::string(100000, ']') + ") -> () {\n  return()\n}\n";
  try {
    ir::parse_module(text, "deep.wir");
    FAIL() << "deeply nested type parsed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nesting deeper than"), std::string::npos) << e.what();
  }
}

TEST(ParserRobustness, DeepBlocksAreAnError) {
  std::string open, close;
  for (int i = 0; i < 5000; ++i) {
    open += "%r" + std::to_string(i) + " : Int = prim::If(%c) {\nblock0() {\n";
    close = "yield(%n)\n}\nblock1() {\nyield(%n)\n}\n}\n" + close;
  }
  std::string text = "graph @g(%c : Bool, %n : Int) -> () {\n" + open + close + "return()\n}\n";
  EXPECT_THROW(ir::parse_module(text, "deep.wir"), Error);
}

}  // namespace
}  // namespace wick
