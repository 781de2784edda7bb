// Numbers read from tensors while the plan runs (`t.item()`), used as
// numbers in tensor arithmetic without a cast: from f32, i64 and bool
// tensors, run by jit_load against LibTorch on fresh inputs.
#include <gtest/gtest.h>

#include <string>

#include "api/jit_module.h"
#include "frontend/loader.h"
#include "runtime/npy.h"
#include "tests/api/jit_helpers.h"
#include "tests/frontend/python_files.h"

namespace wick {
namespace {

class ItemValues : public test::PythonFiles<ItemValues> {
 public:
  static const char* tag() { return "item_values"; }
  static std::string script() {
    return R"py(
import numpy as np
import torch
from torch import Tensor, nn


class Items(nn.Module):
    def forward(self, x: Tensor) -> Tensor:
        scale = x.abs().mean().item()
        count = (x > 0).sum().item()
        flag = (x.max() > 1.0).item()
        y = x * scale + count
        if flag:
            y = y - 1.0
        return y / (x.size(0) + count)


torch.jit.script(Items()).save("items.pt")
torch.seed()  # fresh inputs on every run
x = torch.randn(4, 6)
np.save("x.npy", x.numpy())
with torch.no_grad():
    np.save("items_out.npy", torch.jit.load("items.pt")(x).numpy())
)py";
  }
};

TEST_F(ItemValues, NumbersReadFromTensorsInArithmetic) {
  const auto out = test::load_uncached(path("items.pt")).forward({read_npy(path("x.npy"))});
  ASSERT_EQ(out.size(), 1u);
  test::expect_close(out[0], read_npy(path("items_out.npy")), 1e-6);
}

}  // namespace
}  // namespace wick
