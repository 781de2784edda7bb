#include "runtime/artifact.h"

#include <dlfcn.h>
#include <elf.h>
#include <sys/stat.h>

#include <cstring>
#include <optional>

#include "runtime/artifact_cuda.h"
#include "runtime/checksum.h"
#include "runtime/file_util.h"
#include "runtime/plan_io.h"
#include "runtime/tensor_spec.h"
#include "runtime/weights_file.h"

namespace wick::rt {
namespace {

[[noreturn]] void fail(const std::string& file, const std::string& message) { throw Error(message, SourceLocation{file}); }

void check_size(const std::string& path, uint64_t actual, const FileInfo& expected) {
  if (actual != expected.bytes)
    fail(path, "file is " + std::to_string(actual) + " bytes, the manifest says " + std::to_string(expected.bytes) +
                   " (file truncated, or from another build)");
}

// The shared library's ELF headers, read before dlopen maps it: a file cut
// short with a manifest to match would map segments past its end, and the
// loader would die of SIGBUS rather than fail.
void check_elf(const std::string& path, const std::string& bytes) {
  auto in_file = [&](uint64_t offset, uint64_t size) { return offset <= bytes.size() && size <= bytes.size() - offset; };
  Elf64_Ehdr header;
  if (bytes.size() < sizeof header || std::memcmp(bytes.data(), ELFMAG, SELFMAG) != 0)
    fail(path, "is not an ELF shared library");
  std::memcpy(&header, bytes.data(), sizeof header);
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_type != ET_DYN || header.e_phentsize != sizeof(Elf64_Phdr))
    fail(path, "is not a 64-bit ELF shared library");
  if (!in_file(header.e_phoff, uint64_t{header.e_phnum} * sizeof(Elf64_Phdr)))
    fail(path, "its program headers lie past the end of the file (file truncated?)");
  for (uint16_t i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr segment;
    std::memcpy(&segment, bytes.data() + header.e_phoff + i * sizeof segment, sizeof segment);
    if ((segment.p_type == PT_LOAD || segment.p_type == PT_DYNAMIC) && !in_file(segment.p_offset, segment.p_filesz))
      fail(path, "segment " + std::to_string(i) + " lies past the end of the file (file truncated?)");
  }
}

void check_checksum(const std::string& path, uint64_t actual, const FileInfo& expected) {
  if (actual != expected.checksum)
    fail(path, "checksum " + hex64(actual) + " does not match the manifest's " + hex64(expected.checksum) +
                   " (file corrupt, or from another build)");
}

}  // namespace

std::unique_ptr<Artifact> Artifact::open(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) fail(dir, std::string("cannot open the model directory: ") + std::strerror(errno));
  if (!S_ISDIR(st.st_mode)) fail(dir, "not a directory (a compiled model is a directory written by `wick compile`)");

  std::unique_ptr<Artifact> a(new Artifact());
  a->dir_ = dir;
  const std::string manifest_path = dir + "/" + kManifestFile;
  a->manifest_ = parse_manifest(read_file(manifest_path, kMaxManifestBytes), manifest_path);
  for (const IoInfo& io : a->manifest_.inputs) {
    a->input_specs_.push_back(io.spec);
    a->input_names_.push_back(io.name);
  }
  const Manifest& m = a->manifest_;
  check_compatible(m, dir);

  // The plan, which must agree with the manifest.
  const std::string plan_path = dir + "/" + kPlanFile;
  const std::string plan_bytes = read_file(plan_path, kMaxPlanFileBytes);
  check_size(plan_path, plan_bytes.size(), m.plan_bin);
  check_checksum(plan_path, xxh64(plan_bytes), m.plan_bin);
  Plan plan = decode_plan(plan_bytes, plan_path);
  if ((plan.device == PlanDevice::cuda) != m.cuda())
    fail(plan_path, std::string("the plan runs on ") + (plan.device == PlanDevice::cuda ? "cuda" : "cpu") +
                        ", but the manifest says the device is " + m.device);
  if (plan.input_specs.size() != m.inputs.size() || plan.outputs.size() != m.outputs.size() ||
      plan.kernels.size() != static_cast<size_t>(m.kernel_count))
    fail(plan_path, "the plan's inputs, outputs or kernels do not match the manifest");
  if (plan.symbols != m.symbols) {
    auto list = [](const std::vector<std::string>& xs) {
      std::string s;
      for (const std::string& x : xs) s += (s.empty() ? "" : ", ") + x;
      return "[" + s + "]";
    };
    fail(plan_path, "the plan's dynamic dims " + list(plan.symbols) + " are not the manifest's " + list(m.symbols));
  }
  for (size_t i = 0; i < m.inputs.size(); ++i)
    if (!same_spec(plan.input_specs[i], m.inputs[i].spec))
      fail(plan_path, "input " + std::to_string(i) + " is " + spec_text(plan.input_specs[i], plan.symbols) +
                          " in the plan but " + spec_text(m.inputs[i].spec, m.symbols) + " in the manifest");

  // The weights, zero-copy.
  const std::string weights_path = dir + "/" + kWeightsFile;
  WeightsFile weights = open_weights(weights_path);
  check_size(weights_path, weights.file_size, m.weights_bin);
  check_checksum(weights_path, weights.data_checksum, m.weights_bin);
  for (const auto& [slot, name] : plan.tensors) {
    const Tensor* t = weights.find(name);
    if (!t) fail(weights_path, "has no tensor \"" + name + "\", which the plan reads");
    a->weights_.push_back(*t);
  }

  // A CUDA artifact's kernels are in gpu_kernels.bin; its library holds
  // only the identity.
  std::optional<GpuKernels> gpu;
  if (m.cuda()) gpu = read_artifact_gpu_kernels(m, plan, dir);

  // The library is checked before dlopen runs any of its code. Its identity
  // spells out the checksums of the files above, so that a file edited
  // with a manifest to match is refused here, before anything runs.
  const std::string library_path = dir + "/" + kLibraryFile;
  const std::string library_bytes = read_file(library_path, kMaxLibraryBytes);
  check_size(library_path, library_bytes.size(), m.model_so);
  check_checksum(library_path, xxh64(library_bytes), m.model_so);
  check_elf(library_path, library_bytes);
  void* handle = ::dlopen(library_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) fail(library_path, std::string("cannot load: ") + ::dlerror());
  a->library_ = std::shared_ptr<void>(handle, [](void* h) { ::dlclose(h); });
  const auto* identity = static_cast<const char*>(::dlsym(handle, kIdentitySymbol));
  const std::string expected = identity_string(m);
  if (!identity || std::strncmp(identity, expected.c_str(), expected.size() + 1) != 0)
    fail(library_path, "its identity does not match the manifest's \"" + expected + "\" (file from another build)");
  if (gpu) {
    // Every file is checked before the driver is asked for the device.
    CudaPlanKernels kernels = load_artifact_gpu_kernels(*gpu, dir);
    try {
      a->executor_ = std::make_unique<Executor>(std::move(kernels), std::move(plan), a->weights_);
    } catch (const Error& e) {
      throw e.with_file(dir);
    }
    return a;
  }
  std::vector<PackedKernelFn> kernels;
  for (const std::string& name : plan.kernels) {
    void* fn = ::dlsym(handle, packed_entry_name(name).c_str());
    if (!fn) fail(library_path, "has no kernel \"" + name + "\", which the plan calls");
    kernels.push_back(reinterpret_cast<PackedKernelFn>(fn));
  }
  a->executor_ = std::make_unique<Executor>(std::move(plan), std::move(kernels), a->weights_);
  return a;
}

Artifact::~Artifact() { executor_.reset(); }

const char* Artifact::device() const { return manifest_.cuda() ? "cuda" : "cpu"; }

std::string Artifact::check_inputs(const std::vector<Tensor>& inputs, std::vector<int64_t>* symbols) const {
  std::vector<int64_t> values;
  if (!symbols) symbols = &values;
  symbols->assign(manifest_.symbols.size(), -1);
  const std::vector<std::string>& names = input_names_;
  std::vector<InputShape> shapes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].defined())
      return "input " + std::to_string(i) + (i < names.size() ? " (" + names[i] + ")" : "") + " is undefined";
    shapes.push_back({inputs[i].dtype(), &inputs[i].sizes()});
  }
  std::string problem = bind_input_shapes(input_specs_, names, manifest_.symbols, shapes, symbols);
  if (!problem.empty()) symbols->assign(manifest_.symbols.size(), -1);
  return problem;
}

std::vector<std::vector<int64_t>> Artifact::output_sizes(const std::vector<int64_t>& symbols) const {
  std::vector<std::vector<int64_t>> sizes;
  for (const IoInfo& io : manifest_.outputs) sizes.push_back(resolve_sizes(io.spec, symbols));
  return sizes;
}

std::vector<Tensor> Artifact::run(const std::vector<Tensor>& inputs) const {
  return run_checked(inputs, false);
}

std::vector<Tensor> Artifact::run_on_device(const std::vector<Tensor>& inputs) const {
  return run_checked(inputs, true);
}

std::vector<Tensor> Artifact::run_checked(const std::vector<Tensor>& inputs, bool outputs_on_device) const {
  std::string problem = check_inputs(inputs);
  if (!problem.empty()) throw Error(problem, SourceLocation{dir_});
  try {
    return outputs_on_device ? executor_->run_on_device(inputs) : executor_->run(inputs);
  } catch (const Error& e) {
    throw e.with_file(dir_);
  }
}

}  // namespace wick::rt
