// Files as R torch's jit_save writes them, made with PyTorch's own
// serializer the way R's backend calls it, run by jit_load against what
// LibTorch computes on the same fresh inputs:
// - a traced function: a __torch__.PlaceholderModule whose forward takes
//   unnamed arguments (argument_1, argument_2, ...);
// - a traced module that respects the mode: a class named after the R
//   module with random letters, R's helper methods train, eval and
//   is_training, methods trainforward and evalforward and no
//   forward; wick runs evalforward (trainforward when training) in its place.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "api/jit_module.h"
#include "frontend/loader.h"
#include "ir/printer.h"
#include "runtime/npy.h"
#include "support/error.h"
#include "tests/api/jit_helpers.h"
#include "tests/frontend/python_files.h"

namespace wick {
namespace {

class RTorchFiles : public test::PythonFiles<RTorchFiles> {
 public:
  static const char* tag() { return "r_torch_files"; }
  static std::string script() {
    return R"(
import numpy as np
import torch
from typing import List, Optional

torch.manual_seed(7)
x = torch.randn(3, 4)
y = torch.randn(3, 4)

def fn(a, b):
    return torch.relu(a) + b * 2

# R's backend traces with no argument names and saves the function as
# PyTorch's ScriptFunction.save does.
f = torch._C._create_function_from_trace("fn", fn, (x, y), lambda v: "", False, False, [])
f.save("fn.pt")

class nn_linear_qwhzkdmxbrtyplcvnsjgaeuf(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(5, 4))
        self.bias = torch.nn.Parameter(torch.randn(5))

    # The helpers R's backend compiles into every module it makes.
    @torch.jit.export
    def train(self, x: Optional[List[bool]] = None) -> List[bool]:
        if x is None:
            x0 = [True]
        else:
            x0 = x
        self.training = x0[0]
        return x0

    @torch.jit.export
    def eval(self) -> List[bool]:
        self.training = False
        return [False]

    @torch.jit.export
    def is_training(self) -> List[bool]:
        return [self.training]

    @torch.jit.export
    def trainforward(self, argument_1: torch.Tensor) -> torch.Tensor:
        return torch.tanh(torch.nn.functional.linear(argument_1, self.weight, self.bias))

    @torch.jit.export
    def evalforward(self, argument_1: torch.Tensor) -> torch.Tensor:
        return torch.relu(torch.nn.functional.linear(argument_1, self.weight, self.bias))

m = torch.jit.script(nn_linear_qwhzkdmxbrtyplcvnsjgaeuf())
assert "forward" not in m._c._method_names()
assert {"train", "eval", "is_training"} <= set(m._c._method_names())
m.save("module.pt")

# Fresh inputs; LibTorch's outputs on them.
a = torch.randn(6, 4)
b = torch.randn(6, 4)
np.save("a.npy", a.numpy())
np.save("b.npy", b.numpy())
lf = torch.jit.load("fn.pt")
np.save("fn_out.npy", lf(a, b).numpy())
lm = torch.jit.load("module.pt")
np.save("eval_out.npy", lm.evalforward(a).detach().numpy())
)";
  }

 protected:
  static void expect_near(const Tensor& got, const Tensor& want) {
    ASSERT_EQ(got.sizes(), want.sizes());
    for (int64_t i = 0; i < want.numel(); ++i)
      EXPECT_NEAR(got.data_as<float>()[i], want.data_as<float>()[i], 1e-5) << "element " << i;
  }

};

TEST_F(RTorchFiles, TracedFunctionWithUnnamedArguments) {
  const auto out = test::load_uncached(path("fn.pt")).forward({read_npy(path("a.npy")), read_npy(path("b.npy"))});
  ASSERT_EQ(out.size(), 1u);
  expect_near(out[0], read_npy(path("fn_out.npy")));
}

TEST_F(RTorchFiles, ModuleWithoutForwardRunsItsModesMethod) {
  const auto out = test::load_uncached(path("module.pt")).forward({read_npy(path("a.npy"))});
  ASSERT_EQ(out.size(), 1u);
  expect_near(out[0], read_npy(path("eval_out.npy")));
  // Training emits trainforward (tanh), still under the name forward.
  LoadOptions training;
  training.training = true;
  auto tm = load_torchscript(path("module.pt"), training);
  const std::string ir = ir::print(*tm);
  EXPECT_NE(ir.find("aten::tanh"), std::string::npos) << ir;
  EXPECT_EQ(ir.find("aten::relu"), std::string::npos) << ir;
  ASSERT_NE(tm->method("forward"), nullptr);
  // Another method missing is still an error naming it.
  LoadOptions other;
  other.method = "predict";
  try {
    load_torchscript(path("module.pt"), other);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("has no method 'predict'"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wick
