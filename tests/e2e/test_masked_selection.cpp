// Selections whose size the data decides (boolean-mask indexing, nonzero,
// masked_select, a write under a mask with one value per selected element)
// compiled by wick and run against LibTorch on fresh random inputs. One
// compiled plan runs several masks in turn: the size is bound anew by each
// run, including a mask that selects nothing and one that selects all.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>
#include <functional>
#include <ostream>
#include <string>

#include "api/compiled_graph.h"
#include "ir/parser.h"
#include "support/error.h"
#include "tests/e2e/torch_tensors.h"

namespace wick {
namespace {

using test::to_torch;
using test::to_wick;

using Inputs = std::vector<torch::Tensor>;

struct Case {
  const char* name;
  const char* params;  // the graph's parameters: %x and %m
  const char* body;    // computes %y
  std::function<Inputs(double keep)> inputs;
  std::function<torch::Tensor(const Inputs&)> reference;
};

// Test names and messages show the case by its name.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::shared_ptr<CompiledGraph> compile(const Case& c) {
  const std::string text = std::string("module @M {\n  graph @forward(") + c.params + ") -> (Tensor) {\n" + c.body +
                           "    return(%y)\n  }\n}\n";
  auto m = ir::parse_module(text, "selection.wir");
  const ir::Graph& g = *m->method("forward");
  std::vector<ir::TypePtr> types;
  for (const ir::Value* in : g.inputs()) types.push_back(in->type());
  return compile_graph(g, *m, types);
}

class MaskedSelection : public ::testing::TestWithParam<Case> {};

TEST_P(MaskedSelection, MatchesLibTorchForEveryMask) {
  const Case& c = GetParam();
  torch::manual_seed(static_cast<uint64_t>(std::hash<std::string>()(c.name)));
  auto compiled = compile(c);
  // Half kept, none, all, then a few: the size changes from run to run.
  for (double keep : {0.5, 0.0, 1.0, 0.1}) {
    SCOPED_TRACE("keep " + std::to_string(keep));
    const Inputs in = c.inputs(keep);
    std::vector<Tensor> args;
    for (const torch::Tensor& t : in) args.push_back(to_wick(t));
    const std::vector<Tensor> out = compiled->executor().run(args);
    ASSERT_EQ(out.size(), 1u);
    const torch::Tensor want = c.reference(in);
    const torch::Tensor got = to_torch(out[0]);
    ASSERT_EQ(got.sizes(), want.sizes());
    if (want.numel() == 0) continue;
    // The mean of nothing is NaN in both.
    const torch::Tensor nan = torch::isnan(want);
    ASSERT_TRUE(torch::equal(torch::isnan(got), nan));
    const double err = (got - want.to(got.scalar_type())).masked_fill(nan, 0).abs().max().item<double>();
    EXPECT_LE(err, 1e-6 * std::max(1.0, want.abs().max().item<double>()));
  }
}

torch::Tensor mask_of(std::vector<int64_t> shape, double keep) { return torch::rand(shape) < keep; }

const Case kCases[] = {
    {"index_every_dim", "%x : Tensor(f32, [4, 5]), %m : Tensor(bool, [4, 5])",
     "    %l : List[Optional[Tensor]] = prim::ListConstruct(%m)\n"
     "    %y : Tensor = aten::index.Tensor(%x, %l)\n",
     [](double keep) { return Inputs{torch::randn({4, 5}), mask_of({4, 5}, keep)}; },
     [](const Inputs& i) { return i[0].index({i[1]}); }},
    {"index_leading_dim", "%x : Tensor(f32, [6, 3, 2]), %m : Tensor(bool, [6])",
     "    %l : List[Optional[Tensor]] = prim::ListConstruct(%m)\n"
     "    %s : Tensor = aten::index.Tensor(%x, %l)\n"
     "    %y : Tensor = aten::tanh(%s)\n",
     [](double keep) { return Inputs{torch::randn({6, 3, 2}), mask_of({6}, keep)}; },
     [](const Inputs& i) { return torch::tanh(i[0].index({i[1]})); }},
    {"nonzero", "%x : Tensor(f32, [3, 4, 5])",
     "    %y : Tensor = aten::nonzero(%x)\n",
     [](double keep) { return Inputs{torch::randn({3, 4, 5}) * (torch::rand({3, 4, 5}) < keep)}; },
     [](const Inputs& i) { return torch::nonzero(i[0]); }},
    {"masked_select_broadcast", "%x : Tensor(f32, [4, 5]), %m : Tensor(bool, [5])",
     "    %y : Tensor = aten::masked_select(%x, %m)\n",
     [](double keep) { return Inputs{torch::randn({4, 5}), mask_of({5}, keep)}; },
     [](const Inputs& i) { return torch::masked_select(i[0], i[1]); }},
    {"where_columns", "%x : Tensor(f32, [4, 5]), %m : Tensor(bool, [4, 5])",
     "    %c : List[Tensor] = aten::where(%m)\n"
     "    %r : Tensor, %k : Tensor = prim::ListUnpack(%c)\n"
     "    %one : Int = prim::Constant[value=1]()\n"
     "    %y : Tensor = aten::add.Tensor(%r, %k, %one)\n",
     [](double keep) { return Inputs{torch::randn({4, 5}), mask_of({4, 5}, keep)}; },
     [](const Inputs& i) {
       auto w = torch::where(i[1]);
       return w[0] + w[1];
     }},
    {"write_under_mask", "%x : Tensor(f32, [4, 5]), %m : Tensor(bool, [4, 5])",
     "    %l : List[Optional[Tensor]] = prim::ListConstruct(%m)\n"
     "    %s : Tensor = aten::index.Tensor(%x, %l)\n"
     "    %v : Tensor = aten::exp(%s)\n"
     "    %false : Bool = prim::Constant[value=false]()\n"
     "    %y : Tensor = aten::index_put(%x, %l, %v, %false)\n",
     [](double keep) { return Inputs{torch::randn({4, 5}), mask_of({4, 5}, keep)}; },
     [](const Inputs& i) { return i[0].index_put({i[1]}, torch::exp(i[0].index({i[1]}))); }},
    {"mean_of_selection", "%x : Tensor(f32, [8, 6]), %m : Tensor(bool, [8, 6])",
     "    %l : List[Optional[Tensor]] = prim::ListConstruct(%m)\n"
     "    %s : Tensor = aten::index.Tensor(%x, %l)\n"
     "    %none : None = prim::Constant[value=none]()\n"
     "    %y : Tensor = aten::mean(%s, %none)\n",
     [](double keep) { return Inputs{torch::randn({8, 6}), mask_of({8, 6}, keep)}; },
     [](const Inputs& i) { return i[0].index({i[1]}).mean(); }},
};

INSTANTIATE_TEST_SUITE_P(Cases, MaskedSelection, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

std::string compile_error(const std::string& params, const std::string& body) {
  const Case c{"error", params.c_str(), body.c_str(), nullptr, nullptr};
  try {
    compile(c);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(MaskedSelectionErrors, MaskOfTheWrongShape) {
  const std::string e = compile_error("%x : Tensor(f32, [4, 5]), %m : Tensor(bool, [5])",
                                      "    %l : List[Optional[Tensor]] = prim::ListConstruct(%m)\n"
                                      "    %y : Tensor = aten::index.Tensor(%x, %l)\n");
  EXPECT_NE(e.find("the shape of the mask [5] at index 0 does not match the shape of the indexed tensor [4, 5]"),
            std::string::npos)
      << e;
}

TEST(MaskedSelectionErrors, SelectionInAnInnerDim) {
  // x[:, mask]: the count would be dim 1, and only dim 0 may be dynamic.
  const std::string e = compile_error("%x : Tensor(f32, [4, 5]), %m : Tensor(bool, [5])",
                                      "    %none : None = prim::Constant[value=none]()\n"
                                      "    %l : List[Optional[Tensor]] = prim::ListConstruct(%none, %m)\n"
                                      "    %y : Tensor = aten::index.Tensor(%x, %l)\n");
  EXPECT_NE(e.find("aten::index.Tensor"), std::string::npos) << e;
  EXPECT_NE(e.find("puts its count in dim 1 of the result [4, nnz_"), std::string::npos) << e;
}

TEST(MaskedSelectionErrors, SelectionWrittenAtIndexedPositions) {
  // x[i] = x[m]: the selection's count against the 3 rows i names.
  const std::string e = compile_error("%x : Tensor(f32, [5, 4]), %m : Tensor(bool, [5]), %i : Tensor(i64, [3])",
                                      "    %false : Bool = prim::Constant[value=false]()\n"
                                      "    %lm : List[Optional[Tensor]] = prim::ListConstruct(%m)\n"
                                      "    %s : Tensor = aten::index.Tensor(%x, %lm)\n"
                                      "    %li : List[Optional[Tensor]] = prim::ListConstruct(%i)\n"
                                      "    %y : Tensor = aten::index_put(%x, %li, %s, %false)\n");
  EXPECT_NE(e.find("aten::index_put"), std::string::npos) << e;
  EXPECT_NE(e.find("values of shape [?, 4] do not broadcast to the indexed shape [3, 4]"), std::string::npos) << e;
}

}  // namespace
}  // namespace wick
