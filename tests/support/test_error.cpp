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

// Names from a user's file may hold any bytes: the printed message escapes
// those that are not UTF-8 text and control characters; message() keeps them.
TEST(Error, BytesThatAreNotTextPrintEscaped) {
  const std::string name = "__torch__.zoo.___torch\xb9mangle_7\x01.Net";
  Error e("no code for class " + name, {"m\xffodel.pt", 0, 0});
  EXPECT_EQ(std::string(e.what()), "m\\xffodel.pt: error: no code for class __torch__.zoo.___torch\\xb9mangle_7\\x01.Net");
  EXPECT_EQ(e.message(), "no code for class " + name);
  // UTF-8 text stays as it is, newlines and tabs too; a sequence cut short,
  // an overlong form and one past U+10FFFF do not.
  EXPECT_EQ(std::string(Error("µs \u2192 \U0001F600\tx\ny").what()), "error: µs \u2192 \U0001F600\tx\ny");
  EXPECT_EQ(std::string(Error("a\xe2\x86").what()), "error: a\\xe2\\x86");
  EXPECT_EQ(std::string(Error("\xc0\xaf \xe0\x80\xaf \xf4\x90\x80\x80").what()),
            "error: \\xc0\\xaf \\xe0\\x80\\xaf \\xf4\\x90\\x80\\x80");
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
