#include "grad_check.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include "ir/parser.h"
#include "ir/verifier.h"
#include "passes/autodiff.h"
#include "passes/infer_shapes.h"

namespace wick::testing {
namespace {

DType wick_dtype(torch::ScalarType t) {
  switch (t) {
    case torch::kFloat: return DType::f32;
    case torch::kDouble: return DType::f64;
    case torch::kLong: return DType::i64;
    case torch::kInt: return DType::i32;
    case torch::kBool: return DType::b8;
    default: throw std::runtime_error("test: unsupported dtype");
  }
}

torch::ScalarType torch_dtype(DType t) {
  switch (t) {
    case DType::f32: return torch::kFloat;
    case DType::f64: return torch::kDouble;
    case DType::i64: return torch::kLong;
    case DType::i32: return torch::kInt;
    case DType::b8: return torch::kBool;
    default: throw std::runtime_error("test: unsupported dtype");
  }
}

}  // namespace

Tensor to_wick(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous();
  Tensor w = Tensor::zeros(wick_dtype(c.scalar_type()), c.sizes().vec());
  if (w.nbytes() > 0) std::memcpy(w.data(), c.data_ptr(), w.nbytes());
  return w;
}

torch::Tensor to_torch(const Tensor& t) {
  Tensor c = t.contiguous();
  return torch::from_blob(c.data(), c.sizes(), torch_dtype(c.dtype())).clone();
}

namespace {

std::string type_text(const torch::Tensor& t) {
  std::string s = "Tensor(" + std::string(dtype_name(wick_dtype(t.scalar_type()))) + ", [";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "])";
}

}  // namespace

torch::Tensor make_input(const InputSpec& s) {
  const auto f = torch::TensorOptions().dtype(s.dtype);
  switch (s.draw) {
    case Draw::normal: return torch::randn(s.shape, f);
    case Draw::positive: return torch::rand(s.shape, f) * 1.5 + 0.5;
    case Draw::away_from_zero: {
      torch::Tensor sign = torch::where(torch::rand(s.shape) > 0.5, 1.0, -1.0).to(s.dtype);
      return sign * (torch::rand(s.shape, f) + 0.5);
    }
    case Draw::ties: return torch::randint(-2, 3, s.shape, f);
    case Draw::boundary: {
      torch::Tensor x = torch::randn(s.shape, f) * 3;
      torch::Tensor values = torch::tensor(s.special, f);
      torch::Tensor pick = torch::randint(0, static_cast<int64_t>(s.special.size()), s.shape, torch::kLong);
      return torch::where(torch::rand(s.shape) < 1.0 / 3, values.index_select(0, pick.flatten()).view(s.shape), x);
    }
    case Draw::choice: {
      torch::Tensor values = torch::tensor(s.special, f);
      torch::Tensor pick = torch::randint(0, static_cast<int64_t>(s.special.size()), s.shape, torch::kLong);
      return values.index_select(0, pick.flatten()).view(s.shape);
    }
    case Draw::index: return torch::randint(0, s.high, s.shape, torch::kLong);
    case Draw::unique_index: return torch::randperm(s.high, torch::kLong).slice(0, 0, s.shape.at(0));
    case Draw::mask: return torch::rand(s.shape) > 0.5;
    case Draw::well_conditioned:
    case Draw::positive_definite: {
      const int64_t n = s.shape.back();
      torch::Tensor eye = torch::eye(n, f);
      torch::Tensor m = torch::randn(s.shape, f);
      if (s.draw == Draw::well_conditioned) return eye + m / (2 * std::sqrt(double(n)));
      return torch::matmul(m, m.transpose(-2, -1)) / double(n) + eye;
    }
  }
  return {};
}

std::string graph_text(const std::vector<torch::Tensor>& inputs, const std::string& extra, const std::string& body,
                       const std::string& tail) {
  std::string params;
  for (size_t i = 0; i < inputs.size(); ++i)
    params += (i ? ", " : "") + std::string("%x") + std::to_string(i) + " : " + type_text(inputs[i]);
  if (!extra.empty()) params += (params.empty() ? "" : ", ") + extra;
  return "graph @g(" + params + ") -> (Tensor) {\n" + body + "\n" + tail + "\n}\n";
}

std::unique_ptr<ir::Module> loss_graph(const std::string& body, const std::vector<torch::Tensor>& inputs,
                                       std::vector<int64_t>* w_shape, torch::ScalarType* w_dtype) {
  auto probe = ir::parse_module(graph_text(inputs, "", body, "  return(%y)"), "probe.wir");
  passes::infer_shapes(*probe->methods().at(0));
  const ir::Type& y = *probe->methods().at(0)->outputs().at(0)->type();
  if (!y.fully_static()) throw std::runtime_error("test: %y has no static type: " + y.str());
  *w_shape = y.static_sizes();
  *w_dtype = torch_dtype(*y.dtype());
  torch::Tensor w_like = torch::zeros(*w_shape, *w_dtype);
  const std::string tail =
      "  %wy : Tensor = aten::mul.Tensor(%y, %w)\n"
      "  %loss_none : None = prim::Constant[value=none]()\n"
      "  %loss : Tensor = aten::sum(%wy, %loss_none)\n"
      "  return(%loss)";
  auto m = ir::parse_module(graph_text(inputs, "%w : " + type_text(w_like), body, tail), "loss.wir");
  passes::infer_shapes(*m->methods().at(0));
  ir::verify(*m);
  return m;
}

std::shared_ptr<CompiledGraph> compile_for(const ir::Graph& graph, const ir::Module& module,
                                           const std::vector<torch::Tensor>& inputs) {
  std::vector<ir::TypePtr> types;
  for (const torch::Tensor& t : inputs) {
    std::vector<int64_t> sizes = t.sizes().vec();
    types.push_back(ir::Type::tensor_static(wick_dtype(t.scalar_type()), sizes));
  }
  return compile_graph(graph, module, types);
}

std::vector<torch::Tensor> run(const CompiledGraph& compiled, const std::vector<torch::Tensor>& inputs) {
  std::vector<Tensor> args;
  for (const torch::Tensor& t : inputs) args.push_back(to_wick(t));
  std::vector<torch::Tensor> out;
  for (const Tensor& t : compiled.executor().run(args)) out.push_back(to_torch(t));
  return out;
}

std::vector<torch::Tensor> compile_and_run(const ir::Graph& graph, const ir::Module& module,
                                           const std::vector<torch::Tensor>& inputs) {
  return run(*compile_for(graph, module, inputs), inputs);
}

GradRun wick_gradients(const std::string& body, const std::vector<torch::Tensor>& inputs,
                       const std::vector<bool>& differentiate, const torch::Tensor& w) {
  std::vector<int64_t> w_shape;
  torch::ScalarType w_dtype;
  auto m = loss_graph(body, inputs, &w_shape, &w_dtype);
  ir::Graph& g = *m->methods().at(0);
  passes::AutodiffSpec spec;
  spec.outputs = {g.outputs().at(0)};
  for (size_t i = 0; i < inputs.size(); ++i)
    if (differentiate[i]) spec.wrt.push_back(g.inputs()[i]);
  passes::autodiff(g, spec);
  ir::verify(*m);
  std::vector<torch::Tensor> all = inputs;
  all.push_back(w);
  std::vector<torch::Tensor> out = compile_and_run(g, *m, all);
  GradRun r;
  r.loss = out.at(0);
  r.grads.assign(out.begin() + 1, out.end());
  return r;
}

double relative_error(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.sizes() != b.sizes()) throw std::runtime_error("test: comparing tensors of different shapes");
  if (a.numel() == 0) return 0;
  torch::Tensor x = a.to(torch::kDouble), y = b.to(torch::kDouble);
  const double err = (x - y).abs().max().item<double>();
  const double scale = y.abs().max().item<double>();
  return scale == 0 ? err : err / scale;
}

}  // namespace wick::testing
