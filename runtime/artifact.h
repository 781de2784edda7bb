// A deployed model directory, opened for running: manifest.json checked
// (format, wick version, CPU features), plan.bin read and validated,
// weights.bin mapped read-only with its checksum verified, model.so checked
// against the manifest, loaded with dlopen and its kernel entries looked up,
// and an Executor built over all of it. Everything a file could get wrong is
// a wick::Error naming the file; an artifact for a CPU that this one is not
// is an UnsupportedCpu error, a CUDA artifact on a machine without a fitting
// GPU an UnsupportedDevice error (manifest.h).
//
// Directory layout (written by codegen/aot_writer.h):
//   manifest.json    what was built, for what, and the files' checksums
//   plan.bin         the Plan (plan_io.h)
//   weights.bin      the module tensors the plan reads (weights_file.h)
//   model.so         every kernel, as `_wick_packed_<name>`, and the identity;
//                    for a CUDA artifact the identity only
//   gpu_kernels.bin  CUDA artifacts only: every kernel's PTX and cubins
//                    (gpu_kernels_file.h)
//
// A CUDA artifact (manifest "device": "cuda") runs on $WICK_CUDA_DEVICE (an
// index, 0 by default): each kernel is loaded from the cubin built for that
// GPU's architecture, else from the PTX, which the driver compiles for it.
// Its executor still runs on the host; inputs are copied to the GPU and the
// outputs come back to the host.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "runtime/executor.h"
#include "runtime/manifest.h"

namespace wick::rt {

inline constexpr const char* kManifestFile = "manifest.json";
inline constexpr const char* kPlanFile = "plan.bin";
inline constexpr const char* kWeightsFile = "weights.bin";
inline constexpr const char* kLibraryFile = "model.so";
inline constexpr const char* kGpuKernelsFile = "gpu_kernels.bin";
inline constexpr size_t kMaxLibraryBytes = size_t{1} << 31;

class Artifact {
 public:
  static std::unique_ptr<Artifact> open(const std::string& dir);
  ~Artifact();
  Artifact(const Artifact&) = delete;
  Artifact& operator=(const Artifact&) = delete;

  const Manifest& manifest() const { return manifest_; }
  const std::string& dir() const { return dir_; }
  // "cpu" or "cuda": where the plan runs (inputs and outputs are host tensors either way).
  const char* device() const;

  // The inputs must match the manifest's dtypes and shapes: static dims
  // exactly, dynamic dims (manifest().symbols) with one value per symbol
  // across all inputs (a wick::Error saying which input and how, before
  // anything runs). Returns host tensors. Safe to call from several threads
  // at once.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs) const;
  // The same, leaving a CUDA artifact's outputs on the device, unwaited for
  // (Executor::run_on_device says how long they stay valid).
  std::vector<Tensor> run_on_device(const std::vector<Tensor>& inputs) const;
  const Executor& executor() const { return *executor_; }

  // The problem with `inputs` for this artifact; empty when they fit. Gives
  // the value of each of manifest().symbols in `symbols` when not null (all -1
  // when the inputs do not fit).
  std::string check_inputs(const std::vector<Tensor>& inputs, std::vector<int64_t>* symbols = nullptr) const;

  // The sizes of the outputs for the symbol values check_inputs gave.
  std::vector<std::vector<int64_t>> output_sizes(const std::vector<int64_t>& symbols) const;

  // The module tensors, views of the mapped weights file.
  const std::vector<Tensor>& weights() const { return weights_; }

 private:
  Artifact() = default;
  std::vector<Tensor> run_checked(const std::vector<Tensor>& inputs, bool outputs_on_device) const;

  std::string dir_;
  Manifest manifest_;
  // The manifest's inputs' specs and names, as check_inputs reads them.
  std::vector<TensorSpec> input_specs_;
  std::vector<std::string> input_names_;
  std::shared_ptr<void> library_;  // dlclose'd after the executor is gone
  std::vector<Tensor> weights_;
  std::unique_ptr<Executor> executor_;
};

}  // namespace wick::rt
