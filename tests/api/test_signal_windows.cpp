// Signal windows (torch.hann_window, hamming, bartlett, blackman and kaiser;
// periodic or symmetric, their parameters, f32 or f64, lengths 0 and 1) run
// by jit_load against LibTorch.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "api/jit_module.h"
#include "frontend/loader.h"
#include "runtime/npy.h"
#include "tests/api/jit_helpers.h"
#include "tests/frontend/python_files.h"

namespace wick {
namespace {

class SignalWindows : public test::PythonFiles<SignalWindows> {
 public:
  static const char* tag() { return "signal_windows"; }
  static std::string script() {
    return R"py(
import numpy as np
import torch
from torch import Tensor, nn
from typing import List


class Windows(nn.Module):
    def forward(self, x: Tensor) -> List[Tensor]:
        return [x * torch.hann_window(8), torch.hann_window(7, periodic=False), torch.hamming_window(9),
                torch.hamming_window(9, False, alpha=0.5, beta=0.4), torch.hamming_window(5, True, 0.6),
                torch.bartlett_window(6), torch.bartlett_window(6, False), torch.blackman_window(10),
                torch.blackman_window(10, periodic=False, dtype=torch.float64), torch.kaiser_window(12),
                torch.kaiser_window(12, False, 5.0), torch.kaiser_window(11, periodic=True, beta=8.0),
                torch.hann_window(1), torch.hann_window(0)]


torch.jit.script(Windows()).save("windows.pt")
torch.seed()  # fresh inputs on every run
x = torch.randn(8)
np.save("x.npy", x.numpy())
outs = torch.jit.load("windows.pt")(x)
for i, t in enumerate(outs):
    np.save(f"out{i}.npy", t.numpy())
with open("count.txt", "w") as f:
    f.write(str(len(outs)))
)py";
  }
};

TEST_F(SignalWindows, MatchLibTorch) {
  const auto outs = test::load_uncached(path("windows.pt")).forward({read_npy(path("x.npy"))});
  ASSERT_EQ(std::to_string(outs.size()), bytes_of("count.txt"));
  for (size_t i = 0; i < outs.size(); ++i) {
    const Tensor want = read_npy(path("out" + std::to_string(i) + ".npy"));
    const Tensor got = outs[i].contiguous();
    ASSERT_EQ(got.sizes(), want.sizes()) << "output " << i;
    ASSERT_EQ(got.dtype(), want.dtype()) << "output " << i;
    const bool f64 = want.dtype() == DType::f64;
    for (int64_t k = 0; k < want.numel(); ++k) {
      const double a = f64 ? got.data_as<double>()[k] : got.data_as<float>()[k];
      const double b = f64 ? want.data_as<double>()[k] : want.data_as<float>()[k];
      // Kaiser's Bessel function is computed in f32 by ATen.
      EXPECT_NEAR(a, b, f64 ? 1e-12 : 1e-6) << "output " << i << ", element " << k;
    }
  }
}

}  // namespace
}  // namespace wick
