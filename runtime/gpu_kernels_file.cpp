#include "runtime/gpu_kernels_file.h"

#include <cstring>

#include "runtime/byte_io.h"
#include "runtime/checksum.h"

namespace wick::rt {
namespace {

constexpr char kMagic[8] = {'W', 'I', 'C', 'K', 'G', 'P', 'U', 'K'};
constexpr size_t kHeaderSize = 32;
// The least a kernel takes: name and PTX lengths and the cubin count.
constexpr size_t kMinKernelBytes = 12;
// The least a cubin takes: its sm and its image length.
constexpr size_t kMinCubinBytes = 8;
constexpr size_t kMaxNameBytes = 4096;

bool sm_in_range(uint32_t sm) { return sm >= static_cast<uint32_t>(kMinGpuSm) && sm <= static_cast<uint32_t>(kMaxGpuSm); }

}  // namespace

std::string sm_name(int sm) { return "sm_" + std::to_string(sm); }

std::string sm_list(const std::vector<int>& sms) {
  std::string s;
  for (int sm : sms) s += (s.empty() ? "" : ", ") + sm_name(sm);
  return s;
}

std::string encode_gpu_kernels(const GpuKernels& kernels) {
  ByteWriter payload;
  payload.u32(ByteWriter::checked_count(kernels.kernels.size()));
  for (const GpuKernelImage& k : kernels.kernels) {
    payload.str(k.name);
    payload.str(k.ptx);
    payload.u32(ByteWriter::checked_count(k.cubins.size()));
    for (const GpuCubin& c : k.cubins) {
      payload.u32(static_cast<uint32_t>(c.sm));
      payload.str(c.image);
    }
  }
  ByteWriter out;
  out.bytes(kMagic, sizeof kMagic);
  out.u32(kGpuKernelsFormatVersion);
  out.u32(static_cast<uint32_t>(kernels.ptx_sm));
  out.u64(payload.size());
  out.u64(xxh64(payload.data()));
  out.bytes(payload.data().data(), payload.size());
  return std::move(out.data());
}

GpuKernels decode_gpu_kernels(std::string_view bytes, const std::string& file) {
  ByteReader header(bytes.data(), bytes.size(), file);
  if (bytes.size() < kHeaderSize)
    header.fail("not a wick GPU kernels file: the file is " + std::to_string(bytes.size()) + " bytes long");
  if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) header.fail("not a wick GPU kernels file (bad magic)");
  header.take(sizeof kMagic, "magic");
  const uint32_t version = header.u32();
  if (version != kGpuKernelsFormatVersion)
    throw Error("GPU kernels format version " + std::to_string(version) + ", but this runtime reads version " +
                    std::to_string(kGpuKernelsFormatVersion) + ": recompile the model with this wick",
                SourceLocation{file});
  GpuKernels out;
  const size_t sm_at = header.pos();
  const uint32_t ptx_sm = header.u32();
  if (!sm_in_range(ptx_sm)) header.fail_at(sm_at, "bad PTX architecture " + std::to_string(ptx_sm));
  out.ptx_sm = static_cast<int>(ptx_sm);
  const uint64_t size = header.u64();
  const uint64_t checksum = header.u64();
  if (size != bytes.size() - kHeaderSize)
    throw Error("GPU kernels payload is " + std::to_string(bytes.size() - kHeaderSize) + " bytes, the header says " +
                    std::to_string(size) + " (file truncated or corrupt)",
                SourceLocation{file});
  const std::string_view payload = bytes.substr(kHeaderSize);
  if (xxh64(payload) != checksum) throw Error("GPU kernels checksum mismatch (file corrupt)", SourceLocation{file});

  // The checksum guards against accidents; the checks below keep a file made
  // on purpose from doing more than failing.
  ByteReader in(payload.data(), payload.size(), file, kHeaderSize);
  const uint32_t count = in.count(kMinKernelBytes, "kernel");
  for (uint32_t i = 0; i < count; ++i) {
    GpuKernelImage& k = out.kernels.emplace_back();
    const size_t at = in.pos();
    k.name = in.str("kernel name");
    if (k.name.empty() || k.name.size() > kMaxNameBytes)
      in.fail_at(at, "kernel " + std::to_string(i) + " has a name of " + std::to_string(k.name.size()) + " bytes");
    const size_t ptx_at = in.pos();
    k.ptx = in.str("PTX");
    if (k.ptx.empty()) in.fail_at(ptx_at, "kernel " + k.name + " has no PTX");
    const uint32_t cubins = in.count(kMinCubinBytes, "cubin");
    for (uint32_t c = 0; c < cubins; ++c) {
      GpuCubin& cubin = k.cubins.emplace_back();
      const size_t cubin_at = in.pos();
      const uint32_t sm = in.u32();
      if (!sm_in_range(sm)) in.fail_at(cubin_at, "kernel " + k.name + " has a cubin of bad architecture " + std::to_string(sm));
      if (c > 0 && static_cast<int>(sm) <= k.cubins[c - 1].sm)
        in.fail_at(cubin_at, "kernel " + k.name + " lists its cubins out of order (sm_" + std::to_string(sm) +
                                 " after sm_" + std::to_string(k.cubins[c - 1].sm) + ")");
      cubin.sm = static_cast<int>(sm);
      const size_t image_at = in.pos();
      cubin.image = in.str("cubin");
      if (cubin.image.empty()) in.fail_at(image_at, "kernel " + k.name + " has an empty cubin for " + sm_name(cubin.sm));
    }
  }
  if (!in.at_end()) in.fail(std::to_string(in.remaining()) + " bytes of trailing data");
  return out;
}

void check_gpu_kernel_names(const GpuKernels& kernels, const std::vector<std::string>& plan_kernels,
                            const std::string& file) {
  if (kernels.kernels.size() != plan_kernels.size())
    throw Error("holds " + std::to_string(kernels.kernels.size()) + " kernels, but the plan calls " +
                    std::to_string(plan_kernels.size()) + " (file from another build)",
                SourceLocation{file});
  for (size_t i = 0; i < plan_kernels.size(); ++i)
    if (kernels.kernels[i].name != plan_kernels[i])
      throw Error("kernel " + std::to_string(i) + " is \"" + kernels.kernels[i].name + "\", but the plan calls \"" +
                      plan_kernels[i] + "\" there (file from another build)",
                  SourceLocation{file});
}

const std::string* gpu_image_for(const GpuKernelImage& kernel, int ptx_sm, int device_sm) {
  for (const GpuCubin& c : kernel.cubins)
    if (c.sm == device_sm) return &c.image;
  return device_sm >= ptx_sm ? &kernel.ptx : nullptr;
}

}  // namespace wick::rt
