// The CPU features an artifact's code needs, and whether this CPU has them
// (cpuid, and xgetbv for the register state the OS saves). Feature names are
// LLVM's ("avx2", "avx512f", "sse4.2"); the compiler records the ones its
// target uses in the manifest and the runtime refuses to load an artifact
// whose features this CPU lacks, instead of dying on an illegal instruction.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wick::rt {

// The architecture this runtime was built for, as in an LLVM triple: "x86_64".
const char* runtime_arch();

// The features of a named x86-64 micro-architecture level ("x86-64-v3",
// "x86-64-v4"); nullopt for another name.
std::optional<std::vector<std::string>> level_features(std::string_view level);

// Whether this runtime knows how to test `feature` on this CPU.
bool checkable_cpu_feature(std::string_view feature);

// The features of `required` that this CPU lacks (unknown names included).
std::vector<std::string> missing_cpu_features(const std::vector<std::string>& required);

}  // namespace wick::rt
