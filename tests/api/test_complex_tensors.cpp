// Complex tensors inside a model: torch.fft's transforms (1-D, 2-D and
// n-D, real and complex, every norm, trimmed and padded signals), the
// short-time Fourier transform and its inverse, complex arithmetic and
// products, log, sqrt and powers, transforms of 8192 points and of a prime length, and a Fourier
// neural operator layer with complex parameters
// (slices of a spectrum written into a complex zeros tensor), run by
// jit_load against LibTorch on fresh inputs in f32 and f64; deployed with a
// dynamic batch; complex inputs and outputs, and ops wick has no complex
// rule for, are errors.
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

class ComplexTensors : public test::PythonFiles<ComplexTensors> {
 public:
  static const char* tag() { return "complex_tensors"; }
  static std::string script() {
    return R"py(
import numpy as np
import torch
from torch import Tensor, nn
from typing import List


class Transforms(nn.Module):
    def forward(self, x: Tensor) -> List[Tensor]:
        z = torch.fft.fft(x, dim=1)
        # |u| >= 0.5: quotients, logs, roots and powers of it are well conditioned,
        # where near-zero bins of z would magnify the transforms' rounding.
        u = torch.polar(x.abs() + 0.5, x * 2.0)
        r = torch.view_as_real
        return [r(torch.fft.ifft(z, dim=1)), r(torch.fft.fftn(x, s=[5, 6], norm="forward")), r(torch.fft.rfftn(x)),
                torch.fft.irfftn(torch.fft.rfftn(x), s=[4, 6, 10]), torch.fft.hfft(z, n=9),
                r(torch.fft.ihfft(x).resolve_conj()), r(torch.fft.ifft2(z, s=[3, 12])), r(torch.fft.fft2(x, norm="ortho")),
                torch.fft.irfft2(torch.fft.rfft2(x), norm="ortho"), r(torch.fft.ifftn(z, dim=[0, 2], norm="forward")),
                torch.fft.fftfreq(7, 0.5, dtype=x.dtype), torch.fft.rfftfreq(8, dtype=x.dtype),
                r(torch.fft.ifftshift(z, dim=[0, 2])), torch.fft.fftshift(x), r(torch.fft.rfft(x, n=7, dim=0, norm="ortho")),
                torch.fft.irfft(torch.fft.rfft(x), n=5, dim=-1, norm="forward"),
                r(z / (z.abs() + 2.0) - z.exp() * 0.01 + torch.cat([z, z.conj()], 1).sum(1, keepdim=True)),
                r(torch.matmul(z.transpose(1, 2), z) - torch.complex(x[0], x[1]).mean()), r(1 / u[..., :3]),
                z.angle() + x.angle(), r(torch.polar(x.abs(), x) * 2 - z), z.real * z.imag,
                r(torch.stack([z[0], x[1] + z[2]]) @ torch.complex(x[3].t(), x[2].t())), r(x.to(torch.complex64) - 1),
                r(u.log()), r(u.sqrt()), r(torch.complex(x, x * 0.0).sqrt()), r(z ** 2), r(u ** 0.5), r(u.pow(1.7)),
                r(u.pow(-1)), r(z ** 0), r(u.pow(-2.5))]


class Spectrograms(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("window", torch.hann_window(32))

    def forward(self, x: Tensor) -> List[Tensor]:
        s = torch.stft(x, 32, hop_length=8, window=self.window, return_complex=True)
        power = s.abs().pow(2)
        return [power, torch.log(power + 1e-6),
                torch.stft(x, 32, hop_length=5, win_length=20, center=False, normalized=True, return_complex=False),
                torch.view_as_real(torch.stft(x, 16, window=torch.hamming_window(16, dtype=x.dtype), onesided=False,
                                              return_complex=True)),
                torch.istft(s, 32, hop_length=8, window=self.window, length=x.shape[-1]),
                torch.istft(s, 32, hop_length=8, window=self.window, length=170),
                torch.istft(torch.stft(x, 24, hop_length=6, window=torch.hamming_window(24, dtype=x.dtype), center=False,
                                       normalized=True, return_complex=True),
                            24, hop_length=6, window=torch.hamming_window(24, dtype=x.dtype), center=False,
                            normalized=True, length=130)]


class SpectralConv2d(nn.Module):
    def __init__(self, cin: int, cout: int, m1: int, m2: int):
        super().__init__()
        self.m1, self.m2 = m1, m2
        scale = 1 / (cin * cout)
        self.w1 = nn.Parameter(scale * torch.rand(cin, cout, m1, m2, dtype=torch.cfloat))
        self.w2 = nn.Parameter(scale * torch.rand(cin, cout, m1, m2, dtype=torch.cfloat))

    def forward(self, x):
        b, c, h, w = x.shape
        x_ft = torch.fft.rfft2(x)
        out_ft = torch.zeros(b, self.w1.shape[1], h, w // 2 + 1, dtype=torch.cfloat)
        out_ft[:, :, :self.m1, :self.m2] = torch.einsum("bixy,ioxy->boxy", x_ft[:, :, :self.m1, :self.m2], self.w1)
        out_ft[:, :, -self.m1:, :self.m2] = torch.einsum("bixy,ioxy->boxy", x_ft[:, :, -self.m1:, :self.m2], self.w2)
        return torch.fft.irfft2(out_ft, s=(h, w))


class FourierOperator(nn.Module):
    def __init__(self):
        super().__init__()
        self.lift = nn.Linear(3, 8)
        self.spectral = SpectralConv2d(8, 8, 4, 4)
        self.pointwise = nn.Conv2d(8, 8, 1)
        self.project = nn.Linear(8, 1)

    def forward(self, x):
        h = self.lift(x).permute(0, 3, 1, 2)
        h = torch.nn.functional.gelu(self.spectral(h) + self.pointwise(h))
        return self.project(h.permute(0, 2, 3, 1))


class LongTransforms(nn.Module):
    def forward(self, x: Tensor) -> List[Tensor]:
        r = torch.view_as_real
        z = torch.fft.fft(x[:, :4099])  # a prime length: Bluestein's algorithm
        w = torch.hann_window(2048, dtype=x.dtype)
        return [r(torch.fft.rfft(x)), torch.fft.irfft(torch.fft.rfft(x) * 0.5), r(z), r(torch.fft.ifft(z, n=5000)),
                torch.fft.hfft(z[:, :3000]), torch.stft(x, 2048, hop_length=512, window=w, return_complex=True).abs()]


class ComplexIn(nn.Module):
    def forward(self, z):
        return torch.view_as_real(z * 2)


class ComplexOut(nn.Module):
    def forward(self, x):
        return torch.fft.rfft(x)


class Sinc(nn.Module):
    def forward(self, x):
        return torch.view_as_real(torch.fft.rfft(x).sinc())


class Functions(nn.Module):
    """Elementwise functions of z = view_as_complex(x); w reaches far out
    along the real axis, where tanh is +-1."""

    def forward(self, x: Tensor) -> List[Tensor]:
        z = torch.view_as_complex(x)
        w = z * 15.0
        outs = [z.sin(), z.cos(), z.tan(), z.sinh(), z.cosh(), z.tanh(), w.tanh(), w.tan(), z.sigmoid(), z.sgn(),
                (z * 0.0).sgn(), z.square(), z.rsqrt(), z.log2(), z.log10(), z.atan(), z.atanh(), z.asin(), z.acos(),
                z.asinh(), z.acosh()]
        return [torch.view_as_real(o) for o in outs]


class NoOverlap(nn.Module):
    def forward(self, x):
        w = torch.hann_window(16)
        return torch.istft(torch.stft(x, 16, hop_length=16, window=w, return_complex=True), 16, hop_length=16, window=w)


torch.seed()  # fresh inputs (and FourierOperator weights) on every run


def save_run(name, module, inputs, tag):
    torch.jit.script(module).save(name)
    for i, t in enumerate(inputs):
        np.save(f"{tag}_in{i}.npy", t.numpy())
    with torch.no_grad():
        outs = torch.jit.load(name)(*inputs)
    outs = outs if isinstance(outs, list) else [outs]
    for i, t in enumerate(outs):
        np.save(f"{tag}_out{i}.npy", t.numpy())
    with open(f"{tag}_count.txt", "w") as f:
        f.write(str(len(outs)))


for dtype, tag in [(torch.float32, "f32"), (torch.float64, "f64")]:
    save_run("transforms.pt", Transforms(), [torch.randn(4, 6, 8, dtype=dtype)], tag + "_transforms")
    save_run("spectrograms.pt", Spectrograms(), [torch.randn(3, 150, dtype=dtype)], tag + "_spectrograms")
    save_run("long_transforms.pt", LongTransforms(), [torch.randn(2, 8192, dtype=dtype)], tag + "_long")
    save_run("functions.pt", Functions(), [torch.randn(3, 6, 2, dtype=dtype) * 2], tag + "_functions")
save_run("spectrograms.pt", Spectrograms(), [torch.randn(5, 150)], "batch5_spectrograms")
save_run("fourier_operator.pt", FourierOperator(), [torch.randn(2, 16, 16, 3)], "operator")
for name, module in [("complex_in.pt", ComplexIn()), ("complex_out.pt", ComplexOut()), ("sinc.pt", Sinc()),
                     ("no_overlap.pt", NoOverlap())]:
    torch.jit.script(module).save(name)
try:
    NoOverlap()(torch.randn(64))
    refused = "no"
except RuntimeError:
    refused = "yes"
with open("no_overlap_refused.txt", "w") as f:
    f.write(refused)
)py";
  }

  static void expect_match(const std::string& model, const std::string& tag, double tolerance) {
    const auto outs = test::load_uncached(path(model)).forward({read_npy(path(tag + "_in0.npy"))});
    ASSERT_EQ(std::to_string(outs.size()), word_of(tag + "_count.txt"));
    for (size_t i = 0; i < outs.size(); ++i) {
      const Tensor want = read_npy(path(tag + "_out" + std::to_string(i) + ".npy"));
      EXPECT_LE(relative_error(outs[i], want, tag + " output " + std::to_string(i)), tolerance) << "output " << i;
    }
  }

  static std::string error_of(const std::string& model, const std::vector<int64_t>& input_sizes,
                              DType dtype = DType::f32) {
    try {
      auto m = test::load_uncached(path(model));
      m.forward({Tensor::zeros(dtype, input_sizes)});
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }
};

TEST_F(ComplexTensors, TransformsMatchLibTorch) {
  expect_match("transforms.pt", "f32_transforms", 1e-5);
  expect_match("transforms.pt", "f64_transforms", 1e-12);
}

TEST_F(ComplexTensors, SpectrogramsMatchLibTorch) {
  // The log of a power near 0 magnifies its rounding.
  expect_match("spectrograms.pt", "f32_spectrograms", 1e-4);
  expect_match("spectrograms.pt", "f64_spectrograms", 1e-12);
}

// Signals longer than 4096 points, and a prime length.
// sin, cos, tan, sinh, cosh, tanh (also where it is +-1), sigmoid, sgn (also
// of 0), square, rsqrt, log2, log10, their inverses atan, atanh, asin, acos,
// asinh and acosh, from the real functions of the parts.
TEST_F(ComplexTensors, FunctionsMatchLibTorch) {
  expect_match("functions.pt", "f32_functions", 1e-5);
  expect_match("functions.pt", "f64_functions", 1e-12);
}

TEST_F(ComplexTensors, LongTransformsMatchLibTorch) {
  expect_match("long_transforms.pt", "f32_long", 1e-5);
  expect_match("long_transforms.pt", "f64_long", 1e-12);
}

// Complex parameters, a complex zeros tensor written through slices, and
// complex einsums.
TEST_F(ComplexTensors, FourierOperatorMatchesLibTorch) { expect_match("fourier_operator.pt", "operator", 1e-5); }

// Compiled ahead of time for 3 signals with a dynamic batch, the deployed
// spectrograms run 5.
TEST_F(ComplexTensors, SpectrogramsDeployedWithDynamicBatch) {
  test::expect_deployed_match(path("spectrograms.pt"), " --input '" + path("f32_spectrograms_in0.npy") +
                              "' --dynamic-dim 0:0", path("deployed"),
                              " --input '" + path("batch5_spectrograms_in0.npy") + "'", path("batch5_spectrograms_out"),
                              std::stoi(word_of("batch5_spectrograms_count.txt")), 1e-4);
}

TEST_F(ComplexTensors, ComplexInputIsAnError) {
  const std::string e = error_of("complex_in.pt", {4}, DType::c64);
  EXPECT_NE(e.find("input z of method 'forward' is complex"), std::string::npos) << e;
  // A real input meets view_as_real of a real tensor, which torch refuses too.
  const std::string real = error_of("complex_in.pt", {4});
  EXPECT_NE(real.find("view_as_real is only supported for complex tensors"), std::string::npos) << real;
}

TEST_F(ComplexTensors, ComplexOutputIsAnError) {
  const std::string e = error_of("complex_out.pt", {8});
  EXPECT_NE(e.find("returns a complex tensor"), std::string::npos) << e;
  EXPECT_NE(e.find("view_as_real"), std::string::npos) << e;
}

TEST_F(ComplexTensors, OpWithoutComplexRuleIsAnError) {
  const std::string e = error_of("sinc.pt", {8});
  EXPECT_NE(e.find("aten::sinc of a complex tensor is not supported"), std::string::npos) << e;
  EXPECT_NE(e.find("sinc.pt"), std::string::npos) << e;
}

// A hop as long as the Hann window leaves samples no frame covers (the
// window is 0 at its ends): torch refuses to divide by the envelope there,
// and so does wick, while running.
TEST_F(ComplexTensors, WindowsThatDoNotOverlapAreAnError) {
  ASSERT_EQ(word_of("no_overlap_refused.txt"), "yes");
  const std::string e = error_of("no_overlap.pt", {64});
  EXPECT_NE(e.find("NOLA"), std::string::npos) << e;
}

}  // namespace
}  // namespace wick
