// Dense linear algebra (torch.linalg's solvers, inverses, determinants and
// factorizations, and their older torch.* names) run by jit_load against
// LibTorch on fresh inputs, in float32 and float64; a singular matrix and
// one that is not positive-definite are errors, as in torch.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "api/jit_module.h"
#include "frontend/loader.h"
#include "runtime/npy.h"
#include "tests/api/jit_helpers.h"
#include "tests/frontend/python_files.h"

namespace wick {
namespace {

using test::relative_error;

class LinearAlgebra : public test::PythonFiles<LinearAlgebra> {
 public:
  static const char* tag() { return "linear_algebra"; }
  static std::string script() {
    return std::string(R"py(
import numpy as np
import torch
from torch import Tensor, nn
from typing import List


class Solvers(nn.Module):
    def forward(self, a: Tensor, b: Tensor, s: Tensor, one: Tensor) -> List[Tensor]:
        spd = s @ s.transpose(-2, -1) / s.size(-1) + torch.eye(s.size(-1), dtype=s.dtype)
        lower = torch.linalg.cholesky(spd)
        sign, logabs = torch.linalg.slogdet(a)
        x, coefficient = torch.triangular_solve(b, lower, upper=False, transpose=True)
        return [torch.linalg.inv(a), torch.inverse(a), torch.linalg.solve(a, b),
                torch.linalg.solve(a, b[..., 0]), torch.linalg.solve(a, b.transpose(-2, -1), left=False),
                torch.linalg.solve(one, b), torch.linalg.solve(a, b[0]),
                torch.linalg.det(a), torch.det(a), torch.logdet(spd), torch.logdet(a), sign, logabs,
                lower, torch.linalg.cholesky(spd, upper=True), torch.cholesky(spd),
                torch.cholesky_solve(b, lower), torch.cholesky_solve(b, lower.transpose(-2, -1), upper=True),
                torch.cholesky_inverse(lower),
                torch.linalg.solve_triangular(lower, b, upper=False),
                torch.linalg.solve_triangular(lower.transpose(-2, -1), b.transpose(-2, -1), upper=True,
                                              left=False, unitriangular=True),
                x, coefficient, torch.linalg.matrix_power(a, 3), torch.matrix_power(a, -2),
                torch.linalg.matrix_power(a, 0)]


class Decompositions(nn.Module):
    """Eigen- and singular vectors up to their signs (abs), and what does
    not depend on the signs."""

    def forward(self, a: Tensor, t: Tensor, s: Tensor) -> List[Tensor]:
        sym = s + s.transpose(-2, -1)
        w, v = torch.linalg.eigh(sym)
        wu, vu = torch.linalg.eigh(sym, UPLO="U")
        u, sv, vh = torch.linalg.svd(t, full_matrices=False)
        u2, s2, v2 = torch.svd(t.transpose(-2, -1))
        uq, sq, vhq = torch.linalg.svd(a)
        return [w, v.abs(), wu, vu.abs(), torch.linalg.eigvalsh(sym), (v * w.unsqueeze(-2)) @ v.transpose(-2, -1),
                sv, u.abs(), vh.abs(), s2, u2.abs(), v2.abs(), sq, (uq * sq.unsqueeze(-2)) @ vhq,
                torch.linalg.svdvals(t), torch.linalg.pinv(t), torch.pinverse(t), torch.linalg.pinv(t, rcond=0.3),
                torch.linalg.pinv(t, atol=1.0), torch.linalg.cond(a), torch.linalg.cond(a, -2),
                torch.linalg.cond(a, "fro"), torch.linalg.cond(a, 1), torch.linalg.matrix_norm(t, 2),
                torch.linalg.matrix_norm(t, -2), torch.linalg.matrix_norm(t, "nuc"),
                torch.linalg.norm(t, 2, dim=(0, 2), keepdim=True), torch.nuclear_norm(t[0]),
                torch.nuclear_norm(t, [1, 2], True)] + self.ranks(t, s)

    def ranks(self, t: Tensor, s: Tensor) -> List[Tensor]:
        # Columns repeated exactly: rank 2 of 4.
        repeated = torch.cat([t[..., :2], t[..., :2]], -1)
        solution, residuals, rank, values = torch.linalg.lstsq(t, s[..., :6, :2])
        q, r = torch.linalg.qr(t)
        qc, rc = torch.linalg.qr(t, mode="complete")
        qr_, rr = torch.linalg.qr(t, mode="r")
        qw, rw = torch.linalg.qr(s[..., :3, :])
        q1, r1 = torch.qr(t)
        return [q, r, qc, rc, rr, qw, rw, q1, r1, qr_, torch.linalg.matrix_exp(s), torch.matrix_exp(s * 3.0),
                torch.linalg.matrix_rank(t), torch.linalg.matrix_rank(repeated, rtol=1e-4),
                torch.linalg.matrix_rank(t, atol=1.0), torch.linalg.matrix_rank(t, 1.0),
                solution, rank]


class Products(nn.Module):
    def forward(self, a: Tensor, b: Tensor, c: Tensor, v: Tensor, x: Tensor) -> List[Tensor]:
        return [torch.linalg.multi_dot([a, b, c]), torch.linalg.multi_dot([a[0], b, c]),
                torch.linalg.multi_dot([a, b, c, v[:2]]), torch.chain_matmul(a, b, c),
                torch.linalg.vecdot(x, x.flip(0), dim=1), torch.vdot(v, v),
                torch.addr(a[:, :3], v, v[:3], beta=0.5, alpha=2.0),
                torch.addr(a[:, :3] * float("nan"), v, v[:3], beta=0.0), torch.inner(x, x[0]), torch.inner(v, v),
                torch.inner(x[0, 0, 0], x), torch.tensordot(x, b, [[2], [0]]), torch.tensordot(x, x, [[0, 2], [0, 2]]),
                torch.tensordot(x, c, dims=([1], [0])), torch.tensordot(x, b, 1),
                torch.linalg.diagonal(x, offset=1, dim1=0, dim2=2)]


class Solve(nn.Module):
    def forward(self, a: Tensor, b: Tensor) -> Tensor:
        return torch.linalg.solve(a, b)


class WithInfo(nn.Module):
    """torch.linalg's *_ex functions: results and LAPACK's info."""

    def forward(self, a: Tensor, b: Tensor, s: Tensor, bad: Tensor) -> List[Tensor]:
        spd = s @ s.transpose(-2, -1) / s.size(-1) + torch.eye(s.size(-1), dtype=s.dtype)
        out: List[Tensor] = []
        for r in [torch.linalg.cholesky_ex(spd), torch.linalg.cholesky_ex(spd, upper=True),
                  torch.linalg.cholesky_ex(spd, check_errors=True), torch.linalg.inv_ex(a),
                  torch.linalg.solve_ex(a, b), torch.linalg.solve_ex(a, b[..., 0]),
                  torch.linalg.solve_ex(a, b.transpose(-2, -1), left=False),
                  torch.linalg.solve_ex(a, b, check_errors=True),
                  # Failures: info names the minor or the zero pivot.
                  torch.linalg.cholesky_ex(bad), torch.linalg.inv_ex(bad), torch.linalg.solve_ex(bad, b)]:
            out.append(r[0])
            out.append(r[1])
        return out


class Factor(nn.Module):
    def forward(self, a: Tensor) -> Tensor:
        return torch.linalg.cholesky(a)


torch.jit.script(Solvers()).save("solvers.pt")
torch.jit.script(Solve()).save("solve.pt")
torch.jit.script(Decompositions()).save("decompositions.pt")
torch.jit.script(Factor()).save("factor.pt")
torch.jit.script(WithInfo()).save("with_info.pt")
torch.jit.script(Products()).save("products.pt")
torch.seed()  # fresh inputs on every run
)py") + test::kSaveRunPython + R"py(

for dtype, tag, batch in [(torch.float32, "f32", 3), (torch.float64, "f64", 3), (torch.float32, "f32_batch6", 6)]:
    # Well conditioned: the identity plus a small random part.
    a = torch.eye(5, dtype=dtype) + torch.randn(batch, 5, 5, dtype=dtype) / 4
    save_run("solvers.pt", [a, torch.randn(batch, 5, 2, dtype=dtype), torch.randn(batch, 5, 5, dtype=dtype), a[1]], tag)
    # Decompositions: a tall batch t and square ones.
    save_run("decompositions.pt", [a, torch.randn(batch, 6, 4, dtype=dtype), torch.randn(batch, 6, 6, dtype=dtype)],
             tag + "_dec")
save_run("products.pt", [torch.randn(4, 5), torch.randn(5, 3), torch.randn(3, 2), torch.randn(4), torch.randn(2, 3, 5)],
         "products")
for dtype, tag in [(torch.float32, "f32_info"), (torch.float64, "f64_info")]:
    a = torch.eye(5, dtype=dtype) + torch.randn(3, 5, 5, dtype=dtype) / 4
    # Batch 0 positive-definite, 1 with a zero pivot after the first column
    # (and indefinite there), 2 with a negative minor of order 3.
    bad = torch.eye(5, dtype=dtype).repeat(3, 1, 1) * 2
    bad[1, :2, :2] = torch.tensor([[1.0, 2.0], [2.0, 4.0]], dtype=dtype)
    bad[2, 2, 2] = -1.0
    save_run("with_info.pt", [a, torch.randn(3, 5, 2, dtype=dtype), torch.randn(3, 5, 5, dtype=dtype), bad], tag)

# A singular matrix (a row of zeros, so that LU meets an exact zero pivot) and a symmetric one with a negative
# eigenvalue; torch refuses both.
singular = torch.randn(2, 4, 4)
singular[1, 2] = 0.0
indefinite = torch.eye(4)
indefinite[2, 2] = -1.0
np.save("singular.npy", singular.numpy())
np.save("rhs.npy", torch.randn(2, 4, 3).numpy())
np.save("indefinite.npy", indefinite.numpy())
for name, call in [("singular", lambda: torch.linalg.solve(singular, torch.randn(2, 4, 3))),
                   ("indefinite", lambda: torch.linalg.cholesky(indefinite))]:
    try:
        call()
        refused = "no"
    except RuntimeError:
        refused = "yes"
    with open(f"{name}_refused.txt", "w") as f:
        f.write(refused)
)py";
  }

  static void expect_match(const std::string& tag, double tolerance, const std::string& model = "solvers.pt",
                           int num_inputs = 4) {
    test::expect_saved_run(path(""), model, tag, num_inputs, tolerance);
  }
};

TEST_F(LinearAlgebra, Float32MatchesLibTorch) { expect_match("f32", 1e-4); }

TEST_F(LinearAlgebra, Float64MatchesLibTorch) { expect_match("f64", 1e-10); }

// Eigen- and singular value decompositions, pseudo-inverses, condition
// numbers and the norms of singular values.
TEST_F(LinearAlgebra, DecompositionsMatchLibTorch) {
  expect_match("f32_dec", 1e-4, "decompositions.pt", 3);
  expect_match("f64_dec", 1e-10, "decompositions.pt", 3);
}

// Compiled ahead of time with a dynamic batch of matrices (the first dim of
// the first three inputs) for batch 3, the deployed model runs batch 6.
// Chains of products, dot products, outer-product updates and contractions.
TEST_F(LinearAlgebra, ProductsMatchLibTorch) { expect_match("products", 1e-5, "products.pt", 5); }

// cholesky_ex, inv_ex and solve_ex: results and info, also where a matrix
// is not positive-definite (the factor LAPACK leaves) or is singular. A
// singular system's solution holds infinities and NaNs on both sides, but
// which elements they reach follows the order of the arithmetic (LibTorch's
// blocked solves spread them further): there both must have some.
TEST_F(LinearAlgebra, InfoFunctionsMatchLibTorch) {
  for (const auto& [tag, tolerance] : {std::pair{"f32_info", 1e-4}, std::pair{"f64_info", 1e-10}}) {
    std::vector<Tensor> inputs;
    for (int i = 0; i < 4; ++i) inputs.push_back(read_npy(path(std::string(tag) + "_in" + std::to_string(i) + ".npy")));
    const auto outs = test::load_uncached(path("with_info.pt")).forward(inputs);
    ASSERT_EQ(std::to_string(outs.size()), word_of(std::string(tag) + "_count.txt"));
    for (size_t i = 0; i < outs.size(); ++i) {
      const Tensor want = read_npy(path(std::string(tag) + "_out" + std::to_string(i) + ".npy"));
      const bool singular_solution = i == 18 || i == 20;  // inv_ex(bad), solve_ex(bad, b)
      if (!singular_solution) {
        EXPECT_LE(relative_error(outs[i], want, tag + std::string(" output ") + std::to_string(i)), tolerance);
        continue;
      }
      ASSERT_EQ(outs[i].sizes(), want.sizes());
      const Tensor got = outs[i].contiguous();
      const int64_t per_matrix = want.numel() / 3;
      int got_non_finite = 0, want_non_finite = 0;
      for (int64_t k = 0; k < want.numel(); ++k) {
        const double x = test::element_value(got, k), y = test::element_value(want, k);
        if (k / per_matrix == 1) {  // the singular one
          got_non_finite += !std::isfinite(x);
          want_non_finite += !std::isfinite(y);
          continue;
        }
        EXPECT_NEAR(x, y, tolerance * std::max(1.0, std::abs(y))) << tag << " output " << i << " element " << k;
      }
      EXPECT_GT(want_non_finite, 0) << tag << " output " << i << ": torch solved the singular system";
      EXPECT_GT(got_non_finite, 0) << tag << " output " << i << ": wick solved the singular system";
    }
  }
}

TEST_F(LinearAlgebra, DeployedWithDynamicBatch) {
  std::string inputs, batch6;
  for (int i = 0; i < 4; ++i) {
    inputs += " --input '" + path("f32_in" + std::to_string(i) + ".npy") + "'";
    batch6 += " --input '" + path("f32_batch6_in" + std::to_string(i) + ".npy") + "'";
  }
  test::expect_deployed_match(path("solvers.pt"), inputs + " --dynamic-dim 0:0 --dynamic-dim 1:0 --dynamic-dim 2:0",
                              path("deployed"), batch6, path("f32_batch6_out"), std::stoi(word_of("f32_batch6_count.txt")),
                              1e-4);
}

TEST_F(LinearAlgebra, SingularMatrixIsAnError) {
  ASSERT_EQ(word_of("singular_refused.txt"), "yes");
  auto m = test::load_uncached(path("solve.pt"));
  try {
    m.forward({read_npy(path("singular.npy")), read_npy(path("rhs.npy"))});
    FAIL() << "solved a singular system";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is singular"), std::string::npos) << e.what();
    // Raised while running, it names the line of the model's code.
    EXPECT_GT(e.where().line, 0) << e.what();
    EXPECT_NE(e.source_line().find("torch.linalg_solve"), std::string::npos) << e.what();
  }
}

TEST_F(LinearAlgebra, IndefiniteMatrixIsAnError) {
  ASSERT_EQ(word_of("indefinite_refused.txt"), "yes");
  auto m = test::load_uncached(path("factor.pt"));
  try {
    m.forward({read_npy(path("indefinite.npy"))});
    FAIL() << "factored an indefinite matrix";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not positive-definite (the leading minor of order 3"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace wick
