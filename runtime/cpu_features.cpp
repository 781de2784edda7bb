#include "runtime/cpu_features.h"

#include <cstdint>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace wick::rt {
namespace {

enum Reg : uint8_t { EAX, EBX, ECX, EDX };
enum State : uint8_t { none, avx_state, avx512_state };

struct Feature {
  const char* name;
  unsigned leaf, subleaf;
  Reg reg;
  unsigned bit;
  State state;  // register state the OS must save for the feature to be usable
};

// The x86 features LLVM may generate code for, where cpuid reports them.
constexpr Feature kFeatures[] = {
    {"cmov", 1, 0, EDX, 15, none},         {"cx8", 1, 0, EDX, 8, none},
    {"fxsr", 1, 0, EDX, 24, none},         {"mmx", 1, 0, EDX, 23, none},
    {"sse", 1, 0, EDX, 25, none},          {"sse2", 1, 0, EDX, 26, none},
    {"sse3", 1, 0, ECX, 0, none},          {"pclmul", 1, 0, ECX, 1, none},
    {"ssse3", 1, 0, ECX, 9, none},         {"fma", 1, 0, ECX, 12, avx_state},
    {"cx16", 1, 0, ECX, 13, none},         {"sse4.1", 1, 0, ECX, 19, none},
    {"sse4.2", 1, 0, ECX, 20, none},       {"movbe", 1, 0, ECX, 22, none},
    {"popcnt", 1, 0, ECX, 23, none},       {"aes", 1, 0, ECX, 25, none},
    {"xsave", 1, 0, ECX, 26, none},        {"avx", 1, 0, ECX, 28, avx_state},
    {"f16c", 1, 0, ECX, 29, avx_state},    {"rdrnd", 1, 0, ECX, 30, none},
    {"fsgsbase", 7, 0, EBX, 0, none},      {"bmi", 7, 0, EBX, 3, none},
    {"avx2", 7, 0, EBX, 5, avx_state},     {"bmi2", 7, 0, EBX, 8, none},
    {"avx512f", 7, 0, EBX, 16, avx512_state}, {"avx512dq", 7, 0, EBX, 17, avx512_state},
    {"rdseed", 7, 0, EBX, 18, none},       {"adx", 7, 0, EBX, 19, none},
    {"avx512ifma", 7, 0, EBX, 21, avx512_state}, {"clflushopt", 7, 0, EBX, 23, none},
    {"clwb", 7, 0, EBX, 24, none},         {"avx512cd", 7, 0, EBX, 28, avx512_state},
    {"sha", 7, 0, EBX, 29, none},          {"avx512bw", 7, 0, EBX, 30, avx512_state},
    {"avx512vl", 7, 0, EBX, 31, avx512_state}, {"avx512vbmi", 7, 0, ECX, 1, avx512_state},
    {"avx512vbmi2", 7, 0, ECX, 6, avx512_state}, {"gfni", 7, 0, ECX, 8, none},
    {"vaes", 7, 0, ECX, 9, avx_state},     {"vpclmulqdq", 7, 0, ECX, 10, avx_state},
    {"avx512vnni", 7, 0, ECX, 11, avx512_state}, {"avx512bitalg", 7, 0, ECX, 12, avx512_state},
    {"avx512vpopcntdq", 7, 0, ECX, 14, avx512_state}, {"rdpid", 7, 0, ECX, 22, none},
    {"avx512vp2intersect", 7, 0, EDX, 8, avx512_state}, {"avx512fp16", 7, 0, EDX, 23, avx512_state},
    {"avxvnni", 7, 1, EAX, 4, avx_state},  {"avx512bf16", 7, 1, EAX, 5, avx512_state},
    {"sahf", 0x80000001, 0, ECX, 0, none}, {"lzcnt", 0x80000001, 0, ECX, 5, none},
    {"sse4a", 0x80000001, 0, ECX, 6, none}, {"prfchw", 0x80000001, 0, ECX, 8, none},
    {"xop", 0x80000001, 0, ECX, 11, avx_state}, {"fma4", 0x80000001, 0, ECX, 16, avx_state},
    {"tbm", 0x80000001, 0, ECX, 21, none}, {"xsaveopt", 0xd, 1, EAX, 0, none},
    {"xsavec", 0xd, 1, EAX, 1, none},      {"xsaves", 0xd, 1, EAX, 3, none},
};

const Feature* lookup(std::string_view name) {
  for (const Feature& f : kFeatures)
    if (name == f.name) return &f;
  return nullptr;
}

#if defined(__x86_64__)
bool has(const Feature& f) {
  unsigned r[4] = {0, 0, 0, 0};
  const unsigned base = f.leaf & 0x80000000u;
  if (__get_cpuid_max(base, nullptr) < f.leaf) return false;
  __cpuid_count(f.leaf, f.subleaf, r[0], r[1], r[2], r[3]);
  if (!((r[f.reg] >> f.bit) & 1u)) return false;
  if (f.state == none) return true;
  // The OS must have enabled saving of the vector registers (OSXSAVE, XCR0).
  unsigned a, b, c, d;
  __cpuid(1, a, b, c, d);
  if (!((c >> 27) & 1u)) return false;
  uint32_t xcr0_lo, xcr0_hi;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  const uint32_t need = f.state == avx_state ? 0x6u : 0xe6u;
  return (xcr0_lo & need) == need;
}
#else
bool has(const Feature&) { return false; }
#endif

}  // namespace

const char* runtime_arch() {
#if defined(__x86_64__)
  return "x86_64";
#elif defined(__aarch64__)
  return "aarch64";
#else
  return "unknown";
#endif
}

std::optional<std::vector<std::string>> level_features(std::string_view level) {
  std::vector<std::string> v2 = {"cmov", "cx8", "fxsr", "mmx", "sse", "sse2", "sse3", "ssse3",
                                 "sse4.1", "sse4.2", "popcnt", "cx16", "sahf"};
  if (level == "x86-64-v2") return v2;
  std::vector<std::string> v3 = v2;
  for (const char* f : {"avx", "avx2", "bmi", "bmi2", "f16c", "fma", "lzcnt", "movbe", "xsave"}) v3.push_back(f);
  if (level == "x86-64-v3") return v3;
  if (level == "x86-64-v4") {
    for (const char* f : {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"}) v3.push_back(f);
    return v3;
  }
  return std::nullopt;
}

bool checkable_cpu_feature(std::string_view feature) { return lookup(feature) != nullptr; }

std::vector<std::string> missing_cpu_features(const std::vector<std::string>& required) {
  std::vector<std::string> missing;
  for (const std::string& name : required) {
    const Feature* f = lookup(name);
    if (!f || !has(*f)) missing.push_back(name);
  }
  return missing;
}

}  // namespace wick::rt
