// Tuples and dicts that a loop rebinds, run by jit_load against LibTorch
// on fresh inputs: a recurrent layer written as a loop over time whose
// state, a tuple, is rebound each step (its initial state a tuple argument,
// which wick takes as one input per tensor); a nested tuple and a dict
// rebound in a for loop; a tuple carried by a while loop whose condition
// the data decides; dicts written and read by keys that loops over lists of
// names pick (such loops unroll).
#include <gtest/gtest.h>

#include <string>

#include "api/jit_module.h"
#include "frontend/loader.h"
#include "ir/printer.h"
#include "runtime/npy.h"
#include "tests/api/jit_helpers.h"
#include "tests/frontend/python_files.h"

namespace wick {
namespace {

class LoopState : public test::PythonFiles<LoopState> {
 public:
  static const char* tag() { return "loop_state"; }
  static std::string script() {
    return R"py(
import numpy as np
import torch
from torch import Tensor, nn
from typing import Dict, List, Tuple


class Cell(nn.Module):
    def __init__(self):
        super().__init__()
        self.wi = nn.Parameter(torch.randn(64, 8) * 0.3)
        self.wh = nn.Parameter(torch.randn(64, 16) * 0.3)
        self.b = nn.Parameter(torch.randn(64) * 0.1)

    def forward(self, x: Tensor, state: Tuple[Tensor, Tensor]) -> Tuple[Tensor, Tuple[Tensor, Tensor]]:
        hx, cx = state
        gates = torch.mm(x, self.wi.t()) + torch.mm(hx, self.wh.t()) + self.b
        i, f, g, o = gates.chunk(4, 1)
        cy = torch.sigmoid(f) * cx + torch.sigmoid(i) * torch.tanh(g)
        hy = torch.sigmoid(o) * torch.tanh(cy)
        return hy, (hy, cy)


class CellLoop(nn.Module):
    """A recurrent layer written as a loop over time: the state, a tuple,
    is rebound each step; the initial state is a tuple argument."""

    def __init__(self):
        super().__init__()
        self.cell = Cell()

    def forward(self, x: Tensor, state: Tuple[Tensor, Tensor]) -> Tuple[Tensor, Tuple[Tensor, Tensor]]:
        inputs = x.unbind(0)
        outputs = torch.jit.annotate(List[Tensor], [])
        for i in range(len(inputs)):
            out, state = self.cell(inputs[i], state)
            outputs += [out]
        return torch.stack(outputs), state


class Nested(nn.Module):
    """A nested tuple and a dict rebound in a for loop; a tuple carried by a
    while loop whose condition the data decides."""

    def forward(self, x: Tensor, h: Tensor) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        pair = (x, (h, x * 2))
        sums: Dict[str, Tensor] = {"a": x, "b": h}
        for i in range(3):
            a, (b, c) = pair
            pair = (torch.tanh(a + b), (b * 0.5 + c, c - a))
            sums["a"] = sums["a"] + a
            sums["b"] = sums["b"] * 0.9 + b
        state = (x, h)
        k = 0
        while float(state[0].abs().sum()) < 1000.0 and k < 20:
            p, q = state
            state = (p * 1.5 + q, q + 1.0)
            k += 1
        return pair[0], pair[1][1], sums["a"], sums["b"], state[0]


class DictByName(nn.Module):
    """Dicts written and read in loops over lists of names, with a key
    tested for membership, and a dict with int keys: the keys come from the
    loops."""

    def __init__(self):
        super().__init__()
        self.names = ["low", "mid", "high"]

    def forward(self, x: Tensor, h: Tensor) -> Dict[str, Tensor]:
        levels: Dict[str, Tensor] = {}
        scale = 1.0
        for name in self.names:
            levels[name] = x * scale + h
            scale = scale * 2.0
        out: Dict[str, Tensor] = {"sum": torch.zeros_like(x)}
        for name in ["high", "low", "missing"]:
            if name in levels:
                out["sum"] = out["sum"] + torch.tanh(levels[name])
        for i in range(len(self.names)):
            out[self.names[i]] = levels[self.names[i]] - out["sum"]
        by_level: Dict[int, Tensor] = {}
        for i in range(3):
            by_level[i * 2] = levels[self.names[i]]
        out["ints"] = by_level[4] - by_level[0]
        return out


torch.manual_seed(3)
cell_loop = torch.jit.script(CellLoop())
cell_loop.save("cell_loop.pt")
nested = torch.jit.script(Nested())
nested.save("nested.pt")
dict_by_name = torch.jit.script(DictByName())
dict_by_name.save("dict_by_name.pt")

# Fresh inputs; LibTorch's outputs on them.
x = torch.randn(7, 3, 8)
h = torch.randn(3, 16)
c = torch.randn(3, 16)
y = torch.randn(4, 5)
g = torch.randn(4, 5)
for name, t in [("x", x), ("h", h), ("c", c), ("y", y), ("g", g)]:
    np.save(name + ".npy", t.numpy())
with torch.no_grad():
    out, (hn, cn) = cell_loop(x, (h, c))
    for i, t in enumerate([out, hn, cn]):
        np.save("cell_loop_out%d.npy" % i, t.numpy())
    for i, t in enumerate(nested(y, g)):
        np.save("nested_out%d.npy" % i, t.numpy())
    for i, t in enumerate(dict_by_name(y, g).values()):
        np.save("dict_by_name_out%d.npy" % i, t.numpy())
)py";
  }

 protected:
  static Tensor npy(const std::string& name) { return read_npy(path(name + ".npy")); }

  // Runs `model` on `inputs` and compares each output with LibTorch's.
  static void expect_matches(const std::string& model, const std::vector<Tensor>& inputs, size_t outputs) {
    const auto out = test::load_uncached(path(model + ".pt")).forward(inputs);
    ASSERT_EQ(out.size(), outputs);
    for (size_t k = 0; k < outputs; ++k)
      test::expect_close(out[k], npy(model + "_out" + std::to_string(k)), 1e-5, "output " + std::to_string(k));
  }

};

TEST_F(LoopState, TupleStateOfARecurrentLoop) {
  expect_matches("cell_loop", {npy("x"), npy("h"), npy("c")}, 3);
}

// The tuple argument `state` is two inputs, named after it.
TEST_F(LoopState, TupleArgumentIsOneInputPerTensor) {
  auto module = load_torchscript(path("cell_loop.pt"));
  const ir::Graph& g = *module->method("forward");
  ASSERT_EQ(g.inputs().size(), 3u) << ir::print(*module);
  EXPECT_EQ(g.inputs()[1]->name(), "state.0");
  EXPECT_EQ(g.inputs()[2]->name(), "state.1");
}

TEST_F(LoopState, NestedTupleDictAndWhileLoop) { expect_matches("nested", {npy("y"), npy("g")}, 5); }

TEST_F(LoopState, DictKeysFromLoopsOverNames) { expect_matches("dict_by_name", {npy("y"), npy("g")}, 5); }

}  // namespace
}  // namespace wick
