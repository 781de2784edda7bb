#include "support/error.h"

#include <gtest/gtest.h>

namespace wick {
namespace {

TEST(Error, MessageNamesFileLineOpAndSource) {
  Error e("unsupported op", {"code/__torch__.py", 12, 5}, "aten::frobnicate",
          "x = torch.frobnicate(y)");
  std::string what = e.what();
  EXPECT_EQ(what,
            "code/__torch__.py:12:5: error: in aten::frobnicate: unsupported op\n"
            "    x = torch.frobnicate(y)");
  EXPECT_EQ(e.message(), "unsupported op");
  EXPECT_EQ(e.where().line, 12);
}

TEST(Error, WithFileFillsOnlyMissingFile) {
  Error e("bad", {"", 3, 1});
  EXPECT_EQ(std::string(e.with_file("m.pt").what()), "m.pt:3:1: error: bad");
  Error f("bad", {"inner.py", 3, 1});
  EXPECT_EQ(f.with_file("m.pt").where().file, "inner.py");
}

TEST(Error, AssertRaisesInternalErrorNotUserError) {
  auto fails = [] { WICK_ASSERT(1 + 1 == 3, "arithmetic"); };
  EXPECT_THROW(fails(), InternalError);
  try {
    fails();
  } catch (const Error&) {
    FAIL() << "an internal failure must not look like a user error";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("arithmetic"), std::string::npos);
  }
}

}  // namespace
}  // namespace wick
