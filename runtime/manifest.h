// manifest.json: what a deployed artifact directory holds and what it was
// built for. The runtime reads it first and refuses, with a message saying
// why, an artifact of another format or wick version, for a CPU that this one
// is not, or whose files do not match the sizes and checksums recorded here.
//
// {
//   "format": "wick-artifact", "format_version": 2, "wick_version": "0.1.0",
//   "identity": "<16 hex digits>",       also compiled into model.so
//   "target": {"name": "x86-64-v3", "arch": "x86_64", "cpu": "x86-64-v3",
//              "required_features": ["avx", "avx2", ...]},
//   "model": "net.pt", "method": "forward",
//   "symbols": ["B"],                    the dynamic dims (format version 2)
//   "data_dims": ["nnz_..."],            those the data sizes (format version 4)
//   "inputs":  [{"name": "x", "dtype": "f32", "shape": ["B", 14]}, ...],
//   "outputs": [{"name": "output0", "dtype": "f32", "shape": ["B", 1]}, ...],
//   "kernel_count": 12,
//   "device": "cuda",                    where the plan runs (format version 3)
//   "gpu": {"ptx_sm": 80, "cubin_sms": [80, 90]},   CUDA artifacts only
//   "files": {"model.so":    {"bytes": N, "xxh64": "<whole file>"},
//             "plan.bin":    {"bytes": N, "xxh64": "<whole file>"},
//             "weights.bin": {"bytes": N, "data_xxh64": "<checksum of its data>"},
//             "gpu_kernels.bin": {"bytes": N, "xxh64": "<whole file>"}}   CUDA only
// }
//
// A shape entry is a size, or for a dynamic dim a string: a symbol ("B") or a
// multiple of one ("3*B"). Every symbol is a dim of some input, so the inputs
// of a run fix them all. Format version 1 is the same without "symbols" and
// with integer shapes only; wick writes version 1 for artifacts without
// dynamic dims, so that they stay readable by runtimes that know only it.
//
// Format version 3 adds "device": "cpu" or "cuda". A CUDA artifact's kernels
// are in gpu_kernels.bin (runtime/gpu_kernels_file.h): PTX for ptx_sm, which
// the driver compiles for any GPU not older, and a cubin for each of
// cubin_sms (empty where ptxas was missing at compile time); its model.so
// holds only the identity. "target" still names the host CPU, which runs the
// executor. wick writes version 3 for CUDA artifacts only, so CPU artifacts
// keep versions 1 and 2.
//
// Format version 4 adds "data_dims": symbols that no input fixes, bound as
// the plan runs (the count of a mask's true elements, rt::Op::nonzero). They
// size intermediates only: every output's size still follows from the
// inputs. wick writes version 4 only for CPU artifacts that have them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/plan.h"
#include "support/error.h"

namespace wick::rt {

// The versions of manifest.json this runtime reads: 1 (static shapes), 2
// (adds dynamic dims), 3 (adds the device and CUDA artifacts) and 4 (adds
// dims the data sizes).
inline constexpr int kMinArtifactFormatVersion = 1;
inline constexpr int kArtifactFormatVersion = 4;
inline constexpr size_t kMaxManifestBytes = size_t{1} << 20;

// An artifact built for a CPU this one is not.
class UnsupportedCpu : public Error {
 public:
  using Error::Error;
};

// A CUDA artifact on a machine that cannot run it: no NVIDIA driver, no such
// device, or a GPU older than the artifact's code.
class UnsupportedDevice : public Error {
 public:
  using Error::Error;
};

// The version of this runtime, which an artifact's wick_version must equal.
const char* runtime_version();

struct IoInfo {
  std::string name;
  TensorSpec spec;
};

struct FileInfo {
  uint64_t bytes = 0;
  uint64_t checksum = 0;  // see the header comment for what each file's covers
};

struct Manifest {
  int format_version = kMinArtifactFormatVersion;  // see artifact_format_version
  std::string wick_version;
  uint64_t identity = 0;
  std::string target;  // native, x86-64-v3, x86-64-v4
  std::string arch;    // x86_64
  std::string cpu;     // the LLVM CPU name code was generated for
  std::vector<std::string> required_features;
  std::string model;   // the .pt file's name, for messages
  std::string method;
  // The dynamic dims, e.g. {"B"}: what the inputs' and outputs'
  // spec.size_symbols index (plan.bin's Plan::symbols, in the same order).
  std::vector<std::string> symbols;
  // The symbols bound by the data rather than the inputs (format version 4).
  std::vector<std::string> data_dims;
  std::vector<IoInfo> inputs, outputs;
  int64_t kernel_count = 0;
  std::string device = "cpu";  // "cpu" or "cuda" (format version 3)
  int ptx_sm = 0;              // CUDA: the PTX's architecture (80 for sm_80)
  std::vector<int> cubin_sms;  // CUDA: the cubins' architectures, increasing
  FileInfo model_so, plan_bin, weights_bin;
  FileInfo gpu_kernels_bin;    // CUDA only

  bool cuda() const { return device == "cuda"; }
};

// The oldest format version that can hold `m`: 3 for a CUDA artifact, 2 with
// dynamic dims, else 1.
int artifact_format_version(const Manifest& m);

// Throws wick::InternalError when m.format_version cannot hold `m`.
std::string manifest_to_json(const Manifest& m);
// Checks types, ranges and the format version; `file` names the manifest in
// errors. Does not check the wick version or the CPU (see check_compatible).
Manifest parse_manifest(std::string_view text, const std::string& file);

// Throws wick::Error naming `dir` when the artifact was built by another wick
// version or for a CPU this one is not (UnsupportedCpu).
void check_compatible(const Manifest& m, const std::string& dir);

// The identity string compiled into model.so as `wick_artifact_identity`.
std::string identity_string(const Manifest& m);
inline constexpr const char* kIdentitySymbol = "wick_artifact_identity";

}  // namespace wick::rt
