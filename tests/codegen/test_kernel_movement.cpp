// Movement kernels against LibTorch: cat and stack (with the list built
// inside or outside the group), index_select, embedding, advanced indexing
// and one_hot, including the out-of-range status output.
#include <gtest/gtest.h>

#include "kernel_test_util.h"

namespace wick::codegen {
namespace {

using test::matches;

class MovementKernels : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    torch::manual_seed(5);
  }
};

// Runs the whole graph as one kernel; compares with torch unless the kernel
// reports a bad index. Returns the status.
int64_t check_graph(const std::string& text, const std::vector<c10::IValue>& inputs) {
  SCOPED_TRACE(text);
  auto m = test::parse_graph(text);
  const ir::Graph& g = test::graph_of(*m);
  auto got = test::run_group(test::whole_graph_group(g, inputs), inputs);
  if (got.status != 0) return got.status;
  auto ref = test::torch_graph(g, inputs);
  for (size_t i = 0; i < ref.size(); ++i) EXPECT_TRUE(matches(got.outputs[i], ref[i])) << "output " << i;
  return 0;
}

TEST_F(MovementKernels, Cat) {
  torch::Tensor a = torch::randn({3, 4, 5}), b = torch::randn({3, 2, 5}).transpose(0, 2).contiguous().transpose(0, 2);
  torch::Tensor c = torch::randn({3, 1, 5});
  check_graph(R"(graph @g(%a : Tensor(f32, [3, 4, 5]), %b : Tensor(f32, [3, 2, 5]), %c : Tensor(f32, [3, 1, 5])) -> (Tensor) {
  %dim : Int = prim::Constant[value=1]()
  %l : List[Tensor] = prim::ListConstruct(%a, %b, %c, %a)
  %r : Tensor = aten::cat(%l, %dim)
  return(%r)
})", {a, b, c});
  for (const char* dim : {"0", "1", "-1"}) {
    torch::Tensor x = torch::randn({2, 3}), y = torch::randn({2, 3});
    check_graph(std::string(R"(graph @g(%x : Tensor(f32, [2, 3]), %y : Tensor(f32, [2, 3])) -> (Tensor) {
  %dim : Int = prim::Constant[value=)") + dim + R"(]()
  %l : List[Tensor] = prim::ListConstruct(%x, %y)
  %r : Tensor = aten::cat(%l, %dim)
  return(%r)
})", {x, y});
  }
  // Mixed dtypes promote; legacy empty 1-D tensors are skipped.
  torch::Tensor i = torch::randint(0, 9, {2, 3}, torch::kLong), f = torch::randn({2, 3}), e = torch::randn({0});
  check_graph(R"(graph @g(%i : Tensor(i64, [2, 3]), %f : Tensor(f32, [2, 3]), %e : Tensor(f32, [0])) -> (Tensor) {
  %dim : Int = prim::Constant[value=0]()
  %l : List[Tensor] = prim::ListConstruct(%i, %e, %f)
  %r : Tensor = aten::cat(%l, %dim)
  return(%r)
})", {i, f, e});
}

TEST_F(MovementKernels, ListBuiltOutsideTheGroup) {
  torch::Tensor x = torch::randn({4, 3}), y = torch::randn({4, 3});
  auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [4, 3]), %y : Tensor(f32, [4, 3])) -> (Tensor(f32, [4, 2, 3])) {
  %dim : Int = prim::Constant[value=1]()
  %l : List[Tensor] = prim::ListConstruct(%x, %y)
  %r : Tensor(f32, [4, 2, 3]) = aten::stack(%l, %dim)
  return(%r)
})");
  const ir::Graph& g = test::graph_of(*m);
  KernelGroup group;
  for (ir::Node* n : *g.block())
    if (n->is("aten::stack")) group.nodes.push_back(n);  // the ListConstruct stays outside
  group.inputs = {g.inputs()[0], g.inputs()[1]};
  group.input_layouts = {contiguous_layout(DType::f32, {4, 3}), contiguous_layout(DType::f32, {4, 3})};
  group.outputs = {g.outputs()[0]};
  auto r = test::run_group(group, {x, y});
  EXPECT_TRUE(matches(r.outputs[0], torch::stack({x, y}, 1)));
}

TEST_F(MovementKernels, Stack) {
  for (const char* dim : {"0", "1", "2", "-1"}) {
    torch::Tensor x = torch::randn({2, 5}), y = torch::randn({5, 2}).t(), z = torch::randn({2, 5});
    check_graph(std::string(R"(graph @g(%x : Tensor(f32, [2, 5]), %y : Tensor(f32, [2, 5]), %z : Tensor(f32, [2, 5])) -> (Tensor) {
  %dim : Int = prim::Constant[value=)") + dim + R"(]()
  %l : List[Tensor] = prim::ListConstruct(%x, %y, %z)
  %r : Tensor = aten::stack(%l, %dim)
  return(%r)
})", {x, y, z});
  }
}

TEST_F(MovementKernels, IndexSelect) {
  torch::Tensor x = torch::randn({5, 6, 7});
  for (const char* dim : {"0", "1", "2", "-2"}) {
    for (auto dtype : {torch::kLong, torch::kInt}) {
      torch::Tensor idx = torch::randint(0, 5, {9}, dtype);
      std::string text = std::string("graph @g(%x : Tensor(f32, [5, 6, 7]), %i : Tensor(") +
                         (dtype == torch::kLong ? "i64" : "i32") + R"(, [9])) -> (Tensor) {
  %dim : Int = prim::Constant[value=)" + dim + R"(]()
  %r : Tensor = aten::index_select(%x, %dim, %i)
  return(%r)
})";
      EXPECT_EQ(check_graph(text, {x, idx}), 0);
    }
  }
  // A zero-dim index keeps the dim with size 1.
  EXPECT_EQ(check_graph(R"(graph @g(%x : Tensor(f32, [5, 6, 7]), %i : Tensor(i64, [])) -> (Tensor) {
  %dim : Int = prim::Constant[value=1]()
  %r : Tensor = aten::index_select(%x, %dim, %i)
  return(%r)
})", {x, torch::tensor(int64_t{4})}), 0);
}

TEST_F(MovementKernels, OutOfRangeIndicesSetTheStatus) {
  torch::Tensor x = torch::randn({5, 3});
  const char* text = R"(graph @g(%x : Tensor(f32, [5, 3]), %i : Tensor(i64, [4])) -> (Tensor) {
  %dim : Int = prim::Constant[value=0]()
  %r : Tensor = aten::index_select(%x, %dim, %i)
  return(%r)
})";
  for (int64_t bad : {5, -1, 1000000}) {
    torch::Tensor idx = torch::tensor(std::vector<int64_t>{0, bad, 4, 2});
    auto m = test::parse_graph(text);
    auto r = test::run_group(test::whole_graph_group(test::graph_of(*m), {x, idx}), {x, idx});
    EXPECT_EQ(r.status, 1) << bad;
    // Good rows are gathered, the bad one is zero.
    EXPECT_TRUE(matches(r.outputs[0].index({0}), x.index({0})));
    EXPECT_TRUE(matches(r.outputs[0].index({1}), torch::zeros({3})));
    EXPECT_TRUE(matches(r.outputs[0].index({2}), x.index({4})));
  }
  torch::Tensor w = torch::randn({10, 4});
  const char* emb = R"(graph @g(%w : Tensor(f32, [10, 4]), %i : Tensor(i64, [2, 3])) -> (Tensor) {
  %pad : Int = prim::Constant[value=-1]()
  %f : Bool = prim::Constant[value=false]()
  %r : Tensor = aten::embedding(%w, %i, %pad, %f, %f)
  return(%r)
})";
  EXPECT_EQ(check_graph(emb, {w, torch::tensor(std::vector<int64_t>{1, 2, 3, 9, 0, -1}).reshape({2, 3})}), 1);
  EXPECT_EQ(check_graph(emb, {w, torch::tensor(std::vector<int64_t>{1, 2, 3, 9, 0, 10}).reshape({2, 3})}), 1);
  EXPECT_EQ(check_graph(emb, {w, torch::tensor(std::vector<int64_t>{1, 2, 3, 9, 0, 5}).reshape({2, 3})}), 0);
  const char* hot = R"(graph @g(%x : Tensor(i64, [4])) -> (Tensor(i64, [4, 3])) {
  %n : Int = prim::Constant[value=3]()
  %r : Tensor(i64, [4, 3]) = aten::one_hot(%x, %n)
  return(%r)
})";
  EXPECT_EQ(check_graph(hot, {torch::tensor(std::vector<int64_t>{0, 3, 1, 2})}), 1);
  EXPECT_EQ(check_graph(hot, {torch::tensor(std::vector<int64_t>{0, -1, 1, 2})}), 1);
}

TEST_F(MovementKernels, Embedding) {
  torch::Tensor w = torch::randn({50, 16});
  for (auto dtype : {torch::kLong, torch::kInt}) {
    torch::Tensor idx = torch::randint(0, 50, {3, 7}, dtype);
    std::string text = std::string("graph @g(%w : Tensor(f32, [50, 16]), %i : Tensor(") +
                       (dtype == torch::kLong ? "i64" : "i32") + R"(, [3, 7])) -> (Tensor) {
  %pad : Int = prim::Constant[value=0]()
  %f : Bool = prim::Constant[value=false]()
  %r : Tensor = aten::embedding(%w, %i, %pad, %f, %f)
  return(%r)
})";
    EXPECT_EQ(check_graph(text, {w, idx}), 0);
  }
}

TEST_F(MovementKernels, AdvancedIndexing) {
  torch::Tensor x = torch::randn({5, 6, 7, 4});
  // Negative indices wrap. a indexes dim 0 (size 5) or dim 3 (size 4).
  torch::Tensor a = torch::randint(-4, 4, {3}, torch::kLong);
  torch::Tensor b = torch::randint(-7, 7, {2, 1}, torch::kLong);
  torch::Tensor c = torch::randint(0, 6, {3}, torch::kLong);
  // Adjacent index dims keep their place; separated ones move to the front.
  for (const char* list : {"%a", "%a, %c", "%n, %c", "%n, %c, %b", "%a, %n, %b", "%n, %n, %b", "%a, %c, %b, %n",
                           "%n, %n, %n, %a"}) {
    std::string text = std::string(R"(graph @g(%x : Tensor(f32, [5, 6, 7, 4]), %a : Tensor(i64, [3]), %b : Tensor(i64, [2, 1]), %c : Tensor(i64, [3])) -> (Tensor) {
  %n : None = prim::Constant[value=none]()
  %l : List[Optional[Tensor]] = prim::ListConstruct()") + list + R"()
  %r : Tensor = aten::index.Tensor(%x, %l)
  return(%r)
})";
    EXPECT_EQ(check_graph(text, {x, a, b, c}), 0);
  }
  // Out of range after wrapping.
  std::string text = R"(graph @g(%x : Tensor(f32, [5, 6, 7, 4]), %a : Tensor(i64, [3])) -> (Tensor) {
  %l : List[Optional[Tensor]] = prim::ListConstruct(%a)
  %r : Tensor = aten::index.Tensor(%x, %l)
  return(%r)
})";
  EXPECT_EQ(check_graph(text, {x, torch::tensor(std::vector<int64_t>{0, -6, 1})}), 1);
  EXPECT_EQ(check_graph(text, {x, torch::tensor(std::vector<int64_t>{0, -5, 4})}), 0);
}

TEST_F(MovementKernels, OneHot) {
  torch::Tensor x = torch::randint(0, 6, {3, 5}, torch::kLong);
  EXPECT_EQ(check_graph(R"(graph @g(%x : Tensor(i64, [3, 5])) -> (Tensor) {
  %n : Int = prim::Constant[value=6]()
  %r : Tensor = aten::one_hot(%x, %n)
  return(%r)
})", {x}), 0);
}

}  // namespace
}  // namespace wick::codegen
