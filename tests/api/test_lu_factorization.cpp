// torch.linalg's LU functions (lu_factor, lu_factor_ex, lu, lu_solve) and
// the older torch.lu, lu_unpack and lu_solve, scripted and run against
// LibTorch on fresh random matrices: square, wide and tall, f32 and f64,
// with the pivots compared exactly. A singular matrix: lu_factor raises as
// torch does, the others report it; so do pivots out of range.
#include <gtest/gtest.h>

#include <string>

#include "api/jit_module.h"
#include "runtime/npy.h"
#include "tests/api/jit_helpers.h"
#include "tests/frontend/python_files.h"

namespace wick {
namespace {

using test::kSaveRunPython;

class LuFactorization : public test::PythonFiles<LuFactorization> {
 public:
  static const char* tag() { return "lu_factorization"; }
  static std::string script() {
    return std::string(R"py(
import numpy as np
import torch
from torch import Tensor, nn
from typing import List


class Lu(nn.Module):
    def forward(self, a: Tensor, wide: Tensor, tall: Tensor, b: Tensor) -> List[Tensor]:
        lu, pivots = torch.linalg.lu_factor(a)
        lu_ex, pivots_ex, info = torch.linalg.lu_factor_ex(a)
        p, l, u = torch.linalg.lu(a)
        pw, lw, uw = torch.linalg.lu(wide)
        pt, lt, ut = torch.linalg.lu(tall)
        lu_w, pivots_w = torch.linalg.lu_factor(wide)
        lu_t, pivots_t = torch.linalg.lu_factor(tall)
        up, ul, uu = torch.lu_unpack(lu_t, pivots_t)
        only_p, no_l, no_u = torch.lu_unpack(lu, pivots, unpack_data=False)
        no_p, only_l, only_u = torch.lu_unpack(lu_w, pivots_w, unpack_pivots=False)
        old_lu, old_pivots, old_info = torch.lu(a, get_infos=True)
        return [lu, pivots, lu_ex, pivots_ex, info, p, l, u, pw, lw, uw, pt, lt, ut, lu_w, pivots_w, lu_t,
                pivots_t, up, ul, uu, only_p, no_l, only_l, only_u,
                torch.linalg.lu_solve(lu, pivots, b), torch.linalg.lu_solve(lu, pivots, b, adjoint=True),
                torch.linalg.lu_solve(lu, pivots, b.transpose(-2, -1), left=False),
                torch.linalg.lu_solve(lu, pivots, b.transpose(-2, -1), left=False, adjoint=True),
                torch.linalg.lu_solve(lu[0], pivots[0], b), torch.lu_solve(b, lu, pivots),
                old_lu, old_pivots, old_info]


class Singular(nn.Module):
    def forward(self, a: Tensor) -> List[Tensor]:
        lu, pivots, info = torch.linalg.lu_factor_ex(a)
        p, l, u = torch.linalg.lu(a)
        return [lu, pivots, info, p, l, u]


class Factor(nn.Module):
    def forward(self, a: Tensor) -> Tensor:
        return torch.linalg.lu_factor(a)[0]


class Unpack(nn.Module):
    def forward(self, lu: Tensor, pivots: Tensor) -> Tensor:
        return torch.lu_unpack(lu, pivots)[0]


torch.jit.script(Lu()).save("lu.pt")
torch.jit.script(Singular()).save("singular.pt")
torch.jit.script(Factor()).save("factor.pt")
torch.jit.script(Unpack()).save("unpack.pt")
torch.seed()  # fresh inputs on every run
)py") + kSaveRunPython + R"py(

def conditioned(dtype):
    # Plain normal draws, so that rows are swapped, but none whose condition
    # number would let f32 solves differ by more than the tolerance (2% of
    # draws of three matrices have one above 1000, 21% above 100).
    while True:
        a = torch.randn(3, 5, 5, dtype=torch.float64)
        if torch.linalg.cond(a).max() < 100:
            return a.to(dtype)


for dtype, tag in [(torch.float32, "f32"), (torch.float64, "f64")]:
    save_run("lu.pt", [conditioned(dtype), torch.randn(2, 4, 6, dtype=dtype),
                       torch.randn(2, 6, 4, dtype=dtype), torch.randn(3, 5, 2, dtype=dtype)], tag)

# Batch 1 meets an exact zero pivot in its second column: after the first
# step, the row left behind is zero.
bad = torch.eye(4).repeat(3, 1, 1) * 2
bad[1, :2, :2] = torch.tensor([[1.0, 2.0], [2.0, 4.0]])
bad[2] = torch.randn(4, 4)
save_run("singular.pt", [bad], "singular")
try:
    torch.linalg.lu_factor(bad)
    refused = "no"
except RuntimeError:
    refused = "yes"
with open("singular_refused.txt", "w") as f:
    f.write(refused)

# Pivots that no factorization of 3 rows makes; torch refuses them too.
np.save("lu3.npy", torch.randn(3, 3).numpy())
np.save("bad_pivots.npy", np.array([1, 4, 3], dtype=np.int32))
try:
    torch.lu_unpack(torch.randn(3, 3), torch.tensor([1, 4, 3], dtype=torch.int32))
    refused = "no"
except RuntimeError:
    refused = "yes"
with open("bad_pivots_refused.txt", "w") as f:
    f.write(refused)
)py";
  }

  static void expect_match(const std::string& model, const std::string& tag, int num_inputs, double tolerance) {
    test::expect_saved_run(path(""), model, tag, num_inputs, tolerance);
  }
};

TEST_F(LuFactorization, Float32MatchesLibTorch) { expect_match("lu.pt", "f32", 4, 1e-4); }

TEST_F(LuFactorization, Float64MatchesLibTorch) { expect_match("lu.pt", "f64", 4, 1e-10); }

// Compiled ahead of time and run by the deployed runtime alone.
TEST_F(LuFactorization, DeployedMatchesLibTorch) {
  std::string inputs;
  for (int i = 0; i < 4; ++i) inputs += " --input '" + path("f32_in" + std::to_string(i) + ".npy") + "'";
  test::expect_deployed_match(path("lu.pt"), inputs, path("deployed"), inputs, path("f32_out"),
                              std::stoi(word_of("f32_count.txt")), 1e-4);
}

// lu_factor_ex and lu report the zero pivot (info 2) and factor on past it
// as LAPACK does.
TEST_F(LuFactorization, SingularMatrixIsReported) { expect_match("singular.pt", "singular", 1, 1e-6); }

TEST_F(LuFactorization, SingularMatrixIsAnErrorOfLuFactor) {
  ASSERT_EQ(word_of("singular_refused.txt"), "yes");
  auto m = test::load_uncached(path("factor.pt"));
  try {
    m.forward({read_npy(path("singular_in0.npy"))});
    FAIL() << "lu_factor passed a singular matrix";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("U[2,2]"), std::string::npos) << e.what();
    EXPECT_NE(e.source_line().find("torch.linalg_lu_factor"), std::string::npos) << e.what();
  }
}

TEST_F(LuFactorization, PivotOutOfRangeIsAnError) {
  ASSERT_EQ(word_of("bad_pivots_refused.txt"), "yes");
  auto m = test::load_uncached(path("unpack.pt"));
  try {
    m.forward({read_npy(path("lu3.npy")), read_npy(path("bad_pivots.npy"))});
    FAIL() << "unpacked a pivot beyond the rows";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("pivot 4 at position 1 is outside [1, 3]"), std::string::npos) << e.what();
    EXPECT_NE(e.source_line().find("torch.lu_unpack"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace wick
