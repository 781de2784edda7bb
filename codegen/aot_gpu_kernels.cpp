#include "codegen/aot_gpu_kernels.h"

#include <sys/stat.h>

#include <chrono>

#include "codegen/content_hash.h"
#include "codegen/object_cache.h"
#include "codegen/ptxas.h"

namespace wick::codegen {
namespace {

constexpr const char* kCubinFormat = "wick-cubin-1";

// What identifies a ptxas binary well enough for the cache: its path, size
// and modification time (a toolkit upgrade changes them).
std::string ptxas_identity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return path;
  return path + "|" + std::to_string(st.st_size) + "|" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

GpuKernelsBuild build_gpu_kernels(const std::vector<GpuKernel>& kernels, int ptx_sm, const std::vector<int>& cubin_sms,
                                  const std::string& cache_dir) {
  GpuKernelsBuild out;
  out.kernels.ptx_sm = ptx_sm;
  out.ptxas = cubin_sms.empty() ? std::string() : find_ptxas();
  const std::string ptxas_id = out.ptxas.empty() ? std::string() : ptxas_identity(out.ptxas);
  const ObjectCache cache(cache_dir);
  const auto start = std::chrono::steady_clock::now();
  for (const GpuKernel& k : kernels) {
    rt::GpuKernelImage& image = out.kernels.kernels.emplace_back();
    image.name = k.name;
    image.ptx = k.ptx;
    if (out.ptxas.empty()) continue;
    for (int sm : cubin_sms) {
      const Hash128 key = HashBuilder().add(kCubinFormat).add(ptxas_id).add(sm).add(k.ptx).finish();
      std::optional<std::string> cubin = cache.enabled() ? cache.load(key) : std::nullopt;
      if (cubin) {
        ++out.cubin_cache_hits;
      } else {
        std::string log;
        cubin = assemble_ptx(k.ptx, sm, &log);
        if (cubin->empty())
          throw Error("ptxas (" + out.ptxas + ") failed on kernel " + k.name + " for " + rt::sm_name(sm) + ":\n" + log);
        if (cache.enabled()) cache.store(key, *cubin);
      }
      image.cubins.push_back({sm, std::move(*cubin)});
    }
  }
  out.ptxas_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace wick::codegen
