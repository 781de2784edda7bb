// The padding ops traces of F.pad record, and older PyTorch's scripts call
// by name (reflection_pad1d/2d/3d, replication_pad1d/2d/3d), compiled by
// wick against LibTorch's own ops on fresh random inputs.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ostream>
#include <string>

#include "tests/e2e/torch_tensors.h"

namespace wick {
namespace {

using test::wir_type;

struct Case {
  const char* op;
  std::vector<int64_t> shape;
  std::vector<int64_t> padding;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.op; }

torch::Tensor reference(const Case& c, const torch::Tensor& x) {
  const std::string op = c.op;
  if (op == "reflection_pad1d") return torch::reflection_pad1d(x, c.padding);
  if (op == "reflection_pad2d") return torch::reflection_pad2d(x, c.padding);
  if (op == "reflection_pad3d") return torch::reflection_pad3d(x, c.padding);
  if (op == "replication_pad1d") return torch::replication_pad1d(x, c.padding);
  if (op == "replication_pad2d") return torch::replication_pad2d(x, c.padding);
  return torch::replication_pad3d(x, c.padding);
}

class NamedPadding : public ::testing::TestWithParam<Case> {};

TEST_P(NamedPadding, MatchesLibTorch) {
  const Case& c = GetParam();
  const torch::Tensor x = torch::randn(c.shape);
  std::string pads;
  for (int64_t p : c.padding) pads += (pads.empty() ? "" : ", ") + std::to_string(p);
  const std::string text = "module @M {\n  graph @forward(%x : " + wir_type(x) + ") -> (Tensor) {\n" +
                           "    %p : List[Int] = prim::Constant[value=[" + pads + "]]()\n" +
                           "    %y : Tensor = aten::" + c.op + "(%x, %p)\n    return(%y)\n  }\n}\n";
  SCOPED_TRACE(text);
  const std::vector<torch::Tensor> out = test::run_module_text(text, "pad.wir", {x});
  ASSERT_EQ(out.size(), 1u);
  const torch::Tensor want = reference(c, x);
  ASSERT_EQ(out[0].sizes(), want.sizes());
  EXPECT_TRUE(torch::equal(out[0], want)) << "padding moves values: they must be exactly torch's";
}

const Case kCases[] = {
    {"reflection_pad1d", {2, 3, 7}, {2, 3}},
    {"reflection_pad2d", {2, 3, 5, 6}, {1, 2, 3, 0}},
    {"reflection_pad3d", {2, 2, 4, 5, 6}, {1, 2, 0, 3, 2, 1}},
    {"replication_pad1d", {2, 3, 7}, {4, 1}},
    {"replication_pad2d", {2, 3, 5, 6}, {0, 3, 2, 2}},
    {"replication_pad3d", {1, 2, 3, 4, 5}, {2, 0, 1, 1, 3, 2}},
};

INSTANTIATE_TEST_SUITE_P(Ops, NamedPadding, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.op); });

}  // namespace
}  // namespace wick
