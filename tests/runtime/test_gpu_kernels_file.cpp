// gpu_kernels.bin (runtime/gpu_kernels_file.h): a round trip; every
// truncation of a small file, and every truncation of its payload behind a
// header that vouches for it, is a wick::Error naming the file, never a
// crash; specific problems say what they are; the kernels must be the plan's;
// and the image a GPU gets: its own architecture's cubin, else the PTX, else
// nothing.
#include <gtest/gtest.h>

#include "runtime/checksum.h"
#include "runtime/gpu_kernels_file.h"
#include "support/error.h"

namespace wick::rt {
namespace {

GpuKernels sample() {
  GpuKernels k;
  k.ptx_sm = 80;
  k.kernels.push_back({"wick_add_0", ".version 7.0\n.target sm_80\n// add", {{80, "\x7f" "ELF-80"}, {90, "\x7f" "ELF-90"}}});
  k.kernels.push_back({"wick_sum_1", ".version 7.0\n.target sm_80\n// sum", {{80, "c80"}, {90, "c90"}}});
  return k;
}

// The header of `bytes` updated to its (edited) payload, so that only the
// payload's own checks can object.
std::string reseal(std::string bytes) {
  const std::string payload = bytes.substr(32);
  for (int i = 0; i < 8; ++i) {
    bytes[16 + i] = static_cast<char>((payload.size() >> (8 * i)) & 0xff);
    bytes[24 + i] = static_cast<char>((xxh64(payload) >> (8 * i)) & 0xff);
  }
  return bytes;
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(GpuKernelsFile, RoundTrips) {
  const GpuKernels k = sample();
  const std::string bytes = encode_gpu_kernels(k);
  EXPECT_EQ(bytes.substr(0, 8), "WICKGPUK");
  const GpuKernels back = decode_gpu_kernels(bytes, "gpu_kernels.bin");
  EXPECT_EQ(back.ptx_sm, 80);
  ASSERT_EQ(back.kernels.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back.kernels[i].name, k.kernels[i].name);
    EXPECT_EQ(back.kernels[i].ptx, k.kernels[i].ptx);
    ASSERT_EQ(back.kernels[i].cubins.size(), 2u);
    for (size_t c = 0; c < 2; ++c) {
      EXPECT_EQ(back.kernels[i].cubins[c].sm, k.kernels[i].cubins[c].sm);
      EXPECT_EQ(back.kernels[i].cubins[c].image, k.kernels[i].cubins[c].image);
    }
  }
  EXPECT_EQ(encode_gpu_kernels(back), bytes);
  // No kernels and no cubins are fine too.
  GpuKernels empty;
  empty.ptx_sm = 75;
  EXPECT_TRUE(decode_gpu_kernels(encode_gpu_kernels(empty), "f").kernels.empty());
  GpuKernels ptx_only = sample();
  for (auto& kernel : ptx_only.kernels) kernel.cubins.clear();
  EXPECT_TRUE(decode_gpu_kernels(encode_gpu_kernels(ptx_only), "f").kernels[1].cubins.empty());
}

TEST(GpuKernelsFile, EveryTruncationIsAnError) {
  const std::string bytes = encode_gpu_kernels(sample());
  for (size_t n = 0; n < bytes.size(); ++n) {
    SCOPED_TRACE("the first " + std::to_string(n) + " bytes");
    const std::string message = error_of([&] { decode_gpu_kernels(bytes.substr(0, n), "dir/gpu_kernels.bin"); });
    EXPECT_EQ(message.rfind("dir/gpu_kernels.bin: error: ", 0), 0u) << message;
  }
  // The payload cut anywhere, behind a header that vouches for it: the
  // parser's own bounds checks must catch it.
  for (size_t n = 32; n < bytes.size(); ++n) {
    SCOPED_TRACE("payload cut to " + std::to_string(n - 32) + " bytes");
    const std::string message = error_of([&] { decode_gpu_kernels(reseal(bytes.substr(0, n)), "dir/gpu_kernels.bin"); });
    EXPECT_EQ(message.rfind("dir/gpu_kernels.bin: error: ", 0), 0u) << message;
  }
}

TEST(GpuKernelsFile, EveryByteFlipIsCaught) {
  const std::string bytes = encode_gpu_kernels(sample());
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string flipped = bytes;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
    SCOPED_TRACE("byte " + std::to_string(i));
    const std::string message = error_of([&] { decode_gpu_kernels(flipped, "gpu_kernels.bin"); });
    EXPECT_NE(message.find("gpu_kernels.bin: error: "), std::string::npos) << message;
    // Behind a resealed header, a flip may still decode (inside a PTX text,
    // say); it must never crash.
    if (i >= 32) error_of([&] { decode_gpu_kernels(reseal(flipped), "gpu_kernels.bin"); });
  }
}

TEST(GpuKernelsFile, SpecificProblemsHaveClearMessages) {
  const std::string good = encode_gpu_kernels(sample());
  auto expect = [](const std::string& bytes, const std::string& what) {
    const std::string message = error_of([&] { decode_gpu_kernels(bytes, "g.bin"); });
    EXPECT_NE(message.find(what), std::string::npos) << message;
  };
  std::string b = good;
  b[0] = 'X';
  expect(b, "not a wick GPU kernels file (bad magic)");
  b = good;
  b[8] = 9;
  expect(b, "GPU kernels format version 9, but this runtime reads version 1");
  b = good;
  b[12] = 7;
  expect(b, "bad PTX architecture 7");
  expect(good.substr(0, 20), "the file is 20 bytes long");
  expect(good + "x", "GPU kernels payload is");
  b = good;
  b[good.size() - 1] ^= 1;
  expect(b, "GPU kernels checksum mismatch");
  expect(reseal(good + "xyz"), "3 bytes of trailing data");
  // A kernel count the rest of the file cannot hold is refused before anything is allocated.
  b = good;
  b[32] = b[33] = b[34] = b[35] = '\xff';
  expect(reseal(b), "bad kernel count 4294967295");

  GpuKernels k = sample();
  k.kernels[0].cubins = {{90, "a"}, {80, "b"}};
  expect(encode_gpu_kernels(k), "kernel wick_add_0 lists its cubins out of order (sm_80 after sm_90)");
  k = sample();
  k.kernels[1].cubins[1].sm = 121;
  expect(encode_gpu_kernels(k), "kernel wick_sum_1 has a cubin of bad architecture 121");
  k = sample();
  k.kernels[1].cubins[0].image.clear();
  expect(encode_gpu_kernels(k), "kernel wick_sum_1 has an empty cubin for sm_80");
  k = sample();
  k.kernels[0].name.clear();
  expect(encode_gpu_kernels(k), "kernel 0 has a name of 0 bytes");
  k = sample();
  k.kernels[0].ptx.clear();
  expect(encode_gpu_kernels(k), "kernel wick_add_0 has no PTX");
}

TEST(GpuKernelsFile, KernelsMustBeThePlans) {
  const GpuKernels k = sample();
  check_gpu_kernel_names(k, {"wick_add_0", "wick_sum_1"}, "g.bin");
  std::string message = error_of([&] { check_gpu_kernel_names(k, {"wick_add_0"}, "dir/g.bin"); });
  EXPECT_NE(message.find("dir/g.bin: error: holds 2 kernels, but the plan calls 1"), std::string::npos) << message;
  message = error_of([&] { check_gpu_kernel_names(k, {"wick_add_0", "wick_mul_1"}, "dir/g.bin"); });
  EXPECT_NE(message.find("kernel 1 is \"wick_sum_1\", but the plan calls \"wick_mul_1\" there"), std::string::npos)
      << message;
}

TEST(GpuKernelsFile, ImageForEachArchitecture) {
  const GpuKernels s = sample();
  const GpuKernelImage& kernel = s.kernels[0];
  EXPECT_EQ(*gpu_image_for(kernel, 80, 80), "\x7f" "ELF-80");  // its own cubin
  EXPECT_EQ(*gpu_image_for(kernel, 80, 90), "\x7f" "ELF-90");
  EXPECT_EQ(*gpu_image_for(kernel, 80, 86), kernel.ptx);  // no cubin: the PTX, JIT compiled
  EXPECT_EQ(*gpu_image_for(kernel, 80, 120), kernel.ptx);
  EXPECT_EQ(gpu_image_for(kernel, 80, 75), nullptr);  // older than the PTX
  EXPECT_EQ(sm_list({80, 90}), "sm_80, sm_90");
}

}  // namespace
}  // namespace wick::rt
