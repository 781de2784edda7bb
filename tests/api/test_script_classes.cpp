// Objects of TorchScript classes (`@torch.jit.script class`) made by a
// model's code, run by jit_load against LibTorch on fresh inputs: methods
// that change an object's tensor and int attributes in ifs and loops, names
// that alias one object, a method that returns a new object, objects held in
// another object's attributes and passed through a free function, objects
// made in each branch of an if or inside a loop body, and an object pickled
// as a module attribute. What a plan cannot hold (a list of objects, a loop
// that binds a name to another object) is refused, naming the class.
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

class ScriptClasses : public test::PythonFiles<ScriptClasses> {
 public:
  static const char* tag() { return "script_classes"; }
  static std::string script() {
    return R"py(
from typing import List, Tuple

import numpy as np
import torch
from torch import Tensor, nn


@torch.jit.script
class Pair:
    def __init__(self, a: Tensor, b: Tensor):
        self.a = a
        self.b = b
        self.count = 0

    def total(self) -> Tensor:
        return self.a + self.b

    def bump(self, x: Tensor):
        self.a = self.a * x
        self.count += 1


class Mutating(nn.Module):
    """Methods change a tensor and an int attribute in both branches of an
    if and in a loop; a second name aliases the object."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        p = Pair(self.lin(x), y)
        if bool(x.sum() > 0):
            p.bump(y)
        else:
            p.bump(torch.sigmoid(x))
        for i in range(3):
            p.bump(x * 0.5 + 1.0)
        q = p
        q.b = q.b + 1.0
        return p.total() * p.count


@torch.jit.script
class Stats:
    def __init__(self, total: Tensor, n: int):
        self.total = total
        self.n = n

    def add(self, x: Tensor) -> "Stats":
        return Stats(self.total + x.sum(0), self.n + x.size(0))

    def mean(self) -> Tensor:
        return self.total / self.n


@torch.jit.script
class Holder:
    def __init__(self, stats: Stats, pair: Tuple[Tensor, Tensor]):
        self.stats = stats
        self.pair = pair


@torch.jit.script
def accumulate(s: Stats, xs: List[Tensor]) -> Stats:
    for x in xs:
        s.total = s.total + x.sum(0)
        s.n = s.n + x.size(0)
    return s


class Nested(nn.Module):
    """A method returns a new object; an object and a tuple held in another
    object's attributes; a free function changes an object it is passed."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(5, 3)

    def forward(self, x: Tensor, y: Tensor) -> Tuple[Tensor, Tensor]:
        s = Stats(torch.zeros(3), 0)
        s = s.add(self.lin(x))
        h = Holder(s, (x, y))
        accumulate(h.stats, [self.lin(y), self.lin(x) * 2])
        a, b = h.pair
        return h.stats.mean() * h.stats.n, a.sum() + b.sum()


class PerBranch(nn.Module):
    """Each branch makes its own objects, one inside another, one in a
    tuple, and aliases one; the objects join after the if and change
    further."""

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        if bool(x.mean() > y.mean()):
            inner = Pair(x, y)
            h = Holder(Stats(x.sum(0), 2), (x, y))
            t = (Pair(x + 1.0, y), 2)
        else:
            inner = Pair(y, x * 2)
            h = Holder(Stats(y.sum(0), 3), (y, x))
            t = (Pair(y, x), 3)
        alias = inner
        alias.bump(y)
        h.stats.total = h.stats.total + 1.0
        t[0].bump(x)
        return inner.total() + h.stats.mean() + h.pair[0] * inner.count + t[0].total() * t[1]


class InLoop(nn.Module):
    """An object made and used inside a loop's body, afresh on each trip."""

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        acc = torch.zeros_like(x)
        for i in range(4):
            p = Pair(x * float(i), y)
            p.bump(y)
            acc = acc + p.total()
        return acc


@torch.jit.script
class Config:
    def __init__(self, scale: float, times: int):
        self.scale = scale
        self.times = times

    def apply(self, x: Tensor) -> Tensor:
        for i in range(self.times):
            x = x * self.scale + 1.0
        return x


class Configured(nn.Module):
    """An object of a TorchScript class pickled as a module attribute."""

    cfg: Config

    def __init__(self):
        super().__init__()
        self.cfg = Config(0.5, 3)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        return self.cfg.apply(x) - y


class ObjectList(nn.Module):
    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        pairs = [Pair(x, y), Pair(y, x)]
        return pairs[0].total()


class RebindInLoop(nn.Module):
    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        p = Pair(x, y)
        for i in range(2):
            p = Pair(p.total(), y)
        return p.a


torch.manual_seed(3)
models = {"mutating": Mutating(), "nested": Nested(), "per_branch": PerBranch(), "in_loop": InLoop(),
          "configured": Configured(), "object_list": ObjectList(), "rebind_in_loop": RebindInLoop()}
for name, m in models.items():
    torch.jit.script(m).save(name + ".pt")

torch.seed()  # fresh inputs on every run
inputs = {"mutating": (torch.randn(3, 4), torch.randn(3, 4)),
          "nested": (torch.randn(4, 5), torch.randn(2, 5)),
          "per_branch": (torch.randn(2, 3), torch.randn(2, 3)),
          "in_loop": (torch.randn(2, 3), torch.randn(2, 3)),
          "configured": (torch.randn(2, 3), torch.randn(2, 3))}
with torch.no_grad():
    for name, xs in inputs.items():
        for k, t in enumerate(xs):
            np.save("%s_in%d.npy" % (name, k), t.numpy())
        out = torch.jit.load(name + ".pt")(*xs)
        for k, t in enumerate(out if isinstance(out, tuple) else (out,)):
            np.save("%s_out%d.npy" % (name, k), t.numpy())
    # per_branch both ways: the other branch on negated inputs.
    xs = (-inputs["per_branch"][0].abs() - 1.0, inputs["per_branch"][1].abs() + 1.0)
    for k, t in enumerate(xs):
        np.save("per_branch_else_in%d.npy" % k, t.numpy())
    np.save("per_branch_else_out0.npy", torch.jit.load("per_branch.pt")(*xs).numpy())
)py";
  }

 protected:
  static Tensor npy(const std::string& name) { return read_npy(path(name + ".npy")); }

  // `model` on the inputs saved under `stem` matches LibTorch's outputs.
  static void expect_matches(const std::string& model, size_t outputs, const std::string& stem = {}) {
    const std::string s = stem.empty() ? model : stem;
    const auto out = test::load_uncached(path(model + ".pt")).forward({npy(s + "_in0"), npy(s + "_in1")});
    ASSERT_EQ(out.size(), outputs);
    for (size_t k = 0; k < outputs; ++k)
      test::expect_close(out[k], npy(s + "_out" + std::to_string(k)), 1e-5, "output " + std::to_string(k));
  }

  static std::string error_of(const std::string& model) {
    try {
      test::load_uncached(path(model + ".pt")).forward({npy("in_loop_in0"), npy("in_loop_in1")});
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }
};

TEST_F(ScriptClasses, MethodsChangeAttributesInIfsAndLoops) { expect_matches("mutating", 1); }

TEST_F(ScriptClasses, ObjectsReturnedHeldAndPassedToFunctions) { expect_matches("nested", 2); }

TEST_F(ScriptClasses, ObjectsMadeInEachBranchJoin) {
  expect_matches("per_branch", 1);
  expect_matches("per_branch", 1, "per_branch_else");
}

TEST_F(ScriptClasses, ObjectMadeInsideALoopBody) { expect_matches("in_loop", 1); }

TEST_F(ScriptClasses, ObjectPickledAsAModuleAttribute) { expect_matches("configured", 1); }

TEST_F(ScriptClasses, ListOfObjectsIsRefused) {
  const std::string e = error_of("object_list");
  EXPECT_NE(e.find("an object of class __torch__.Pair cannot be used as a value"), std::string::npos) << e;
  EXPECT_NE(e.find("object_list.pt:code/__torch__.py:"), std::string::npos) << e;
}

TEST_F(ScriptClasses, LoopBindingANameToAnotherObjectIsRefused) {
  const std::string e = error_of("rebind_in_loop");
  EXPECT_NE(e.find("this loop binds 'p"), std::string::npos) << e;
  EXPECT_NE(e.find("' to another object"), std::string::npos) << e;
  EXPECT_NE(e.find("rebind_in_loop.pt:code/__torch__.py:"), std::string::npos) << e;
}

}  // namespace
}  // namespace wick
