// Writes a deployable model directory (see runtime/artifact.h for the
// layout): each kernel compiled to an object file (from the on-disk cache
// when it holds one), all of them linked by the system C compiler into
// model.so together with the artifact's identity, the plan into plan.bin,
// the module tensors the plan reads into weights.bin, and manifest.json
// last, so that an interrupted write never looks complete. The directory
// then runs with the wick runtime alone.
//
// A CUDA plan's kernels go into gpu_kernels.bin instead (PTX, and cubins
// where ptxas is present; aot_gpu_kernels.h), and model.so holds only the
// identity, so that the layout and its checks stay those of a CPU artifact.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "codegen/compile_options.h"
#include "codegen/plan_builder.h"
#include "runtime/manifest.h"
#include "support/tensor.h"

namespace wick::codegen {

// Code generation targets for deployment.
//   native     the CPU of this machine, all its features
//   x86-64-v3  AVX2, FMA, BMI2 (Haswell, Zen and later)
//   x86-64-v4  v3 plus AVX-512 F/BW/CD/DQ/VL (Skylake-SP, Zen 4 and later)
struct AotTarget {
  std::string name;
  CompileOptions options;  // cpu set for the target
  std::string arch;        // x86_64
  std::string cpu;         // the LLVM CPU name
  std::vector<std::string> required_features;  // what the runtime checks
};

// Throws wick::Error for an unknown target name.
AotTarget resolve_aot_target(const std::string& name, const CompileOptions& base = {});

struct ArtifactSource {
  const BuiltPlan* built = nullptr;
  std::vector<std::pair<std::string, Tensor>> tensors;  // every name built->plan.tensors reads
  std::vector<rt::IoInfo> inputs, outputs;
  std::string model;  // the source file's name, for messages
  std::string method = "forward";
  // CUDA plans: the architecture built->gpu_kernels' PTX is for, and those to
  // assemble cubins for (increasing) when ptxas is present.
  int ptx_sm = 0;
  std::vector<int> cubin_sms;
};

struct ArtifactReport {
  rt::Manifest manifest;
  int cache_hits = 0;       // kernels whose object came from the disk cache
  double kernels_ms = 0;    // compiling (or loading) kernel objects
  double link_ms = 0;       // the C compiler building model.so
  double total_ms = 0;
  // CUDA artifacts: the ptxas that assembled the cubins ("" when none was
  // found, and the artifact has PTX only), and its time.
  std::string ptxas;
  int cubin_cache_hits = 0;
  double ptxas_ms = 0;
};

// Writes the artifact into `dir`, creating it if needed and replacing the
// artifact files already there. `cc` is the C compiler ("" = $CC, else cc).
ArtifactReport write_artifact(const ArtifactSource& source, const std::string& dir, const AotTarget& target,
                              const std::string& cc = {});

}  // namespace wick::codegen
