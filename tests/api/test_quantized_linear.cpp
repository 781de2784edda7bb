// Dynamically quantized Linear layers (torch.quantization.quantize_dynamic),
// scripted and traced, per tensor and per channel, a fused LinearReLU and a
// layer without bias, against LibTorch on fresh random inputs. The inputs
// reach each branch of how LibTorch picks the input's scale and zero point:
// a range across zero, all positive, all negative, all zero (scale 0.1),
// tiny ranges (the scale raised to 6.1e-5), large values, rank 3, and values
// that fall exactly halfway between two levels (rounded after the zero point
// is added, ties to even), and a range of exactly [-1, 1], whose top rounds
// past the reduced range's levels. One level more or less moves an output by about
// 1%, so a tolerance of 1e-5 catches any misplaced level.
#include <gtest/gtest.h>

#include <string>

#include "tests/api/jit_helpers.h"
#include "tests/frontend/python_files.h"

namespace wick {
namespace {

using test::kSaveRunPython;

class QuantizedLinear : public test::PythonFiles<QuantizedLinear> {
 public:
  static const char* tag() { return "quantized_linear"; }
  static std::string script() {
    return std::string(R"py(
import numpy as np
import torch
import torch.ao.quantization as q
from torch import Tensor, nn
from typing import Tuple


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 6, bias=False)
        self.fc2 = nn.Linear(6, 5)
        self.fc3 = nn.Linear(8, 4)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        h = self.fc1(x)
        return h, self.fc2(h), self.relu(self.fc3(x))


torch.manual_seed(0)
net = Net().eval()
q.fuse_modules(net, [["fc3", "relu"]], inplace=True)
model = q.quantize_dynamic(net, {"fc1": q.default_dynamic_qconfig, "fc2": q.default_dynamic_qconfig,
                                 "fc3": q.per_channel_dynamic_qconfig}, dtype=torch.qint8)
torch.jit.script(model).save("scripted.pt")
torch.jit.trace(model, torch.randn(3, 8)).save("traced.pt")
torch.seed()  # fresh inputs on every run
)py") + kSaveRunPython + R"py(

# Halfway values: a range of 127 levels of 1/16 from -3/16, so that the scale
# is 1/16 and the zero point 3; columns 2 and 3 then hold halfway levels
# within that range. "tiny" ranges stay below 127 * 6.1e-5, so their scale
# is raised.
s = 1.0 / 16
halves = torch.tensor([[-3 * s, 124 * s, (k + 0.5) * s, (-(k % 3) - 0.5) * s, 0, 0, 0, 0] for k in range(6)])
# Values -1, 0 and 1 only (a saturated hidden state): with reduce_range the
# 1s land halfway between levels 127 and 128 and round up to 128.
saturated = torch.randint(-1, 2, (7, 8)).float()
saturated[0, :2] = torch.tensor([1.0, -1.0])
cases = {
    "normal": torch.randn(7, 8),
    "positive": torch.rand(7, 8) + 1,
    "negative": -torch.rand(7, 8) - 1,
    "zeros": torch.zeros(4, 8),
    "tiny": torch.randn(7, 8) * 5e-4,
    "tiny_positive": torch.rand(7, 8) * 5e-3,
    "tiny_negative": -torch.rand(7, 8) * 5e-3,
    "large": torch.randn(7, 8) * 1e4,
    "rank3": torch.randn(2, 3, 8),
    "halves": halves,
    "saturated": saturated,
}
for variant in ["scripted", "traced"]:
    for name, x in cases.items():
        save_run(variant + ".pt", [x], variant + "_" + name)
)py";
  }
};

TEST_F(QuantizedLinear, MatchesLibTorchOnEveryRangeOfInput) {
  for (const char* variant : {"scripted", "traced"})
    for (const char* name : {"normal", "positive", "negative", "zeros", "tiny", "tiny_positive", "tiny_negative",
                             "large", "rank3", "halves", "saturated"}) {
      SCOPED_TRACE(std::string(variant) + " " + name);
      test::expect_saved_run(path(""), std::string(variant) + ".pt", std::string(variant) + "_" + name, 1, 1e-5);
    }
}

// Weights quantized with zero points other than 0, per tensor and per
// channel, which only LibTorch's qnnpack engine accepts (it also ignores
// reduce_range, so the layers here pass False): wick subtracts the weight's
// zero point after the integer product.
class AffineQuantizedLinear : public test::PythonFiles<AffineQuantizedLinear> {
 public:
  static const char* tag() { return "affine_quantized_linear"; }
  static std::string script() {
    return std::string(R"py(
import numpy as np
import torch
import torch.ao.quantization as q
from torch import Tensor, nn
from typing import Tuple

torch.backends.quantized.engine = "qnnpack"
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(8, 6), nn.Linear(6, 5, bias=False)).eval()
observer = q.default_dynamic_quant_observer
per_tensor = q.QConfig(activation=observer,
                       weight=q.MinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_tensor_affine))
per_channel = q.QConfig(activation=observer, weight=q.PerChannelMinMaxObserver.with_args(
    dtype=torch.qint8, qscheme=torch.per_channel_affine))
layers = q.quantize_dynamic(net, {"0": per_tensor, "1": per_channel}, dtype=torch.qint8)
assert layers[0].weight().q_zero_point() != 0
assert (layers[1].weight().q_per_channel_zero_points() != 0).any()


class Affine(nn.Module):
    def __init__(self, first, second):
        super().__init__()
        self.first = first
        self.second = second

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        h = torch.ops.quantized.linear_dynamic(x, self.first, False)
        return h, torch.ops.quantized.linear_relu_dynamic(h, self.second, False)


torch.jit.script(Affine(layers[0]._packed_params._packed_params,
                        layers[1]._packed_params._packed_params)).save("affine.pt")
torch.seed()  # fresh inputs on every run
)py") + kSaveRunPython + R"py(
cases = {"normal": torch.randn(7, 8), "positive": torch.rand(7, 8) + 1, "rank3": torch.randn(2, 3, 8)}
for name, x in cases.items():
    save_run("affine.pt", [x], name)
)py";
  }
};

TEST_F(AffineQuantizedLinear, MatchesLibTorch) {
  for (const char* name : {"normal", "positive", "rank3"}) {
    SCOPED_TRACE(name);
    test::expect_saved_run(path(""), "affine.pt", name, 1, 1e-5);
  }
}

}  // namespace
}  // namespace wick
