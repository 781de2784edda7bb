// nn.TransformerEncoder given a key padding mask in eval mode, which
// LibTorch runs through nested tensors, run by jit_load against LibTorch on
// fresh inputs: scripted and traced, bool and float masks, a row with no
// position present; a layer applied to a nested tensor in the code PyTorch
// 2.x writes (to_padded_tensor to the input's size). What wick refuses: a
// mask that is not left-aligned and a batch where every row is padded
// (run-time errors), a nested tensor reaching another op (compile time).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/jit_module.h"
#include "frontend/loader.h"
#include "runtime/npy.h"
#include "support/error.h"
#include "tests/api/jit_helpers.h"
#include "tests/frontend/python_files.h"

namespace wick {
namespace {

class NestedEncoder : public test::PythonFiles<NestedEncoder> {
 public:
  static const char* tag() { return "nested_encoder"; }
  static std::string script() {
    return R"py(
import numpy as np
import torch
from torch import Tensor, nn
from typing import Tuple


class Classifier(nn.Module):
    """An encoder stack with a final norm, and a head on the first position."""

    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(32, 4, 64, batch_first=True, dropout=0.0)
        self.enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(32))
        self.head = nn.Linear(32, 3)

    def forward(self, x: Tensor, kpm: Tensor) -> Tuple[Tensor, Tensor]:
        h = self.enc(x, src_key_padding_mask=kpm)
        return self.head(h[:, 0]), h


class Torch2Style(nn.Module):
    """A layer on a nested tensor, padded back to the input's size."""

    def __init__(self):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(32, 4, 64, batch_first=True, dropout=0.0, activation="gelu")

    def forward(self, x: Tensor, kpm: Tensor) -> Tensor:
        nt = torch._nested_tensor_from_mask(x, kpm.logical_not(), mask_check=False)
        return self.layer(nt).to_padded_tensor(0.0, x.size())


class Misuse(nn.Module):
    def forward(self, x: Tensor, kpm: Tensor) -> Tensor:
        nt = torch._nested_tensor_from_mask(x, kpm.logical_not())
        return torch.relu(nt).to_padded_tensor(0.0)


torch.manual_seed(7)
classifier = Classifier().eval()
torch.jit.script(classifier).save("scripted.pt")
x = torch.randn(4, 6, 32)
masks = {}
m = torch.zeros(4, 6, dtype=torch.bool)
m[1, 3:] = True
m[2, 1:] = True
m[3, :] = True  # no position present
masks["bool"] = m
masks["float"] = m.float()
m = torch.zeros(4, 6, dtype=torch.bool)
m[:, 5:] = True
m[1, 2:] = True
masks["every_row_padded"] = m
m = torch.zeros(4, 6, dtype=torch.bool)
m[1, 0] = True
masks["left_padded"] = m
np.save("x.npy", x.numpy())
for name, m in masks.items():
    np.save(name + ".npy", m.numpy())
with torch.no_grad():
    torch.jit.trace(classifier, (torch.randn(4, 6, 32), masks["bool"]), check_trace=False).save("traced.pt")
    torch.jit.script(Torch2Style().eval()).save("torch2_style.pt")
    torch.jit.script(Misuse()).save("misuse.pt")
    for model in ["scripted", "traced"]:
        for name in ["bool", "float"]:
            outs = torch.jit.load(model + ".pt")(x, masks[name])
            for i, t in enumerate(outs):
                np.save("%s_%s_out%d.npy" % (model, name, i), t.numpy())
    for name in ["bool", "every_row_padded"]:
        out = torch.jit.load("torch2_style.pt")(x, masks[name])
        np.save("torch2_style_%s_out0.npy" % name, out.numpy())
)py";
  }

 protected:
  static Tensor npy(const std::string& name) { return read_npy(path(name + ".npy")); }

  static JitModule load(const std::string& model) { return test::load_uncached(path(model + ".pt")); }

  static void expect_matches(const std::string& model, const std::string& mask, size_t outputs) {
    const auto out = load(model).forward({npy("x"), npy(mask)});
    ASSERT_EQ(out.size(), outputs);
    for (size_t k = 0; k < outputs; ++k)
      test::expect_close(out[k], npy(model + "_" + mask + "_out" + std::to_string(k)), 1e-5,
                         "output " + std::to_string(k));
  }

  // The message of the error running `model` on x and `mask` raises.
  static std::string run_error(const std::string& model, const std::string& mask) {
    try {
      load(model).forward({npy("x"), npy(mask)});
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
};

TEST_F(NestedEncoder, ScriptedWithBoolMask) { expect_matches("scripted", "bool", 2); }
TEST_F(NestedEncoder, ScriptedWithFloatMask) { expect_matches("scripted", "float", 2); }
TEST_F(NestedEncoder, TracedWithBoolMask) { expect_matches("traced", "bool", 2); }
TEST_F(NestedEncoder, TracedWithFloatMask) { expect_matches("traced", "float", 2); }
TEST_F(NestedEncoder, LayerOnNestedTensorPaddedToInputSize) { expect_matches("torch2_style", "bool", 1); }

// to_padded_tensor to the input's size: the batch may have every row padded.
TEST_F(NestedEncoder, EveryRowPaddedToInputSize) { expect_matches("torch2_style", "every_row_padded", 1); }

// LibTorch's output would be shorter than the input: refused while running.
TEST_F(NestedEncoder, EveryRowPaddedIsARunTimeError) {
  const std::string message = run_error("scripted", "every_row_padded");
  EXPECT_NE(message.find("every row of the nested tensor is shorter"), std::string::npos) << message;
}

TEST_F(NestedEncoder, MaskNotLeftAlignedIsARunTimeError) {
  const std::string message = run_error("scripted", "left_padded");
  EXPECT_NE(message.find("not left-aligned"), std::string::npos) << message;
}

TEST_F(NestedEncoder, NestedTensorReachingAnotherOpIsRefused) {
  const std::string message = run_error("misuse", "bool");
  EXPECT_NE(message.find("aten::relu"), std::string::npos) << message;
  EXPECT_NE(message.find("nested tensor"), std::string::npos) << message;
}

}  // namespace
}  // namespace wick
