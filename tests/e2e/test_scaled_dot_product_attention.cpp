// aten::scaled_dot_product_attention (PyTorch 2.x's attention) compiled by
// wick against LibTorch computing its definition, softmax(q @ k^T * scale +
// bias) @ v, on fresh random inputs: no mask, boolean and float masks that
// broadcast, is_causal with more keys than queries, an explicit scale, and
// 3-D inputs. Relative error at most 1e-4. LibTorch 1.13 has no such op, so
// the reference is its formula; PyTorch 2.x files call the op itself.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <ostream>
#include <string>

#include "api/compiled_graph.h"
#include "ir/parser.h"
#include "support/error.h"
#include "tests/e2e/torch_tensors.h"

namespace wick {
namespace {

using test::wir_type;

struct Case {
  const char* name;
  std::vector<int64_t> q, k, v, mask;  // mask empty: none
  bool bool_mask = false;
  bool causal = false;
  double scale = 0;  // 0: the default 1/sqrt(E)
};

// Test names and messages show the case by its name.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

torch::Tensor reference(const Case& c, const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& mask) {
  const double scale = c.scale != 0 ? c.scale : 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
  torch::Tensor scores = torch::matmul(q, k.transpose(-2, -1)) * scale;
  if (c.causal) {
    torch::Tensor keep = torch::ones({q.size(-2), k.size(-2)}, torch::kBool).tril();
    scores = scores.masked_fill(keep.logical_not(), -INFINITY);
  } else if (mask.defined()) {
    scores = c.bool_mask ? scores.masked_fill(mask.logical_not(), -INFINITY) : scores + mask;
  }
  return torch::matmul(torch::softmax(scores, -1), v);
}

class ScaledDotProductAttention : public ::testing::TestWithParam<Case> {};

TEST_P(ScaledDotProductAttention, MatchesItsDefinition) {
  const Case& c = GetParam();
  torch::manual_seed(static_cast<uint64_t>(std::hash<std::string>()(c.name)));
  const torch::Tensor q = torch::randn(c.q), k = torch::randn(c.k), v = torch::randn(c.v);
  torch::Tensor mask;
  if (!c.mask.empty()) {
    mask = c.bool_mask ? torch::rand(c.mask) > 0.3 : torch::randn(c.mask);
    // Every query keeps its first key, so that no row is fully masked.
    if (c.bool_mask) mask.select(-1, 0).fill_(true);
  }
  std::string params = "%q : " + wir_type(q) + ", %k : " + wir_type(k) + ", %v : " + wir_type(v);
  if (mask.defined()) params += ", %mask : " + wir_type(mask);
  std::string text = "module @M {\n  graph @forward(" + params + ") -> (Tensor) {\n";
  text += mask.defined() ? "" : "    %mask : None = prim::Constant[value=none]()\n";
  text += "    %p : Float = prim::Constant[value=0.0]()\n";
  text += std::string("    %causal : Bool = prim::Constant[value=") + (c.causal ? "true" : "false") + "]()\n";
  if (c.scale != 0) text += "    %scale : Float = prim::Constant[value=" + std::to_string(c.scale) + "]()\n";
  else text += "    %scale : None = prim::Constant[value=none]()\n";
  text += "    %gqa : Bool = prim::Constant[value=false]()\n";
  text += "    %y : Tensor = aten::scaled_dot_product_attention(%q, %k, %v, %mask, %p, %causal, %scale, %gqa)\n";
  text += "    return(%y)\n  }\n}\n";
  SCOPED_TRACE(text);
  std::vector<torch::Tensor> inputs = {q, k, v};
  if (mask.defined()) inputs.push_back(mask);
  const std::vector<torch::Tensor> out = test::run_module_text(text, "sdpa.wir", inputs);
  ASSERT_EQ(out.size(), 1u);
  const torch::Tensor want = reference(c, q, k, v, mask);
  const torch::Tensor& got = out[0];
  ASSERT_EQ(got.sizes(), want.sizes());
  const double err = (got - want).abs().max().item<double>() / want.abs().max().item<double>();
  EXPECT_LE(err, 1e-4);
}

const Case kCases[] = {
    {"plain", {2, 4, 5, 8}, {2, 4, 7, 8}, {2, 4, 7, 6}, {}},
    {"bool_mask_broadcast", {2, 4, 5, 8}, {2, 4, 7, 8}, {2, 4, 7, 8}, {5, 7}, true},
    {"float_mask_per_head", {2, 4, 5, 8}, {2, 4, 7, 8}, {2, 4, 7, 8}, {4, 5, 7}},
    {"causal_more_keys", {3, 6, 8}, {3, 9, 8}, {3, 9, 4}, {}, false, true},
    {"causal_2d", {6, 8}, {6, 8}, {6, 4}, {}, false, true},
    {"explicit_scale", {2, 5, 16}, {2, 5, 16}, {2, 5, 16}, {}, false, false, 0.5},
    {"batch_broadcast", {2, 3, 5, 8}, {1, 3, 7, 8}, {1, 3, 7, 8}, {}},
};

INSTANTIATE_TEST_SUITE_P(Cases, ScaledDotProductAttention, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

// What the op refuses, with the node's message.
TEST(ScaledDotProductAttentionErrors, MaskWithCausalAndMismatchedDims) {
  auto compile_text = [](const std::string& body) {
    std::string text = "module @M {\n  graph @forward(%q : Tensor(f32, [2, 5, 8]), %k : Tensor(f32, [2, 7, 8]), "
                       "%v : Tensor(f32, [2, 7, 8]), %m : Tensor(bool, [5, 7])) -> (Tensor) {\n"
                       "    %p : Float = prim::Constant[value=0.0]()\n"
                       "    %none : None = prim::Constant[value=none]()\n"
                       "    %false : Bool = prim::Constant[value=false]()\n"
                       "    %true : Bool = prim::Constant[value=true]()\n" +
                       body + "    return(%y)\n  }\n}\n";
    auto m = ir::parse_module(text, "sdpa.wir");
    const ir::Graph& g = *m->method("forward");
    std::vector<ir::TypePtr> types;
    for (const ir::Value* in : g.inputs()) types.push_back(in->type());
    compile_graph(g, *m, types);
  };
  try {
    compile_text("    %y : Tensor = aten::scaled_dot_product_attention(%q, %k, %v, %m, %p, %true, %none, %false)\n");
    ADD_FAILURE() << "a mask with is_causal compiled";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("should not be set when is_causal=True"), std::string::npos) << e.what();
  }
  try {
    compile_text("    %y : Tensor = aten::scaled_dot_product_attention(%q, %v, %k, %none, %p, %false, %none, %false)\n"
                 "    %z : Tensor = aten::scaled_dot_product_attention(%q, %q, %k, %none, %p, %false, %none, %false)\n");
    ADD_FAILURE() << "mismatched sequence lengths compiled";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("key and value differ in their sequence length"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace wick
