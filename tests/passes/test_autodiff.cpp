// passes::autodiff beyond single ops: seed gradients for several outputs,
// the errors it raises, and the split form (which values the forward saves,
// and that forward + backward compute what the joint graph computes).
#include <gtest/gtest.h>

#include <functional>

#include "grad_check.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/autodiff.h"

namespace wick {
namespace {

using V = std::vector<torch::Tensor>;

std::unique_ptr<ir::Module> parse(const std::string& text) {
  auto m = ir::parse_module(text, "test.wir");
  ir::verify(*m);
  return m;
}

ir::Graph& graph_of(ir::Module& m) { return *m.methods().at(0); }

// The message of the wick::Error `f` throws, or "" when it throws none.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Autodiff, SeedsForSeveralOutputs) {
  auto m = parse(R"(graph @g(%x : Tensor(f32, [3, 4]), %w : Tensor(f32, [4]), %s1 : Tensor(f32, [3, 4]), %s2 : Tensor(f32, [3])) -> (Tensor(f32, [3, 4]), Tensor(f32, [3])) {
  %one : Int = prim::Constant[value=1]()
  %a : Tensor(f32, [3, 4]) = aten::mul.Tensor(%x, %w)
  %t : Tensor(f32, [3, 4]) = aten::tanh(%a)
  %d : List[Int] = prim::Constant[value=[1]]()
  %f : Bool = prim::Constant[value=false]()
  %none : None = prim::Constant[value=none]()
  %r : Tensor(f32, [3]) = aten::sum.dim_IntList(%a, %d, %f, %none)
  return(%t, %r)
})");
  ir::Graph& g = graph_of(*m);
  passes::AutodiffSpec spec;
  spec.outputs = {g.outputs()[0], g.outputs()[1]};
  spec.seeds = {g.inputs()[2], g.inputs()[3]};
  spec.wrt = {g.inputs()[0], g.inputs()[1]};
  passes::autodiff(g, spec);
  ir::verify(*m);
  V in = {torch::randn({3, 4}), torch::randn({4}), torch::randn({3, 4}), torch::randn({3})};
  V out = testing::compile_and_run(g, *m, in);
  ASSERT_EQ(out.size(), 4u);
  torch::Tensor x = in[0].clone().requires_grad_(true), w = in[1].clone().requires_grad_(true);
  torch::Tensor a = x * w;
  V ref = torch::autograd::grad({torch::tanh(a), a.sum(1)}, {x, w}, {in[2], in[3]});
  EXPECT_LE(testing::relative_error(out[2], ref[0]), 1e-4);
  EXPECT_LE(testing::relative_error(out[3], ref[1]), 1e-4);
}

// Parameters and a symbolic batch: the joint graph is specialized when it
// is compiled, as a training step would be.
TEST(Autodiff, ParametersAndSymbolicShapes) {
  auto m = parse(R"(module @Net {
  param "fc.weight" : Tensor(f32, [3, 4])
  param "fc.bias" : Tensor(f32, [3])

  graph @forward(%x : Tensor(f32, [B, 4]), %t : Tensor(f32, [B, 3])) -> (Tensor(f32, [])) {
    %w : Tensor(f32, [3, 4]) = prim::Param[name="fc.weight"]()
    %b : Tensor(f32, [3]) = prim::Param[name="fc.bias"]()
    %h : Tensor(f32, [B, 3]) = aten::linear(%x, %w, %b)
    %s : Tensor(f32, [B, 3]) = aten::sigmoid(%h)
    %one : Int = prim::Constant[value=1]()
    %d : Tensor(f32, [B, 3]) = aten::sub.Tensor(%s, %t, %one)
    %sq : Tensor(f32, [B, 3]) = aten::mul.Tensor(%d, %d)
    %none : None = prim::Constant[value=none]()
    %loss : Tensor(f32, []) = aten::mean(%sq, %none)
    return(%loss)
  }
})");
  torch::Tensor w = torch::randn({3, 4}), b = torch::randn({3});
  m->set_tensor_data("fc.weight", testing::to_wick(w));
  m->set_tensor_data("fc.bias", testing::to_wick(b));
  ir::Graph& g = graph_of(*m);
  passes::AutodiffSpec spec = passes::loss_spec(g);
  ASSERT_EQ(spec.wrt.size(), 4u);  // x, t, then the two parameters
  passes::autodiff(g, spec);
  ir::verify(*m);
  V in = {torch::randn({5, 4}), torch::randn({5, 3})};
  V out = testing::compile_and_run(g, *m, in);
  ASSERT_EQ(out.size(), 5u);
  V leaves = {in[0].clone().requires_grad_(true), in[1].clone().requires_grad_(true), w.clone().requires_grad_(true),
              b.clone().requires_grad_(true)};
  torch::Tensor loss = (torch::sigmoid(torch::linear(leaves[0], leaves[2], leaves[3])) - leaves[1]).pow(2).mean();
  V ref = torch::autograd::grad({loss}, leaves);
  EXPECT_LE(testing::relative_error(out[0], loss.detach()), 1e-5);
  for (size_t k = 0; k < 4; ++k) EXPECT_LE(testing::relative_error(out[1 + k], ref[k]), 1e-4) << k;
}

TEST(Autodiff, ControlFlowOutsideThePathIsFine) {
  auto m = parse(R"(graph @g(%x : Tensor(f32, [4]), %c : Bool, %z : Tensor(f32, [4])) -> (Tensor(f32, []), Tensor(f32, [4])) {
  %k : Tensor(f32, [4]) = prim::If(%c) {
    block0() {
      %e : Tensor(f32, [4]) = aten::exp(%z)
      yield(%e)
    }
    block1() {
      yield(%z)
    }
  }
  %none : None = prim::Constant[value=none]()
  %s : Tensor(f32, [4]) = aten::sin(%x)
  %loss : Tensor(f32, []) = aten::sum(%s, %none)
  return(%loss, %k)
})");
  ir::Graph& g = graph_of(*m);
  passes::AutodiffSpec spec;
  spec.outputs = {g.outputs()[0]};
  spec.wrt = {g.inputs()[0]};
  EXPECT_NO_THROW(passes::autodiff(g, spec));
  ir::verify(*m);
}

// Ifs on conditions known only at run time, one nested in the other's
// then-branch; the outer If yields two tensors, one of them a value it reads
// from outside, and %w is read by one branch only. Every path of the two
// conditions, against LibTorch.
const char* const kNestedIfs = R"(graph @g(%x : Tensor(f32, [3, 4]), %w : Tensor(f32, [4]), %z : Tensor(f32, [2])) -> (Tensor(f32, [])) {
  %none : None = prim::Constant[value=none]()
  %zero : Int = prim::Constant[value=0]()
  %one : Int = prim::Constant[value=1]()
  %z0 : Tensor(f32, []) = aten::select.int(%z, %zero, %zero)
  %z1 : Tensor(f32, []) = aten::select.int(%z, %zero, %one)
  %g0 : Tensor(bool, []) = aten::gt.Scalar(%z0, %zero)
  %g1 : Tensor(bool, []) = aten::gt.Scalar(%z1, %zero)
  %c0 : Bool = aten::Bool.Tensor(%g0)
  %c1 : Bool = aten::Bool.Tensor(%g1)
  %y : Tensor(f32, [3, 4]), %k : Tensor(f32, [3, 4]) = prim::If(%c0) {
    block0() {
      %a : Tensor(f32, [3, 4]) = aten::mul.Tensor(%x, %w)
      %inner : Tensor(f32, [3, 4]) = prim::If(%c1) {
        block0() {
          %t : Tensor(f32, [3, 4]) = aten::tanh(%a)
          yield(%t)
        }
        block1() {
          %s : Tensor(f32, [3, 4]) = aten::sigmoid(%x)
          yield(%s)
        }
      }
      yield(%inner, %a)
    }
    block1() {
      %e : Tensor(f32, [3, 4]) = aten::exp(%x)
      yield(%x, %e)
    }
  }
  %p : Tensor(f32, [3, 4]) = aten::mul.Tensor(%y, %k)
  %loss : Tensor(f32, []) = aten::sum(%p, %none)
  return(%loss)
})";

// The terms the loss sums.
torch::Tensor nested_ifs(const V& x) {
  const bool c0 = x[2][0].item<float>() > 0, c1 = x[2][1].item<float>() > 0;
  torch::Tensor y, k;
  if (c0) {
    torch::Tensor a = x[0] * x[1];
    y = c1 ? torch::tanh(a) : torch::sigmoid(x[0]);
    k = a;
  } else {
    y = x[0];
    k = torch::exp(x[0]);
  }
  return y * k;
}

// The conditions of one path of kNestedIfs: z = (±1, ±1).
V nested_ifs_inputs(bool c0, bool c1) {
  return {torch::randn({3, 4}), torch::randn({4}), torch::tensor({c0 ? 1.f : -1.f, c1 ? 1.f : -1.f})};
}

void expect_nested_ifs_gradients(const V& in, const V& loss_and_grads) {
  ASSERT_EQ(loss_and_grads.size(), 4u);
  V leaves = {in[0].clone().requires_grad_(true), in[1].clone().requires_grad_(true)};
  torch::Tensor terms = nested_ifs({leaves[0], leaves[1], in[2]});
  torch::Tensor loss = terms.sum();
  V ref = torch::autograd::grad({loss}, leaves, {}, false, false, /*allow_unused=*/true);
  // Terms of both signs may cancel: the loss's error is bounded by their magnitudes.
  EXPECT_LE((loss_and_grads[0] - loss.detach()).abs().item<double>(), 1e-5 * terms.abs().sum().item<double>());
  for (size_t k = 0; k < 2; ++k) {
    torch::Tensor r = ref[k].defined() ? ref[k] : torch::zeros_like(leaves[k]);
    EXPECT_LE(testing::relative_error(loss_and_grads[1 + k], r), 1e-4) << "gradient " << k;
  }
  // The z input only steers: its gradient is zero.
  EXPECT_EQ(loss_and_grads[3].abs().max().item<float>(), 0.f);
}

TEST(Autodiff, IfOnARuntimeConditionMatchesTorch) {
  auto m = parse(kNestedIfs);
  ir::Graph& g = graph_of(*m);
  passes::autodiff(g, passes::loss_spec(g));
  ir::verify(*m);
  for (bool c0 : {true, false})
    for (bool c1 : {true, false}) {
      SCOPED_TRACE(std::string("conditions ") + (c0 ? "true" : "false") + ", " + (c1 ? "true" : "false"));
      V in = nested_ifs_inputs(c0, c1);
      expect_nested_ifs_gradients(in, testing::compile_and_run(g, *m, in));
    }
}

TEST(AutodiffSplit, IfOnARuntimeCondition) {
  auto m = parse(kNestedIfs);
  ir::Graph& g = graph_of(*m);
  passes::SplitGraphs split = passes::autodiff_split(g, passes::loss_spec(g));
  ir::verify(*split.forward);
  ir::verify(*split.backward);
  for (bool c0 : {true, false})
    for (bool c1 : {true, false}) {
      SCOPED_TRACE(std::string("conditions ") + (c0 ? "true" : "false") + ", " + (c1 ? "true" : "false"));
      V in = nested_ifs_inputs(c0, c1);
      V fwd = testing::compile_and_run(*split.forward, *m, in);
      ASSERT_EQ(fwd.size(), 1 + split.num_saved);
      V bwd_in(fwd.begin() + 1, fwd.end());
      bwd_in.push_back(torch::ones({}));
      V got = testing::compile_and_run(*split.backward, *m, bwd_in);
      got.insert(got.begin(), fwd[0]);
      expect_nested_ifs_gradients(in, got);
    }
}

TEST(Autodiff, Errors) {
  const char* text = R"(graph @g(%x : Tensor(f32, [3]), %i : Tensor(i64, [3]), %c : Bool) -> (Tensor(f32, []), Tensor(f32, [3]), Tensor(f32, [3]), Tensor(f32, [])) {
  %none : None = prim::Constant[value=none]()
  %false : Bool = prim::Constant[value=false]()
  %y : Tensor(f32, [3]) = aten::mul.Tensor(%x, %x)
  %loss : Tensor(f32, []) = aten::sum(%y, %none)
  %d : Int = prim::Constant[value=0]()
  %soft : Tensor(f32, [3]) = aten::softmax.int(%x, %d, %none)
  %l : Tensor(f32, [3]) = prim::Loop(%d, %false, %x) {
    block0(%it : Int, %acc : Tensor(f32, [3])) {
      %n : Tensor(f32, [3]) = aten::exp(%acc)
      yield(%false, %n)
    }
  }
  %ls : Tensor(f32, []) = aten::sum(%l, %none)
  return(%loss, %y, %soft, %ls)
})";
  auto run = [&](const std::function<void(ir::Graph&, passes::AutodiffSpec&)>& set) {
    auto m = parse(text);
    ir::Graph& g = graph_of(*m);
    passes::AutodiffSpec spec;
    spec.outputs = {g.outputs()[0]};
    spec.wrt = {g.inputs()[0]};
    set(g, spec);
    return error_of([&] { passes::autodiff(g, spec); });
  };
  // With respect to an integer input.
  EXPECT_NE(run([](ir::Graph& g, passes::AutodiffSpec& s) { s.wrt = {g.inputs()[1]}; })
                .find("cannot differentiate with respect to %i of type Tensor(i64, [3]): only floating-point "
                      "tensors have gradients"),
            std::string::npos);
  // With respect to something that is not an input or a parameter.
  EXPECT_NE(run([](ir::Graph& g, passes::AutodiffSpec& s) { s.wrt = {g.outputs()[1]}; })
                .find("neither a graph input nor a parameter"),
            std::string::npos);
  // A loss of several elements needs seeds.
  EXPECT_NE(run([](ir::Graph& g, passes::AutodiffSpec& s) { s.outputs = {g.outputs()[1]}; })
                .find("is not a one-element loss; give seed gradients"),
            std::string::npos);
  EXPECT_NE(run([](ir::Graph& g, passes::AutodiffSpec& s) { s.seeds = {g.inputs()[0], g.inputs()[0]}; })
                .find("1 outputs but 2 seed gradients"),
            std::string::npos);
  EXPECT_NE(run([](ir::Graph& g, passes::AutodiffSpec& s) {
              s.outputs = {g.outputs()[1]};
              s.seeds = {g.outputs()[0]};
            }).find("does not match"),
            std::string::npos);
  // A composite op on the path.
  EXPECT_NE(run([](ir::Graph& g, passes::AutodiffSpec& s) {
              s.outputs = {g.outputs()[2]};
              s.seeds = {g.inputs()[0]};
            }).find("cannot differentiate the composite op aten::softmax.int: decompose the graph first"),
            std::string::npos);
  // A loop on the path, with the loop's location.
  const std::string loop = run([](ir::Graph& g, passes::AutodiffSpec& s) { s.outputs = {g.outputs()[3]}; });
  EXPECT_NE(loop.find("cannot differentiate through a loop"), std::string::npos) << loop;
  EXPECT_NE(loop.find("prim::Loop"), std::string::npos) << loop;
  // An integer output.
  EXPECT_NE(run([](ir::Graph& g, passes::AutodiffSpec& s) { s.outputs = {g.inputs()[1]}; }).find("only floating-point"),
            std::string::npos);
}

// Split form: x -> exp -> sin feeds a GEMM. The GEMM's weight gradient needs
// sin's result and sin's gradient needs exp's: both are recomputed from the
// input, so the forward saves nothing but the input it already has.
TEST(AutodiffSplit, RecomputesCheapPointwiseValues) {
  auto m = parse(R"(graph @g(%x : Tensor(f32, [3, 4]), %w : Tensor(f32, [4, 2])) -> (Tensor(f32, [])) {
  %e : Tensor(f32, [3, 4]) = aten::exp(%x)
  %s : Tensor(f32, [3, 4]) = aten::sin(%e)
  %h : Tensor(f32, [3, 2]) = aten::mm(%s, %w)
  %r : Tensor(f32, [3, 2]) = aten::relu(%h)
  %none : None = prim::Constant[value=none]()
  %loss : Tensor(f32, []) = aten::sum(%r, %none)
  return(%loss)
})");
  ir::Graph& g = graph_of(*m);
  passes::SplitGraphs split = passes::autodiff_split(g, passes::loss_spec(g));
  ir::verify(*split.forward);
  ir::verify(*split.backward);
  // Saved: the inputs (free) and relu's result, which a GEMM produced.
  EXPECT_EQ(split.num_saved, 3u);
  const std::string fwd = ir::print(*split.forward), bwd = ir::print(*split.backward);
  EXPECT_NE(fwd.find("return(%loss, %x, %w, %r)"), std::string::npos) << fwd;
  EXPECT_NE(bwd.find("graph @g_backward(%x : Tensor(f32, [3, 4]), %w : Tensor(f32, [4, 2]), %r : Tensor(f32, [3, 2]), "
                     "%loss_grad : Tensor(f32, []))"),
            std::string::npos)
      << bwd;
  EXPECT_NE(bwd.find("%e : Tensor(f32, [3, 4]) = aten::exp(%x)"), std::string::npos) << bwd;
  EXPECT_NE(bwd.find("%s : Tensor(f32, [3, 4]) = aten::sin(%e)"), std::string::npos) << bwd;
  EXPECT_EQ(bwd.find("aten::mm(%s, %w)\n"), std::string::npos) << "the GEMM itself is not recomputed\n" << bwd;
}

// neg's gradient needs nothing of the forward, so only the end of a chain of
// negs is needed: recomputed from the input when that takes at most
// kMaxRecomputeDepth ops, saved otherwise.
std::string print_saved_of_neg_chain(int length) {
  std::string body, prev = "x";
  for (int i = 0; i < length; ++i) {
    std::string v = "t" + std::to_string(i);
    body += "  %" + v + " : Tensor(f32, [16]) = aten::neg(%" + prev + ")\n";
    prev = v;
  }
  auto m = parse("graph @g(%x : Tensor(f32, [16])) -> (Tensor(f32, [])) {\n" + body + "  %sq : Tensor(f32, [16]) = aten::mul.Tensor(%" +
                 prev + ", %" + prev + ")\n  %none : None = prim::Constant[value=none]()\n" +
                 "  %loss : Tensor(f32, []) = aten::sum(%sq, %none)\n  return(%loss)\n}\n");
  ir::Graph& g = graph_of(*m);
  passes::SplitGraphs split = passes::autodiff_split(g, passes::loss_spec(g));
  ir::verify(*split.forward);
  ir::verify(*split.backward);
  const std::string fwd = ir::print(*split.forward);
  return fwd.substr(fwd.find("return("));
}

TEST(AutodiffSplit, RecomputationIsBounded) {
  static_assert(passes::kMaxRecomputeDepth == 4);
  EXPECT_EQ(print_saved_of_neg_chain(3), "return(%loss, %x)\n}\n");
  EXPECT_EQ(print_saved_of_neg_chain(8), "return(%loss, %t7)\n}\n");
}

TEST(AutodiffSplit, ForwardThenBackwardMatchesTheJointGraph) {
  const std::string text = R"(graph @g(%x : Tensor(f32, [5, 4]), %w : Tensor(f32, [3, 4]), %b : Tensor(f32, [3]), %i : Tensor(i64, [6])) -> (Tensor(f32, [])) {
  %h : Tensor(f32, [5, 3]) = aten::linear(%x, %w, %b)
  %a : Str = prim::Constant[value="none"]()
  %g : Tensor(f32, [5, 3]) = aten::gelu(%h, %a)
  %zero : Int = prim::Constant[value=0]()
  %rows : Tensor(f32, [6, 3]) = aten::index_select(%g, %zero, %i)
  %t : Tensor(f32, [6, 3]) = aten::tanh(%rows)
  %m : Tensor(f32, [6, 3]) = aten::mul.Tensor(%t, %rows)
  %none : None = prim::Constant[value=none]()
  %loss : Tensor(f32, []) = aten::mean(%m, %none)
  return(%loss)
})";
  V in = {torch::randn({5, 4}), torch::randn({3, 4}), torch::randn({3}), torch::randint(0, 5, {6}, torch::kLong)};
  auto joint = parse(text);
  passes::autodiff(graph_of(*joint), passes::loss_spec(graph_of(*joint)));
  V expected = testing::compile_and_run(graph_of(*joint), *joint, in);

  auto m = parse(text);
  passes::SplitGraphs split = passes::autodiff_split(graph_of(*m), passes::loss_spec(graph_of(*m)));
  V fwd = testing::compile_and_run(*split.forward, *m, in);
  ASSERT_EQ(fwd.size(), 1 + split.num_saved);
  V bwd_in(fwd.begin() + 1, fwd.end());
  bwd_in.push_back(torch::ones({}));
  V grads = testing::compile_and_run(*split.backward, *m, bwd_in);
  ASSERT_EQ(grads.size(), 3u);
  EXPECT_LE(testing::relative_error(fwd[0], expected[0]), 1e-6);
  for (size_t k = 0; k < 3; ++k) EXPECT_LE(testing::relative_error(grads[k], expected[1 + k]), 1e-5) << k;
}

TEST(AutodiffSplit, ParametersAreReadAgainNotSaved) {
  auto m = parse(R"(module @Layer {
  param "fc.weight" : Tensor(f32, [3, 4])
  param "fc.bias" : Tensor(f32, [3])

  graph @forward(%x : Tensor(f32, [B, 4])) -> (Tensor(f32, [])) {
    %w : Tensor(f32, [3, 4]) = prim::Param[name="fc.weight"]()
    %b : Tensor(f32, [3]) = prim::Param[name="fc.bias"]()
    %h : Tensor(f32, [B, 3]) = aten::linear(%x, %w, %b)
    %s : Tensor(f32, [B, 3]) = aten::sigmoid(%h)
    %none : None = prim::Constant[value=none]()
    %loss : Tensor(f32, []) = aten::mean(%s, %none)
    return(%loss)
  }
})");
  ir::Graph& g = graph_of(*m);
  passes::SplitGraphs split = passes::autodiff_split(g, passes::loss_spec(g));
  EXPECT_EQ(ir::print(*split.forward), R"(graph @forward(%x : Tensor(f32, [B, 4])) -> (Tensor(f32, []), Tensor(f32, [B, 4]), Tensor(f32, [B, 3])) {
  %w : Tensor(f32, [3, 4]) = prim::Param[name="fc.weight"]()
  %b : Tensor(f32, [3]) = prim::Param[name="fc.bias"]()
  %h : Tensor(f32, [B, 3]) = aten::linear(%x, %w, %b)
  %s : Tensor(f32, [B, 3]) = aten::sigmoid(%h)
  %none : None = prim::Constant[value=none]()
  %loss : Tensor(f32, []) = aten::mean(%s, %none)
  return(%loss, %x, %s)
}
)");
  EXPECT_EQ(ir::print(*split.backward), R"(graph @forward_backward(%x : Tensor(f32, [B, 4]), %s : Tensor(f32, [B, 3]), %loss_grad : Tensor(f32, [])) -> (Tensor(f32, [B, 4]), Tensor(f32, [3, 4]), Tensor(f32, [3])) {
  %w : Tensor(f32, [3, 4]) = prim::Param[name="fc.weight"]()
  %0 : Int = prim::Constant[value=0]()
  %1 : Int = aten::size.int(%x, %0)
  %2 : Int = prim::Constant[value=3]()
  %3 : List[Int] = prim::ListConstruct(%1, %2)
  %4 : Bool = prim::Constant[value=false]()
  %5 : Tensor(f32, [B, 3]) = aten::expand(%loss_grad, %3, %4)
  %6 : Int = aten::mul.int(%1, %2)
  %7 : Tensor(f32, [B, 3]) = aten::div.Scalar(%5, %6)
  %8 : Float = prim::Constant[value=1.0]()
  %9 : Int = prim::Constant[value=1]()
  %10 : Tensor(f32, [B, 3]) = aten::rsub.Scalar(%s, %8, %9)
  %11 : Tensor(f32, [B, 3]) = aten::mul.Tensor(%7, %10)
  %12 : Tensor(f32, [B, 3]) = aten::mul.Tensor(%11, %s)
  %x_grad : Tensor(f32, [B, 4]) = aten::matmul(%12, %w)
  %13 : Tensor(f32, [3, B]) = aten::t(%12)
  %w_grad : Tensor(f32, [3, 4]) = aten::mm(%13, %x)
  %14 : List[Int] = prim::Constant[value=[0]]()
  %15 : None = prim::Constant[value=none]()
  %b_grad : Tensor(f32, [3]) = aten::sum.dim_IntList(%12, %14, %4, %15)
  return(%x_grad, %w_grad, %b_grad)
}
)");
}

}  // namespace
}  // namespace wick
