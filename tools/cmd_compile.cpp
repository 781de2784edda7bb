// `wick compile MODEL.pt --input SPEC ... -o DIR [--target T]
// [--dynamic-dim INPUT:DIM[:NAME] ...] [--device cpu|cuda [--gpu-arch LIST]]`:
// compiles the model ahead of time for one input signature, some of whose
// dims may be dynamic, and writes a directory that runs with the wick runtime
// alone (see api/aot_compile.h), on the CPU or on NVIDIA GPUs.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>

#include "api/aot_compile.h"
#include "runtime/gpu_kernels_file.h"
#include "runtime/npy.h"
#include "runtime/tensor_spec.h"
#include "tools/command.h"

namespace wick::tools {

namespace {

bool is_shape(const std::string& s) {
  if (s.empty() || !std::isdigit(static_cast<unsigned char>(s.front())) ||
      !std::isdigit(static_cast<unsigned char>(s.back())))
    return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != 'x') return false;
  return s.find("xx") == std::string::npos;
}

// SPEC is a shape such as 200x14 (float32), a dtype and a shape such as
// i64:8x16, or a .npy file whose dtype and shape are taken.
rt::TensorSpec parse_input_spec(const std::string& spec, const char* usage) {
  rt::TensorSpec t;
  std::string shape = spec;
  const size_t colon = spec.find(':');
  if (colon != std::string::npos && is_shape(spec.substr(colon + 1))) {
    auto dtype = dtype_from_name(spec.substr(0, colon));
    if (!dtype) usage_error("unknown dtype '" + spec.substr(0, colon) + "' in input spec '" + spec + "'", usage);
    t.dtype = *dtype;
    shape = spec.substr(colon + 1);
  } else if (!is_shape(spec)) {
    if (!std::filesystem::exists(spec))
      usage_error("bad input spec '" + spec + "': expected a shape such as 200x14, a dtype and shape such as " +
                      "i64:8x16, or an existing .npy file",
                  usage);
    const Tensor example = read_npy(spec);
    t.dtype = example.dtype();
    t.sizes = example.sizes();
    return t;
  }
  size_t start = 0;
  while (true) {
    const size_t x = shape.find('x', start);
    const std::string part = shape.substr(start, x == std::string::npos ? std::string::npos : x - start);
    if (part.size() > 12) usage_error("dimension too large in input spec '" + spec + "'", usage);
    t.sizes.push_back(std::stoll(part));
    if (x == std::string::npos) break;
    start = x + 1;
  }
  int64_t numel = 0, bytes = 0;
  if (t.sizes.size() > 16 || !checked_numel(t.sizes, &numel) ||
      !checked_mul(numel, static_cast<int64_t>(dtype_size(t.dtype)), &bytes) || bytes > kMaxTensorBytes)
    usage_error("input spec '" + spec + "' describes a tensor too large", usage);
  return t;
}

// A non-negative decimal number of at most 4 digits, or -1.
int small_index(const std::string& s) {
  if (s.empty() || s.size() > 4) return -1;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return -1;
  return std::stoi(s);
}

// Applies each --dynamic-dim INPUT:DIM[:NAME] to the input specs: that dim
// becomes a dynamic dim, a multiple (1) of the symbol NAME ("B" by default,
// which all dims given without a name share). Fills `symbols` in order of
// first mention.
void apply_dynamic_dims(const std::vector<std::string>& dynamic, std::vector<rt::TensorSpec>* inputs,
                        std::vector<std::string>* symbols, const char* usage) {
  for (const std::string& text : dynamic) {
    const std::string bad = "bad --dynamic-dim '" + text + "'";
    const size_t first = text.find(':');
    if (first == std::string::npos)
      usage_error(bad + ": expected INPUT:DIM or INPUT:DIM:NAME, such as 0:0 (the first input's dim 0)", usage);
    const size_t second = text.find(':', first + 1);
    const int input = small_index(text.substr(0, first));
    const int dim = small_index(text.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1));
    const std::string name = second == std::string::npos ? "B" : text.substr(second + 1);
    if (input < 0 || dim < 0)
      usage_error(bad + ": expected INPUT:DIM or INPUT:DIM:NAME, such as 0:0 (the first input's dim 0)", usage);
    if (!rt::valid_symbol_name(name))
      usage_error(bad + ": the name must be a letter or '_' followed by letters, digits or '_' (at most " +
                      std::to_string(rt::kMaxSymbolName) + " characters)",
                  usage);
    if (static_cast<size_t>(input) >= inputs->size())
      usage_error(bad + ": there " + (inputs->size() == 1 ? "is 1 --input" : "are " + std::to_string(inputs->size()) +
                                                                                  " --input specs") +
                      " (inputs are numbered from 0)",
                  usage);
    rt::TensorSpec& spec = (*inputs)[static_cast<size_t>(input)];
    if (static_cast<size_t>(dim) >= spec.sizes.size())
      usage_error(bad + ": input " + std::to_string(input) + " has rank " + std::to_string(spec.sizes.size()) +
                      " (dims are numbered from 0)",
                  usage);
    spec.size_symbols.resize(spec.sizes.size(), -1);
    if (spec.size_symbols[static_cast<size_t>(dim)] >= 0)
      usage_error(bad + ": dim " + std::to_string(dim) + " of input " + std::to_string(input) + " is already dynamic",
                  usage);
    auto at = std::find(symbols->begin(), symbols->end(), name);
    if (at == symbols->end()) at = symbols->insert(symbols->end(), name);
    spec.size_symbols[static_cast<size_t>(dim)] = static_cast<int32_t>(at - symbols->begin());
    spec.sizes[static_cast<size_t>(dim)] = 1;
  }
}

// --gpu-arch sm_80,sm_90: architectures as compute capability x 10.
std::vector<int> parse_gpu_archs(const std::string& list, const char* usage) {
  std::vector<int> archs;
  size_t start = 0;
  while (true) {
    const size_t comma = list.find(',', start);
    const std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    const std::string digits = item.rfind("sm_", 0) == 0 ? item.substr(3) : "";
    const int sm = digits.size() >= 2 && digits.size() <= 3 && digits.find_first_not_of("0123456789") == std::string::npos
                       ? std::stoi(digits)
                       : -1;
    if (sm < rt::kMinGpuSm || sm > rt::kMaxGpuSm)
      usage_error("bad --gpu-arch '" + item + "': expected sm_NN with NN from " + std::to_string(rt::kMinGpuSm) +
                      " to " + std::to_string(rt::kMaxGpuSm) + ", such as sm_80, or a list such as sm_80,sm_90",
                  usage);
    archs.push_back(sm);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return archs;
}

std::string kib(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024.0);
  return buf;
}

}  // namespace

int run_compile(const Args& args) {
  const char* usage = usage_of("compile");
  if (wants_help(args)) {
    std::printf("%s", usage);
    return 0;
  }
  std::string model, output_dir;
  std::vector<std::string> specs, dynamic;
  AotOptions options;
  bool verbose = false, gpu_archs_given = false;
  auto value = [&](size_t& i) -> const std::string& {
    if (i + 1 >= args.size()) usage_error(args[i] + " needs a value", usage);
    return args[++i];
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--input") specs.push_back(value(i));
    else if (a == "-o" || a == "--output-dir") output_dir = value(i);
    else if (a == "--target") options.target = value(i);
    else if (a == "--method") options.method = value(i);
    else if (a == "--dynamic-dim") dynamic.push_back(value(i));
    else if (a == "--device") options.device = value(i);
    else if (a == "--gpu-arch") {
      options.gpu_archs = parse_gpu_archs(value(i), usage);
      gpu_archs_given = true;
    }
    else if (a == "--verbose") verbose = true;
    else if (!a.empty() && a[0] == '-') usage_error("unknown option " + a, usage);
    else if (model.empty()) model = a;
    else usage_error("more than one model given", usage);
  }
  if (model.empty()) usage_error("no model given", usage);
  if (output_dir.empty()) usage_error("-o DIR is required", usage);
  if (options.target != "native" && options.target != "x86-64-v3" && options.target != "x86-64-v4")
    usage_error("unknown target '" + options.target + "' (expected native, x86-64-v3 or x86-64-v4)", usage);
  if (options.device != "cpu" && options.device != "cuda")
    usage_error("unknown device '" + options.device + "' (expected cpu or cuda)", usage);
  if (gpu_archs_given && options.device != "cuda") usage_error("--gpu-arch needs --device cuda", usage);
  std::vector<rt::TensorSpec> inputs;
  for (const std::string& s : specs) inputs.push_back(parse_input_spec(s, usage));
  apply_dynamic_dims(dynamic, &inputs, &options.symbols, usage);

  const AotResult r = aot_compile(model, inputs, output_dir, options);
  const rt::Manifest& m = r.artifact.manifest;
  if (m.cuda()) {
    const std::string cubins = m.cubin_sms.empty()
                                   ? std::string("no cubins: ptxas not found, the driver compiles the PTX at load")
                                   : "cubins " + rt::sm_list(m.cubin_sms);
    std::printf("wrote %s: device cuda (PTX %s, %s), host target %s (cpu %s), %lld kernels, gpu_kernels.bin %s, "
                "weights.bin %s, plan.bin %s\n",
                output_dir.c_str(), rt::sm_name(m.ptx_sm).c_str(), cubins.c_str(), m.target.c_str(), m.cpu.c_str(),
                static_cast<long long>(m.kernel_count), kib(m.gpu_kernels_bin.bytes).c_str(),
                kib(m.weights_bin.bytes).c_str(), kib(m.plan_bin.bytes).c_str());
  } else {
    std::printf("wrote %s: target %s (cpu %s), %lld kernels, model.so %s, weights.bin %s, plan.bin %s\n",
                output_dir.c_str(), m.target.c_str(), m.cpu.c_str(), static_cast<long long>(m.kernel_count),
                kib(m.model_so.bytes).c_str(), kib(m.weights_bin.bytes).c_str(), kib(m.plan_bin.bytes).c_str());
  }
  if (verbose)
    std::fprintf(stderr,
                 "load %.1f ms, passes %.1f ms, plan %.1f ms, kernels %.1f ms (%d of %lld from the cache), "
                 "link %.1f ms, total %.1f ms\n",
                 r.load_ms, r.passes_ms, r.plan_ms, r.artifact.kernels_ms, r.artifact.cache_hits,
                 static_cast<long long>(m.kernel_count), r.artifact.link_ms, r.total_ms);
  if (verbose && m.cuda() && !r.artifact.ptxas.empty())
    std::fprintf(stderr, "ptxas %.1f ms (%s; %d of %zu cubins from the cache)\n", r.artifact.ptxas_ms,
                 r.artifact.ptxas.c_str(), r.artifact.cubin_cache_hits, m.cubin_sms.size() * m.kernel_count);
  return 0;
}

}  // namespace wick::tools
