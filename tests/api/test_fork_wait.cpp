// torch.jit.fork and torch.jit.wait, run by jit_load against LibTorch on
// fresh inputs: saved code forks a nested def (a closure over the method's
// variables), a module's forward or a function with keyword arguments, and
// keeps futures in a list. wick runs each forked call where the fork is, so
// a future is its result. A fork of something that is no function (an
// archive whose code was edited) is refused with its source line.
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

class ForkWait : public test::PythonFiles<ForkWait> {
 public:
  static const char* tag() { return "fork_wait"; }
  static std::string script() {
    return R"py(
import zipfile

import numpy as np
import torch
from torch import Tensor, nn


class TwoBranches(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 4)

    def forward(self, x: Tensor) -> Tensor:
        f1 = torch.jit.fork(self.a, x)
        f2 = torch.jit.fork(self.b, torch.relu(x))
        return torch.jit.wait(f1) * torch.jit.wait(f2)


def scaled(x: Tensor, k: float) -> Tensor:
    return torch.tanh(x) * k


class Ensemble(nn.Module):
    def __init__(self):
        super().__init__()
        self.models = nn.ModuleList([nn.Linear(4, 3) for _ in range(3)])

    def forward(self, x: Tensor):
        futures = [torch.jit.fork(m, x) for m in self.models]
        g = torch.jit.fork(scaled, x, k=2.0)
        results = [torch.jit.wait(fut) for fut in futures]
        return torch.stack(results).mean(0), torch.jit.wait(g)


torch.manual_seed(4)
torch.jit.script(TwoBranches()).save("two_branches.pt")
ensemble = Ensemble()
torch.jit.script(ensemble).save("ensemble.pt")
torch.jit.trace(ensemble, torch.randn(2, 4)).save("ensemble_traced.pt")

# The fork's function replaced by a tensor.
with zipfile.ZipFile("two_branches.pt") as src, zipfile.ZipFile("fork_of_tensor.pt", "w") as dst:
    for info in src.infolist():
        data = src.read(info.filename)
        if info.filename.endswith("code/__torch__.py"):
            text = data.decode()
            assert "fork(__forked_function)" in text
            data = text.replace("fork(__forked_function)", "fork(x)").encode()
        dst.writestr(info, data)

torch.seed()  # fresh inputs on every run
x = torch.randn(5, 4)
np.save("x.npy", x.numpy())
with torch.no_grad():
    for name in ["two_branches", "ensemble", "ensemble_traced"]:
        out = torch.jit.load(name + ".pt")(x)
        for k, t in enumerate(out if isinstance(out, tuple) else (out,)):
            np.save("%s_out%d.npy" % (name, k), t.numpy())
)py";
  }

 protected:
  static Tensor npy(const std::string& name) { return read_npy(path(name + ".npy")); }

  static void expect_matches(const std::string& model, size_t outputs) {
    const auto out = test::load_uncached(path(model + ".pt")).forward({npy("x")});
    ASSERT_EQ(out.size(), outputs);
    for (size_t k = 0; k < outputs; ++k)
      test::expect_close(out[k], npy(model + "_out" + std::to_string(k)), 1e-5, "output " + std::to_string(k));
  }
};

TEST_F(ForkWait, ForkedModulesJoinAtTheirWaits) { expect_matches("two_branches", 1); }

TEST_F(ForkWait, ListOfFuturesAndAForkedFunctionWithKeywords) { expect_matches("ensemble", 2); }

TEST_F(ForkWait, TracedForks) { expect_matches("ensemble_traced", 2); }

TEST_F(ForkWait, ForkOfSomethingThatIsNoFunctionIsRefused) {
  try {
    test::load_uncached(path("fork_of_tensor.pt")).forward({npy("x")});
    ADD_FAILURE() << "a fork of a tensor ran";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("fork() of something that is not a function"), std::string::npos) << message;
    EXPECT_NE(message.find("fork_of_tensor.pt:code/__torch__.py:"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace wick
