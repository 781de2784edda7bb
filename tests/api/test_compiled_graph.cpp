// compile_graph on hand-written graphs: one compile serving every size of a
// dynamic batch, and big kernels split across threads giving what one call
// gives (including an out-of-range index found by any of the calls).
#include "api/compiled_graph.h"

#include <gtest/gtest.h>

#include <cmath>

#include "api/jit_module.h"
#include "ir/parser.h"
#include "support/error.h"

namespace wick {
namespace {

Tensor counting(DType dtype, std::vector<int64_t> sizes, int64_t modulo) {
  Tensor t = Tensor::zeros(dtype, std::move(sizes));
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (dtype == DType::f32) t.data_as<float>()[i] = static_cast<float>(i % modulo) * 0.25f - 3.0f;
    else t.data_as<int64_t>()[i] = (i * 7) % modulo;
  }
  return t;
}

std::shared_ptr<CompiledGraph> compile(const std::unique_ptr<ir::Module>& m) {
  const ir::Graph& g = *m->method("forward");
  std::vector<ir::TypePtr> types;
  for (const ir::Value* v : g.inputs()) types.push_back(v->type());
  return compile_graph(g, *m, types);
}

// relu(x) * 2, its row sums, and a reshape: [B, 6] -> [B, 6], [B], [3*B, 2].
const char* kDynamicBatch = R"(module @M {
  graph @forward(%x : Tensor(f32, [B, 6])) -> (Tensor(f32, [B, 6]), Tensor(f32, [B]), Tensor(f32, [3*B, 2])) {
    %two : Float = prim::Constant[value=2.0]()
    %r : Tensor(f32, [B, 6]) = aten::relu(%x)
    %y : Tensor(f32, [B, 6]) = aten::mul.Scalar(%r, %two)
    %dims : List[Int] = prim::Constant[value=[1]]()
    %false : Bool = prim::Constant[value=false]()
    %none : None = prim::Constant[value=none]()
    %s : Tensor(f32, [B]) = aten::sum.dim_IntList(%y, %dims, %false, %none)
    %shape : List[Int] = prim::Constant[value=[-1, 2]]()
    %z : Tensor(f32, [3*B, 2]) = aten::reshape(%y, %shape)
    return(%y, %s, %z)
  }
}
)";

TEST(CompiledGraph, DynamicBatchRunsAnySizeWithOneCompile) {
  auto m = ir::parse_module(kDynamicBatch, "dynamic.wir");
  auto compiled = compile(m);
  for (int64_t batch : {1, 3, 17, 1000}) {
    SCOPED_TRACE("batch " + std::to_string(batch));
    const Tensor x = counting(DType::f32, {batch, 6}, 29);
    const std::vector<Tensor> out = compiled->executor().run({x});
    ASSERT_EQ(out.size(), 3u);
    ASSERT_EQ(out[0].sizes(), (std::vector<int64_t>{batch, 6}));
    ASSERT_EQ(out[1].sizes(), (std::vector<int64_t>{batch}));
    ASSERT_EQ(out[2].sizes(), (std::vector<int64_t>{3 * batch, 2}));
    for (int64_t r = 0; r < batch; ++r) {
      float sum = 0;
      for (int64_t c = 0; c < 6; ++c) {
        const float want = std::max(x.data_as<float>()[r * 6 + c], 0.0f) * 2;
        ASSERT_EQ(out[0].data_as<float>()[r * 6 + c], want);
        ASSERT_EQ(out[2].data_as<float>()[r * 6 + c], want);
        sum += want;
      }
      ASSERT_NEAR(out[1].data_as<float>()[r], sum, 1e-4f);
    }
  }
  try {
    compiled->executor().run({counting(DType::f32, {4, 7}, 5)});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("input 0 has shape [4, 7]"), std::string::npos) << e.what();
  }
}

// exp(x) + 1 over 512 x 256 elements and an embedding of 4096 indices: both
// big enough to be split across threads.
const char* kSplit = R"(module @M {
  graph @forward(%x : Tensor(f32, [512, 256]), %w : Tensor(f32, [100, 32]), %i : Tensor(i64, [4096])) -> (Tensor(f32, [512, 256]), Tensor(f32, [4096, 32])) {
    %one : Int = prim::Constant[value=1]()
    %e : Tensor(f32, [512, 256]) = aten::exp(%x)
    %y : Tensor(f32, [512, 256]) = aten::add.Scalar(%e, %one, %one)
    %pad : Int = prim::Constant[value=-1]()
    %false : Bool = prim::Constant[value=false]()
    %g : Tensor(f32, [4096, 32]) = aten::embedding(%w, %i, %pad, %false, %false)
    return(%y, %g)
  }
}
)";

class SplitKernels : public ::testing::Test {
 protected:
  void SetUp() override { set_num_threads(2); }
  void TearDown() override { set_num_threads(1); }
};

TEST_F(SplitKernels, MatchWhatOneCallComputes) {
  auto m = ir::parse_module(kSplit, "split.wir");
  auto compiled = compile(m);
  const Tensor x = counting(DType::f32, {512, 256}, 31);
  const Tensor w = counting(DType::f32, {100, 32}, 97);
  const Tensor i = counting(DType::i64, {4096}, 100);
  // Both kernels were made splittable.
  for (const rt::Instr& in : compiled->executor().plan().body.instrs) {
    if (in.op == rt::Op::kernel) {
      EXPECT_FALSE(in.sliced.empty()) << in.text;
    }
  }
  const std::vector<Tensor> out = compiled->executor().run({x, w, i});
  ASSERT_EQ(out.size(), 2u);
  for (int64_t k = 0; k < x.numel(); ++k)
    ASSERT_NEAR(out[0].data_as<float>()[k], std::exp(x.data_as<float>()[k]) + 1, 1e-5f * out[0].data_as<float>()[k]);
  for (int64_t r = 0; r < 4096; ++r)
    for (int64_t c = 0; c < 32; ++c)
      ASSERT_EQ(out[1].data_as<float>()[r * 32 + c], w.data_as<float>()[i.data_as<int64_t>()[r] * 32 + c]);
}

TEST_F(SplitKernels, AnOutOfRangeIndexInAnySliceIsAnError) {
  auto m = ir::parse_module(kSplit, "split.wir");
  auto compiled = compile(m);
  const Tensor x = counting(DType::f32, {512, 256}, 31);
  const Tensor w = counting(DType::f32, {100, 32}, 97);
  for (int64_t bad_row : {0, 2047, 4095}) {
    Tensor i = counting(DType::i64, {4096}, 100);
    i.data_as<int64_t>()[bad_row] = 100;
    try {
      compiled->executor().run({x, w, i});
      FAIL() << "expected an error for a bad index at row " << bad_row;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("index out of range"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace wick
