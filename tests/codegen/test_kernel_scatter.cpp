// Scatter kernels against LibTorch: slice_backward (every dim, negative and
// clamped bounds, steps), index_add (dims, int32 and int64 indices,
// repeated indices adding up, alpha as a constant or an argument, a
// zero-dim index, strided inputs) and index_put (accumulating and not,
// adjacent and separated index dims, wrapped negative indices, broadcast
// values), including the out-of-range status.
#include <gtest/gtest.h>

#include "kernel_test_util.h"

namespace wick::codegen {
namespace {

using test::matches;

class ScatterKernels : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    torch::manual_seed(7);
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

TEST_F(ScatterKernels, SliceBackward) {
  struct Case {
    std::vector<int64_t> sizes;
    int64_t dim, start, end, step;
  };
  const Case cases[] = {{{3, 7}, 1, 1, 6, 3},  {{3, 7}, -1, -5, 100, 2}, {{5, 2, 4}, 0, 0, 5, 1},
                        {{5, 2, 4}, 2, -100, -1, 1}, {{4, 3}, 0, 2, 3, 1}, {{6}, 0, 0, 9223372036854775807, 4}};
  for (const Case& c : cases) {
    torch::Tensor probe = torch::zeros(c.sizes).slice(c.dim, c.start, c.end, c.step);
    torch::Tensor g = torch::randn(probe.sizes());
    std::string sizes = "[";
    for (size_t i = 0; i < c.sizes.size(); ++i) sizes += (i ? ", " : "") + std::to_string(c.sizes[i]);
    sizes += "]";
    std::string gsizes = "[";
    for (int64_t i = 0; i < g.dim(); ++i) gsizes += (i ? ", " : "") + std::to_string(g.size(i));
    gsizes += "]";
    EXPECT_EQ(check_graph("graph @g(%x : Tensor(f32, " + gsizes + ")) -> (Tensor) {\n"
                          "  %s : List[Int] = prim::Constant[value=" + sizes + "]()\n"
                          "  %d : Int = prim::Constant[value=" + std::to_string(c.dim) + "]()\n"
                          "  %a : Int = prim::Constant[value=" + std::to_string(c.start) + "]()\n"
                          "  %b : Int = prim::Constant[value=" + std::to_string(c.end) + "]()\n"
                          "  %k : Int = prim::Constant[value=" + std::to_string(c.step) + "]()\n"
                          "  %r : Tensor = aten::slice_backward(%x, %s, %d, %a, %b, %k)\n"
                          "  return(%r)\n}",
                          {g}),
              0);
  }
}

TEST_F(ScatterKernels, IndexAdd) {
  torch::Tensor x = torch::randn({5, 6, 7});
  for (const char* dim : {"0", "1", "-1"}) {
    const int64_t d = std::stoi(dim) < 0 ? 2 : std::stoi(dim);
    for (auto dtype : {torch::kLong, torch::kInt}) {
      // Repeated indices add up.
      torch::Tensor idx = torch::randint(0, x.size(d), {9}, dtype);
      std::vector<int64_t> src_sizes = x.sizes().vec();
      src_sizes[d] = 9;
      torch::Tensor src = torch::randn(src_sizes);
      std::string ssz = "[" + std::to_string(src_sizes[0]) + ", " + std::to_string(src_sizes[1]) + ", " +
                        std::to_string(src_sizes[2]) + "]";
      std::string text = std::string("graph @g(%x : Tensor(f32, [5, 6, 7]), %i : Tensor(") +
                         (dtype == torch::kLong ? "i64" : "i32") + ", [9]), %s : Tensor(f32, " + ssz + R"()) -> (Tensor) {
  %d : Int = prim::Constant[value=)" + dim + R"(]()
  %a : Float = prim::Constant[value=2.5]()
  %r : Tensor = aten::index_add(%x, %d, %i, %s, %a)
  return(%r)
})";
      EXPECT_EQ(check_graph(text, {x, idx, src}), 0);
    }
  }
  // Alpha as an argument, a transposed self, a zero-dim index.
  torch::Tensor xt = torch::randn({4, 3}).t();
  EXPECT_EQ(check_graph(R"(graph @g(%x : Tensor(f32, [3, 4]), %i : Tensor(i64, []), %s : Tensor(f32, [3, 1]), %a : Float) -> (Tensor) {
  %d : Int = prim::Constant[value=1]()
  %r : Tensor = aten::index_add(%x, %d, %i, %s, %a)
  return(%r)
})", {xt, torch::tensor(int64_t{2}), torch::randn({3, 1}), 0.5}), 0);
  // Out of range (torch raises; negative indices do not wrap).
  const char* text = R"(graph @g(%x : Tensor(f32, [5, 3]), %i : Tensor(i64, [3]), %s : Tensor(f32, [3, 3])) -> (Tensor) {
  %d : Int = prim::Constant[value=0]()
  %one : Int = prim::Constant[value=1]()
  %r : Tensor = aten::index_add(%x, %d, %i, %s, %one)
  return(%r)
})";
  torch::Tensor x5 = torch::randn({5, 3}), s3 = torch::randn({3, 3});
  EXPECT_EQ(check_graph(text, {x5, torch::tensor(std::vector<int64_t>{0, 5, 1}), s3}), 1);
  EXPECT_EQ(check_graph(text, {x5, torch::tensor(std::vector<int64_t>{0, -1, 1}), s3}), 1);
  EXPECT_EQ(check_graph(text, {x5, torch::tensor(std::vector<int64_t>{0, 4, 4}), s3}), 0);
}

TEST_F(ScatterKernels, IndexPut) {
  torch::Tensor x = torch::randn({5, 6, 7});
  torch::Tensor a = torch::randint(-5, 5, {4}, torch::kLong);  // repeats and wraps
  torch::Tensor b = torch::randint(-7, 7, {4}, torch::kLong);
  struct Case {
    const char* list;
    std::vector<int64_t> values;
  };
  // Adjacent index dims keep their place; separated ones move to the front.
  const Case cases[] = {{"%a", {4, 6, 7}}, {"%a, %n, %b", {4, 6}}, {"%n, %n, %b", {5, 6, 4}}, {"%a", {7}}, {"%a", {}}};
  for (const Case& c : cases) {
    torch::Tensor v = torch::randn(c.values);
    std::string vs = "[";
    for (size_t i = 0; i < c.values.size(); ++i) vs += (i ? ", " : "") + std::to_string(c.values[i]);
    vs += "]";
    std::string text = std::string(R"(graph @g(%x : Tensor(f32, [5, 6, 7]), %a : Tensor(i64, [4]), %b : Tensor(i64, [4]), %v : Tensor(f32, )") +
                       vs + R"()) -> (Tensor) {
  %n : None = prim::Constant[value=none]()
  %t : Bool = prim::Constant[value=true]()
  %l : List[Optional[Tensor]] = prim::ListConstruct()" + c.list + R"()
  %r : Tensor = aten::index_put(%x, %l, %v, %t)
  return(%r)
})";
    EXPECT_EQ(check_graph(text, {x, a, b, v}), 0) << c.list;
  }
  // Writing, with distinct indices (repeats would leave the winner unspecified).
  torch::Tensor u = torch::randperm(5, torch::kLong).slice(0, 0, 3);
  EXPECT_EQ(check_graph(R"(graph @g(%x : Tensor(f32, [5, 4]), %u : Tensor(i64, [3]), %v : Tensor(f32, [3, 4])) -> (Tensor) {
  %f : Bool = prim::Constant[value=false]()
  %l : List[Optional[Tensor]] = prim::ListConstruct(%u)
  %r : Tensor = aten::index_put(%x, %l, %v, %f)
  return(%r)
})", {torch::randn({5, 4}), u, torch::randn({3, 4})}), 0);
  // Out of range after wrapping.
  const char* bad = R"(graph @g(%x : Tensor(f32, [5, 4]), %u : Tensor(i64, [3]), %v : Tensor(f32, [3, 4])) -> (Tensor) {
  %t : Bool = prim::Constant[value=true]()
  %l : List[Optional[Tensor]] = prim::ListConstruct(%u)
  %r : Tensor = aten::index_put(%x, %l, %v, %t)
  return(%r)
})";
  EXPECT_EQ(check_graph(bad, {torch::randn({5, 4}), torch::tensor(std::vector<int64_t>{0, -6, 1}), torch::randn({3, 4})}), 1);
  EXPECT_EQ(check_graph(bad, {torch::randn({5, 4}), torch::tensor(std::vector<int64_t>{0, 5, 1}), torch::randn({3, 4})}), 1);
  EXPECT_EQ(check_graph(bad, {torch::randn({5, 4}), torch::tensor(std::vector<int64_t>{0, -5, 4}), torch::randn({3, 4})}), 0);
}

TEST_F(ScatterKernels, BadOperandsAreUserErrors) {
  // A gradient that does not fit the slice.
  auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [3, 3])) -> (Tensor(f32, [3, 7])) {
  %s : List[Int] = prim::Constant[value=[3, 7]]()
  %d : Int = prim::Constant[value=1]()
  %a : Int = prim::Constant[value=1]()
  %b : Int = prim::Constant[value=6]()
  %k : Int = prim::Constant[value=3]()
  %r : Tensor(f32, [3, 7]) = aten::slice_backward(%x, %s, %d, %a, %b, %k)
  return(%r)
})");
  EXPECT_THROW(generate_kernel(test::whole_graph_group(test::graph_of(*m)), "k"), Error);
  // Values that do not broadcast to the indexed shape.
  auto p = test::parse_graph(R"(graph @g(%x : Tensor(f32, [5, 4]), %u : Tensor(i64, [3]), %v : Tensor(f32, [2, 4])) -> (Tensor(f32, [5, 4])) {
  %t : Bool = prim::Constant[value=true]()
  %l : List[Optional[Tensor]] = prim::ListConstruct(%u)
  %r : Tensor(f32, [5, 4]) = aten::index_put(%x, %l, %v, %t)
  return(%r)
})");
  EXPECT_THROW(generate_kernel(test::whole_graph_group(test::graph_of(*p)), "k"), Error);
}

}  // namespace
}  // namespace wick::codegen
