// The LLVM pass pipelines, driven through the new pass manager (middle end)
// and the legacy one (back end, which has no other interface in LLVM 19).
#include "codegen/llvm_backend.h"

#include <llvm/ADT/SmallString.h>
#include <llvm/Analysis/CGSCCPassManager.h>
#include <llvm/Analysis/LoopAnalysisManager.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/PassManager.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/OptimizationLevel.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

#include <string_view>

#include "support/error.h"

namespace wick::codegen {

void prepare_for_target(llvm::Module& module, llvm::TargetMachine& machine,
                        const TargetDescription& target) {
  module.setTargetTriple(target.triple);
  module.setDataLayout(machine.createDataLayout());
  std::string width = std::to_string(target.vector_width_bits);
  for (llvm::Function& fn : module) {
    if (fn.isDeclaration()) continue;
    fn.addFnAttr("target-cpu", target.cpu);
    fn.addFnAttr("target-features", target.features);
    // X86 defaults to 256-bit vectors even on AVX-512 CPUs; kernels are long
    // streaming loops that gain from the full width.
    fn.addFnAttr("prefer-vector-width", width);
    // A kernel stays out of line in its C-interface wrapper: inlined there,
    // its loops were re-optimized with the descriptor's loads in view, and
    // short ones came out fully unrolled as scalar code where the kernel
    // itself has vector loops (behind checks that its memrefs do not
    // overlap). Internal, so that the call stays inside the object: in a
    // shared library a symbol of another library could not take its place.
    constexpr std::string_view wrapper = "_mlir_ciface_";
    if (fn.getName().starts_with(wrapper))
      if (llvm::Function* kernel = module.getFunction(fn.getName().substr(wrapper.size()))) {
        kernel->addFnAttr(llvm::Attribute::NoInline);
        kernel->setLinkage(llvm::GlobalValue::InternalLinkage);
      }
  }
}

void optimize(llvm::Module& module, llvm::TargetMachine& machine) {
  std::string broken;
  llvm::raw_string_ostream broken_stream(broken);
  WICK_ASSERT(!llvm::verifyModule(module, &broken_stream),
              "translated LLVM IR does not verify: " + broken);

  static const llvm::OptimizationLevel levels[] = {
      llvm::OptimizationLevel::O0, llvm::OptimizationLevel::O1, llvm::OptimizationLevel::O2,
      llvm::OptimizationLevel::O3};
  int level = static_cast<int>(machine.getOptLevel());

  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = level >= 2;
  tuning.SLPVectorization = level >= 2;
  llvm::PassBuilder builder(&machine, tuning);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager passes = level == 0
      ? builder.buildO0DefaultPipeline(llvm::OptimizationLevel::O0)
      : builder.buildPerModuleDefaultPipeline(levels[level]);
  passes.run(module, mam);
}

std::string emit_machine_code(llvm::Module& module, llvm::TargetMachine& machine,
                              MachineCodeKind kind) {
  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream stream(buffer);
  llvm::legacy::PassManager passes;
  auto file_type = kind == MachineCodeKind::object ? llvm::CodeGenFileType::ObjectFile
                                                   : llvm::CodeGenFileType::AssemblyFile;
  bool unsupported = machine.addPassesToEmitFile(passes, stream, nullptr, file_type);
  WICK_ASSERT(!unsupported, "the LLVM target cannot emit this kind of file");
  passes.run(module);
  return std::string(buffer.str());
}

}  // namespace wick::codegen
