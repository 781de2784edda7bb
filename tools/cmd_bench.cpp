// `wick bench MODEL.pt --input ... [--threads N] [--iters N] [--warmup N]
// [--json]`: runs the model with wick and with LibTorch (the peer plugin) in
// one process, on the same inputs and thread count. Both run once and must
// agree; then, after a warm-up, blocks of calls alternate between the two
// (the one that goes first alternates too, so neither always finds the
// caches the other left), each of wick's blocks starting once LibTorch's
// threads have stopped spinning, and each call is timed on the steady clock.
// The report gives each side's median time per call with the 10th-90th
// percentile spread, and the speedup, LibTorch's median over wick's.
//
// With --device cuda, wick runs on the GPU (inputs moved there once, outputs
// back on the host at the end of every call, which is what synchronizes)
// and LibTorch, on the CPU, is the reference for the outputs only; without
// the plugin (a GPU machine may have no LibTorch of the build's version)
// the outputs go unchecked and the report says so.
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>

#include "api/jit_module.h"
#include "runtime/cuda_tensor.h"
#include "support/error.h"
#include "tools/bench_stats.h"
#include "tools/command.h"
#include "tools/input_spec.h"
#include "tools/quiet_threads.h"
#include "tools/torch_peer_client.h"

namespace wick::tools {

// Calls per block of one side (fewer when --iters is small).
constexpr long long kBenchBlock = 10;
// The longest wait for LibTorch's threads to stop before a block of wick's.
constexpr std::chrono::milliseconds kQuietLimit{100};

namespace {

// Largest relative error max|wick - torch| / max|torch| the outputs may show,
// unless --tolerance says otherwise (a bf16 model rounds to 2^-8).
constexpr double kTolerance = 1e-4;
constexpr long long kMaxIters = 1000000;

struct BenchArgs {
  std::string model;
  std::vector<std::string> inputs;
  int threads = 1;
  long long iters = 100;
  long long warmup = 10;
  uint64_t seed = 0;
  bool json = false;
  std::string device = "cpu";
  double tolerance = kTolerance;
};

BenchArgs parse(const Args& args, const char* usage) {
  BenchArgs b;
  auto value = [&](size_t& i) -> const std::string& {
    if (i + 1 >= args.size()) usage_error(args[i] + " needs a value", usage);
    return args[++i];
  };
  auto number = [&](const std::string& opt, const std::string& v, long long lo, long long hi) {
    char* end = nullptr;
    errno = 0;
    long long n = std::strtoll(v.c_str(), &end, 10);
    if (v.empty() || *end || errno || n < lo || n > hi)
      usage_error("bad value for " + opt + ": " + v + " (from " + std::to_string(lo) + " to " + std::to_string(hi) + ")",
                  usage);
    return n;
  };
  auto fraction = [&](const std::string& opt, const std::string& v) {
    char* end = nullptr;
    errno = 0;
    const double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end || errno || !(x > 0 && x <= 1))
      usage_error("bad value for " + opt + ": " + v + " (above 0, at most 1)", usage);
    return x;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--input") b.inputs.push_back(value(i));
    else if (a == "--tolerance") b.tolerance = fraction(a, value(i));
    else if (a == "--json") b.json = true;
    else if (a == "--device") b.device = value(i);
    else if (a == "--threads") b.threads = static_cast<int>(number(a, value(i), 1, 1024));
    else if (a == "--iters") b.iters = number(a, value(i), 1, kMaxIters);
    else if (a == "--warmup") b.warmup = number(a, value(i), 0, kMaxIters);
    else if (a == "--seed") b.seed = static_cast<uint64_t>(number(a, value(i), 0, INT64_MAX));
    else if (!a.empty() && a[0] == '-') usage_error("unknown option " + a, usage);
    else if (b.model.empty()) b.model = a;
    else usage_error("more than one model given", usage);
  }
  if (b.model.empty()) usage_error("no model given", usage);
  try {
    cuda_device_index(b.device);
  } catch (const Error& e) {
    usage_error(e.message(), usage);
  }
  return b;
}

// Element `i` of a contiguous tensor, as a double.
double element(const Tensor& t, int64_t i) {
  return element_as_double(t.dtype(), static_cast<const char*>(t.data()) + i * static_cast<int64_t>(dtype_size(t.dtype())));
}

// max|got - want| / max|want| over the finite elements; NaN and infinite
// elements must sit at the same places in both. Throws on any mismatch.
double compare(const Tensor& wick_out, const Tensor& torch_out, size_t index, double tolerance) {
  const std::string name = "output " + std::to_string(index);
  if (wick_out.dtype() != torch_out.dtype() || wick_out.sizes() != torch_out.sizes())
    throw Error("wick and LibTorch disagree on " + name + ": wick gives " + wick_out.describe() + ", LibTorch " +
                torch_out.describe());
  Tensor a = wick_out.contiguous();
  double max_diff = 0, max_ref = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double x = element(a, i), y = element(torch_out, i);
    if (std::isnan(x) || std::isnan(y) || std::isinf(x) || std::isinf(y)) {
      if (!(std::isnan(x) && std::isnan(y)) && x != y)
        throw Error("wick and LibTorch disagree on " + name + " at element " + std::to_string(i) + ": " +
                    std::to_string(x) + " vs " + std::to_string(y));
      continue;
    }
    max_diff = std::max(max_diff, std::abs(x - y));
    max_ref = std::max(max_ref, std::abs(y));
  }
  const double err = max_diff / std::max(max_ref, 1e-30);
  if (err > tolerance) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "relative error %.3g (max|wick - torch| / max|torch|), above the tolerance %.0e",
                  err, tolerance);
    throw Error("wick and LibTorch disagree on " + name + ": " + buf);
  }
  return err;
}

template <typename F>
double time_us(F&& call) {
  auto t0 = std::chrono::steady_clock::now();
  call();
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else out += static_cast<char>(c);
  }
  return out + "\"";
}

}  // namespace

int run_bench(const Args& args) {
  const char* usage = usage_of("bench");
  if (wants_help(args)) {
    std::printf("%s", usage);
    return 0;
  }
  const BenchArgs b = parse(args, usage);
  const int device = cuda_device_index(b.device);

  // The plugin first: without it there is nothing to compare against. On a
  // GPU it is only the reference, and may be missing.
  std::unique_ptr<TorchPeer> peer;
  try {
    peer = TorchPeer::open();
  } catch (const Error& e) {
    if (device < 0) throw;
    std::fprintf(stderr, "note: %s\nthe outputs go unchecked\n", e.message().c_str());
  }
  set_num_threads(b.threads);
  if (peer) peer->set_num_threads(b.threads);

  std::vector<Tensor> inputs;
  for (size_t i = 0; i < b.inputs.size(); ++i)
    inputs.push_back(read_input(b.inputs[i], b.seed, static_cast<int>(i)));
  JitOptions options;
  options.device = b.device;
  auto module = jit_load(b.model, options);
  std::unique_ptr<TorchPeer::Model> torch_model;
  if (peer) {
    torch_model = peer->load(b.model);
    torch_model->bind_inputs(inputs);
  }
  std::vector<Tensor> wick_inputs;
  for (const Tensor& x : inputs) wick_inputs.push_back(device >= 0 && x.defined() ? rt::to_device(x, device) : x);

  // One checked call each; wick's also compiles the model for these inputs.
  std::vector<Tensor> wick_out = module->forward(wick_inputs);
  double max_err = -1;
  if (torch_model) {
    torch_model->forward();
    std::vector<Tensor> torch_out = torch_model->outputs();
    if (wick_out.size() != torch_out.size())
      throw Error("wick and LibTorch disagree on the number of outputs: " + std::to_string(wick_out.size()) + " vs " +
                  std::to_string(torch_out.size()));
    max_err = 0;
    for (size_t i = 0; i < wick_out.size(); ++i) max_err = std::max(max_err, compare(wick_out[i], torch_out[i], i, b.tolerance));
  }
  // LibTorch is timed beside wick only on the same device.
  const bool timed_peer = torch_model && device < 0;

  // Each side frees its previous outputs inside its timed call.
  auto run_wick = [&] { wick_out = module->forward(wick_inputs); };
  auto run_torch = [&] { torch_model->forward(); };
  for (long long i = 0; i < b.warmup; ++i) {
    run_wick();
    if (timed_peer) run_torch();
  }
  std::vector<double> wick_us, torch_us;
  wick_us.reserve(static_cast<size_t>(b.iters));
  torch_us.reserve(static_cast<size_t>(b.iters));
  // Blocks of consecutive calls: LibTorch's OpenMP workers (and its BLAS's)
  // spin for milliseconds after each call, on the cores wick's threads then
  // need, so strict call-by-call alternation would charge that spinning to
  // wick. Each block of wick's starts once LibTorch's threads have stopped
  // (tools/quiet_threads.h); LibTorch's start right after wick's, whose pool
  // sleeps within 50 us (waiting for quiet before them too would start each
  // of LibTorch's blocks with its pools asleep, a state its steady loop
  // rarely sees: measured, its median doubled on two threads). The blocks
  // alternate, and so does the side that starts them.
  const long long block = std::max<long long>(1, std::min<long long>(kBenchBlock, b.iters / 4));
  for (long long start = 0, k = 0; start < b.iters; start += block, ++k) {
    const long long n = std::min(block, b.iters - start);
    auto time_block = [&](const std::function<void()>& run, std::vector<double>& out) {
      for (long long i = 0; i < n; ++i) out.push_back(time_us(run));
    };
    auto time_wick = [&] {
      if (timed_peer && b.threads > 1) wait_for_quiet_threads(kQuietLimit);
      time_block(run_wick, wick_us);
    };
    if (!timed_peer) {
      time_wick();
    } else if (k % 2 == 0) {
      time_wick();
      time_block(run_torch, torch_us);
    } else {
      time_block(run_torch, torch_us);
      time_wick();
    }
  }
  const Summary w = summarize(wick_us);

  std::string shapes;
  for (const Tensor& x : inputs) shapes += (shapes.empty() ? "" : ", ") + x.describe();
  std::printf("model: %s\ninputs: %s\ndevice: %s, threads: %d, iterations: %lld (after %lld warm-up)\n",
              b.model.c_str(), shapes.c_str(), b.device.c_str(), b.threads, b.iters, b.warmup);
  if (max_err >= 0) std::printf("outputs agree with LibTorch: max relative error %.3g\n", max_err);
  else std::printf("outputs unchecked: no LibTorch peer\n");
  std::printf("%-10s %14s %14s %14s\n", "", "median us", "p10 us", "p90 us");
  std::printf("%-10s %14.1f %14.1f %14.1f\n", "wick", w.median, w.p10, w.p90);
  std::string inputs_json;
  for (const Tensor& x : inputs) inputs_json += (inputs_json.empty() ? "" : ", ") + json_string(x.describe());
  auto number = [](const char* format, double v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, format, v);
    return std::string(buf);
  };
  const std::string common =
      "\"model\": " + json_string(b.model) + ", \"inputs\": [" + inputs_json + "], \"device\": " + json_string(b.device) +
      ", \"threads\": " + std::to_string(b.threads) + ", \"iters\": " + std::to_string(b.iters) +
      ", \"warmup\": " + std::to_string(b.warmup) + ", \"max_rel_error\": " + number("%.6g", max_err) +
      ", \"wick_median_us\": " + number("%.3f", w.median) + ", \"wick_p10_us\": " + number("%.3f", w.p10) +
      ", \"wick_p90_us\": " + number("%.3f", w.p90) + ", \"wick_min_us\": " + number("%.3f", w.min) +
      ", \"wick_max_us\": " + number("%.3f", w.max);
  if (!timed_peer) {
    if (b.json) std::printf("{%s}\n", common.c_str());
    std::fflush(stdout);
    return 0;
  }
  const Summary t = summarize(torch_us);
  const double speedup = t.median / std::max(w.median, 1e-3);
  std::printf("%-10s %14.1f %14.1f %14.1f\n", "LibTorch", t.median, t.p10, t.p90);
  std::printf("speedup (LibTorch median / wick median): %.2fx\n", speedup);
  if (b.json)
    std::printf(
        "{%s, \"torch_median_us\": %.3f, \"torch_p10_us\": %.3f, \"torch_p90_us\": %.3f, \"torch_min_us\": %.3f, "
        "\"torch_max_us\": %.3f, \"speedup\": %.4f}\n",
        common.c_str(), t.median, t.p10, t.p90, t.min, t.max, speedup);
  std::fflush(stdout);
  return 0;
}

}  // namespace wick::tools
