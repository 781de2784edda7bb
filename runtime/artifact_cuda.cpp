#include "runtime/artifact_cuda.h"

#include <cstdlib>

#include "runtime/artifact.h"
#include "runtime/checksum.h"
#include "runtime/cuda_device.h"
#include "runtime/file_util.h"

namespace wick::rt {

GpuKernels read_artifact_gpu_kernels(const Manifest& m, const Plan& plan, const std::string& dir) {
  const std::string path = dir + "/" + kGpuKernelsFile;
  const std::string bytes = read_file(path, kMaxGpuKernelsFileBytes);
  auto fail = [&](const std::string& message) -> void { throw Error(message, SourceLocation{path}); };
  if (bytes.size() != m.gpu_kernels_bin.bytes)
    fail("file is " + std::to_string(bytes.size()) + " bytes, the manifest says " +
         std::to_string(m.gpu_kernels_bin.bytes) + " (file truncated, or from another build)");
  if (xxh64(bytes) != m.gpu_kernels_bin.checksum)
    fail("checksum " + hex64(xxh64(bytes)) + " does not match the manifest's " + hex64(m.gpu_kernels_bin.checksum) +
         " (file corrupt, or from another build)");
  GpuKernels kernels = decode_gpu_kernels(bytes, path);
  check_gpu_kernel_names(kernels, plan.kernels, path);
  if (kernels.ptx_sm != m.ptx_sm)
    fail("holds PTX for " + sm_name(kernels.ptx_sm) + ", the manifest says " + sm_name(m.ptx_sm) +
         " (file from another build)");
  for (const GpuKernelImage& k : kernels.kernels) {
    std::vector<int> sms;
    for (const GpuCubin& c : k.cubins) sms.push_back(c.sm);
    if (sms != m.cubin_sms)
      fail("kernel " + k.name + " has cubins for [" + sm_list(sms) + "], the manifest says [" + sm_list(m.cubin_sms) +
           "] (file from another build)");
  }
  return kernels;
}

int artifact_cuda_device(const std::string& dir) {
  const char* env = std::getenv("WICK_CUDA_DEVICE");
  if (!env) return 0;
  const std::string text = env;
  if (text.empty() || text.size() > 4 || text.find_first_not_of("0123456789") != std::string::npos)
    throw Error("WICK_CUDA_DEVICE is \"" + text + "\", which is no device index (0 for the first GPU, 1, ...)",
                SourceLocation{dir});
  return std::stoi(text);
}

CudaPlanKernels load_artifact_gpu_kernels(const GpuKernels& kernels, const std::string& dir) {
  const int index = artifact_cuda_device(dir);
  CudaDevice* device = nullptr;
  try {
    device = &cuda_device(index);
  } catch (const Error& e) {
    throw UnsupportedDevice("the model runs on an NVIDIA GPU (it was compiled with --device cuda): " + e.message(),
                            SourceLocation{dir});
  }
  std::vector<int> cubin_sms;
  if (!kernels.kernels.empty())
    for (const GpuCubin& c : kernels.kernels[0].cubins) cubin_sms.push_back(c.sm);
  // Every kernel has the same architectures (read_artifact_gpu_kernels), so
  // the first one decides for all.
  if (!kernels.kernels.empty() && !gpu_image_for(kernels.kernels[0], kernels.ptx_sm, device->sm()))
    throw UnsupportedDevice("the model was compiled for " + sm_name(kernels.ptx_sm) + " and newer GPUs (PTX " +
                                sm_name(kernels.ptx_sm) +
                                (cubin_sms.empty() ? std::string() : ", cubins " + sm_list(cubin_sms)) + "), but " +
                                device->describe() + " is " + sm_name(device->sm()) +
                                ": recompile it with --gpu-arch " + sm_name(device->sm()),
                            SourceLocation{dir});
  CudaPlanKernels out;
  out.device = index;
  for (const GpuKernelImage& k : kernels.kernels) {
    const std::string* image = gpu_image_for(k, kernels.ptx_sm, device->sm());
    WICK_ASSERT(image != nullptr, "kernel " + k.name + " has no image for " + sm_name(device->sm()));
    out.functions.push_back(CudaModule::load(*image, index, k.name)->function(k.name));
  }
  return out;
}

}  // namespace wick::rt
