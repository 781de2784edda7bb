// One training step of wick (wick::Trainer: forward, loss, backward and
// update compiled into one plan) beside LibTorch (torch::jit::load, autograd
// and torch::optim) in one process, on the same model file, batch, loss,
// optimizer and thread count. Steps alternate in blocks between the two so
// that both see the same machine load; the result is one JSON line with
// every block's time per step. bench/train_step.py runs it and writes
// docs/training.md.
//
//   train_step_bench MODEL.pt --input SHAPE --target SHAPE --optimizer sgd|adam
//       [--lr X] [--momentum X] [--weight-decay X] [--threads N]
//       [--blocks N] [--steps N] [--warmup N]
//   (shapes such as 200x14; the loss is mse)
#include <ATen/Parallel.h>
#include <torch/script.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "api/jit_module.h"
#include "api/trainer.h"
#include "blas_threads.h"

namespace {

std::vector<int64_t> parse_shape(const std::string& s) {
  std::vector<int64_t> sizes;
  size_t start = 0;
  for (;;) {
    const size_t x = s.find('x', start);
    sizes.push_back(std::stoll(s.substr(start, x == std::string::npos ? std::string::npos : x - start)));
    if (x == std::string::npos) return sizes;
    start = x + 1;
  }
}

wick::Tensor to_wick(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous();
  wick::Tensor w = wick::Tensor::zeros(wick::DType::f32, c.sizes().vec());
  std::memcpy(w.data(), c.data_ptr(), w.nbytes());
  return w;
}

struct Options {
  std::string model, input, target, optimizer = "sgd";
  double lr = 0.01, momentum = 0.9, weight_decay = 1e-4;
  int threads = 1, blocks = 20, steps = 20, warmup = 20;
};

double now_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string json_list(const std::vector<double>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

int run(const Options& o) {
  wick::set_num_threads(o.threads);
  torch::set_num_threads(o.threads);
  wick::torch_side::set_blas_threads(o.threads);
  at::set_num_interop_threads(1);
  torch::manual_seed(0);
  const torch::Tensor x = torch::randn(parse_shape(o.input));
  const torch::Tensor y = torch::randn(parse_shape(o.target));

  // LibTorch: the scripted module trained with autograd and torch::optim.
  torch::jit::Module module = torch::jit::load(o.model);
  module.train();
  std::vector<torch::Tensor> params;
  for (const auto& p : module.parameters()) params.push_back(p);
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  if (o.optimizer == "sgd")
    optimizer = std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(o.lr).momentum(o.momentum).weight_decay(o.weight_decay));
  else
    optimizer = std::make_unique<torch::optim::Adam>(params,
                                                     torch::optim::AdamOptions(o.lr).weight_decay(o.weight_decay));
  auto torch_step = [&] {
    optimizer->zero_grad();
    torch::Tensor loss = torch::mse_loss(module.forward({x}).toTensor(), y);
    loss.backward();
    optimizer->step();
    return loss.item<double>();
  };

  // wick: the same file through wick::Trainer.
  wick::OptimizerConfig oc;
  oc.kind = wick::optimizer_from_name(o.optimizer);
  oc.lr = o.lr;
  oc.momentum = oc.kind == wick::OptimizerKind::sgd ? o.momentum : 0;
  oc.weight_decay = o.weight_decay;
  wick::Trainer trainer(o.model, wick::LossConfig{}, oc);
  const wick::Tensor wx = to_wick(x), wy = to_wick(y);
  const double compile_start = now_ms();
  const double first_wick = trainer.step({wx}, wy);
  const double compile_ms = now_ms() - compile_start;
  const double first_torch = torch_step();

  for (int i = 0; i < o.warmup; ++i) {
    trainer.step({wx}, wy);
    torch_step();
  }
  std::vector<double> wick_ms, torch_ms;
  for (int b = 0; b < o.blocks; ++b) {
    double start = now_ms();
    for (int i = 0; i < o.steps; ++i) trainer.step({wx}, wy);
    wick_ms.push_back((now_ms() - start) / o.steps);
    start = now_ms();
    for (int i = 0; i < o.steps; ++i) torch_step();
    torch_ms.push_back((now_ms() - start) / o.steps);
  }
  std::printf(
      "{\"threads\": %d, \"first_loss_wick\": %.9g, \"first_loss_torch\": %.9g, \"compile_ms\": %.3f, "
      "\"wick_ms\": %s, \"torch_ms\": %s}\n",
      o.threads, first_wick, first_torch, compile_ms, json_list(wick_ms).c_str(), json_list(torch_ms).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (argc < 2) {
    std::fprintf(stderr, "usage: train_step_bench MODEL.pt --input SHAPE --target SHAPE [options]\n");
    return 2;
  }
  o.model = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--input") o.input = v;
    else if (k == "--target") o.target = v;
    else if (k == "--optimizer") o.optimizer = v;
    else if (k == "--lr") o.lr = std::stod(v);
    else if (k == "--momentum") o.momentum = std::stod(v);
    else if (k == "--weight-decay") o.weight_decay = std::stod(v);
    else if (k == "--threads") o.threads = std::stoi(v);
    else if (k == "--blocks") o.blocks = std::stoi(v);
    else if (k == "--steps") o.steps = std::stoi(v);
    else if (k == "--warmup") o.warmup = std::stoi(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    return run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
