// The masks of the fused attention ops (_native_multi_head_attention and
// _transformer_encoder_layer_fwd), compiled by wick against the same ops in
// LibTorch on fresh random inputs: boolean and float masks (a float mask
// hides where it is nonzero, -inf in the masks torch builds) of every
// mask_type: 1, a [batch, source] key padding mask, which PyTorch 1.x and
// 2.x pass; 2, a [batch, heads, target, source] mask, which PyTorch 2.x
// passes after merging an attention mask with a padding mask; 0, a
// [target, source] mask, against LibTorch given it expanded as mask_type 2
// (LibTorch 1.13 refuses mask_type 0). Relative error at most 1e-4.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "tests/e2e/torch_tensors.h"

namespace wick {
namespace {

using test::wir_type;

constexpr int64_t kBatch = 3, kLength = 6, kEmbed = 16, kHeads = 4, kHidden = 32;

enum class Layer { attention, encoder, encoder_norm_first };

struct Case {
  const char* name;
  Layer layer;
  int mask_type;  // -1: no mask
  bool float_mask;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

// The positions each case hides, as booleans over [batch, heads, target,
// source]: random, but every query keeps its first key, so no row is
// fully masked (torch's softmax gives NaN there).
torch::Tensor hidden_positions(const Case& c) {
  std::vector<int64_t> shape;
  if (c.mask_type == 0) shape = {kLength, kLength};
  if (c.mask_type == 1) shape = {kBatch, kLength};
  if (c.mask_type == 2) shape = {kBatch, kHeads, kLength, kLength};
  torch::Tensor hide = torch::rand(shape) > 0.6;
  hide.select(-1, 0).fill_(false);
  return hide;
}

// A float mask as torch makes one from booleans: -inf where hidden, else 0;
// a few other nonzero entries hide as well.
torch::Tensor as_float_mask(const torch::Tensor& hide) {
  torch::Tensor mask = torch::zeros(hide.sizes()).masked_fill(hide, -INFINITY);
  torch::Tensor other = hide.logical_not().logical_and(torch::rand(hide.sizes()) > 0.9);
  other.select(-1, 0).fill_(false);
  return mask.masked_fill(other, 0.5);
}

class FusedAttentionMasks : public ::testing::TestWithParam<Case> {};

TEST_P(FusedAttentionMasks, MatchLibTorch) {
  const Case& c = GetParam();
  const uint64_t seed = std::random_device{}();
  SCOPED_TRACE("seed " + std::to_string(seed));
  torch::manual_seed(seed);
  auto randn = [](std::vector<int64_t> s) { return torch::randn(s) * 0.5; };
  const torch::Tensor x = torch::randn({kBatch, kLength, kEmbed});
  const torch::Tensor qkv_w = randn({3 * kEmbed, kEmbed}), qkv_b = randn({3 * kEmbed});
  const torch::Tensor proj_w = randn({kEmbed, kEmbed}), proj_b = randn({kEmbed});
  const torch::Tensor n1_w = 1 + randn({kEmbed}), n1_b = randn({kEmbed});
  const torch::Tensor n2_w = 1 + randn({kEmbed}), n2_b = randn({kEmbed});
  const torch::Tensor f1_w = randn({kHidden, kEmbed}), f1_b = randn({kHidden});
  const torch::Tensor f2_w = randn({kEmbed, kHidden}), f2_b = randn({kEmbed});
  torch::Tensor mask;
  c10::optional<torch::Tensor> torch_mask;
  c10::optional<int64_t> torch_mask_type;
  if (c.mask_type >= 0) {
    const torch::Tensor hide = hidden_positions(c);
    mask = c.float_mask ? as_float_mask(hide) : hide;
    torch_mask = mask;
    torch_mask_type = c.mask_type;
    if (c.mask_type == 0) {
      torch_mask = mask.view({1, 1, kLength, kLength}).expand({kBatch, kHeads, kLength, kLength}).contiguous();
      torch_mask_type = 2;
    }
  }

  std::vector<torch::Tensor> args = {x, qkv_w, qkv_b, proj_w, proj_b};
  std::string params = "%x : " + wir_type(x) + ", %qkv_w : " + wir_type(qkv_w) + ", %qkv_b : " + wir_type(qkv_b) +
                       ", %proj_w : " + wir_type(proj_w) + ", %proj_b : " + wir_type(proj_b);
  std::string body = "    %E : Int = prim::Constant[value=" + std::to_string(kEmbed) + "]()\n" +
                     "    %H : Int = prim::Constant[value=" + std::to_string(kHeads) + "]()\n" +
                     "    %true : Bool = prim::Constant[value=true]()\n" +
                     "    %false : Bool = prim::Constant[value=false]()\n";
  if (mask.defined()) {
    body += "    %mask_type : Int = prim::Constant[value=" + std::to_string(c.mask_type) + "]()\n";
  } else {
    body += "    %mask : None = prim::Constant[value=none]()\n    %mask_type : None = prim::Constant[value=none]()\n";
  }
  std::vector<torch::Tensor> want;
  std::string results;
  if (c.layer == Layer::attention) {
    auto [out, weights] = torch::_native_multi_head_attention(x, x, x, kEmbed, kHeads, qkv_w, qkv_b, proj_w, proj_b,
                                                              torch_mask, true, false, torch_mask_type);
    want = {out, weights};
    results = "(Tensor, Tensor)";
    body += "    %y : Tensor, %weights : Tensor = aten::_native_multi_head_attention(%x, %x, %x, %E, %H, %qkv_w, "
            "%qkv_b, %proj_w, %proj_b, %mask, %true, %false, %mask_type)\n    return(%y, %weights)\n";
  } else {
    const bool norm_first = c.layer == Layer::encoder_norm_first;
    for (const auto& [name, t] : std::vector<std::pair<std::string, torch::Tensor>>{
             {"n1_w", n1_w}, {"n1_b", n1_b}, {"n2_w", n2_w}, {"n2_b", n2_b},
             {"f1_w", f1_w}, {"f1_b", f1_b}, {"f2_w", f2_w}, {"f2_b", f2_b}}) {
      params += ", %" + name + " : " + wir_type(t);
      args.push_back(t);
    }
    want = {torch::_transformer_encoder_layer_fwd(x, kEmbed, kHeads, qkv_w, qkv_b, proj_w, proj_b, norm_first,
                                                  norm_first, 1e-5, n1_w, n1_b, n2_w, n2_b, f1_w, f1_b, f2_w, f2_b,
                                                  torch_mask, torch_mask_type)};
    results = "(Tensor)";
    // Post-norm with relu, pre-norm with gelu, as the zoo's layers.
    const std::string gelu = norm_first ? "%true" : "%false";
    body += "    %eps : Float = prim::Constant[value=1e-05]()\n"
            "    %y : Tensor = aten::_transformer_encoder_layer_fwd(%x, %E, %H, %qkv_w, %qkv_b, %proj_w, %proj_b, " +
            gelu + ", " + gelu +
            ", %eps, %n1_w, %n1_b, %n2_w, %n2_b, %f1_w, %f1_b, %f2_w, %f2_b, %mask, %mask_type)\n    return(%y)\n";
  }
  if (mask.defined()) {
    params += ", %mask : " + wir_type(mask);
    args.push_back(mask);
  }
  const std::string text =
      "module @M {\n  graph @forward(" + params + ") -> " + results + " {\n" + body + "  }\n}\n";
  SCOPED_TRACE(text);
  const std::vector<torch::Tensor> out = test::run_module_text(text, "fused_attention.wir", args);
  ASSERT_EQ(out.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const torch::Tensor& got = out[i];
    ASSERT_EQ(got.sizes(), want[i].sizes()) << "output " << i;
    ASSERT_FALSE(want[i].isnan().any().item<bool>()) << "output " << i;
    const double err = (got - want[i]).abs().max().item<double>() / want[i].abs().max().item<double>();
    EXPECT_LE(err, 1e-4) << "output " << i;
  }
}

const Case kCases[] = {
    {"attention_no_mask", Layer::attention, -1, false},
    {"attention_bool_padding", Layer::attention, 1, false},
    {"attention_float_padding", Layer::attention, 1, true},
    {"attention_bool_merged", Layer::attention, 2, false},
    {"attention_float_merged", Layer::attention, 2, true},
    {"attention_float_square", Layer::attention, 0, true},
    {"encoder_float_padding", Layer::encoder, 1, true},
    {"encoder_float_merged", Layer::encoder, 2, true},
    {"encoder_bool_square", Layer::encoder, 0, false},
    {"encoder_norm_first_float_padding", Layer::encoder_norm_first, 1, true},
    {"encoder_norm_first_bool_merged", Layer::encoder_norm_first, 2, false},
};

INSTANTIATE_TEST_SUITE_P(Cases, FusedAttentionMasks, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace wick
