// repeat_interleave with the repeats in a tensor, so that the data decides
// the result's size (a length regulator repeating each encoding for its
// duration, segment ids from counts), run by jit_load against LibTorch on
// fresh inputs; negative counts and counts of the wrong length are errors.
#include <gtest/gtest.h>

#include <string>

#include "api/jit_module.h"
#include "frontend/loader.h"
#include "runtime/npy.h"
#include "tests/api/jit_helpers.h"
#include "tests/frontend/python_files.h"

namespace wick {
namespace {

class RepeatCounts : public test::PythonFiles<RepeatCounts> {
 public:
  static const char* tag() { return "repeat_counts"; }
  static std::string script() {
    return R"py(
import numpy as np
import torch
from torch import Tensor, nn
from typing import List


class LengthRegulator(nn.Module):
    """FastSpeech's: each phoneme's encoding repeated for its duration."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(8, 8)

    def forward(self, x: Tensor, durations: Tensor) -> Tensor:
        frames = torch.repeat_interleave(x, durations, dim=0)
        return torch.tanh(self.proj(frames))


class Repeats(nn.Module):
    def forward(self, x: Tensor, counts: Tensor) -> List[Tensor]:
        segments = torch.repeat_interleave(counts)
        rows = x.repeat_interleave(counts, dim=0)
        flat = torch.repeat_interleave(x[:, 0], counts)
        same = x.repeat_interleave(counts[:1], dim=0)
        return [segments, rows * 2.0 + 1.0, flat, same, rows.sum(1)]


class Mismatched(nn.Module):
    def forward(self, x: Tensor, counts: Tensor) -> Tensor:
        return x.repeat_interleave(counts[:4], dim=0)


class Columns(nn.Module):
    def forward(self, x: Tensor, counts: Tensor) -> Tensor:
        return x.t().repeat_interleave(counts, dim=1)


torch.manual_seed(0)
torch.jit.script(LengthRegulator()).save("regulator.pt")
torch.jit.script(Repeats()).save("repeats.pt")
torch.jit.script(Mismatched()).save("mismatched.pt")
torch.jit.script(Columns()).save("columns.pt")
torch.seed()  # fresh inputs on every run
x = torch.randn(6, 8)
durations = torch.randint(0, 5, (6,))
np.save("x.npy", x.numpy())
np.save("durations.npy", durations.numpy())
with torch.no_grad():
    np.save("regulator_out.npy", torch.jit.load("regulator.pt")(x, durations).numpy())
    y = torch.randn(5, 3)
    counts = torch.randint(0, 4, (5,))
    counts[0] = 2  # the count `rows` repeats every row by
    np.save("y.npy", y.numpy())
    np.save("counts.npy", counts.numpy())
    outs = torch.jit.load("repeats.pt")(y, counts)
    for i, t in enumerate(outs):
        np.save(f"repeats_out{i}.npy", t.numpy())
    np.save("negative.npy", np.array([1, -1, 2, 0, 1], dtype=np.int64))
    try:
        torch.jit.load("repeats.pt")(y, torch.tensor([1, -1, 2, 0, 1]))
        refused = "no"
    except RuntimeError:
        refused = "yes"
    with open("negative_refused.txt", "w") as f:
        f.write(refused)
)py";
  }
};

TEST_F(RepeatCounts, LengthRegulatorMatchesLibTorch) {
  const Tensor durations = read_npy(path("durations.npy"));
  const auto out = test::load_uncached(path("regulator.pt")).forward({read_npy(path("x.npy")), durations});
  ASSERT_EQ(out.size(), 1u);
  test::expect_close(out[0].contiguous(), read_npy(path("regulator_out.npy")), 1e-5);
}

TEST_F(RepeatCounts, SegmentsAndRowsMatchLibTorch) {
  const auto out = test::load_uncached(path("repeats.pt")).forward({read_npy(path("y.npy")), read_npy(path("counts.npy"))});
  ASSERT_EQ(out.size(), 5u);
  const Tensor segments = read_npy(path("repeats_out0.npy"));
  ASSERT_EQ(out[0].dtype(), DType::i64);
  ASSERT_EQ(out[0].sizes(), segments.sizes());
  for (int64_t i = 0; i < segments.numel(); ++i)
    EXPECT_EQ(out[0].contiguous().data_as<int64_t>()[i], segments.data_as<int64_t>()[i]) << "segment " << i;
  for (size_t i = 1; i < out.size(); ++i)
    test::expect_close(out[i].contiguous(), read_npy(path("repeats_out" + std::to_string(i) + ".npy")), 1e-6,
                       "output " + std::to_string(i));
}

TEST_F(RepeatCounts, NegativeCountIsAnError) {
  ASSERT_EQ(bytes_of("negative_refused.txt"), "yes");
  auto m = test::load_uncached(path("repeats.pt"));
  try {
    m.forward({read_npy(path("y.npy")), read_npy(path("negative.npy"))});
    FAIL() << "repeated an element -1 times";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("repeats can not be negative, got -1"), std::string::npos) << e.what();
  }
}

TEST_F(RepeatCounts, CountsOfTheWrongLengthAreAnError) {
  auto m = test::load_uncached(path("mismatched.pt"));
  try {
    m.forward({read_npy(path("y.npy")), read_npy(path("counts.npy"))});
    FAIL() << "repeated 5 rows by 4 counts";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("repeats holds 4 counts for dim 0 of size 5"), std::string::npos) << e.what();
  }
}

// Only the outermost dim of a tensor may have a size the data decides:
// repeating columns is refused, naming the line.
TEST_F(RepeatCounts, RepeatsAlongAnInnerDimAreRefused) {
  auto m = test::load_uncached(path("columns.pt"));
  try {
    m.forward({read_npy(path("y.npy")), read_npy(path("counts.npy"))});
    FAIL() << "repeated columns by counts the data decides";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("a dynamic dim must not make strides dynamic"), std::string::npos) << what;
    EXPECT_NE(what.find("repeat_interleave(torch.t(x), counts, 1)"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace wick
