// Library search for cuBLASLt and cuDNN; see cuda_library.h.
#include "runtime/cuda_library.h"

#include <dlfcn.h>

#include <cstdlib>

#include "support/error.h"

namespace wick::rt {

void* CudaLibrary::symbol(const char* name) const {
  return handle ? dlsym(handle, name) : nullptr;
}

std::vector<std::string> cuda_library_candidates(const char* override_env,
                                                 const std::vector<std::string>& names) {
  if (override_env) {
    const char* file = std::getenv(override_env);
    if (file && *file) return {file};
  }
  std::vector<std::string> out;
  if (const char* path = std::getenv("WICK_CUDA_LIBRARY_PATH")) {
    std::string dirs = path;
    size_t start = 0;
    while (start <= dirs.size()) {
      size_t end = dirs.find(':', start);
      if (end == std::string::npos) end = dirs.size();
      std::string dir = dirs.substr(start, end - start);
      if (!dir.empty()) {
        if (dir.back() != '/') dir += '/';
        for (const std::string& n : names) out.push_back(dir + n);
      }
      start = end + 1;
    }
  }
  for (const std::string& n : names) out.push_back(n);
  return out;
}

CudaLibrary open_first_library(const std::string& what, const std::vector<std::string>& candidates) {
  std::string searched;
  for (const std::string& c : candidates) {
    dlerror();
    if (void* h = dlopen(c.c_str(), RTLD_NOW | RTLD_LOCAL)) return CudaLibrary{h, c};
    const char* err = dlerror();
    if (!searched.empty()) searched += "; ";
    // dlerror usually starts with the name it tried; avoid saying it twice.
    std::string e = err ? err : "cannot be opened";
    searched += e.rfind(c, 0) == 0 ? e : c + ": " + e;
  }
  throw Error(what + " not found (searched: " + (searched.empty() ? "nothing" : searched) +
              "); set WICK_CUDA_LIBRARY_PATH to the directory that holds it");
}

CudaLibrary open_cuda_library(const std::string& what, const char* override_env,
                              const std::vector<std::string>& names) {
  return open_first_library(what, cuda_library_candidates(override_env, names));
}

}  // namespace wick::rt
