// While loops whose condition the body never changes, scripted by LibTorch
// and run by jit_load: when the condition is false the loop is skipped and
// the outputs match LibTorch's; when it is true the loop would never end,
// and wick raises an error naming the loop's source line after one trip
// instead of hanging; a body that raises by itself keeps its own way out.
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

class EndlessLoops : public test::PythonFiles<EndlessLoops> {
 public:
  static const char* tag() { return "endless_loops"; }
  static std::string script() {
    return R"py(
import zipfile

import numpy as np
import torch
from torch import Tensor, nn


class Halve(nn.Module):
    """Halves x while `go` holds; nothing in the body changes `go`."""

    def forward(self, x: Tensor) -> Tensor:
        go = bool(x.sum() > 1000.0)
        while go:
            x = x * 0.5
        return x + 1.0


class Bounded(nn.Module):
    """The same loop, ended by a raise in its body after a few trips."""

    def forward(self, x: Tensor) -> Tensor:
        go = bool(x.sum() > 1000.0)
        k = 0
        while go:
            x = x * 0.5
            k += 1
            if k > 3:
                raise ValueError("stopped after three trips")
        return x


torch.manual_seed(5)
torch.jit.script(Halve()).save("halve.pt")
with zipfile.ZipFile("halve.pt") as z:
    code = [n for n in z.namelist() if n.endswith("code/__torch__.py")][0]
    lines = z.read(code).decode().splitlines()
    line = next(i + 1 for i, l in enumerate(lines) if l.strip().startswith("while "))
    open("halve_while.txt", "w").write("code/__torch__.py:%d:" % line)
torch.jit.script(Bounded()).save("bounded.pt")
small = torch.randn(4, 6)
np.save("small.npy", small.numpy())
np.save("large.npy", (small.abs() + 100.0).numpy())
with torch.no_grad():
    np.save("halve_out.npy", torch.jit.load("halve.pt")(small).numpy())
    try:
        torch.jit.load("bounded.pt")(small.abs() + 100.0)
    except Exception as e:
        open("bounded_error.txt", "w").write(str(e))
)py";
  }

 protected:
  static Tensor npy(const std::string& name) { return read_npy(path(name + ".npy")); }

  static JitModule load(const std::string& model) { return test::load_uncached(path(model + ".pt")); }

  // The message of the error `model` raises on `input`, or "" when it runs.
  static std::string error_of(const std::string& model, const Tensor& input) {
    JitModule m = load(model);
    try {
      m.forward({input});
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
};

TEST_F(EndlessLoops, FalseConditionSkipsTheLoop) {
  JitModule m = load("halve");
  const auto out = m.forward({npy("small")});
  ASSERT_EQ(out.size(), 1u);
  test::expect_close(out[0], npy("halve_out"), 1e-6);
}

TEST_F(EndlessLoops, TrueConditionRaisesInsteadOfHanging) {
  const std::string message = error_of("halve", npy("large"));
  EXPECT_NE(message.find("this while loop never ends"), std::string::npos) << message;
  // The loop's line in the saved code: `while go:`.
  const std::string line = bytes_of("halve_while.txt");
  EXPECT_NE(message.find(line), std::string::npos) << message << "\nwants " << line;
}

TEST_F(EndlessLoops, BodyThatRaisesEndsTheLoopItself) {
  const std::string want = bytes_of("bounded_error.txt");
  ASSERT_NE(want.find("stopped after three trips"), std::string::npos) << want;
  const std::string message = error_of("bounded", npy("large"));
  EXPECT_NE(message.find("stopped after three trips"), std::string::npos) << message;
  EXPECT_EQ(message.find("never ends"), std::string::npos) << message;
}

}  // namespace
}  // namespace wick
