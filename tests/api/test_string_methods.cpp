// Python's str methods in a model's code (`self.mode.strip().lower()`,
// `name.startswith("sum")`, `spec.split(",")`), and sorted() of known
// lists of strings and ints, folded while compiling, run
// by jit_load against LibTorch on fresh inputs: each result becomes one
// number of the output, so a fold that differs from Python's changes it. A
// str method on a string wick cannot know when compiling is refused.
#include <gtest/gtest.h>

#include <string>

#include "api/jit_module.h"
#include "frontend/loader.h"
#include "runtime/npy.h"
#include "support/error.h"
#include "tests/api/jit_helpers.h"
#include "tests/frontend/python_files.h"

namespace wick {
namespace {

class StringMethods : public test::PythonFiles<StringMethods> {
 public:
  static const char* tag() { return "string_methods"; }
  static std::string script() {
    return R"py(
from typing import List

import numpy as np
import torch
from torch import Tensor, nn


def flag(b: bool) -> float:
    return 1.0 if b else 0.0


class Strings(nn.Module):
    def __init__(self):
        super().__init__()
        self.mode = "  Sum_Pool\t"
        self.spec = "a,b,,c"
        self.words = " one  two three  "

    def forward(self, x: Tensor) -> Tensor:
        m = self.mode.strip().lower()
        parts = self.spec.split(",")
        words = self.words.split()
        first_two = self.words.split(None, 1)
        values: List[float] = [
            flag(m.startswith("sum")), flag(m.endswith("pool")), flag(m.startswith("pool")),
            float(m.find("pool")), float(m.find("avg")),
            float(len(parts)), float(len(parts[2])), float(len(words)), float(len(first_two)),
            float(len(first_two[1])), float(len(self.mode.lstrip())), float(len(self.mode.rstrip())),
            float(len(self.spec.strip("ac,"))), flag("-".join(parts) == "a-b--c"),
            flag(self.spec.replace(",", "") == "abc"), flag(self.spec.replace(",", ";", 2) == "a;b;,c"),
            flag(m.upper() == "SUM_POOL"),
            flag("123".isdigit()), flag("12a".isdigit()), flag("".isdigit()), flag("abC".isalpha()),
            flag("a1".isalnum()), flag(" \t".isspace()), flag("AB1".isupper()), flag("Ab".isupper()),
            flag("ab1".islower()), flag("12".islower()), float(len(self.spec.split(",", 1))),
            float(len(sorted(["ccc", "a", "bb"])[0])), float(len(sorted(self.spec.split(","))[3])),
            float(sorted([3, 1, 2])[0] * 10 + sorted([2.5, -1.0, 0.5])[1]),
        ]
        return x * torch.tensor(values)


class RuntimeString(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        s = str(x.size(0))
        if s.startswith("1", 1):
            return x + 1.0
        return x


torch.jit.script(Strings()).save("strings.pt")
torch.jit.script(RuntimeString()).save("runtime_string.pt")
torch.seed()  # fresh inputs on every run
x = torch.randn(3, 31)
np.save("x.npy", x.numpy())
with torch.no_grad():
    np.save("strings_out.npy", torch.jit.load("strings.pt")(x).numpy())
)py";
  }
};

TEST_F(StringMethods, FoldedAsPythonComputesThem) {
  const auto out = test::load_uncached(path("strings.pt")).forward({read_npy(path("x.npy"))});
  ASSERT_EQ(out.size(), 1u);
  test::expect_close(out[0], read_npy(path("strings_out.npy")), 1e-6);
}

TEST_F(StringMethods, MethodWithArgumentsNotFoldedIsReported) {
  try {
    test::load_uncached(path("runtime_string.pt")).forward({read_npy(path("x.npy"))});
    ADD_FAILURE() << "startswith with a start index ran";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("aten::startswith"), std::string::npos) << message;
    EXPECT_NE(message.find("runtime_string.pt:code/__torch__.py:"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace wick
