// `wick run MODEL.pt --input A.npy|SHAPE ... --output-dir DIR`: compiles the
// model for the given inputs, runs it, and writes DIR/output0.npy, ...
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "api/jit_module.h"
#include "runtime/npy.h"
#include "tools/command.h"
#include "tools/input_spec.h"

namespace wick::tools {

namespace {
double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}
}  // namespace

int run_run(const Args& args) {
  const char* usage = usage_of("run");
  if (wants_help(args)) {
    std::printf("%s", usage);
    return 0;
  }
  std::string model, output_dir, method = "forward", device = "cpu";
  std::vector<std::string> inputs;
  int threads = 0;
  uint64_t seed = 0;
  bool verbose = false;
  auto value = [&](size_t& i) -> const std::string& {
    if (i + 1 >= args.size()) usage_error(args[i] + " needs a value", usage);
    return args[++i];
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--input") inputs.push_back(value(i));
    else if (a == "--output-dir") output_dir = value(i);
    else if (a == "--method") method = value(i);
    else if (a == "--device") device = value(i);
    else if (a == "--verbose") verbose = true;
    else if (a == "--threads" || a == "--seed") {
      const std::string& v = value(i);
      char* end = nullptr;
      long long n = std::strtoll(v.c_str(), &end, 10);
      if (*end || n < 0 || (a == "--threads" && (n < 1 || n > 1024))) usage_error("bad value for " + a + ": " + v, usage);
      if (a == "--threads") threads = static_cast<int>(n);
      else seed = static_cast<uint64_t>(n);
    } else if (!a.empty() && a[0] == '-') usage_error("unknown option " + a, usage);
    else if (model.empty()) model = a;
    else usage_error("more than one model given", usage);
  }
  if (model.empty()) usage_error("no model given", usage);
  if (output_dir.empty()) usage_error("--output-dir is required", usage);
  if (threads > 0) set_num_threads(threads);

  auto t0 = std::chrono::steady_clock::now();
  JitOptions options;
  options.method = method;
  options.device = device;
  auto module = jit_load(model, options);
  double load_ms = ms_since(t0);
  std::vector<Tensor> values;
  for (size_t i = 0; i < inputs.size(); ++i) values.push_back(read_input(inputs[i], seed, static_cast<int>(i)));

  auto t1 = std::chrono::steady_clock::now();
  std::vector<Tensor> outputs = module->forward(values);
  double call_ms = ms_since(t1);
  std::filesystem::create_directories(output_dir);
  for (size_t i = 0; i < outputs.size(); ++i)
    write_npy(output_dir + "/output" + std::to_string(i) + ".npy", outputs[i]);

  if (verbose) {
    const CompileReport* r = module->last_compile();
    std::fprintf(stderr, "load: %.2f ms\n", load_ms);
    if (r) {
      for (const KernelReport& k : r->kernels)
        std::fprintf(stderr, "  kernel %s: %.2f ms%s\n", k.name.c_str(), k.ms, k.cache_hit ? " (cache hit)" : "");
      std::fprintf(stderr, "compile: %.2f ms total (passes %.2f, plan %.2f, kernels %.2f); %zu kernels, %d cache hits, %zu compiled\n",
                   r->total_ms, r->passes_ms, r->plan_ms, r->kernels_ms, r->kernels.size(), r->cache_hits(),
                   r->kernels.size() - static_cast<size_t>(r->cache_hits()));
      std::fprintf(stderr, "execute: %.2f ms\n", call_ms - r->total_ms);
    } else {
      std::fprintf(stderr, "execute: %.2f ms\n", call_ms);
    }
  }
  return 0;
}

}  // namespace wick::tools
