// The `with` statements scripts save, through jit_load against LibTorch:
// the profiler's record_function (a label) and torch.jit.strict_fusion run
// their bodies as written, also around and inside torch.no_grad(). A
// `with` over any other object (a TorchScript class with __enter__ and
// __exit__) is refused at the `with`, naming its class.
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

class ContextManagers : public test::PythonFiles<ContextManagers> {
 public:
  static const char* tag() { return "context_managers"; }
  static std::string script() {
    return R"py(
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn


class Labelled(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 5)
        self.b = nn.Linear(5, 3)

    def forward(self, x: Tensor) -> Tensor:
        with torch.autograd.profiler.record_function("first layer"):
            y = self.a(x).relu()
            with torch.no_grad():
                scale = y.abs().mean()
        with torch.jit.strict_fusion():
            z = y * 2.0 + 1.0
        with torch.no_grad():
            with torch.autograd.profiler.record_function("inside no_grad"):
                shift = z.mean()
        return self.b(z / scale - shift)


@torch.jit.script
class Timer:
    def __init__(self):
        pass

    def __enter__(self):
        pass

    def __exit__(self, kind: Any, value: Any, tb: Any):
        pass


class Timed(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        with Timer():
            y = x + 1.0
        return y


torch.manual_seed(5)
m = torch.jit.script(Labelled())
m.save("labelled.pt")
x = torch.randn(4, 6)
np.save("x.npy", x.numpy())
with torch.no_grad():
    np.save("labelled_out.npy", m(x).numpy())
torch.jit.script(Timed()).save("timed.pt")
)py";
  }
};

TEST_F(ContextManagers, RecordFunctionAndStrictFusionRunTheirBodies) {
  JitModule m = test::load_uncached(path("labelled.pt"));
  const auto out = m.forward({read_npy(path("x.npy"))});
  ASSERT_EQ(out.size(), 1u);
  test::expect_close(out[0], read_npy(path("labelled_out.npy")), 1e-5);
}

TEST_F(ContextManagers, OtherContextObjectsAreRefused) {
  try {
    test::load_uncached(path("timed.pt")).forward({read_npy(path("x.npy"))});
    ADD_FAILURE() << "a `with` over a TorchScript class ran";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("a `with` over an object of class __torch__.Timer is not supported"), std::string::npos)
        << message;
    EXPECT_NE(message.find("timed.pt:code/__torch__.py:"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace wick
