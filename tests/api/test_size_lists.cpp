// Lists of sizes the code builds and changes before a view or reshape
// (`shape = list(x.size()); shape[-1] = k`, a list appended to in a loop
// over x.shape and then assigned into), run by jit_load against LibTorch on
// fresh inputs. Such a list is known only once the graph is specialized to
// the input's sizes, where the assignments fold.
#include <gtest/gtest.h>

#include <string>

#include "api/jit_module.h"
#include "frontend/loader.h"
#include "runtime/npy.h"
#include "tests/api/jit_helpers.h"
#include "tests/frontend/python_files.h"

namespace wick {
namespace {

class SizeLists : public test::PythonFiles<SizeLists> {
 public:
  static const char* tag() { return "size_lists"; }
  static std::string script() {
    return R"py(
from typing import List

import numpy as np
import torch
from torch import Tensor, nn


class Reshapes(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        split = list(x.size())
        split[-1] = 2
        split.append(x.size(-1) // 2)
        y = x.view(split).sum(-2)
        shape: List[int] = []
        for d in x.shape:
            shape.append(d)
        shape[0] = -1
        other = shape  # an alias sees the assignment
        other[1] = shape[1] * y.size(2)
        return y.reshape(other[:2]) * 2.0


torch.jit.script(Reshapes()).save("reshapes.pt")
torch.seed()  # fresh inputs on every run
x = torch.randn(3, 4, 6)
np.save("x.npy", x.numpy())
with torch.no_grad():
    np.save("reshapes_out.npy", torch.jit.load("reshapes.pt")(x).numpy())
)py";
  }
};

TEST_F(SizeLists, AssignedSizeListsFeedViews) {
  const auto out = test::load_uncached(path("reshapes.pt")).forward({read_npy(path("x.npy"))});
  ASSERT_EQ(out.size(), 1u);
  test::expect_close(out[0], read_npy(path("reshapes_out.npy")), 1e-6);
}

}  // namespace
}  // namespace wick
