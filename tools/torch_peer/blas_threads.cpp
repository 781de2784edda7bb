#include "blas_threads.h"

#include <dlfcn.h>

#include <initializer_list>

namespace wick::torch_side {

void set_blas_threads(int threads) {
  for (const char* lib : {"libopenblas.so.0", "libblas.so.3"}) {
    void* handle = dlopen(lib, RTLD_LAZY | RTLD_NOLOAD);
    if (!handle) continue;
    auto set = reinterpret_cast<void (*)(int)>(dlsym(handle, "openblas_set_num_threads"));
    if (set) set(threads);
    dlclose(handle);
    if (set) return;
  }
}

}  // namespace wick::torch_side
