// Optional inputs a caller leaves out (api/bind_inputs.h): trailing ones by
// passing fewer tensors, any one by passing an undefined tensor. The bound
// graph reads None for them; JitModule compiles one graph per choice.
#include "api/bind_inputs.h"

#include <gtest/gtest.h>

#include "api/jit_module.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "support/error.h"

namespace wick {
namespace {

// y = x * 2, plus `bias` when given, times `scale` when given.
const char* kOptional = R"(module @M {
  graph @forward(%x : Tensor, %bias : Optional[Tensor], %scale : Optional[Tensor]) -> (Tensor) {
    %one : Int = prim::Constant[value=1]()
    %two : Float = prim::Constant[value=2.0]()
    %none : None = prim::Constant[value=none]()
    %y : Tensor = aten::mul.Scalar(%x, %two)
    %no_bias : Bool = aten::__is__(%bias, %none)
    %z : Tensor = prim::If(%no_bias) {
      block0() {
        yield(%y)
      }
      block1() {
        %b : Tensor = prim::unchecked_cast(%bias)
        %yb : Tensor = aten::add.Tensor(%y, %b, %one)
        yield(%yb)
      }
    }
    %no_scale : Bool = aten::__is__(%scale, %none)
    %w : Tensor = prim::If(%no_scale) {
      block0() {
        yield(%z)
      }
      block1() {
        %s : Tensor = prim::unchecked_cast(%scale)
        %zs : Tensor = aten::mul.Tensor(%z, %s)
        yield(%zs)
      }
    }
    return(%w)
  }
}
)";

Tensor filled(std::vector<int64_t> sizes, float start) {
  Tensor t = Tensor::zeros(DType::f32, std::move(sizes));
  for (int64_t i = 0; i < t.numel(); ++i) t.data_as<float>()[i] = start + 0.5f * static_cast<float>(i);
  return t;
}

TEST(BindInputs, EveryInputGivenLeavesTheMethodAlone) {
  auto m = ir::parse_module(kOptional, "optional.wir");
  EXPECT_EQ(bind_left_out_inputs(*m->method("forward"), {true, true, true}), nullptr);
}

TEST(BindInputs, LeftOutInputsBecomeNoneAndLeaveTheSignature) {
  auto m = ir::parse_module(kOptional, "optional.wir");
  auto bound = bind_left_out_inputs(*m->method("forward"), {true, false});
  ASSERT_NE(bound, nullptr);
  ASSERT_EQ(bound->inputs().size(), 1u);
  EXPECT_EQ(bound->inputs()[0]->name(), "x");
  const std::string text = ir::print(*bound);
  EXPECT_EQ(text.find("%bias"), std::string::npos) << text;
  EXPECT_EQ(text.find("%scale :"), std::string::npos) << text;
  EXPECT_NE(text.find("aten::__is__(%0, %none)"), std::string::npos) << "uses read the None constant:\n" << text;
  // The method itself is unchanged.
  EXPECT_EQ(m->method("forward")->inputs().size(), 3u);
}

TEST(BindInputs, CountsAndNonOptionalInputsAreErrors) {
  auto m = ir::parse_module(kOptional, "optional.wir");
  const ir::Graph& g = *m->method("forward");
  auto message = [&](const std::vector<bool>& given) -> std::string {
    try {
      bind_left_out_inputs(g, given);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_NE(message({}).find("@forward takes 1 to 3 inputs, got 0"), std::string::npos) << message({});
  EXPECT_NE(message({true, true, true, true}).find("takes 1 to 3 inputs, got 4"), std::string::npos);
  EXPECT_NE(message({false, true}).find("input 0 (%x) of @forward is undefined"), std::string::npos)
      << message({false, true});
}

TEST(BindInputs, JitModuleCompilesEachChoiceAndComputesIt) {
  JitModule module(ir::parse_module(kOptional, "optional.wir"), JitOptions{});
  const Tensor x = filled({2, 3}, -1.0f), bias = filled({2, 3}, 0.25f), scale = filled({2, 3}, 1.5f);
  struct Case {
    std::vector<Tensor> inputs;
    bool with_bias, with_scale;
  };
  const std::vector<Case> cases = {{{x}, false, false},
                                   {{x, bias}, true, false},
                                   {{x, Tensor(), scale}, false, true},
                                   {{x, bias, scale}, true, true},
                                   {{x, Tensor()}, false, false}};
  for (size_t c = 0; c < cases.size(); ++c) {
    SCOPED_TRACE("case " + std::to_string(c));
    // Twice: the second call takes the compiled graph from the cache.
    for (int call = 0; call < 2; ++call) {
      std::vector<Tensor> out = module.forward(cases[c].inputs);
      ASSERT_EQ(out.size(), 1u);
      for (int64_t i = 0; i < 6; ++i) {
        float want = x.data_as<float>()[i] * 2;
        if (cases[c].with_bias) want += bias.data_as<float>()[i];
        if (cases[c].with_scale) want *= scale.data_as<float>()[i];
        EXPECT_FLOAT_EQ(out[0].data_as<float>()[i], want) << "element " << i;
      }
    }
  }
  // {x} and {x, undefined} both bind bias and scale to None, but are different signatures.
  EXPECT_EQ(module.compiled_signatures(), 5u);
}

}  // namespace
}  // namespace wick
