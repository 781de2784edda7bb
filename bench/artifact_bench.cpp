// wick-artifact-bench: checks and times a `wick compile` directory with the
// runtime alone, on the machine that will run it (a GPU machine has no
// compiler). It runs the artifact once, compares each output with a reference
// .npy when given (max|out - ref| / max|ref|), then times calls and prints
// one JSON object on the last line.
//
//   wick-artifact-bench DIR --input A.npy|SHAPE [--input ...] [--ref R0.npy ...]
//                       [--iters N] [--warmup N] [--threads N]
//
// An input is a .npy file or a shape such as 16384x4096 (seeded
// standard-normal float32, as `wick run` makes them): inputs of gigabytes are
// made where they are used instead of being carried.
//
// A call of a CUDA artifact is timed as a caller that keeps its tensors on
// the GPU sees it: inputs already on the device, outputs left there, and the
// device synchronized before the clock stops (Artifact::run_on_device). A CPU
// artifact's call is Artifact::run. Exit 0 on success, 2 on a wick::Error
// (a damaged directory, no GPU, inputs that do not fit), 1 on bad usage.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/artifact.h"
#include "runtime/artifact_cuda.h"
#include "runtime/cuda_device.h"
#include "runtime/cuda_tensor.h"
#include "runtime/npy.h"
#include "runtime/thread_pool.h"
#include "support/error.h"
#include "tools/bench_stats.h"
#include "tools/input_spec.h"

namespace {

using wick::Tensor;

struct Options {
  std::string dir;
  std::vector<std::string> inputs, refs;
  int iters = 100, warmup = 10, threads = 0;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "wick-artifact-bench: %s\n"
               "usage: wick-artifact-bench DIR --input A.npy|SHAPE [--input ...] [--ref R0.npy ...]\n"
               "                           [--iters N] [--warmup N] [--threads N]\n",
               why.c_str());
  std::exit(1);
}

int positive(const char* flag, const char* text, bool zero_ok) {
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v < (zero_ok ? 0 : 1) || v > 1000000)
    usage(std::string(flag) + " takes a whole number" + (zero_ok ? "" : " above 0") + ", not '" + text + "'");
  return static_cast<int>(v);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--input" && has_value) o.inputs.push_back(argv[++i]);
    else if (a == "--ref" && has_value) o.refs.push_back(argv[++i]);
    else if (a == "--iters" && has_value) o.iters = positive("--iters", argv[++i], false);
    else if (a == "--warmup" && has_value) o.warmup = positive("--warmup", argv[++i], true);
    else if (a == "--threads" && has_value) o.threads = positive("--threads", argv[++i], false);
    else if (a.rfind("--", 0) == 0) usage("unknown option or missing value: " + a);
    else if (o.dir.empty()) o.dir = a;
    else usage("one directory only (got '" + o.dir + "' and '" + a + "')");
  }
  if (o.dir.empty()) usage("no directory given");
  return o;
}

// Element i of a contiguous tensor as a double (f16 and bf16 outputs are not
// produced by any plan today and count as a mismatch).
bool element(const Tensor& t, int64_t i, double* v) {
  switch (t.dtype()) {
    case wick::DType::f32: *v = t.data_as<float>()[i]; return true;
    case wick::DType::f64: *v = t.data_as<double>()[i]; return true;
    case wick::DType::i64: *v = static_cast<double>(t.data_as<int64_t>()[i]); return true;
    case wick::DType::i32: *v = t.data_as<int32_t>()[i]; return true;
    case wick::DType::b8: *v = t.data_as<uint8_t>()[i]; return true;
    default: return false;
  }
}

// max|a - b| / max|b| (NaN matching NaN, equal infinities equal); infinity
// when the shapes or dtypes differ.
double relative_error(const Tensor& got, const Tensor& ref) {
  if (got.dtype() != ref.dtype() || got.sizes() != ref.sizes()) return INFINITY;
  const Tensor a = got.contiguous(), b = ref.contiguous();
  double diff = 0, scale = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    double p = 0, q = 0;
    if (!element(a, i, &p) || !element(b, i, &q)) return INFINITY;
    if (std::isnan(p) != std::isnan(q)) return INFINITY;
    if (!std::isnan(q) && p != q) diff = std::max(diff, std::fabs(p - q));
    if (std::isfinite(q)) scale = std::max(scale, std::fabs(q));
  }
  return scale > 0 ? diff / scale : diff;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

int run(const Options& o) {
  if (o.threads > 0) wick::rt::default_thread_pool().set_num_threads(o.threads);
  auto artifact = wick::rt::Artifact::open(o.dir);
  const bool cuda = std::strcmp(artifact->device(), "cuda") == 0;
  const int device = cuda ? wick::rt::artifact_cuda_device(o.dir) : -1;

  std::vector<Tensor> inputs;
  for (size_t i = 0; i < o.inputs.size(); ++i) {
    Tensor t = wick::tools::read_input(o.inputs[i], 0, static_cast<int>(i));
    inputs.push_back(cuda ? wick::rt::to_device(t, device) : t);
  }
  auto call = [&] {
    std::vector<Tensor> out = cuda ? artifact->run_on_device(inputs) : artifact->run(inputs);
    if (cuda) wick::rt::cuda_device(device).synchronize();
    return out;
  };

  const std::vector<Tensor> first = call();
  if (!o.refs.empty() && o.refs.size() != first.size())
    throw wick::Error(std::to_string(o.refs.size()) + " references given for " + std::to_string(first.size()) +
                      " outputs", wick::SourceLocation{o.dir});
  std::string errors;
  for (size_t i = 0; i < o.refs.size(); ++i) {
    const Tensor got = cuda ? wick::rt::to_host(first[i]) : first[i];
    const double e = relative_error(got, wick::read_npy(o.refs[i]));
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", e);
    errors += (i ? ", " : "") + std::string(std::isfinite(e) ? buf : "null");
  }

  for (int i = 0; i < o.warmup; ++i) call();
  std::vector<double> us;
  for (int i = 0; i < o.iters; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    call();
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  const wick::tools::Summary s = wick::tools::summarize(us);

  std::printf(
      "{\"dir\": %s, \"device\": %s, \"cuda_graph\": %s, \"threads\": %d, \"iters\": %d, "
      "\"median_us\": %.3f, \"p10_us\": %.3f, \"p90_us\": %.3f, \"min_us\": %.3f, \"relative_errors\": [%s]}\n",
      json_string(o.dir).c_str(), json_string(artifact->device()).c_str(),
      cuda && artifact->executor().replays_graph() ? "true" : "false",
      wick::rt::default_thread_pool().num_threads(), o.iters, s.median, s.p10, s.p90, s.min, errors.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  try {
    return run(o);
  } catch (const wick::Error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 2;
  }
}
