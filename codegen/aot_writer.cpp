#include "codegen/aot_writer.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "codegen/aot_gpu_kernels.h"
#include "codegen/host_target.h"
#include "codegen/mlir_compiler.h"
#include "runtime/artifact.h"
#include "runtime/checksum.h"
#include "runtime/cpu_features.h"
#include "runtime/file_util.h"
#include "runtime/memref_descriptor.h"
#include "runtime/plan_io.h"
#include "runtime/weights_file.h"

extern char** environ;

namespace wick::codegen {
namespace {

namespace fs = std::filesystem;

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

std::string arch_of(const std::string& triple) { return triple.substr(0, triple.find('-')); }

// A scratch directory, removed with everything in it on scope exit.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "wick-aot-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw Error(std::string("cannot create a temporary directory: ") + std::strerror(errno));
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Runs `argv` with stdout and stderr into `log`; returns the exit status
// (-1 when it could not start or did not exit normally).
int run_program(const std::vector<std::string>& argv, const std::string& log) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid;
  int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string c_string_literal(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// What the artifact's identity is a hash of.
struct IdentityHash {
  std::string bytes;
  void add(uint64_t v) { bytes.append(reinterpret_cast<const char*>(&v), sizeof v); }
  uint64_t finish() const { return rt::xxh64(bytes); }
};

void prepare_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw Error("cannot create the output directory: " + ec.message(), SourceLocation{dir});
  if (!fs::is_directory(dir, ec)) throw Error("the output path exists and is not a directory", SourceLocation{dir});
  if (::access(dir.c_str(), W_OK) != 0)
    throw Error(std::string("cannot write into the output directory: ") + std::strerror(errno), SourceLocation{dir});
}

}  // namespace

AotTarget resolve_aot_target(const std::string& name, const CompileOptions& base) {
  AotTarget t;
  t.name = name;
  t.options = base;
  if (name == "native") {
    t.options.cpu = "native";
    const TargetDescription d = resolve_target(t.options);
    t.arch = arch_of(d.triple);
    t.cpu = d.cpu;
    // Every host feature the runtime can test; the code may use any of them.
    size_t pos = 0;
    while (pos < d.features.size()) {
      size_t end = d.features.find(',', pos);
      if (end == std::string::npos) end = d.features.size();
      const std::string item = d.features.substr(pos, end - pos);
      pos = end + 1;
      if (item.size() > 1 && item[0] == '+' && rt::checkable_cpu_feature(item.substr(1)))
        t.required_features.push_back(item.substr(1));
    }
    return t;
  }
  auto features = rt::level_features(name);
  if (!features || name == "x86-64-v2")
    throw Error("unknown target '" + name + "' (expected native, x86-64-v3 or x86-64-v4)");
  t.options.cpu = name;
  t.options.features.clear();
  const TargetDescription d = resolve_target(t.options);
  t.arch = arch_of(d.triple);
  if (t.arch != "x86_64") throw Error("target " + name + " needs an x86-64 compiler host, this is " + d.triple);
  t.cpu = d.cpu;
  t.required_features = *features;
  return t;
}

ArtifactReport write_artifact(const ArtifactSource& source, const std::string& dir, const AotTarget& target,
                              const std::string& cc) {
  WICK_ASSERT(source.built != nullptr, "no plan to write");
  const auto start = std::chrono::steady_clock::now();
  const rt::Plan& plan = source.built->plan;
  const std::vector<GeneratedKernel>& kernels = source.built->kernels;
  const bool cuda = plan.device == rt::PlanDevice::cuda;
  WICK_ASSERT((cuda ? source.built->gpu_kernels.size() : kernels.size()) == plan.kernels.size(),
              "kernels and plan disagree");
  prepare_dir(dir);
  ScratchDir scratch;
  ArtifactReport report;

  // Kernel objects; their hashes go into the identity.
  std::vector<std::string> objects;
  IdentityHash identity;
  const auto kernels_start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < kernels.size(); ++i) {
    CompileStats stats;
    const std::string object = compile_to_object(kernels[i].mlir, target.options, &stats);
    report.cache_hits += stats.cache_hit() ? 1 : 0;
    objects.push_back(scratch.file("k" + std::to_string(i) + ".o"));
    rt::write_file_atomic(objects.back(), object);
    identity.add(rt::xxh64(object));
  }
  // A CUDA plan's kernels: PTX and cubins, for gpu_kernels.bin.
  std::string gpu_bytes;
  if (cuda) {
    GpuKernelsBuild gpu =
        build_gpu_kernels(source.built->gpu_kernels, source.ptx_sm, source.cubin_sms, target.options.cache_dir);
    gpu_bytes = rt::encode_gpu_kernels(gpu.kernels);
    report.ptxas = gpu.ptxas;
    report.cubin_cache_hits = gpu.cubin_cache_hits;
    report.ptxas_ms = gpu.ptxas_ms;
    for (const GpuKernel& k : source.built->gpu_kernels) report.cache_hits += k.compile.cache_hit() ? 1 : 0;
  }
  report.kernels_ms = ms_since(kernels_start);

  // The C API sizes outputs from the inputs alone.
  for (size_t i = 0; i < source.outputs.size(); ++i)
    for (int32_t sym : source.outputs[i].spec.size_symbols) {
      if (sym < 0) continue;
      bool from_inputs = false;
      for (const rt::IoInfo& in : source.inputs)
        for (int32_t s : in.spec.size_symbols) from_inputs = from_inputs || s == sym;
      if (!from_inputs)
        throw Error("output " + std::to_string(i) + " has a size only the data decides (" +
                    plan.symbols.at(static_cast<size_t>(sym)) +
                    ", as after a boolean mask or nonzero); a deployed model's output sizes must follow from its inputs'");
    }

  // Weights and plan.
  const std::string weights_path = dir + "/" + rt::kWeightsFile;
  const rt::WeightsFile weights = rt::write_weights(weights_path, source.tensors);
  const std::string plan_bytes = rt::encode_plan(plan);

  rt::Manifest& m = report.manifest;
  m.wick_version = rt::runtime_version();
  m.target = target.name;
  m.arch = target.arch;
  m.cpu = target.cpu;
  // A CUDA artifact holds no host code of its own (model.so carries only the
  // identity), so it asks nothing of the host CPU.
  if (!cuda) m.required_features = target.required_features;
  m.model = source.model;
  m.method = source.method;
  m.symbols = plan.symbols;
  for (int32_t k = 0; k < static_cast<int32_t>(plan.symbols.size()); ++k) {
    bool from_inputs = false;
    for (const rt::IoInfo& in : source.inputs)
      for (int32_t s : in.spec.size_symbols) from_inputs = from_inputs || s == k;
    if (!from_inputs) m.data_dims.push_back(plan.symbols[static_cast<size_t>(k)]);
  }
  m.inputs = source.inputs;
  m.outputs = source.outputs;
  if (cuda) {
    m.device = "cuda";
    m.ptx_sm = source.ptx_sm;
    if (!report.ptxas.empty()) m.cubin_sms = source.cubin_sms;
    m.gpu_kernels_bin = {gpu_bytes.size(), rt::xxh64(gpu_bytes)};
  }
  m.format_version = rt::artifact_format_version(m);
  m.kernel_count = static_cast<int64_t>(plan.kernels.size());
  m.plan_bin = {plan_bytes.size(), rt::xxh64(plan_bytes)};
  m.weights_bin = {weights.file_size, weights.data_checksum};
  identity.add(m.plan_bin.checksum);
  identity.add(m.weights_bin.checksum);
  if (cuda) identity.add(m.gpu_kernels_bin.checksum);
  identity.add(rt::xxh64(m.wick_version + "|" + m.target + "|" + m.cpu));
  m.identity = identity.finish();

  // model.so: the kernels, the identity, and only the entries exported.
  const auto link_start = std::chrono::steady_clock::now();
  const std::string identity_c = scratch.file("identity.c");
  rt::write_file_atomic(identity_c, "__attribute__((visibility(\"default\"), used)) const char " +
                                        std::string(rt::kIdentitySymbol) + "[] = " +
                                        c_string_literal(rt::identity_string(m)) + ";\n");
  const std::string exports = scratch.file("exports.map");
  rt::write_file_atomic(exports, "{\n  global:\n    " + std::string(kPackedEntryPrefix) + "*;\n    " +
                                     rt::kIdentitySymbol + ";\n  local:\n    *;\n};\n");
  std::string compiler = cc;
  if (compiler.empty()) {
    const char* env = std::getenv("CC");
    compiler = env && *env ? env : "cc";
  }
  const std::string library = scratch.file(rt::kLibraryFile);
  std::vector<std::string> argv = {compiler, "-shared", "-fPIC", "-O1", "-o", library, identity_c};
  argv.insert(argv.end(), objects.begin(), objects.end());
  for (const char* flag : {"-Wl,-z,noexecstack", "-Wl,-z,now", "-lm"}) argv.push_back(flag);
  argv.push_back("-Wl,--version-script=" + exports);
  const std::string log = scratch.file("link.log");
  const int status = run_program(argv, log);
  if (status != 0) {
    std::string output;
    try {
      output = rt::read_file(log, 1 << 16);
    } catch (const Error&) {
    }
    if (status == -1 && output.empty())
      throw Error("cannot run the C compiler '" + compiler + "', which links model.so (set CC to another one)");
    throw Error("linking model.so with '" + compiler + "' failed (exit status " + std::to_string(status) + "):\n" + output);
  }
  const std::string library_bytes = rt::read_file(library, rt::kMaxLibraryBytes);
  m.model_so = {library_bytes.size(), rt::xxh64(library_bytes)};
  report.link_ms = ms_since(link_start);

  rt::write_file_atomic(dir + "/" + rt::kLibraryFile, library_bytes);
  rt::write_file_atomic(dir + "/" + rt::kPlanFile, plan_bytes);
  const std::string gpu_path = dir + "/" + rt::kGpuKernelsFile;
  if (cuda) {
    rt::write_file_atomic(gpu_path, gpu_bytes);
  } else {
    // A CUDA artifact's file left from an earlier compile into this directory.
    std::error_code ec;
    fs::remove(gpu_path, ec);
  }
  rt::write_file_atomic(dir + "/" + rt::kManifestFile, rt::manifest_to_json(m));
  report.total_ms = ms_since(start);
  return report;
}

}  // namespace wick::codegen
