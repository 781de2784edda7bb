// The LibTorch side of the cold-start benchmark (bench/footprint.py): from
// process start, torch::jit::load a TorchScript model and run its first
// forward on inputs of the given shapes, then exit. wick-deploy-run does the
// same with a compiled directory.
//
//   torch_cold_start MODEL.pt --input [DTYPE:]SHAPE ... [--threads N]
//   (shapes such as 16x32 or i64:8x16)
#include <ATen/Parallel.h>
#include <torch/script.h>

#include "blas_threads.h"

#include <cstdio>
#include <string>
#include <vector>

namespace {

torch::Tensor make_input(const std::string& spec) {
  std::string shape = spec;
  torch::ScalarType dtype = torch::kFloat32;
  const size_t colon = spec.find(':');
  if (colon != std::string::npos) {
    const std::string name = spec.substr(0, colon);
    shape = spec.substr(colon + 1);
    if (name == "i64") dtype = torch::kInt64;
    else if (name == "i32") dtype = torch::kInt32;
    else if (name == "f64") dtype = torch::kFloat64;
    else if (name == "bool") dtype = torch::kBool;
    else if (name != "f32") throw std::runtime_error("unsupported dtype " + name);
  }
  std::vector<int64_t> sizes;
  size_t start = 0;
  while (start <= shape.size() && !shape.empty()) {
    const size_t x = shape.find('x', start);
    sizes.push_back(std::stoll(shape.substr(start, x == std::string::npos ? std::string::npos : x - start)));
    if (x == std::string::npos) break;
    start = x + 1;
  }
  // Integer inputs are indices in the zoo: zeros are valid for all of them.
  if (dtype == torch::kFloat32 || dtype == torch::kFloat64) return torch::randn(sizes, torch::dtype(dtype));
  return torch::zeros(sizes, torch::dtype(dtype));
}

// The first tensor of a result that may nest tuples, lists and dicts
// (undefined when it holds none).
torch::Tensor first_tensor(const torch::jit::IValue& v) {
  if (v.isTensor()) return v.toTensor();
  std::vector<torch::jit::IValue> parts;
  if (v.isTuple()) parts = v.toTuple()->elements().vec();
  if (v.isList()) parts = v.toListRef().vec();
  if (v.isGenericDict())
    for (const auto& entry : v.toGenericDict()) parts.push_back(entry.value());
  for (const auto& p : parts) {
    torch::Tensor t = first_tensor(p);
    if (t.defined()) return t;
  }
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: torch_cold_start MODEL.pt --input [DTYPE:]SHAPE ...\n");
    return 2;
  }
  try {
    std::vector<torch::jit::IValue> inputs;
    for (int i = 2; i + 1 < argc; i += 2) {
      const std::string option = argv[i];
      if (option == "--input") inputs.emplace_back(make_input(argv[i + 1]));
      else if (option == "--threads") {
        at::set_num_threads(std::stoi(argv[i + 1]));
        wick::torch_side::set_blas_threads(std::stoi(argv[i + 1]));
      }
      else throw std::runtime_error("unknown option " + option);
    }
    torch::NoGradGuard no_grad;
    torch::jit::Module module = torch::jit::load(argv[1]);
    module.eval();
    torch::jit::IValue out = module.forward(inputs);
    // Touch the result so nothing about it is left lazy.
    const torch::Tensor first = first_tensor(out);
    if (!first.defined()) throw std::runtime_error("the model's result holds no tensor");
    std::printf("%s\n", first.sizes().vec().empty() ? "[]" : std::to_string(first.size(0)).c_str());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "torch_cold_start: %s\n", e.what());
    return 1;
  }
}
