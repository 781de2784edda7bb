// Models quantized in FX graph mode (prepare_fx, calibrate, convert_fx with
// the onednn configuration), scripted and traced, against LibTorch on fresh
// random inputs, plain and three times wider than calibrated. FX saves a
// functional convolution's or linear's weight as a packed-weight object
// (`self._packed_weight_0`, in torch's own serialization of
// Conv2dPackedParamsBase) and its scales and zero points as module tensors
// read through `annotate(float, t)`; modules become the quantized modules
// eager mode makes. Every output must land on LibTorch's level.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "tests/api/jit_helpers.h"
#include "tests/frontend/python_files.h"

namespace wick {
namespace {

class FxQuantization : public test::PythonFiles<FxQuantization> {
 public:
  static const char* tag() { return "fx_quantization"; }
  static std::string script() {
    return R"py(
import numpy as np
import torch
from torch import nn
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
from torch.nn import functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(8, 3, 3, 3) * 0.2)
        self.b = nn.Parameter(torch.randn(8) * 0.1)
        self.conv = nn.Conv2d(8, 8, 3, padding=1, groups=2)
        self.lw = nn.Parameter(torch.randn(10, 8) * 0.2)
        self.lb = nn.Parameter(torch.randn(10) * 0.1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        # (1.13's FX needs every argument of a functional convolution given)
        y = F.relu(F.conv2d(x, self.w, self.b, (2, 1), (1, 1), (1, 1), 1))
        y = self.conv(y)
        y = y.mean([2, 3])
        return F.linear(y, self.lw, self.lb) + self.fc(y)


class Line(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(6, 3, 3) * 0.3)
        self.b = nn.Parameter(torch.randn(6) * 0.1)

    def forward(self, x):
        return F.relu(F.conv1d(x, self.w, self.b, (2,), (1,), (1,), 1))


torch.backends.quantized.engine = "onednn"
torch.manual_seed(0)
for name, model, shape in [("net", Net(), (2, 3, 16, 16)), ("line", Line(), (2, 3, 32))]:
    prepared = prepare_fx(model.eval(), get_default_qconfig_mapping("onednn"), example_inputs=(torch.randn(*shape),))
    for _ in range(8):
        prepared(torch.randn(*shape))
    quantized = convert_fx(prepared)
    torch.jit.script(quantized).save(f"{name}_scripted.pt")
    torch.jit.trace(quantized, torch.randn(*shape)).save(f"{name}_traced.pt")
    last = [n for n in dict(quantized.named_buffers()) if n.startswith("_scale_")][-1]
    with open(f"{name}_scale.txt", "w") as f:
        f.write(repr(float(getattr(quantized, last))))
torch.seed()  # fresh inputs on every run
for name, shape in [("net", (3, 3, 16, 16)), ("line", (3, 3, 32))]:
    for variant in ["scripted", "traced"]:
        loaded = torch.jit.load(f"{name}_{variant}.pt")
        for run, width in enumerate([1, 3]):
            x = torch.randn(*shape) * width
            np.save(f"{name}_{variant}_{run}_in.npy", x.numpy())
            np.save(f"{name}_{variant}_{run}_out.npy", loaded(x).numpy())
)py";
  }

  void expect_on_levels(const std::string& name) {
    const double scale = std::stod(test::slurp(path(name + "_scale.txt")));
    for (const char* variant : {"scripted", "traced"}) {
      const std::string model = path(name + "_" + variant + ".pt");
      for (int run = 0; run < 2; ++run) {
        const std::string base = path(name + "_" + variant + "_" + std::to_string(run));
        SCOPED_TRACE(base);
        const auto outs = test::load_uncached(model).forward({read_npy(base + "_in.npy")});
        ASSERT_EQ(outs.size(), 1u);
        const Tensor want = read_npy(base + "_out.npy");
        ASSERT_EQ(outs[0].sizes(), want.sizes());
        const Tensor got = outs[0].contiguous();
        int64_t off = 0;
        for (int64_t i = 0; i < want.numel(); ++i)
          off += std::abs(got.data_as<float>()[i] - want.data_as<float>()[i]) / scale > 1e-3;
        EXPECT_EQ(off, 0) << "of " << want.numel();
      }
    }
  }
};

// Functional conv2d + relu and linear on packed weights, a quantized
// module convolution (grouped) and linear, a mean, a quantized add.
TEST_F(FxQuantization, PackedWeightsLandOnLibTorchsLevels) { expect_on_levels("net"); }

// A functional conv1d: its packed weight is a 2-d one over a height of 1.
TEST_F(FxQuantization, PackedConv1dLandsOnLibTorchsLevels) { expect_on_levels("line"); }

}  // namespace
}  // namespace wick
