// Type rules of the op table, one or more cases per rule. Each case states a
// node and the types its rule must give.
#include <gtest/gtest.h>

#include "shape_rule_check.h"
#include "support/error.h"

namespace wick {
namespace {

using testing::inferred_types;

std::string ints(const char* name, const char* list) {
  return std::string("  %") + name + " : List[Int] = prim::Constant[value=" + list + "]()\n";
}
std::string one(const char* name, const char* type, const char* value) {
  return std::string("  %") + name + " : " + type + " = prim::Constant[value=" + value + "]()\n";
}

TEST(LayoutRules, ViewInfersMinusOneAndKeepsSymbols) {
  EXPECT_EQ(inferred_types(ints("s", "[-1, 12]") + "  %y : Tensor = aten::view(%x, %s)", "%x : Tensor(f32, [B, 3, 4])"),
            "Tensor(f32, [B, 12])");
  // Sizes computed from the input's own dims stay symbolic.
  EXPECT_EQ(inferred_types(one("z", "Int", "0") + one("h", "Int", "4") + one("m1", "Int", "-1") +
                               "  %b : Int = aten::size.int(%x, %z)\n"
                               "  %s : List[Int] = prim::ListConstruct(%b, %h, %m1)\n"
                               "  %y : Tensor = aten::reshape(%x, %s)",
                           "%x : Tensor(f32, [B, 64, 256])"),
            "Tensor(f32, [B, 4, 4096])");
  EXPECT_THROW(inferred_types(ints("s", "[5, -1]") + "  %y : Tensor = aten::view(%x, %s)", "%x : Tensor(f32, [2, 3])"),
               Error);
  EXPECT_THROW(inferred_types(ints("s", "[-1, -1]") + "  %y : Tensor = aten::view(%x, %s)", "%x : Tensor(f32, [2, 3])"),
               Error);
}

TEST(LayoutRules, FlattenPermuteTransposeSqueeze) {
  EXPECT_EQ(inferred_types(one("a", "Int", "1") + one("b", "Int", "-1") + "  %y : Tensor = aten::flatten.using_ints(%x, %a, %b)",
                           "%x : Tensor(f32, [B, 32, 1, 1])"),
            "Tensor(f32, [B, 32])");
  EXPECT_EQ(inferred_types(ints("p", "[0, 2, 1, 3]") + "  %y : Tensor = aten::permute(%x, %p)", "%x : Tensor(f32, [B, T, 4, 64])"),
            "Tensor(f32, [B, 4, T, 64])");
  EXPECT_THROW(inferred_types(ints("p", "[0, 0, 1]") + "  %y : Tensor = aten::permute(%x, %p)", "%x : Tensor(f32, [1, 2, 3])"),
               Error);
  EXPECT_EQ(inferred_types(one("a", "Int", "-2") + one("b", "Int", "-1") + "  %y : Tensor = aten::transpose.int(%x, %a, %b)",
                           "%x : Tensor(f32, [8, 4, 64, 16])"),
            "Tensor(f32, [8, 4, 16, 64])");
  EXPECT_EQ(inferred_types("  %y : Tensor = aten::t(%x)", "%x : Tensor(f32, [3, 5])"), "Tensor(f32, [5, 3])");
  EXPECT_EQ(inferred_types("  %y : Tensor = aten::squeeze(%x)", "%x : Tensor(f32, [1, 3, 1])"), "Tensor(f32, [3])");
  EXPECT_EQ(inferred_types("  %y : Tensor = aten::squeeze(%x)", "%x : Tensor(f32, [B, 1])"), "Tensor(f32)");
  EXPECT_EQ(inferred_types(one("d", "Int", "-1") + "  %y : Tensor = aten::unsqueeze(%x, %d)", "%x : Tensor(f32, [B, 3])"),
            "Tensor(f32, [B, 3, 1])");
}

TEST(LayoutRules, SelectSliceExpand) {
  EXPECT_EQ(inferred_types(one("d", "Int", "0") + one("i", "Int", "2") + "  %y : Tensor = aten::select.int(%x, %d, %i)",
                           "%x : Tensor(f32, [4, 16])"),
            "Tensor(f32, [16])");
  EXPECT_THROW(inferred_types(one("d", "Int", "0") + one("i", "Int", "4") + "  %y : Tensor = aten::select.int(%x, %d, %i)",
                              "%x : Tensor(f32, [4, 16])"),
               Error);
  const std::string slice = one("d", "Int", "1") + one("s", "Int", "1") + one("e", "Int", "-1") + one("k", "Int", "2") +
                            "  %y : Tensor = aten::slice.Tensor(%x, %d, %s, %e, %k)";
  EXPECT_EQ(inferred_types(slice, "%x : Tensor(f32, [B, 10])"), "Tensor(f32, [B, 4])");
  const std::string whole = one("d", "Int", "0") + one("n", "None", "none") + one("k", "Int", "1") +
                            "  %y : Tensor = aten::slice.Tensor(%x, %d, %n, %n, %k)";
  EXPECT_EQ(inferred_types(whole, "%x : Tensor(f32, [B, 10])"), "Tensor(f32, [B, 10])");
  EXPECT_EQ(inferred_types(ints("s", "[3, -1, 4]") + one("f", "Bool", "false") +
                               "  %y : Tensor = aten::expand(%x, %s, %f)",
                           "%x : Tensor(f32, [2, 1])"),
            "Tensor(f32, [3, 2, 4])");
  EXPECT_THROW(inferred_types(ints("s", "[3, 5]") + one("f", "Bool", "false") + "  %y : Tensor = aten::expand(%x, %s, %f)",
                              "%x : Tensor(f32, [2, 5])"),
               Error);
}

TEST(LayoutRules, CatStackSplitChunk) {
  EXPECT_EQ(inferred_types(one("d", "Int", "1") + "  %l : List[Tensor] = prim::ListConstruct(%a, %b)\n"
                                                  "  %y : Tensor = aten::cat(%l, %d)",
                           "%a : Tensor(f32, [B, 3]), %b : Tensor(f32, [B, 5])"),
            "Tensor(f32, [B, 8])");
  EXPECT_THROW(inferred_types(one("d", "Int", "1") + "  %l : List[Tensor] = prim::ListConstruct(%a, %b)\n"
                                                     "  %y : Tensor = aten::cat(%l, %d)",
                              "%a : Tensor(f32, [2, 3]), %b : Tensor(f32, [4, 5])"),
               Error);
  EXPECT_EQ(inferred_types(one("d", "Int", "0") + "  %l : List[Tensor] = prim::ListConstruct(%a, %a, %a)\n"
                                                  "  %y : Tensor = aten::stack(%l, %d)",
                           "%a : Tensor(f32, [B, 3])"),
            "Tensor(f32, [3, B, 3])");
  EXPECT_EQ(inferred_types(one("n", "Int", "256") + one("d", "Int", "-1") + "  %y : List[Tensor] = aten::split.Tensor(%x, %n, %d)",
                           "%x : Tensor(f32, [B, T, 768])"),
            "List[Tensor(f32, [B, T, 256])]");
  EXPECT_EQ(inferred_types(one("n", "Int", "3") + one("d", "Int", "1") + "  %y : List[Tensor] = aten::chunk(%x, %n, %d)",
                           "%x : Tensor(f32, [4, 10])"),
            "List[Tensor(f32, [4, ?])]");
  // A count near 2^63 (chunks of one) and an empty dim (one empty chunk)
  // once divided by zero.
  EXPECT_EQ(inferred_types(one("n", "Int", "9223372036854775807") + one("d", "Int", "1") +
                               "  %y : List[Tensor] = aten::chunk(%x, %n, %d)",
                           "%x : Tensor(f32, [4, 10])"),
            "List[Tensor(f32, [4, 1])]");
  EXPECT_EQ(inferred_types(one("n", "Int", "3") + one("d", "Int", "1") + "  %y : List[Tensor] = aten::chunk(%x, %n, %d)",
                           "%x : Tensor(f32, [4, 0])"),
            "List[Tensor(f32, [4, 0])]");
}

TEST(LayoutRules, IndexingAndEmbedding) {
  EXPECT_EQ(inferred_types(one("d", "Int", "0") + "  %y : Tensor = aten::index_select(%x, %d, %i)",
                           "%x : Tensor(f32, [10, 4]), %i : Tensor(i64, [7])"),
            "Tensor(f32, [7, 4])");
  EXPECT_EQ(inferred_types(one("n", "None", "none") + "  %l : List[Optional[Tensor]] = prim::ListConstruct(%n, %i)\n"
                                                      "  %y : Tensor = aten::index.Tensor(%x, %l)",
                           "%x : Tensor(f32, [B, 10, 4]), %i : Tensor(i64, [3])"),
            "Tensor(f32, [B, 3, 4])");
  EXPECT_EQ(inferred_types(one("n", "None", "none") + "  %l : List[Optional[Tensor]] = prim::ListConstruct(%i, %n, %j)\n"
                                                      "  %y : Tensor = aten::index.Tensor(%x, %l)",
                           "%x : Tensor(f32, [5, 10, 4]), %i : Tensor(i64, [3]), %j : Tensor(i64, [3])"),
            "Tensor(f32, [3, 10])");
  EXPECT_EQ(inferred_types(one("p", "Int", "-1") + one("f", "Bool", "false") +
                               "  %y : Tensor = aten::embedding(%w, %i, %p, %f, %f)",
                           "%w : Tensor(f32, [1000, 32]), %i : Tensor(i64, [B, 16])"),
            "Tensor(f32, [B, 16, 32])");
  EXPECT_THROW(inferred_types(one("p", "Int", "-1") + one("f", "Bool", "false") +
                                  "  %y : Tensor = aten::embedding(%w, %i, %p, %f, %f)",
                              "%w : Tensor(f32, [1000, 32]), %i : Tensor(f32, [B, 16])"),
               Error);
  EXPECT_EQ(inferred_types(one("n", "Int", "10") + "  %y : Tensor = aten::one_hot(%x, %n)", "%x : Tensor(i64, [6])"),
            "Tensor(i64, [6, 10])");
}

TEST(NnRules, ConvolutionSizesChannelsAndGroups) {
  const std::string conv = one("n", "None", "none") + ints("s", "[2, 2]") + ints("p", "[3, 3]") + ints("d", "[1, 1]") +
                           one("g", "Int", "1") + "  %y : Tensor = aten::conv2d(%x, %w, %n, %s, %p, %d, %g)";
  EXPECT_EQ(inferred_types(conv, "%x : Tensor(f32, [1, 3, 224, 224]), %w : Tensor(f32, [64, 3, 7, 7])"),
            "Tensor(f32, [1, 64, 112, 112])");
  try {
    inferred_types(conv, "%x : Tensor(f32, [1, 4, 224, 224]), %w : Tensor(f32, [64, 3, 7, 7])");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("input has 4 channels but the weight expects 3"), std::string::npos) << e.what();
  }
  const std::string depthwise = one("n", "None", "none") + ints("s", "[1, 1]") + ints("p", "[1, 1]") +
                                ints("d", "[1, 1]") + one("g", "Int", "32") +
                                "  %y : Tensor = aten::conv2d(%x, %w, %n, %s, %p, %d, %g)";
  EXPECT_EQ(inferred_types(depthwise, "%x : Tensor(f32, [B, 32, 56, 56]), %w : Tensor(f32, [32, 1, 3, 3])"),
            "Tensor(f32, [B, 32, 56, 56])");
  const std::string conv1d = one("n", "None", "none") + ints("s", "[1]") + ints("p", "[0]") + ints("d", "[2]") +
                             one("g", "Int", "1") + "  %y : Tensor = aten::conv1d(%x, %w, %n, %s, %p, %d, %g)";
  EXPECT_EQ(inferred_types(conv1d, "%x : Tensor(f32, [4, 8, 20]), %w : Tensor(f32, [6, 8, 3])"), "Tensor(f32, [4, 6, 16])");
}

TEST(NnRules, PoolingFollowsTorchIncludingCeilMode) {
  const std::string maxpool = ints("k", "[3, 3]") + ints("s", "[2, 2]") + ints("p", "[1, 1]") + ints("d", "[1, 1]") +
                              one("c", "Bool", "false") + "  %y : Tensor = aten::max_pool2d(%x, %k, %s, %p, %d, %c)";
  EXPECT_EQ(inferred_types(maxpool, "%x : Tensor(f32, [1, 64, 112, 112])"), "Tensor(f32, [1, 64, 56, 56])");
  // ceil_mode (sizes as torch gives them): a last window must start inside
  // the input, so 7 wide gives 2 windows and 9 wide gives 3.
  const std::string ceil = ints("k", "[2, 2]") + ints("s", "[4, 4]") + ints("p", "[0, 0]") + one("c", "Bool", "true") +
                           one("i", "Bool", "true") + one("n", "None", "none") +
                           "  %y : Tensor = aten::avg_pool2d(%x, %k, %s, %p, %c, %i, %n)";
  EXPECT_EQ(inferred_types(ceil, "%x : Tensor(f32, [1, 1, 6, 7])"), "Tensor(f32, [1, 1, 2, 2])");
  EXPECT_EQ(inferred_types(ceil, "%x : Tensor(f32, [1, 1, 6, 9])"), "Tensor(f32, [1, 1, 2, 3])");
  const std::string empty_stride = ints("k", "[2, 2]") + ints("s", "[]") + ints("p", "[0, 0]") + one("c", "Bool", "false") +
                                   one("i", "Bool", "true") + one("n", "None", "none") +
                                   "  %y : Tensor = aten::avg_pool2d(%x, %k, %s, %p, %c, %i, %n)";
  EXPECT_EQ(inferred_types(empty_stride, "%x : Tensor(f32, [2, 16, 32, 32])"), "Tensor(f32, [2, 16, 16, 16])");
  EXPECT_EQ(inferred_types(ints("o", "[1, 1]") + "  %y : Tensor = aten::adaptive_avg_pool2d(%x, %o)",
                           "%x : Tensor(f32, [B, 512, 7, 7])"),
            "Tensor(f32, [B, 512, 1, 1])");
  const std::string bad_pad = ints("k", "[2, 2]") + ints("s", "[2, 2]") + ints("p", "[2, 2]") + ints("d", "[1, 1]") +
                              one("c", "Bool", "false") + "  %y : Tensor = aten::max_pool2d(%x, %k, %s, %p, %d, %c)";
  EXPECT_THROW(inferred_types(bad_pad, "%x : Tensor(f32, [1, 1, 8, 8])"), Error);
}

TEST(NnRules, OneDimensionalPooling) {
  const std::string maxpool = ints("k", "[3]") + ints("s", "[2]") + ints("p", "[1]") + ints("d", "[1]") +
                              one("c", "Bool", "false") + "  %y : Tensor = aten::max_pool1d(%x, %k, %s, %p, %d, %c)";
  EXPECT_EQ(inferred_types(maxpool, "%x : Tensor(f32, [3, 4, 10])"), "Tensor(f32, [3, 4, 5])");
  EXPECT_EQ(inferred_types(maxpool, "%x : Tensor(f32, [4, 10])"), "Tensor(f32, [4, 5])");
  EXPECT_THROW(inferred_types(maxpool, "%x : Tensor(f32, [2, 3, 4, 10])"), Error);
  EXPECT_EQ(inferred_types(ints("o", "[5]") + "  %y : Tensor = aten::adaptive_avg_pool1d(%x, %o)",
                           "%x : Tensor(f32, [B, 4, 10])"),
            "Tensor(f32, [B, 4, 5])");
}

// Pooling with indices: the pooled values and i64 indices of the same
// shape; unpooling to output_size, its indices i64 and shaped like its input.
TEST(NnRules, PoolingWithIndicesAndUnpooling) {
  const std::string pool = ints("k", "[2, 3]") + ints("s", "[2, 1]") + ints("p", "[1, 1]") + ints("d", "[2, 1]") +
                           one("c", "Bool", "true") +
                           "  %y : Tensor, %i : Tensor = aten::max_pool2d_with_indices(%x, %k, %s, %p, %d, %c)";
  // ceil((9 + 2 - 2 - 1) / 2) + 1 = 5 rows; (10 + 2 - 2 - 1) / 1 + 1 = 10 columns.
  EXPECT_EQ(inferred_types(pool, "%x : Tensor(f32, [B, 3, 9, 10])"),
            "Tensor(f32, [B, 3, 5, 10]), Tensor(i64, [B, 3, 5, 10])");
  const std::string pool3 = ints("k", "[2]") + ints("s", "[]") + ints("p", "[0]") + ints("d", "[1]") +
                            one("c", "Bool", "false") +
                            "  %y : Tensor, %i : Tensor = aten::max_pool3d_with_indices(%x, %k, %s, %p, %d, %c)";
  EXPECT_EQ(inferred_types(pool3, "%x : Tensor(f64, [1, 3, 9, 10])"),
            "Tensor(f64, [1, 1, 4, 5]), Tensor(i64, [1, 1, 4, 5])");
  EXPECT_THROW(inferred_types(pool3, "%x : Tensor(f32, [9, 10])"), Error);
  const std::string unpool = ints("o", "[9, 10]") + "  %y : Tensor = aten::max_unpool2d(%x, %i, %o)";
  EXPECT_EQ(inferred_types(unpool, "%x : Tensor(f32, [B, 3, 4, 5]), %i : Tensor(i64, [B, 3, 4, 5])"),
            "Tensor(f32, [B, 3, 9, 10])");
  EXPECT_THROW(inferred_types(unpool, "%x : Tensor(f32, [2, 3, 4, 5]), %i : Tensor(i64, [2, 3, 4, 4])"), Error);
  EXPECT_THROW(inferred_types(unpool, "%x : Tensor(f32, [2, 3, 4, 5]), %i : Tensor(f32, [2, 3, 4, 5])"), Error);
  EXPECT_THROW(inferred_types(unpool, "%x : Tensor(f32, [4, 5]), %i : Tensor(i64, [4, 5])"), Error);
  const std::string unpool3 = ints("o", "[3, 9, 10]") + ints("s", "[2, 2, 2]") + ints("p", "[0, 0, 0]") +
                              "  %y : Tensor = aten::max_unpool3d(%x, %i, %o, %s, %p)";
  EXPECT_EQ(inferred_types(unpool3, "%x : Tensor(f32, [2, 1, 1, 4, 5]), %i : Tensor(i64, [2, 1, 1, 4, 5])"),
            "Tensor(f32, [2, 1, 3, 9, 10])");
}

TEST(CompositeRules, StatisticsReduceTheirDims) {
  const std::string var = ints("d", "[2, 3]") + one("u", "Bool", "true") + one("k", "Bool", "true") +
                          "  %y : Tensor = aten::var.dim(%x, %d, %u, %k)";
  EXPECT_EQ(inferred_types(var, "%x : Tensor(f32, [3, 4, 6, 8])"), "Tensor(f32, [3, 4, 1, 1])");
  const std::string lse = ints("d", "[-1]") + one("k", "Bool", "false") + "  %y : Tensor = aten::logsumexp(%x, %d, %k)";
  EXPECT_EQ(inferred_types(lse, "%x : Tensor(f32, [3, 4, 6])"), "Tensor(f32, [3, 4])");
  const std::string norm = one("p", "Int", "2") + ints("d", "[1]") + one("k", "Bool", "true") +
                           "  %y : Tensor = aten::norm.ScalarOpt_dim(%x, %p, %d, %k)";
  EXPECT_EQ(inferred_types(norm, "%x : Tensor(i64, [3, 4])"), "Tensor(f32, [3, 1])");
  EXPECT_EQ(inferred_types(lse, "%x : Tensor(f32, [])"), "Tensor(f32, [])");
  const std::string cumsum = one("d", "Int", "1") + one("t", "None", "none") + "  %y : Tensor = aten::cumsum(%x, %d, %t)";
  EXPECT_EQ(inferred_types(cumsum, "%x : Tensor(i32, [3, 4])"), "Tensor(i64, [3, 4])");  // integers sum in i64
  EXPECT_EQ(inferred_types(cumsum, "%x : Tensor(f32, [3, 4])"), "Tensor(f32, [3, 4])");
  EXPECT_THROW(inferred_types(cumsum, "%x : Tensor(f32, [3])"), Error);
  EXPECT_THROW(inferred_types(ints("d", "[2]") + one("k", "Bool", "false") + "  %y : Tensor = aten::logsumexp(%x, %d, %k)",
                              "%x : Tensor(f32, [3, 4])"),
               Error);
}

TEST(CompositeRules, LayoutOps) {
  EXPECT_EQ(inferred_types(one("d", "Int", "1") + "  %y : Tensor = aten::glu(%x, %d)", "%x : Tensor(f32, [2, 8])"),
            "Tensor(f32, [2, 4])");
  EXPECT_THROW(inferred_types(one("d", "Int", "1") + "  %y : Tensor = aten::glu(%x, %d)", "%x : Tensor(f32, [2, 7])"),
               Error);
  const std::string narrow = one("d", "Int", "1") + one("s", "Int", "-3") + one("n", "Int", "2") +
                             "  %y : Tensor = aten::narrow(%x, %d, %s, %n)";
  EXPECT_EQ(inferred_types(narrow, "%x : Tensor(f32, [2, 8])"), "Tensor(f32, [2, 2])");
  EXPECT_THROW(inferred_types(narrow, "%x : Tensor(f32, [2, 2])"), Error);
  const std::string pad = ints("p", "[1, 2, -1, 0]") + one("v", "Int", "0") +
                          "  %y : Tensor = aten::constant_pad_nd(%x, %p, %v)";
  EXPECT_EQ(inferred_types(pad, "%x : Tensor(f32, [2, 5, 6])"), "Tensor(f32, [2, 4, 9])");
  EXPECT_THROW(inferred_types(ints("p", "[1, 2, 3]") + one("v", "Int", "0") +
                                  "  %y : Tensor = aten::constant_pad_nd(%x, %p, %v)",
                              "%x : Tensor(f32, [2, 5, 6])"),
               Error);
  EXPECT_EQ(inferred_types(ints("r", "[2, 1, 3]") + "  %y : Tensor = aten::repeat(%x, %r)", "%x : Tensor(f32, [4, 5])"),
            "Tensor(f32, [2, 4, 15])");
  EXPECT_THROW(inferred_types(ints("r", "[2]") + "  %y : Tensor = aten::repeat(%x, %r)", "%x : Tensor(f32, [4, 5])"),
               Error);
  EXPECT_EQ(inferred_types(one("r", "Int", "2") + "  %y : Tensor = aten::pixel_shuffle(%x, %r)",
                           "%x : Tensor(f32, [3, 8, 6, 8])"),
            "Tensor(f32, [3, 2, 12, 16])");
  EXPECT_THROW(inferred_types(one("r", "Int", "2") + "  %y : Tensor = aten::pixel_shuffle(%x, %r)",
                              "%x : Tensor(f32, [3, 6, 6, 8])"),
               Error);
  const std::string unflatten = one("d", "Int", "2") + ints("s", "[2, -1]") + one("n", "None", "none") +
                                "  %y : Tensor = aten::unflatten.int(%x, %d, %s, %n)";
  EXPECT_EQ(inferred_types(unflatten, "%x : Tensor(f32, [3, 4, 10])"), "Tensor(f32, [3, 4, 2, 5])");
  EXPECT_THROW(inferred_types(unflatten, "%x : Tensor(f32, [3, 4, 9])"), Error);
  const std::string up = one("o", "None", "none") +
                         "  %f : List[Float] = prim::Constant[value=[2.0, 1.5]]()\n"
                         "  %y : Tensor = aten::upsample_nearest2d.vec(%x, %o, %f)";
  EXPECT_EQ(inferred_types(up, "%x : Tensor(f32, [1, 3, 5, 4])"), "Tensor(f32, [1, 3, 10, 6])");
  EXPECT_THROW(inferred_types(one("o", "None", "none") + one("f", "None", "none") +
                                  "  %y : Tensor = aten::upsample_nearest2d.vec(%x, %o, %f)",
                              "%x : Tensor(f32, [1, 3, 5, 4])"),
               Error);
  // Antialiased resizing: the 2-D rule, named _upsample_*2d_aa.
  const std::string aa = one("o", "None", "none") + one("a", "Bool", "false") +
                         "  %f : List[Float] = prim::Constant[value=[0.5, 0.4]]()\n"
                         "  %y : Tensor = aten::_upsample_bicubic2d_aa.vec(%x, %o, %a, %f)";
  EXPECT_EQ(inferred_types(aa, "%x : Tensor(f32, [1, 3, 16, 18])"), "Tensor(f32, [1, 3, 8, 7])");
  EXPECT_THROW(inferred_types(aa, "%x : Tensor(f32, [3, 16, 18])"), Error);
}

// Normalizations whose parameters do not fit the input are refused by name
// (they failed deep in their decompositions, naming a broadcast).
TEST(CompositeRules, NormalizationParametersFitTheInput) {
  auto message = [](const std::string& body, const char* inputs) {
    try {
      inferred_types(body, inputs);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const std::string none = one("none", "None", "none") + one("f", "Bool", "false") + one("m", "Float", "0.1") +
                           one("eps", "Float", "1e-05");
  const std::string batch = none + "  %y : Tensor = aten::batch_norm(%x, %w, %none, %none, %none, %f, %m, %eps, %f)";
  EXPECT_EQ(inferred_types(batch, "%x : Tensor(f32, [2, 6, 4]), %w : Tensor(f32, [6])"), "Tensor(f32, [2, 6, 4])");
  EXPECT_NE(message(batch, "%x : Tensor(f32, [2, 6, 4]), %w : Tensor(f32, [4])").find("one value per channel"),
            std::string::npos);
  const std::string layer = none + one("s", "List[Int]", "[4, 5]") +
                            "  %y : Tensor = aten::layer_norm(%x, %s, %w, %none, %eps, %f)";
  EXPECT_EQ(inferred_types(layer, "%x : Tensor(f32, [B, 4, 5]), %w : Tensor(f32, [4, 5])"), "Tensor(f32, [B, 4, 5])");
  EXPECT_NE(message(layer, "%x : Tensor(f32, [2, 5, 4]), %w : Tensor(f32, [4, 5])").find("does not match the input's shape"),
            std::string::npos);
  EXPECT_NE(message(layer, "%x : Tensor(f32, [2, 4, 5]), %w : Tensor(f32, [5])").find("must have the normalized shape"),
            std::string::npos);
  const std::string group = none + one("g", "Int", "3") + "  %y : Tensor = aten::group_norm(%x, %g, %w, %none, %eps, %f)";
  EXPECT_EQ(inferred_types(group, "%x : Tensor(f32, [2, 6, 4]), %w : Tensor(f32, [6])"), "Tensor(f32, [2, 6, 4])");
  EXPECT_NE(message(group, "%x : Tensor(f32, [2, 8, 4]), %w : Tensor(f32, [8])").find("do not divide into 3 groups"),
            std::string::npos);
  EXPECT_NE(message(group, "%x : Tensor(f32, [2, 6, 4]), %w : Tensor(f32, [3])").find("one value per channel"),
            std::string::npos);
}

TEST(CompositeRules, Einsum) {
  auto einsum = [](const char* equation) {
    return std::string("  %e : Str = prim::Constant[value=\"") + equation + "\"]()\n" +
           "  %l : List[Tensor] = prim::ListConstruct(%a, %b)\n" + one("n", "None", "none") +
           "  %y : Tensor = aten::einsum(%e, %l, %n)";
  };
  const char* operands = "%a : Tensor(f32, [2, 3, 4, 5]), %b : Tensor(f32, [2, 3, 6, 5])";
  EXPECT_EQ(inferred_types(einsum("bhqd,bhkd->bhqk"), operands), "Tensor(f32, [2, 3, 4, 6])");
  EXPECT_EQ(inferred_types(einsum("...qd,...kd"), operands), "Tensor(f32, [2, 3, 6, 4])");  // implicit: ellipsis, k, q
  EXPECT_THROW(inferred_types(einsum("bhqd,bhkq->bhqk"), operands), Error);  // q is 4 and 5
  EXPECT_THROW(inferred_types(einsum("bhq,bhkd->bhqk"), operands), Error);   // rank 3 term for rank 4
  EXPECT_THROW(inferred_types(einsum("bhqd,bhkd->bhqz"), operands), Error);  // z is in no operand
  EXPECT_THROW(inferred_types(einsum("bhqd->bhq"), operands), Error);        // one term for two tensors
  // A size-1 label broadcasts against the other operand's size; a diagonal
  // keeps its size.
  const char* broadcast = "%a : Tensor(f32, [1, 4, 4]), %b : Tensor(f32, [3, 4, 5])";
  EXPECT_EQ(inferred_types(einsum("bij,bjk->bik"), broadcast), "Tensor(f32, [3, 4, 5])");
  EXPECT_EQ(inferred_types(einsum("bii,bik->bik"), broadcast), "Tensor(f32, [3, 4, 5])");
}

TEST(NnRules, ReductionsWithIndicesSoftmaxAndLosses) {
  EXPECT_EQ(inferred_types(one("d", "Int", "1") + one("k", "Bool", "false") +
                               "  %v : Tensor, %i : Tensor = aten::max.dim(%x, %d, %k)",
                           "%x : Tensor(f32, [4, 8, 16])"),
            "Tensor(f32, [4, 16]), Tensor(i64, [4, 16])");
  EXPECT_EQ(inferred_types(ints("d", "[-1]") + one("k", "Bool", "true") + "  %y : Tensor = aten::amax(%x, %d, %k)",
                           "%x : Tensor(f32, [4, 8])"),
            "Tensor(f32, [4, 1])");
  EXPECT_EQ(inferred_types(one("d", "Int", "-1") + one("n", "None", "none") + "  %y : Tensor = aten::softmax.int(%x, %d, %n)",
                           "%x : Tensor(f32, [B, 4, T, T])"),
            "Tensor(f32, [B, 4, T, T])");
  EXPECT_EQ(inferred_types(one("r", "Int", "1") + "  %y : Tensor = aten::mse_loss(%x, %t, %r)",
                           "%x : Tensor(f32, [6, 10]), %t : Tensor(f32, [6, 10])"),
            "Tensor(f32, [])");
  EXPECT_EQ(inferred_types(one("n", "None", "none") + one("r", "Int", "0") + one("g", "Int", "-100") +
                               "  %y : Tensor = aten::nll_loss_nd(%x, %t, %n, %r, %g)",
                           "%x : Tensor(f32, [6, 10]), %t : Tensor(i64, [6])"),
            "Tensor(f32, [6])");
}

TEST(CompositeRules, SortArgsortTopk) {
  EXPECT_EQ(inferred_types(one("d", "Int", "1") + one("f", "Bool", "false") +
                               "  %v : Tensor, %i : Tensor = aten::sort(%x, %d, %f)",
                           "%x : Tensor(f32, [B, 7])"),
            "Tensor(f32, [B, 7]), Tensor(i64, [B, 7])");
  EXPECT_EQ(inferred_types(one("s", "Bool", "true") + one("d", "Int", "-1") + one("f", "Bool", "true") +
                               "  %i : Tensor = aten::argsort.stable(%x, %s, %d, %f)",
                           "%x : Tensor(i64, [3, 5])"),
            "Tensor(i64, [3, 5])");
  EXPECT_EQ(inferred_types(one("k", "Int", "3") + one("d", "Int", "-1") + one("t", "Bool", "true") +
                               "  %v : Tensor, %i : Tensor = aten::topk(%x, %k, %d, %t, %t)",
                           "%x : Tensor(f32, [B, 4, 10])"),
            "Tensor(f32, [B, 4, 3]), Tensor(i64, [B, 4, 3])");
  // k beyond the dim's size, a dim out of range.
  EXPECT_THROW(inferred_types(one("k", "Int", "11") + one("d", "Int", "-1") + one("t", "Bool", "true") +
                                  "  %v : Tensor, %i : Tensor = aten::topk(%x, %k, %d, %t, %t)",
                              "%x : Tensor(f32, [4, 10])"),
               Error);
  EXPECT_THROW(inferred_types(one("d", "Int", "2") + one("f", "Bool", "false") +
                                  "  %v : Tensor, %i : Tensor = aten::sort(%x, %d, %f)",
                              "%x : Tensor(f32, [4, 10])"),
               Error);
}

TEST(CompositeRules, RunningScans) {
  // cumprod promotes integers and bools to i64, as cumsum; a dtype wins.
  EXPECT_EQ(inferred_types(one("d", "Int", "1") + one("n", "None", "none") + "  %y : Tensor = aten::cumprod(%x, %d, %n)",
                           "%x : Tensor(i32, [B, 7])"),
            "Tensor(i64, [B, 7])");
  EXPECT_EQ(inferred_types(one("d", "Int", "0") + one("t", "Int", "7") + "  %y : Tensor = aten::cumprod(%x, %d, %t)",
                           "%x : Tensor(f32, [3, 7])"),
            "Tensor(f64, [3, 7])");
  EXPECT_EQ(inferred_types(one("d", "Int", "-1") + "  %v : Tensor, %i : Tensor = aten::cummax(%x, %d)",
                           "%x : Tensor(i8, [B, 4])"),
            "Tensor(i8, [B, 4]), Tensor(i64, [B, 4])");
  EXPECT_EQ(inferred_types(one("d", "Int", "1") + "  %y : Tensor = aten::logcumsumexp(%x, %d)",
                           "%x : Tensor(f64, [2, 9])"),
            "Tensor(f64, [2, 9])");
  // logcumsumexp of integers (torch refuses them too), a dim out of range.
  EXPECT_THROW(inferred_types(one("d", "Int", "1") + "  %y : Tensor = aten::logcumsumexp(%x, %d)",
                              "%x : Tensor(i64, [2, 9])"),
               Error);
  EXPECT_THROW(inferred_types(one("d", "Int", "2") + "  %v : Tensor, %i : Tensor = aten::cummin(%x, %d)",
                              "%x : Tensor(f32, [2, 9])"),
               Error);
}

// embedding_bag(weight, indices, offsets, by_freq, mode, sparse, per_sample_weights, include_last_offset).
std::string embedding_bag(const char* mode, const char* last, bool sample_weights = false) {
  return one("f", "Bool", "false") + one("m", "Int", mode) + one("l", "Bool", last) + one("n", "None", "none") +
         "  %o : Tensor, %a : Tensor, %b : Tensor, %c : Tensor = aten::embedding_bag(%w, %i, %off, %f, %m, %f, " +
         (sample_weights ? "%p" : "%n") + ", %l)";
}

TEST(CompositeRules, EmbeddingBag) {
  const char* inputs = "%w : Tensor(f32, [50, 8]), %i : Tensor(i64, [20]), %off : Tensor(i64, [5]), %p : Tensor(f32, [20])";
  EXPECT_EQ(inferred_types(embedding_bag("0", "false", true), inputs),
            "Tensor(f32, [5, 8]), Tensor(i64, [20]), Tensor(i64, [5]), Tensor(i64, [5, 8])");
  // include_last_offset: the last offset ends the last bag.
  EXPECT_EQ(inferred_types(embedding_bag("2", "true"), inputs),
            "Tensor(f32, [4, 8]), Tensor(i64, [20]), Tensor(i64, [4]), Tensor(i64, [4, 8])");
  // A mode out of range, per-sample weights outside mode sum, float indices.
  EXPECT_THROW(inferred_types(embedding_bag("3", "false"), inputs), Error);
  EXPECT_THROW(inferred_types(embedding_bag("1", "false", true), inputs), Error);
  EXPECT_THROW(inferred_types(embedding_bag("0", "false"),
                              "%w : Tensor(f32, [50, 8]), %i : Tensor(f32, [20]), %off : Tensor(i64, [5])"),
               Error);
  EXPECT_THROW(inferred_types(embedding_bag("0", "false"),
                              "%w : Tensor(f32, [50, 8]), %i : Tensor(i64, [4, 5]), %off : Tensor(i64, [5])"),
               Error);
  // Per-sample weights of another shape than the indices (an empty input).
  try {
    inferred_types(embedding_bag("0", "false", true),
                   "%w : Tensor(f32, [50, 8]), %i : Tensor(i64, [20]), %off : Tensor(i64, [5]), %p : Tensor(f32, [0])");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("per_sample_weights must have the shape of the indices"), std::string::npos)
        << e.what();
  }
}

TEST(PointwiseRules, BitwiseOpsTakeIntegersAndBools) {
  EXPECT_EQ(inferred_types("  %y : Tensor = aten::__and__.Tensor(%a, %b)", "%a : Tensor(i8, [4, 1]), %b : Tensor(i64, [3])"),
            "Tensor(i64, [4, 3])");
  EXPECT_EQ(inferred_types("  %y : Tensor = aten::bitwise_xor.Tensor(%a, %b)", "%a : Tensor(bool, [4]), %b : Tensor(bool, [4])"),
            "Tensor(bool, [4])");
  EXPECT_EQ(inferred_types(one("s", "Int", "3") + "  %y : Tensor = aten::__lshift__.Scalar(%a, %s)",
                           "%a : Tensor(u8, [B])"),
            "Tensor(u8, [B])");
  EXPECT_EQ(inferred_types("  %y : Tensor = aten::bitwise_not(%a)", "%a : Tensor(i32, [2])"), "Tensor(i32, [2])");
  EXPECT_THROW(inferred_types("  %y : Tensor = aten::__or__.Tensor(%a, %b)", "%a : Tensor(f32, [4]), %b : Tensor(i64, [4])"),
               Error);
  EXPECT_THROW(inferred_types("  %y : Tensor = aten::bitwise_not(%a)", "%a : Tensor(f64, [2])"), Error);
}

TEST(PointwiseRules, WhereClampAndConversions) {
  EXPECT_EQ(inferred_types("  %y : Tensor = aten::where.self(%c, %a, %b)",
                           "%c : Tensor(bool, [4, 1]), %a : Tensor(f32, [3]), %b : Tensor(f32, [])"),
            "Tensor(f32, [4, 3])");
  EXPECT_EQ(inferred_types(one("s", "Float", "0.0") + "  %y : Tensor = aten::where.ScalarOther(%c, %a, %s)",
                           "%c : Tensor(bool, [4]), %a : Tensor(i64, [4])"),
            "Tensor(f32, [4])");
  EXPECT_EQ(inferred_types(one("d", "Int", "7") + one("f", "Bool", "false") + one("n", "None", "none") +
                               "  %y : Tensor = aten::to.dtype(%x, %d, %f, %f, %n)",
                           "%x : Tensor(f32, [2, 3])"),
            "Tensor(f64, [2, 3])");
  EXPECT_EQ(inferred_types(ints("s", "[2, 3]") + one("n", "None", "none") + "  %y : Tensor = aten::zeros(%s, %n, %n, %n, %n)", ""),
            "Tensor(f32, [2, 3])");
  EXPECT_EQ(inferred_types("  %y : Tensor = aten::gt.Tensor(%a, %b)", "%a : Tensor(f32, [2, 1]), %b : Tensor(f32, [3])"),
            "Tensor(bool, [2, 3])");
}

TEST(LinalgRules, MmBmmAddmm) {
  EXPECT_EQ(inferred_types("  %y : Tensor = aten::mm(%a, %b)", "%a : Tensor(f32, [4, 16]), %b : Tensor(f32, [16, 12])"),
            "Tensor(f32, [4, 12])");
  EXPECT_THROW(inferred_types("  %y : Tensor = aten::mm(%a, %b)", "%a : Tensor(f32, [4, 16, 2]), %b : Tensor(f32, [16, 12])"),
               Error);
  EXPECT_EQ(inferred_types("  %y : Tensor = aten::bmm(%a, %b)", "%a : Tensor(f32, [4, 4, 32]), %b : Tensor(f32, [4, 32, 2])"),
            "Tensor(f32, [4, 4, 2])");
  EXPECT_EQ(inferred_types(one("o", "Int", "1") + "  %y : Tensor = aten::addmm(%c, %a, %b, %o, %o)",
                           "%c : Tensor(f32, [12]), %a : Tensor(f32, [4, 16]), %b : Tensor(f32, [16, 12])"),
            "Tensor(f32, [4, 12])");
  const std::string baddbmm = one("o", "Int", "1") + "  %y : Tensor = aten::baddbmm(%c, %a, %b, %o, %o)";
  EXPECT_EQ(inferred_types(baddbmm, "%c : Tensor(f32, [4, 1]), %a : Tensor(f32, [3, 4, 16]), %b : Tensor(f32, [3, 16, 5])"),
            "Tensor(f32, [3, 4, 5])");
  // Inner dims, batch sizes, and a self that does not broadcast.
  EXPECT_THROW(inferred_types(baddbmm, "%c : Tensor(f32, [5]), %a : Tensor(f32, [3, 4, 16]), %b : Tensor(f32, [3, 8, 5])"),
               Error);
  EXPECT_THROW(inferred_types(baddbmm, "%c : Tensor(f32, [5]), %a : Tensor(f32, [3, 4, 16]), %b : Tensor(f32, [2, 16, 5])"),
               Error);
  EXPECT_THROW(inferred_types(baddbmm, "%c : Tensor(f32, [3]), %a : Tensor(f32, [3, 4, 16]), %b : Tensor(f32, [3, 16, 5])"),
               Error);
}

TEST(NnRules, GridSamplingAndAffineGrids) {
  auto sampler = [](const char* mode) {
    return one("m", "Int", mode) + one("p", "Int", "2") + one("a", "Bool", "false") +
           "  %y : Tensor = aten::grid_sampler(%x, %g, %m, %p, %a)";
  };
  // The grid's positions replace the input's spatial dims.
  EXPECT_EQ(inferred_types(sampler("0"), "%x : Tensor(f32, [B, 3, 6, 7]), %g : Tensor(f32, [B, 5, 4, 2])"),
            "Tensor(f32, [B, 3, 5, 4])");
  EXPECT_EQ(inferred_types(sampler("1"), "%x : Tensor(f64, [2, 3, 4, 6, 7]), %g : Tensor(f64, [2, 1, 5, 4, 3])"),
            "Tensor(f64, [2, 3, 1, 5, 4])");
  // A grid of another rank, a last dim not the spatial rank, other batch
  // sizes, bicubic in 3-D, an unknown mode, integer inputs.
  EXPECT_THROW(inferred_types(sampler("0"), "%x : Tensor(f32, [2, 3, 6, 7]), %g : Tensor(f32, [2, 5, 2])"), Error);
  EXPECT_THROW(inferred_types(sampler("0"), "%x : Tensor(f32, [2, 3, 6, 7]), %g : Tensor(f32, [2, 5, 4, 3])"), Error);
  EXPECT_THROW(inferred_types(sampler("0"), "%x : Tensor(f32, [2, 3, 6, 7]), %g : Tensor(f32, [3, 5, 4, 2])"), Error);
  EXPECT_THROW(inferred_types(sampler("2"), "%x : Tensor(f32, [2, 3, 4, 6, 7]), %g : Tensor(f32, [2, 1, 5, 4, 3])"),
               Error);
  EXPECT_THROW(inferred_types(sampler("3"), "%x : Tensor(f32, [2, 3, 6, 7]), %g : Tensor(f32, [2, 5, 4, 2])"), Error);
  EXPECT_THROW(inferred_types(sampler("0"), "%x : Tensor(i64, [2, 3, 6, 7]), %g : Tensor(i64, [2, 5, 4, 2])"), Error);

  const std::string affine = one("a", "Bool", "true") + "  %y : Tensor = aten::affine_grid_generator(%t, %s, %a)";
  EXPECT_EQ(inferred_types(ints("s", "[2, 3, 5, 4]") + affine, "%t : Tensor(f32, [2, 2, 3])"), "Tensor(f32, [2, 5, 4, 2])");
  EXPECT_EQ(inferred_types(ints("s", "[2, 3, 1, 5, 4]") + affine, "%t : Tensor(f32, [2, 3, 4])"),
            "Tensor(f32, [2, 1, 5, 4, 3])");
  // The batch may come from a dynamic size.
  EXPECT_EQ(inferred_types(one("z", "Int", "0") + one("c", "Int", "3") + one("h", "Int", "5") +
                               "  %n : Int = aten::size.int(%t, %z)\n"
                               "  %s : List[Int] = prim::ListConstruct(%n, %c, %h, %h)\n" + affine,
                           "%t : Tensor(f32, [B, 2, 3])"),
            "Tensor(f32, [B, 5, 5, 2])");
  EXPECT_THROW(inferred_types(ints("s", "[2, 3, 5, 4]") + affine, "%t : Tensor(f32, [2, 3, 4])"), Error);
  EXPECT_THROW(inferred_types(ints("s", "[2, 3, 4]") + affine, "%t : Tensor(f32, [2, 2, 3])"), Error);
  EXPECT_THROW(inferred_types(ints("s", "[2, 3, 0, 4]") + affine, "%t : Tensor(f32, [2, 2, 3])"), Error);
  EXPECT_THROW(inferred_types(ints("s", "[3, 3, 5, 4]") + affine, "%t : Tensor(f32, [2, 2, 3])"), Error);
}

TEST(NnRules, SlidingBlocks) {
  // F.unfold: C kh kw rows, one column per block: (5 + 2 - 2 - 1) / 2 + 1 = 3
  // by (6 + 2 - 3 - 1) / 2 + 1 = 3.
  const std::string unfold = ints("k", "[2, 3]") + ints("d", "[1, 1]") + ints("p", "[1, 1]") + ints("s", "[2, 2]") +
                             "  %y : Tensor = aten::im2col(%x, %k, %d, %p, %s)";
  EXPECT_EQ(inferred_types(unfold, "%x : Tensor(f32, [B, 3, 5, 6])"), "Tensor(f32, [B, 18, 9])");
  EXPECT_THROW(inferred_types(unfold, "%x : Tensor(f32, [3, 5, 6])"), Error);
  // A kernel larger than the padded input.
  const std::string wide = ints("k", "[9, 1]") + ints("d", "[1, 1]") + ints("p", "[0, 0]") + ints("s", "[1, 1]") +
                           "  %y : Tensor = aten::im2col(%x, %k, %d, %p, %s)";
  EXPECT_THROW(inferred_types(wide, "%x : Tensor(f32, [1, 3, 5, 6])"), Error);
  // F.fold: back to [N, C, H, W]; the blocks must be as many as output_size makes.
  const std::string fold = ints("o", "[5, 6]") + ints("k", "[2, 2]") + ints("d", "[1, 1]") + ints("p", "[0, 0]") +
                           ints("s", "[1, 1]") + "  %y : Tensor = aten::col2im(%x, %o, %k, %d, %p, %s)";
  EXPECT_EQ(inferred_types(fold, "%x : Tensor(f64, [2, 12, 20])"), "Tensor(f64, [2, 3, 5, 6])");
  EXPECT_THROW(inferred_types(fold, "%x : Tensor(f64, [2, 12, 21])"), Error);
  EXPECT_THROW(inferred_types(fold, "%x : Tensor(f64, [2, 13, 20])"), Error);
}

TEST(CompositeRules, StacksDiagonalsAndCountingReductions) {
  const std::string list = "  %l : List[Tensor] = prim::ListConstruct(%a, %b)\n";
  const std::string two = "%a : Tensor(f32, [3]), %b : Tensor(f32, [3])";
  EXPECT_EQ(inferred_types(list + "  %y : Tensor = aten::hstack(%l)", two), "Tensor(f32, [6])");
  EXPECT_EQ(inferred_types(list + "  %y : Tensor = aten::vstack(%l)", two), "Tensor(f32, [2, 3])");
  EXPECT_EQ(inferred_types(list + "  %y : Tensor = aten::dstack(%l)", two), "Tensor(f32, [1, 3, 2])");
  EXPECT_EQ(inferred_types(list + "  %y : Tensor = aten::column_stack(%l)", two), "Tensor(f32, [3, 2])");
  EXPECT_EQ(inferred_types(list + "  %y : Tensor = aten::hstack(%l)", "%a : Tensor(f32, [B, 2]), %b : Tensor(i64, [B, 3])"),
            "Tensor(f32, [B, 5])");
  EXPECT_THROW(inferred_types(list + "  %y : Tensor = aten::vstack(%l)", "%a : Tensor(f32, [3]), %b : Tensor(f32, [4])"),
               Error);
  EXPECT_EQ(inferred_types("  %y : Tensor = aten::mT(%x)", "%x : Tensor(f32, [B, 3, 4])"), "Tensor(f32, [B, 4, 3])");
  EXPECT_THROW(inferred_types("  %y : Tensor = aten::mT(%x)", "%x : Tensor(f32, [3])"), Error);

  const std::string diagonal = one("k", "Int", "1") + one("a", "Int", "1") + one("b", "Int", "-1") +
                               "  %y : Tensor = aten::diagonal(%x, %k, %a, %b)";
  // Dims 1 and 2 go; the diagonal above the main one of a 4 x 6 block has 4 elements.
  EXPECT_EQ(inferred_types(diagonal, "%x : Tensor(f32, [B, 4, 6])"), "Tensor(f32, [B, 4])");
  EXPECT_THROW(inferred_types(one("k", "Int", "0") + one("a", "Int", "1") + one("b", "Int", "-2") +
                                  "  %y : Tensor = aten::diagonal(%x, %k, %a, %b)",
                              "%x : Tensor(f32, [2, 4, 6])"),
               Error);
  const std::string diag = one("k", "Int", "-2") + "  %y : Tensor = aten::diag(%x, %k)";
  EXPECT_EQ(inferred_types(diag, "%x : Tensor(f32, [3])"), "Tensor(f32, [5, 5])");
  EXPECT_EQ(inferred_types(diag, "%x : Tensor(f32, [4, 6])"), "Tensor(f32, [2])");
  EXPECT_THROW(inferred_types(diag, "%x : Tensor(f32, [2, 3, 4])"), Error);
  EXPECT_EQ(inferred_types("  %y : Tensor = aten::trace(%x)", "%x : Tensor(i32, [3, 3])"), "Tensor(i64, [])");
  EXPECT_THROW(inferred_types("  %y : Tensor = aten::trace(%x)", "%x : Tensor(f32, [3])"), Error);

  EXPECT_EQ(inferred_types(ints("d", "[0, 2]") + "  %y : Tensor = aten::count_nonzero.dim_IntList(%x, %d)",
                           "%x : Tensor(f32, [2, 3, 4])"),
            "Tensor(i64, [3])");
  EXPECT_EQ(inferred_types(one("d", "None", "none") + "  %y : Tensor = aten::count_nonzero(%x, %d)",
                           "%x : Tensor(f32, [2, 3, 4])"),
            "Tensor(i64, [])");
  EXPECT_EQ(inferred_types(one("d", "Int", "1") + one("k", "Bool", "true") +
                               "  %lo : Tensor, %hi : Tensor = aten::aminmax(%x, %d, %k)",
                           "%x : Tensor(f64, [2, 3, 4])"),
            "Tensor(f64, [2, 1, 4]), Tensor(f64, [2, 1, 4])");
  const std::string cdist = one("p", "Float", "2.0") + one("m", "None", "none") + "  %y : Tensor = aten::cdist(%a, %b, %p, %m)";
  EXPECT_EQ(inferred_types(cdist, "%a : Tensor(f32, [B, 5, 7]), %b : Tensor(f32, [1, 6, 7])"), "Tensor(f32, [B, 5, 6])");
  EXPECT_THROW(inferred_types(cdist, "%a : Tensor(f32, [5, 7]), %b : Tensor(f32, [6, 8])"), Error);
  EXPECT_THROW(inferred_types(cdist, "%a : Tensor(i64, [5, 7]), %b : Tensor(i64, [6, 7])"), Error);
}

TEST(CompositeRules, RotationsGathersAndProducts) {
  const std::string rot = one("k", "Int", "-3") + ints("d", "[1, 2]") + "  %y : Tensor = aten::rot90(%x, %k, %d)";
  EXPECT_EQ(inferred_types(rot, "%x : Tensor(f32, [B, 4, 5])"), "Tensor(f32, [B, 5, 4])");
  EXPECT_THROW(inferred_types(one("k", "Int", "1") + ints("d", "[1, 1]") + "  %y : Tensor = aten::rot90(%x, %k, %d)",
                              "%x : Tensor(f32, [2, 4, 5])"),
               Error);
  const std::string take = one("d", "Int", "2") + "  %y : Tensor = aten::take_along_dim(%x, %i, %d)";
  EXPECT_EQ(inferred_types(take, "%x : Tensor(f32, [3, 1, 5]), %i : Tensor(i64, [1, 4, 2])"), "Tensor(f32, [3, 4, 2])");
  EXPECT_THROW(inferred_types(take, "%x : Tensor(f32, [3, 4, 5]), %i : Tensor(f32, [3, 4, 2])"), Error);
  EXPECT_EQ(inferred_types(one("d", "None", "none") + "  %y : Tensor = aten::take_along_dim(%x, %i, %d)",
                           "%x : Tensor(f32, [3, 4, 5]), %i : Tensor(i64, [2, 3])"),
            "Tensor(f32, [6])");
  const std::string unshuffle = one("r", "Int", "2") + "  %y : Tensor = aten::pixel_unshuffle(%x, %r)";
  EXPECT_EQ(inferred_types(unshuffle, "%x : Tensor(f32, [B, 3, 4, 6])"), "Tensor(f32, [B, 12, 2, 3])");
  EXPECT_THROW(inferred_types(unshuffle, "%x : Tensor(f32, [1, 3, 5, 6])"), Error);
  EXPECT_EQ(inferred_types("  %y : Tensor = aten::kron(%a, %b)", "%a : Tensor(f32, [2, 3]), %b : Tensor(i64, [4, 2, 5])"),
            "Tensor(f32, [4, 4, 15])");
  const std::string addmv = one("s", "Int", "1") + "  %y : Tensor = aten::addmv(%c, %m, %v, %s, %s)";
  EXPECT_EQ(inferred_types(addmv, "%c : Tensor(f32, [4]), %m : Tensor(f32, [4, 5]), %v : Tensor(f32, [5])"),
            "Tensor(f32, [4])");
  EXPECT_THROW(inferred_types(addmv, "%c : Tensor(f32, [4]), %m : Tensor(f32, [4, 5]), %v : Tensor(f32, [6])"), Error);
  const std::string addbmm = one("s", "Int", "1") + "  %y : Tensor = aten::addbmm(%c, %a, %b, %s, %s)";
  EXPECT_EQ(inferred_types(addbmm, "%c : Tensor(f32, [4, 6]), %a : Tensor(f32, [B, 4, 5]), %b : Tensor(f32, [B, 5, 6])"),
            "Tensor(f32, [4, 6])");
  EXPECT_THROW(inferred_types(addbmm, "%c : Tensor(f32, [4, 6]), %a : Tensor(f32, [2, 4, 5]), %b : Tensor(f32, [2, 4, 6])"),
               Error);
}

TEST(PointwiseRules, Eye) {
  const std::string none = one("n", "None", "none");
  EXPECT_EQ(inferred_types(none + one("k", "Int", "3") + "  %y : Tensor = aten::eye(%k, %n, %n, %n, %n)", ""),
            "Tensor(f32, [3, 3])");
  EXPECT_EQ(inferred_types(none + one("k", "Int", "3") + one("m", "Int", "5") + one("d", "Int", "4") +
                               "  %y : Tensor = aten::eye.m(%k, %m, %d, %n, %n, %n)",
                           ""),
            "Tensor(i64, [3, 5])");
  EXPECT_THROW(inferred_types(none + one("k", "Int", "-1") + "  %y : Tensor = aten::eye(%k, %n, %n, %n, %n)", ""),
               Error);
}

TEST(PointwiseRules, Arange) {
  const std::string none = one("n", "None", "none");
  const std::string tail = "%n, %n, %n, %n)";
  // Length ceil((end - start) / step); i64 for int bounds, else f32.
  EXPECT_EQ(inferred_types(none + one("e", "Int", "5") + "  %y : Tensor = aten::arange(%e, " + tail, ""),
            "Tensor(i64, [5])");
  EXPECT_EQ(inferred_types(none + one("s", "Float", "0.5") + one("e", "Int", "3") + one("t", "Float", "0.75") +
                               "  %y : Tensor = aten::arange.start_step(%s, %e, %t, %n, " + tail,
                           ""),
            "Tensor(f32, [4])");
  // 0 to a size by 1: the size's dim, symbolic too.
  EXPECT_EQ(inferred_types(none + one("d", "Int", "0") + "  %e : Int = aten::size.int(%x, %d)\n"
                               "  %y : Tensor = aten::arange(%e, " + tail,
                           "%x : Tensor(f32, [B, 3])"),
            "Tensor(i64, [B])");
  EXPECT_THROW(inferred_types(none + one("s", "Int", "0") + one("e", "Int", "3") + one("t", "Int", "0") +
                                  "  %y : Tensor = aten::arange.start_step(%s, %e, %t, %n, " + tail,
                              ""),
               Error);
  EXPECT_THROW(inferred_types(none + one("s", "Int", "5") + one("e", "Int", "3") +
                                  "  %y : Tensor = aten::arange.start(%s, %e, %n, " + tail,
                              ""),
               Error);
}

TEST(PointwiseRules, MaskedFill) {
  const std::string fill = one("v", "Float", "-inf") + "  %y : Tensor = aten::masked_fill.Scalar(%x, %m, %v)";
  // The mask broadcasts; the result keeps self's dtype.
  EXPECT_EQ(inferred_types(fill, "%x : Tensor(i64, [2, 1]), %m : Tensor(bool, [3])"), "Tensor(i64, [2, 3])");
  EXPECT_THROW(inferred_types(fill, "%x : Tensor(f32, [2, 3]), %m : Tensor(f32, [2, 3])"), Error);
  EXPECT_THROW(inferred_types("  %y : Tensor = aten::masked_fill.Tensor(%x, %m, %v)",
                              "%x : Tensor(f32, [2, 3]), %m : Tensor(bool, [2, 3]), %v : Tensor(f32, [3])"),
               Error);
}

}  // namespace
}  // namespace wick
