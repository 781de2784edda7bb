// Finding and opening the NVIDIA libraries the runtime reaches through dlopen
// (cuBLASLt, cuDNN; the driver has its own rule in cuda_driver.h). Nothing is
// linked at build time, so a machine without them runs the CPU path as usual
// and a GPU call says which library it missed and where it looked.
//
// Search order for a library with names N1, N2, ... (e.g. libcublasLt.so.13,
// libcublasLt.so.12):
//   1. the file named by the library's own variable (WICK_CUBLASLT, WICK_CUDNN)
//      when it is set, and nothing else;
//   2. DIR/N1, DIR/N2, ... for each DIR of WICK_CUDA_LIBRARY_PATH (colon
//      separated), in order;
//   3. N1, N2, ... as bare names: the dynamic loader's own search
//      (LD_LIBRARY_PATH, the executable's RUNPATH, ld.so.cache, /lib, /usr/lib).
// PyTorch's pip wheels keep them in site-packages/nvidia/cu13/lib (cuBLASLt)
// and site-packages/nvidia/cudnn/lib (cuDNN): put those directories in
// WICK_CUDA_LIBRARY_PATH.
#pragma once

#include <string>
#include <vector>

namespace wick::rt {

struct CudaLibrary {
  void* handle = nullptr;  // from dlopen; never closed
  std::string path;        // the candidate that opened
  // The symbol's address, or nullptr when the library lacks it.
  void* symbol(const char* name) const;
};

// The candidates of the search above, in order (for messages and tests).
std::vector<std::string> cuda_library_candidates(const char* override_env,
                                                 const std::vector<std::string>& names);

// Opens the first candidate that loads. Throws wick::Error
// "<what> not found (searched: CANDIDATE: dlerror; ...)" when none does.
CudaLibrary open_cuda_library(const std::string& what, const char* override_env,
                              const std::vector<std::string>& names);

// The same over an explicit candidate list.
CudaLibrary open_first_library(const std::string& what, const std::vector<std::string>& candidates);

}  // namespace wick::rt
