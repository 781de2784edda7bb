// Resolves the target CPU and builds LLVM target machines for it.
#include "codegen/host_target.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include <llvm/ADT/StringMap.h>
#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/CodeGen.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>

#include "support/error.h"

namespace wick::codegen {
namespace {

// Splits "+a,-b" into {a: true, b: false}; later entries win.
void merge_features(const std::string& list, std::map<std::string, bool>& into) {
  size_t pos = 0;
  while (pos < list.size()) {
    size_t end = list.find(',', pos);
    if (end == std::string::npos) end = list.size();
    std::string item = list.substr(pos, end - pos);
    pos = end + 1;
    if (item.empty()) continue;
    if (item[0] != '+' && item[0] != '-')
      throw Error("CPU feature '" + item + "' must start with '+' or '-'");
    into[item.substr(1)] = item[0] == '+';
  }
}

std::string join_features(const std::map<std::string, bool>& features) {
  std::string out;
  for (const auto& [name, on] : features) {
    if (!out.empty()) out += ',';
    out += (on ? '+' : '-') + name;
  }
  return out;
}

const llvm::Target& lookup_target(const std::string& triple) {
  std::string message;
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(triple, message);
  WICK_ASSERT(target != nullptr, "no LLVM target for " + triple + ": " + message);
  return *target;
}

std::unique_ptr<llvm::TargetMachine> create_machine(const std::string& triple,
                                                    const std::string& cpu,
                                                    const std::string& features, int opt_level) {
  static const llvm::CodeGenOptLevel levels[] = {
      llvm::CodeGenOptLevel::None, llvm::CodeGenOptLevel::Less, llvm::CodeGenOptLevel::Default,
      llvm::CodeGenOptLevel::Aggressive};
  llvm::TargetOptions target_options;
  // a * b + c as one fused multiply-add where the CPU has one: the
  // polynomials of exp, tanh and erf are chains of them.
  target_options.AllowFPOpFusion = llvm::FPOpFusion::Fast;
  std::unique_ptr<llvm::TargetMachine> machine(lookup_target(triple).createTargetMachine(
      triple, cpu, features, target_options, llvm::Reloc::PIC_, std::nullopt,
      levels[opt_level]));
  WICK_ASSERT(machine != nullptr, "LLVM could not create a target machine for " + triple);
  return machine;
}

// resolve_target without the memo.
TargetDescription resolve_uncached(const CompileOptions& options) {
  if (options.opt_level < 0 || options.opt_level > 3)
    throw Error("optimization level must be 0..3, got " + std::to_string(options.opt_level));
  if (options.prefer_vector_width < 0)
    throw Error("preferred vector width must not be negative");

  TargetDescription target;
  target.triple = llvm::sys::getProcessTriple();
  target.opt_level = options.opt_level;
  std::map<std::string, bool> features;
  if (options.cpu.empty() || options.cpu == "native") {
    target.cpu = llvm::sys::getHostCPUName().str();
    for (const auto& entry : llvm::sys::getHostCPUFeatures())
      features[entry.getKey().str()] = entry.getValue();
  } else {
    target.cpu = options.cpu;
  }
  // AMD's Zen cores gather and scatter slowly (a 16-lane gather is 16 loads
  // in sequence), yet LLVM 19's cost model for them takes vector gathers as
  // cheap: with a short static inner loop (a row of 14) it unrolled that loop
  // and vectorized the one around it across rows, gathering and scattering
  // at the row stride. Later LLVMs say so for znver4 and znver5 themselves.
  if (target.cpu.rfind("znver", 0) == 0) {
    features.emplace("prefer-no-gather", true);
    features.emplace("prefer-no-scatter", true);
  }
  merge_features(options.features, features);
  target.features = join_features(features);

  const llvm::Target& llvm_target = lookup_target(target.triple);
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      llvm_target.createMCSubtargetInfo(target.triple, "", ""));
  if (!generic || !generic->isCPUStringValid(target.cpu))
    throw Error("unknown CPU '" + target.cpu + "' for " + target.triple);

  // The subtarget knows which vector registers the CPU plus features really has.
  int widest = 128;
  if (llvm::Triple(target.triple).isX86()) {
    std::unique_ptr<llvm::MCSubtargetInfo> info(
        llvm_target.createMCSubtargetInfo(target.triple, target.cpu, target.features));
    if (info->checkFeatures("+avx")) widest = 256;
    if (info->checkFeatures("+avx512f") && info->checkFeatures("+evex512")) widest = 512;
  }
  target.vector_width_bits =
      options.prefer_vector_width > 0 ? std::min(options.prefer_vector_width, widest) : widest;
  return target;
}

}  // namespace

std::string TargetDescription::str() const {
  return triple + " cpu=" + cpu + " features=" + features +
         " vector-width=" + std::to_string(vector_width_bits) + " O" + std::to_string(opt_level);
}

void initialize_native_target() {
  static std::once_flag once;
  std::call_once(once, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });
}

TargetDescription resolve_target(const CompileOptions& options) {
  initialize_native_target();
  // Asking the host and building subtargets costs more than a cache hit, and
  // the answer never changes within a process.
  static std::mutex mutex;
  static std::map<std::string, TargetDescription> resolved;
  std::string key = options.cpu + "|" + options.features + "|" + std::to_string(options.opt_level) +
                    "|" + std::to_string(options.prefer_vector_width);
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = resolved.find(key);
    if (it != resolved.end()) return it->second;
  }
  TargetDescription target = resolve_uncached(options);
  std::lock_guard<std::mutex> lock(mutex);
  resolved.emplace(key, target);
  return target;
}

std::unique_ptr<llvm::TargetMachine> make_target_machine(const TargetDescription& target) {
  initialize_native_target();
  return create_machine(target.triple, target.cpu, target.features, target.opt_level);
}

}  // namespace wick::codegen
