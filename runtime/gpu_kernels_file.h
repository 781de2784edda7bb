// gpu_kernels.bin: the GPU code of a CUDA artifact. Per kernel of the plan,
// in plan order, its entry name, its PTX and the cubins ptxas assembled from
// that PTX at compile time (none where ptxas was missing).
//
//   0   char[8]  magic "WICKGPUK"
//   8   u32      format version (kGpuKernelsFormatVersion)
//   12  u32      the PTX's architecture (ptx_sm: 80 for .target sm_80)
//   16  u64      payload size in bytes
//   24  u64      XXH64 of the payload
//   32           payload: u32 kernel count, then per kernel: its name and its
//                PTX (u32 length, bytes), u32 cubin count, per cubin u32 sm
//                and the image (u32 length, bytes)
//
// The reader checks everything before trusting it (magic, version, size,
// checksum, every count and length against the bytes left, architectures in
// range and increasing, no empty name or image, no trailing bytes); any
// problem is a wick::Error naming the file. Several images per kernel let one
// artifact serve GPUs of several architectures: a cubin loads without the
// driver's JIT compiler, the PTX loads on any architecture not older than it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wick::rt {

inline constexpr uint32_t kGpuKernelsFormatVersion = 1;
inline constexpr size_t kMaxGpuKernelsFileBytes = size_t{1} << 31;
// The architectures (compute capability x 10) a kernel may be built for.
inline constexpr int kMinGpuSm = 50;
inline constexpr int kMaxGpuSm = 120;

struct GpuCubin {
  int sm = 0;         // 90 for sm_90
  std::string image;  // ELF bytes from ptxas
};

struct GpuKernelImage {
  std::string name;  // the plan's kernel name, which is also the PTX entry
  std::string ptx;
  std::vector<GpuCubin> cubins;  // increasing sm
};

struct GpuKernels {
  int ptx_sm = 0;  // every kernel's PTX targets this architecture
  std::vector<GpuKernelImage> kernels;
};

std::string encode_gpu_kernels(const GpuKernels& kernels);
// `file` names the data in errors.
GpuKernels decode_gpu_kernels(std::string_view bytes, const std::string& file);

// Throws a wick::Error naming `file` unless the kernels are exactly the
// plan's kernels (plan.kernels), in order.
void check_gpu_kernel_names(const GpuKernels& kernels, const std::vector<std::string>& plan_kernels,
                            const std::string& file);

// The image of `kernel` to load on a device of architecture `device_sm`: the
// cubin built for exactly that architecture, else the PTX when the device is
// not older than `ptx_sm` (the driver compiles it for the device). Null when
// neither fits.
const std::string* gpu_image_for(const GpuKernelImage& kernel, int ptx_sm, int device_sm);

// "sm_80", and "sm_80, sm_90" for a list.
std::string sm_name(int sm);
std::string sm_list(const std::vector<int>& sms);

}  // namespace wick::rt
