// torch.unique and unique_consecutive along dim 0 (distinct rows, a count
// the data decides), run by jit_load against LibTorch on fresh inputs with
// repeated rows: values, inverse and counts, of int64 and float rows and of
// slices of more dims; a dim other than 0 is refused.
#include <gtest/gtest.h>

#include <string>

#include "api/jit_module.h"
#include "frontend/loader.h"
#include "runtime/npy.h"
#include "tests/api/jit_helpers.h"
#include "tests/frontend/python_files.h"

namespace wick {
namespace {

using test::relative_error;

class UniqueRows : public test::PythonFiles<UniqueRows> {
 public:
  static const char* tag() { return "unique_rows"; }
  static std::string script() {
    return R"py(
import numpy as np
import torch
from torch import Tensor, nn
from typing import List


class Rows(nn.Module):
    def forward(self, ids: Tensor, x: Tensor, cube: Tensor) -> List[Tensor]:
        a = torch.unique(ids, dim=0)
        b, i, c = torch.unique(ids, sorted=True, return_inverse=True, return_counts=True, dim=0)
        d, j, k = torch.unique_consecutive(ids, return_inverse=True, return_counts=True, dim=0)
        f, fi, fc = torch.unique(x, return_inverse=True, return_counts=True, dim=0)
        g, gi, gc = torch.unique(cube, return_inverse=True, return_counts=True, dim=0)
        h = torch.unique_consecutive(cube, dim=0)
        return [a, b, i, c, d, j, k, f, fi, fc, g, gi, gc, h, (f * 2.0).sum(1)]


class Columns(nn.Module):
    def forward(self, ids: Tensor) -> Tensor:
        return torch.unique(ids, dim=1)


torch.jit.script(Rows()).save("rows.pt")
torch.jit.script(Columns()).save("columns.pt")
torch.seed()  # fresh inputs on every run
ids = torch.randint(0, 3, (14, 2))
ids[5] = ids[4]  # consecutive repeats for unique_consecutive
x = torch.randint(0, 3, (9, 3)).float() / 2
cube = torch.randint(0, 2, (10, 2, 2))
cube[3] = cube[2]
inputs = [ids, x, cube]
for n, t in enumerate(inputs):
    np.save(f"in{n}.npy", t.numpy())
outs = torch.jit.load("rows.pt")(*inputs)
for n, t in enumerate(outs):
    np.save(f"out{n}.npy", t.contiguous().numpy())
with open("count.txt", "w") as f:
    f.write(str(len(outs)))
)py";
  }
};

TEST_F(UniqueRows, MatchLibTorch) {
  std::vector<Tensor> inputs;
  for (int i = 0; i < 3; ++i) inputs.push_back(read_npy(path("in" + std::to_string(i) + ".npy")));
  const auto outs = test::load_uncached(path("rows.pt")).forward(inputs);
  ASSERT_EQ(std::to_string(outs.size()), word_of("count.txt"));
  for (size_t i = 0; i < outs.size(); ++i)
    EXPECT_EQ(relative_error(outs[i], read_npy(path("out" + std::to_string(i) + ".npy")), "output " + std::to_string(i)),
              0.0)
        << "output " << i;
}

TEST_F(UniqueRows, OtherDimIsRefused) {
  try {
    test::load_uncached(path("columns.pt")).forward({read_npy(path("in0.npy"))});
    FAIL() << "unique along dim 1 ran";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unique along dim 1 is not supported: only along dim 0"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace wick
