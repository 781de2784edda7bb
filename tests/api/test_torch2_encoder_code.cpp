// An encoder layer whose forward is written the way PyTorch 2.x writes
// nn.TransformerEncoderLayer's: masks made float by a helper taking keyword
// arguments and merged by a method returning optionals, tensors' devices
// checked through `x.device.type`, a causal mask detected by comparing the
// mask with one built, a fast-path switch in a code file of its own, and the
// fused layer returned early from inside nested ifs. LibTorch 1.13 scripts
// and saves it; jit_load runs it against LibTorch on fresh inputs with no
// mask, a key padding mask, a square mask, both, and a causal mask.
#include <gtest/gtest.h>

#include <string>

#include "api/jit_module.h"
#include "frontend/loader.h"
#include "runtime/npy.h"
#include "tests/api/jit_helpers.h"
#include "tests/frontend/python_files.h"

namespace wick {
namespace {

class Torch2EncoderCode : public test::PythonFiles<Torch2EncoderCode> {
 public:
  static const char* tag() { return "torch2_encoder_code"; }
  static std::string script() {
    return R"py(
import sys
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from typing import List, Optional, Tuple

# A helper in a module of its own gets a code file of its own, as
# torch.backends.mha's does in PyTorch 2.x files.
with open("fastpath.py", "w") as f:
    f.write("import torch\n\ndef get_fastpath_enabled() -> bool:\n"
            "    if not torch.jit.is_scripting():\n        return False\n    return True\n")
sys.path.insert(0, ".")
import fastpath

def none_or_dtype(x: Optional[Tensor]) -> Optional[int]:
    if x is None:
        return None
    return x.dtype

def canonical_mask(mask: Optional[Tensor], mask_name: str, other_type: Optional[int], other_name: str,
                   target_type: int, check_other: bool = True) -> Optional[Tensor]:
    if mask is not None:
        mask_dtype = mask.dtype
        mask_is_float = torch.is_floating_point(mask)
        if mask_dtype != torch.bool and not mask_is_float:
            raise AssertionError(f"only bool and floating types of {mask_name} are supported")
        if check_other and other_type is not None:
            if mask_dtype != other_type:
                print(f"Support for mismatched {mask_name} and {other_name} is deprecated.")
        if not mask_is_float:
            mask = torch.zeros_like(mask, dtype=target_type).masked_fill_(mask, float("-inf"))
    return mask

def check_arg_device(x: Optional[Tensor]) -> bool:
    if x is not None:
        return x.device.type in ["cpu", "cuda", "privateuseone"]
    return True

def arg_requires_grad(x: Optional[Tensor]) -> bool:
    if x is not None:
        return x.requires_grad
    return False

def causal_mask_like(sz: int, dtype: int) -> Tensor:
    return torch.triu(torch.full((sz, sz), float("-inf"), dtype=dtype), diagonal=1)

def detect_is_causal(mask: Optional[Tensor], is_causal: Optional[bool], size: Optional[int]) -> bool:
    make_causal = (is_causal is True)
    if is_causal is None and mask is not None:
        sz = size if size is not None else mask.size(-2)
        causal = causal_mask_like(sz, mask.dtype)
        if mask.size() == causal.size():
            make_causal = bool((mask == causal).all())
        else:
            make_causal = False
    return make_causal

class Attention(torch.nn.Module):
    def __init__(self, e, h):
        super().__init__()
        self.embed_dim = e
        self.num_heads = h
        self.in_proj_weight = torch.nn.Parameter(torch.randn(3 * e, e) * 0.3)
        self.in_proj_bias = torch.nn.Parameter(torch.randn(3 * e) * 0.3)
        self.out_proj = torch.nn.Linear(e, e)

    def merge_masks(self, attn_mask: Optional[Tensor], key_padding_mask: Optional[Tensor],
                    query: Tensor) -> Tuple[Optional[Tensor], Optional[int]]:
        mask_type: Optional[int] = None
        merged_mask: Optional[Tensor] = None
        if key_padding_mask is not None:
            mask_type = 1
            merged_mask = key_padding_mask
        if attn_mask is not None:
            batch_size, seq_len, _ = query.shape
            mask_type = 2
            if attn_mask.dim() == 3:
                attn_mask_expanded = attn_mask.view(batch_size, -1, seq_len, seq_len)
            else:
                attn_mask_expanded = attn_mask.view(1, 1, seq_len, seq_len).expand(batch_size, self.num_heads, -1, -1)
            merged_mask = attn_mask_expanded
            if key_padding_mask is not None:
                key_padding_mask_expanded = key_padding_mask.view(batch_size, 1, 1, seq_len).expand(-1, self.num_heads, -1, -1)
                merged_mask = attn_mask_expanded + key_padding_mask_expanded
        return merged_mask, mask_type

    def forward(self, x: Tensor, attn_mask: Optional[Tensor], key_padding_mask: Optional[Tensor],
                is_causal: bool = False) -> Tensor:
        b, l, e = x.shape
        h = self.num_heads
        qkv = F.linear(x, self.in_proj_weight, self.in_proj_bias)
        q, k, v = qkv.chunk(3, dim=-1)
        q = q.view(b, l, h, e // h).transpose(1, 2)
        k = k.view(b, l, h, e // h).transpose(1, 2)
        v = v.view(b, l, h, e // h).transpose(1, 2)
        mask, _ = self.merge_masks(attn_mask, key_padding_mask, x)
        scores = torch.matmul(q, k.transpose(-2, -1)) / float(e // h) ** 0.5
        if is_causal:
            scores = scores + causal_mask_like(l, x.dtype)
        if mask is not None:
            scores = scores + mask
        out = torch.matmul(torch.softmax(scores, -1), v).transpose(1, 2).reshape(b, l, e)
        return self.out_proj(out)

class EncoderLayer(torch.nn.Module):
    """An encoder layer whose forward follows the shape of PyTorch 2.x's."""
    def __init__(self, e=16, h=4, f=32):
        super().__init__()
        self.self_attn = Attention(e, h)
        self.linear1 = torch.nn.Linear(e, f)
        self.linear2 = torch.nn.Linear(f, e)
        self.norm1 = torch.nn.LayerNorm(e)
        self.norm2 = torch.nn.LayerNorm(e)
        self.norm_first = False

    def forward(self, src: Tensor, src_mask: Optional[Tensor] = None,
                src_key_padding_mask: Optional[Tensor] = None, is_causal: Optional[bool] = None) -> Tensor:
        src_key_padding_mask = canonical_mask(mask=src_key_padding_mask, mask_name="src_key_padding_mask",
                                              other_type=none_or_dtype(src_mask), other_name="src_mask",
                                              target_type=src.dtype)
        src_mask = canonical_mask(mask=src_mask, mask_name="src_mask", other_type=None, other_name="",
                                  target_type=src.dtype, check_other=False)
        causal = detect_is_causal(src_mask, is_causal, src.size(1))
        why_not = ""
        if not fastpath.get_fastpath_enabled():
            why_not = "disabled"
        elif not src.dim() == 3:
            why_not = f"input not batched; expected src.dim() of 3 but got {src.dim()}"
        elif self.training:
            why_not = "training"
        elif self.self_attn.num_heads % 2 == 1:
            why_not = "num_head is odd"
        elif torch.is_autocast_enabled():
            why_not = "autocast is enabled"
        if not why_not:
            tensor_args = (src, self.self_attn.in_proj_weight, self.self_attn.in_proj_bias,
                           self.self_attn.out_proj.weight, self.self_attn.out_proj.bias,
                           self.norm1.weight, self.norm1.bias, self.norm2.weight, self.norm2.bias,
                           self.linear1.weight, self.linear1.bias, self.linear2.weight, self.linear2.bias)
            if not all([check_arg_device(x) for x in tensor_args]):
                why_not = "device"
            elif torch.is_grad_enabled() and any([arg_requires_grad(x) for x in tensor_args]):
                why_not = "grad"
            if not why_not and not causal:
                merged_mask, mask_type = self.self_attn.merge_masks(src_mask, src_key_padding_mask, src)
                return torch._transformer_encoder_layer_fwd(
                    src, self.self_attn.embed_dim, self.self_attn.num_heads,
                    self.self_attn.in_proj_weight, self.self_attn.in_proj_bias,
                    self.self_attn.out_proj.weight, self.self_attn.out_proj.bias,
                    False, self.norm_first, self.norm1.eps, self.norm1.weight, self.norm1.bias,
                    self.norm2.weight, self.norm2.bias, self.linear1.weight, self.linear1.bias,
                    self.linear2.weight, self.linear2.bias, merged_mask, mask_type)
        x = src
        x = self.norm1(x + self.self_attn(x, src_mask, src_key_padding_mask, is_causal=causal))
        return self.norm2(x + self.linear2(torch.relu(self.linear1(x))))

m = torch.jit.script(EncoderLayer().eval())
m.save("layer.pt")

# Fresh inputs; LibTorch's outputs for each combination of masks.
B, L = 3, 6
x = torch.randn(B, L, 16)
pad = torch.rand(B, L) > 0.6
pad[:, 0] = False
square = torch.rand(L, L) > 0.7
square[:, 0] = False
causal = torch.triu(torch.full((L, L), float("-inf")), diagonal=1)
for name, t in [("x", x), ("pad", pad), ("square", square), ("causal", causal)]:
    np.save(name + ".npy", t.numpy())
with torch.no_grad():
    np.save("out_none.npy", m(x).numpy())
    np.save("out_pad.npy", m(x, None, pad).numpy())
    np.save("out_square.npy", m(x, square).numpy())
    np.save("out_both.npy", m(x, square, pad).numpy())
    np.save("out_causal.npy", m(x, causal).numpy())
)py";
  }

 protected:
  static Tensor npy(const std::string& name) { return read_npy((*dir_ / (name + ".npy")).string()); }

  // One call of forward against LibTorch's output.
  static void expect_matches(const std::vector<Tensor>& inputs, const std::string& want_name) {
    SCOPED_TRACE(want_name);
    const auto out = test::load_uncached((*dir_ / "layer.pt").string()).forward(inputs);
    ASSERT_EQ(out.size(), 1u);
    const Tensor want = npy(want_name);
    ASSERT_EQ(out[0].sizes(), want.sizes());
    for (int64_t i = 0; i < want.numel(); ++i)
      EXPECT_NEAR(out[0].data_as<float>()[i], want.data_as<float>()[i], 1e-4) << "element " << i;
  }

};

TEST_F(Torch2EncoderCode, NoMask) { expect_matches({npy("x")}, "out_none"); }

TEST_F(Torch2EncoderCode, KeyPaddingMask) { expect_matches({npy("x"), Tensor(), npy("pad")}, "out_pad"); }

TEST_F(Torch2EncoderCode, SquareMask) { expect_matches({npy("x"), npy("square")}, "out_square"); }

TEST_F(Torch2EncoderCode, SquareAndPaddingMasksMerged) {
  expect_matches({npy("x"), npy("square"), npy("pad")}, "out_both");
}

// The causal mask is found by comparing values, so the fast path's early
// return sits under a condition known only at run time.
TEST_F(Torch2EncoderCode, CausalMaskTakesTheSlowPath) { expect_matches({npy("x"), npy("causal")}, "out_causal"); }

}  // namespace
}  // namespace wick
