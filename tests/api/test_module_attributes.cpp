// Attributes a method assigns (`self.levels = [x]`), run by jit_load against
// LibTorch on fresh inputs: a pyramid built into a list attribute by one
// method, appended to through a variable that aliases it, and read by
// another inside a loop, as torchvision's RAFT builds its correlation
// pyramid (its CorrBlock itself, and RAFT-small end to end); a list of
// tensors returned. Assignments whose value LibTorch would carry into the
// next call are refused, with the attribute's name.
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

class ModuleAttributes : public test::PythonFiles<ModuleAttributes> {
 public:
  static const char* tag() { return "module_attributes"; }
  static std::string script() {
    return R"py(
import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor, nn
from typing import List
from torchvision.models.optical_flow.raft import CorrBlock


class Pyramid(nn.Module):
    """A list attribute built by one method and read by another in a loop;
    offsets from linspace and a reversed meshgrid; a list returned."""

    levels: List[Tensor]

    def __init__(self):
        super().__init__()
        self.levels = []
        self.depth = 3

    def build(self, x: Tensor):
        self.levels = [x]
        for i in range(self.depth):
            levels = self.levels
            levels.append(F.avg_pool2d(levels[-1], 2))

    def forward(self, x: Tensor, y: Tensor) -> List[Tensor]:
        self.build(x)
        d = torch.linspace(-1.0, 1.0, 3)
        offsets = torch.stack(torch.meshgrid([d, d * 2], indexing="ij")[::-1], -1)
        out: List[Tensor] = []
        for i in range(len(self.levels)):
            level = self.levels[i]
            out.append(level.mean((2, 3)) * y + offsets.sum() + float(level.size(-1)))
        return out


class Corr(nn.Module):
    """torchvision's RAFT correlation block: build_pyramid assigns its
    corr_pyramid attribute, index_pyramid samples it."""

    def __init__(self):
        super().__init__()
        self.corr = CorrBlock(num_levels=3, radius=2)

    def forward(self, f1: Tensor, f2: Tensor, coords: Tensor) -> Tensor:
        self.corr.build_pyramid(f1, f2)
        return self.corr.index_pyramid(coords)


class ReadFirst(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = 2.0

    def forward(self, x: Tensor) -> Tensor:
        y = x * self.scale
        self.scale = 3.0
        return y


class OneBranch(nn.Module):
    cache: List[Tensor]

    def __init__(self):
        super().__init__()
        self.cache = []

    def forward(self, x: Tensor) -> Tensor:
        if bool(x.sum() > 0):
            self.cache = [x]
        return x + 1


class InLoop(nn.Module):
    cache: List[Tensor]

    def __init__(self):
        super().__init__()
        self.cache = []

    def forward(self, x: Tensor) -> Tensor:
        for i in range(2):
            self.cache = [x * i]
        return x + 1


torch.manual_seed(11)
for name, m in [("pyramid", Pyramid()), ("corr", Corr()), ("read_first", ReadFirst()),
                ("one_branch", OneBranch()), ("in_loop", InLoop())]:
    torch.jit.script(m).save(name + ".pt")
raft = torch.jit.script(torchvision.models.optical_flow.raft_small(weights=None).eval())
raft.save("raft_small.pt")

# Fresh inputs; LibTorch's outputs on them.
x = torch.randn(2, 3, 16, 16)
y = torch.randn(2, 3)
f1 = torch.randn(1, 8, 8, 8)
f2 = torch.randn(1, 8, 8, 8)
coords = torch.stack(torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing="xy")).unsqueeze(0)
coords = coords + torch.randn(1, 2, 8, 8) * 2
image1 = torch.randn(1, 3, 128, 128)
image2 = torch.randn(1, 3, 128, 128)
for name, t in [("x", x), ("y", y), ("f1", f1), ("f2", f2), ("coords", coords), ("image1", image1),
                ("image2", image2)]:
    np.save(name + ".npy", t.numpy())
with torch.no_grad():
    for model, inputs in [("pyramid", (x, y)), ("corr", (f1, f2, coords)), ("raft_small", (image1, image2))]:
        out = torch.jit.load(model + ".pt")(*inputs)
        for i, t in enumerate(out if isinstance(out, list) else [out]):
            np.save("%s_out%d.npy" % (model, i), t.numpy())
)py";
  }

 protected:
  static Tensor npy(const std::string& name) { return read_npy(path(name + ".npy")); }

  static void expect_matches(const std::string& model, const std::vector<Tensor>& inputs, size_t outputs,
                             double tol) {
    const auto out = test::load_uncached(path(model + ".pt")).forward(inputs);
    ASSERT_EQ(out.size(), outputs);
    for (size_t k = 0; k < outputs; ++k)
      test::expect_close(out[k], npy(model + "_out" + std::to_string(k)), tol, "output " + std::to_string(k));
  }

  // The error compiling `model` for a [2, 3] input.
  static std::string error_of(const std::string& model) {
    try {
      test::load_uncached(path(model + ".pt")).forward({npy("y")});
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }
};

TEST_F(ModuleAttributes, ListAttributeBuiltByOneMethodReadByAnother) {
  expect_matches("pyramid", {npy("x"), npy("y")}, 4, 1e-5);
}

TEST_F(ModuleAttributes, RaftCorrelationBlock) { expect_matches("corr", {npy("f1"), npy("f2"), npy("coords")}, 1, 1e-5); }

// Twelve refinements, each sampling the pyramid. The images give 16 x 16
// features: at 8 x 8 the pyramid's last level is 1 x 1, where RAFT's
// coordinate scaling divides by zero and LibTorch's flow is NaN throughout.
TEST_F(ModuleAttributes, RaftSmallEndToEnd) {
  expect_matches("raft_small", {npy("image1"), npy("image2")}, 12, 1e-5);
}

TEST_F(ModuleAttributes, ReadBeforeAssignmentIsRefused) {
  const std::string e = error_of("read_first");
  EXPECT_NE(e.find("self.scale is read before this assignment"), std::string::npos) << e;
  EXPECT_NE(e.find("read_first.pt"), std::string::npos) << e;
}

TEST_F(ModuleAttributes, AssignmentOnOneBranchIsRefused) {
  const std::string e = error_of("one_branch");
  EXPECT_NE(e.find("assigns self.cache on one branch only"), std::string::npos) << e;
}

TEST_F(ModuleAttributes, FirstAssignmentInALoopIsRefused) {
  const std::string e = error_of("in_loop");
  EXPECT_NE(e.find("this loop assigns self.cache first"), std::string::npos) << e;
}

}  // namespace
}  // namespace wick
