// Chains of small linear layers of the module on the CPU, computed by one
// small-MLP kernel, checked against LibTorch on fresh random inputs.
// f64 (no library call takes it): chains of layers and activations, a single
// layer, batches that are not a multiple of the kernel's row block, an input
// that is a transposed view, rows split between two threads, and rows left a
// symbol (a dynamic batch) that one compiled graph runs at several sizes.
// f32: every activation form between layers (cheap ones such as relu, which
// LLVM vectorizes differently from long ones, one with a constant, one that
// reads a per-feature tensor) at feature counts that are not multiples of
// the vector width.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "api/compiled_graph.h"
#include "api/jit_module.h"
#include "ir/parser.h"
#include "tests/e2e/torch_tensors.h"

namespace wick {
namespace {

struct Layer {
  std::string name;
  torch::Tensor weight, bias;
  torch::Tensor gain;  // [out], for the activation "scaled_relu"
};

Layer layer(const std::string& name, int64_t in, int64_t out, torch::ScalarType dtype = torch::kDouble) {
  return {name, torch::randn({out, in}, dtype) * 0.4, torch::randn({out}, dtype) * 0.1, torch::randn({out}, dtype)};
}

// The text of `activation` applied to %h (of type `y`) after layer k, into %a<k>.
std::string activation_text(const std::string& activation, const std::string& k, const std::string& h,
                            const std::string& y) {
  const std::string a = "    %a" + k + " : " + y + " = ";
  if (activation == "leaky_relu")
    return "    %slope" + k + " : Float = prim::Constant[value=0.2]()\n" + a + "aten::leaky_relu(" + h + ", %slope" + k +
           ")\n";
  if (activation == "scaled_relu")
    return "    %s" + k + " : " + y + " = aten::mul.Tensor(" + h + ", %g" + k + ")\n" + a + "aten::relu(%s" + k + ")\n";
  return a + "aten::" + activation + "(" + h + ")\n";
}

// The module text of `layers` applied in turn with `activation` after each
// (and none after the last when `last_plain`), to x [rows, in], or to the
// transpose of x [in, rows] when `transposed`; `rows` a number or a symbol.
std::string mlp_text(const std::vector<Layer>& layers, const std::string& rows, const std::string& activation,
                     bool last_plain, bool transposed) {
  const int64_t in = layers.front().weight.size(1);
  auto dim_of = [](int64_t d) { return std::to_string(d); };
  const std::string dtype = layers.front().weight.scalar_type() == torch::kDouble ? "f64" : "f32";
  auto type = [&](const std::string& a, const std::string& b) { return "Tensor(" + dtype + ", [" + a + ", " + b + "])"; };
  std::string t = "module @M {\n";
  for (const Layer& l : layers) {
    t += "  param \"" + l.name + ".weight\" : " + test::wir_type(l.weight) + "\n";
    t += "  param \"" + l.name + ".bias\" : " + test::wir_type(l.bias) + "\n";
    t += "  param \"" + l.name + ".gain\" : " + test::wir_type(l.gain) + "\n";
  }
  const int64_t out = layers.back().weight.size(0);
  t += "  graph @forward(%x : " + (transposed ? type(dim_of(in), rows) : type(rows, dim_of(in))) + ") -> (" + type(rows, dim_of(out)) + ") {\n";
  std::string h = "%x";
  if (transposed) {
    t += "    %zero : Int = prim::Constant[value=0]()\n    %one : Int = prim::Constant[value=1]()\n";
    t += "    %xt : " + type(rows, dim_of(in)) + " = aten::transpose.int(%x, %zero, %one)\n";
    h = "%xt";
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    const std::string k = std::to_string(i);
    const std::string y = type(rows, dim_of(l.weight.size(0)));
    t += "    %w" + k + " : " + test::wir_type(l.weight) + " = prim::Param[name=\"" + l.name + ".weight\"]()\n";
    t += "    %b" + k + " : " + test::wir_type(l.bias) + " = prim::Param[name=\"" + l.name + ".bias\"]()\n";
    t += "    %g" + k + " : " + test::wir_type(l.gain) + " = prim::Param[name=\"" + l.name + ".gain\"]()\n";
    t += "    %l" + k + " : " + y + " = aten::linear(" + h + ", %w" + k + ", %b" + k + ")\n";
    h = "%l" + k;
    if (i + 1 < layers.size() || !last_plain) {
      t += activation_text(activation, k, h, y);
      h = "%a" + k;
    }
  }
  t += "    return(" + h + ")\n  }\n}\n";
  return t;
}

torch::Tensor reference(const std::vector<Layer>& layers, torch::Tensor x, const std::string& activation,
                        bool last_plain) {
  for (size_t i = 0; i < layers.size(); ++i) {
    x = torch::nn::functional::linear(x, layers[i].weight, layers[i].bias);
    if (i + 1 < layers.size() || !last_plain) {
      if (activation == "sigmoid") x = torch::sigmoid(x);
      else if (activation == "tanh") x = torch::tanh(x);
      else if (activation == "leaky_relu") x = torch::leaky_relu(x, 0.2);
      else if (activation == "scaled_relu") x = torch::relu(x * layers[i].gain);
      else x = torch::relu(x);
    }
  }
  return x;
}

struct Result {
  torch::Tensor out;
  std::vector<KernelReport> kernels;
};

// The module of mlp_text with the layers' values.
std::unique_ptr<ir::Module> mlp_module(const std::vector<Layer>& layers, const std::string& rows,
                                       const std::string& activation, bool last_plain, bool transposed) {
  auto m = ir::parse_module(mlp_text(layers, rows, activation, last_plain, transposed), "mlp.wir");
  for (const Layer& l : layers) {
    m->set_tensor_data(l.name + ".weight", test::to_wick(l.weight));
    m->set_tensor_data(l.name + ".bias", test::to_wick(l.bias));
    m->set_tensor_data(l.name + ".gain", test::to_wick(l.gain));
  }
  return m;
}

Result run(const std::vector<Layer>& layers, const torch::Tensor& x, const std::string& activation, bool last_plain,
           bool transposed) {
  const int64_t rows = transposed ? x.size(1) : x.size(0);
  auto m = mlp_module(layers, std::to_string(rows), activation, last_plain, transposed);
  const ir::Graph& g = *m->method("forward");
  GraphCompileOptions options;
  options.cache_dir = "off";
  auto compiled = compile_graph(g, *m, {g.inputs()[0]->type()}, options);
  const std::vector<Tensor> out = compiled->executor().run({test::to_wick(x)});
  return {test::to_torch(out.at(0)), compiled->report.kernels};
}

// Within 1e-12 of the largest reference value: f64 sums in another order.
void expect_close(const torch::Tensor& got, const torch::Tensor& want) {
  ASSERT_EQ(got.sizes(), want.sizes());
  const double scale = want.abs().max().item<double>();
  const double err = (got - want).abs().max().item<double>();
  EXPECT_LE(err, 1e-12 * std::max(scale, 1.0)) << "max abs error " << err << " of " << scale;
}

// The whole chain is the one kernel, the small-MLP one: decomposed, each
// layer would take a copy of its transposed weight and a product summed.
void expect_one_mlp_kernel(const std::vector<KernelReport>& kernels) { EXPECT_EQ(kernels.size(), 1u); }

TEST(DoubleMlpKernel, NN5ShapedChainAtRaggedBatches) {
  torch::manual_seed(11);
  const std::vector<Layer> layers = {layer("fc0", 14, 20), layer("fc1", 20, 10), layer("fc2", 10, 5),
                                     layer("fc3", 5, 1)};
  for (int64_t rows : {1, 16, 37, 200}) {
    const torch::Tensor x = torch::randn({rows, 14}, torch::kDouble);
    const Result r = run(layers, x, "sigmoid", true, false);
    expect_one_mlp_kernel(r.kernels);
    expect_close(r.out, reference(layers, x, "sigmoid", true));
  }
}

TEST(DoubleMlpKernel, SingleLayerWithOrWithoutItsActivation) {
  torch::manual_seed(12);
  const std::vector<Layer> layers = {layer("fc", 9, 13)};
  const torch::Tensor x = torch::randn({21, 9}, torch::kDouble) * 3;
  for (bool plain : {false, true}) {
    const Result r = run(layers, x, "tanh", plain, false);
    expect_one_mlp_kernel(r.kernels);
    expect_close(r.out, reference(layers, x, "tanh", plain));
  }
}

TEST(DoubleMlpKernel, TransposedInputView) {
  torch::manual_seed(13);
  const std::vector<Layer> layers = {layer("a", 6, 33), layer("b", 33, 4)};
  const torch::Tensor x = torch::randn({6, 45}, torch::kDouble);
  const Result r = run(layers, x, "relu", true, true);
  expect_one_mlp_kernel(r.kernels);
  expect_close(r.out, reference(layers, x.t(), "relu", true));
}

TEST(DoubleMlpKernel, DynamicRowsAtSeveralSizes) {
  torch::manual_seed(15);
  const std::vector<Layer> layers = {layer("a", 14, 20), layer("b", 20, 10), layer("c", 10, 1)};
  auto m = mlp_module(layers, "B", "sigmoid", true, false);
  const ir::Graph& g = *m->method("forward");
  GraphCompileOptions options;
  options.cache_dir = "off";
  auto compiled = compile_graph(g, *m, {g.inputs()[0]->type()}, options);
  expect_one_mlp_kernel(compiled->report.kernels);
  for (int64_t rows : {3, 200, 41}) {
    const torch::Tensor x = torch::randn({rows, 14}, torch::kDouble);
    const std::vector<Tensor> out = compiled->executor().run({test::to_wick(x)});
    expect_close(test::to_torch(out.at(0)), reference(layers, x, "sigmoid", true));
  }
}

TEST(DoubleMlpKernel, RowsSplitBetweenTwoThreads) {
  torch::manual_seed(14);
  set_num_threads(2);
  const std::vector<Layer> layers = {layer("a", 32, 64), layer("b", 64, 64), layer("c", 64, 3)};
  const torch::Tensor x = torch::randn({517, 32}, torch::kDouble);
  const Result r = run(layers, x, "tanh", true, false);
  set_num_threads(1);
  expect_one_mlp_kernel(r.kernels);
  expect_close(r.out, reference(layers, x, "tanh", true));
}

// f32 sums in another order: within 1e-5 of the largest reference value.
void expect_close_f32(const torch::Tensor& got, const torch::Tensor& want) {
  ASSERT_EQ(got.sizes(), want.sizes());
  const double scale = want.abs().max().item<double>();
  const double err = (got - want).abs().max().item<double>();
  EXPECT_LE(err, 1e-5 * std::max(scale, 1.0)) << "max abs error " << err << " of " << scale;
}

TEST(FloatMlpKernel, EveryActivationFormAtRaggedFeaturesAndRows) {
  torch::manual_seed(16);
  const std::vector<Layer> layers = {layer("a", 14, 23, torch::kFloat), layer("b", 23, 9, torch::kFloat),
                                     layer("c", 9, 5, torch::kFloat), layer("d", 5, 3, torch::kFloat)};
  for (const std::string activation : {"relu", "sigmoid", "tanh", "leaky_relu", "scaled_relu"}) {
    for (int64_t rows : {7, 200}) {
      SCOPED_TRACE(activation + " at " + std::to_string(rows) + " rows");
      const torch::Tensor x = torch::randn({rows, 14});
      const Result r = run(layers, x, activation, true, false);
      expect_one_mlp_kernel(r.kernels);
      expect_close_f32(r.out, reference(layers, x, activation, true));
    }
  }
}

}  // namespace
}  // namespace wick
