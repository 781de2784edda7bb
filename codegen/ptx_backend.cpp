// The GPU pipeline, in order (on the gpu.module):
//   canonicalize, CSE; scf -> cf; strided memref metadata expanded, affine
//   lowered; convert-gpu-to-nvvm with bare-pointer memref arguments (arith,
//   cf, memref, math -> libdevice calls, gpu -> nvvm intrinsics); cleanup;
// then the gpu.module's contents are translated to LLVM IR as a module of
// their own, kernel pointer parameters get `noalias`, libdevice is linked
// (only what is called) and internalized, and LLVM -O3 and the NVPTX
// backend run for the target.
#include "codegen/ptx_backend.h"

#include <mlir/Conversion/Passes.h>
#include <mlir/Dialect/GPU/IR/GPUDialect.h>
#include <mlir/Dialect/LLVMIR/LLVMDialect.h>
#include <mlir/Dialect/LLVMIR/NVVMDialect.h>
#include <mlir/Dialect/MemRef/Transforms/Passes.h>
#include <mlir/IR/Builders.h>
#include <mlir/IR/BuiltinOps.h>
#include <mlir/IR/Diagnostics.h>
#include <mlir/IR/MLIRContext.h>
#include <mlir/Parser/Parser.h>
#include <mlir/Pass/PassManager.h>
#include <mlir/Target/LLVMIR/Export.h>
#include <mlir/Transforms/Passes.h>

#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/InstIterator.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/PatternMatch.h>
#include <llvm/IR/Module.h>
#include <llvm/Linker/Linker.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "codegen/content_hash.h"
#include "codegen/gpu_module.h"
#include "codegen/llvm_backend.h"
#include "codegen/object_cache.h"
#include "codegen/stopwatch.h"
#include "support/error.h"

#ifndef WICK_LIBDEVICE_PATH
#define WICK_LIBDEVICE_PATH "/usr/local/cuda/nvvm/libdevice/libdevice.10.bc"
#endif

namespace wick::codegen {
namespace {

// Bump when the PTX conventions (arguments, math, attributes) change.
constexpr const char* kPtxFormat = "wick-gpu-ptx-1";
constexpr const char* kTriple = "nvptx64-nvidia-cuda";

void initialize_nvptx() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
  });
}

std::unique_ptr<llvm::TargetMachine> make_nvptx_machine(const GpuTarget& target) {
  initialize_nvptx();
  std::string error;
  const llvm::Target* t = llvm::TargetRegistry::lookupTarget(kTriple, error);
  WICK_ASSERT(t != nullptr, "the NVPTX target is missing from LLVM: " + error);
  const std::string features = target.ptx_version > 0 ? "+ptx" + std::to_string(target.ptx_version) : "";
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine(
      t->createTargetMachine(kTriple, "sm_" + std::to_string(target.sm), features, options, std::nullopt,
                             std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  WICK_ASSERT(machine != nullptr, "cannot make an NVPTX target machine for " + target.str());
  return machine;
}

// libdevice's bytes, read once per process and path.
const std::string* libdevice_bytes(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::string> loaded;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = loaded.find(path);
  if (it != loaded.end()) return &it->second;
  std::ifstream in(path, std::ios::binary);
  if (!in) return nullptr;
  std::stringstream s;
  s << in.rdbuf();
  return &(loaded[path] = s.str());
}

// Links the libdevice functions `module` calls, internalized so that -O3
// inlines them and drops the rest.
void link_libdevice(llvm::Module& module, const GpuTarget& target) {
  bool needed = false;
  for (const llvm::Function& f : module)
    if (f.isDeclaration() && f.getName().starts_with("__nv_")) needed = true;
  if (!needed) return;
  const std::string path = target.libdevice.empty() ? default_libdevice_path() : target.libdevice;
  const std::string* bytes = libdevice_bytes(path);
  if (!bytes)
    throw Error("libdevice, which GPU kernels take math functions from, is not at " + path +
                " (set WICK_LIBDEVICE to the CUDA toolkit's nvvm/libdevice/libdevice.10.bc)");
  auto buffer = llvm::MemoryBuffer::getMemBuffer(*bytes, "libdevice.10.bc", false);
  auto lib = llvm::getOwningLazyBitcodeModule(std::move(buffer), module.getContext());
  if (!lib) {
    std::string message;
    llvm::raw_string_ostream os(message);
    os << lib.takeError();
    throw Error("cannot read libdevice at " + path + ": " + message);
  }
  (*lib)->setTargetTriple(module.getTargetTriple());
  (*lib)->setDataLayout(module.getDataLayout());
  std::set<std::string> ours;
  for (const llvm::Function& f : module)
    if (!f.isDeclaration()) ours.insert(f.getName().str());
  if (llvm::Linker::linkModules(module, std::move(*lib), llvm::Linker::Flags::LinkOnlyNeeded))
    throw InternalError("codegen: linking libdevice into a GPU kernel failed");
  for (llvm::Function& f : module)
    if (!f.isDeclaration() && !ours.count(f.getName().str())) f.setLinkage(llvm::GlobalValue::InternalLinkage);
  for (llvm::GlobalVariable& g : module.globals())
    if (!g.isDeclaration()) g.setLinkage(llvm::GlobalValue::InternalLinkage);
  // libdevice asks __nvvm_reflect("__CUDA_FTZ"): keep denormals, as torch does.
  module.addModuleFlag(llvm::Module::Override, "nvvm-reflect-ftz", uint32_t{0});
}

// memref.assume_alignment becomes llvm.assume((ptrtoint p & 15) == 0),
// which InstCombine drops as redundant where a branch has just tested the
// same thing (the vectorized path of an elementwise kernel, see
// gpu_builder.h) before InferAlignment could use it. An "align" operand
// bundle says the same and is kept.
void keep_alignment_assumptions(llvm::Module& module) {
  std::vector<llvm::CallInst*> assumes;
  for (llvm::Function& f : module)
    for (llvm::Instruction& i : llvm::instructions(f))
      if (auto* call = llvm::dyn_cast<llvm::CallInst>(&i))
        if (call->getIntrinsicID() == llvm::Intrinsic::assume && call->getNumOperandBundles() == 0)
          assumes.push_back(call);
  const llvm::DataLayout& layout = module.getDataLayout();
  for (llvm::CallInst* call : assumes) {
    llvm::Value *masked = nullptr, *pointer = nullptr;
    const llvm::APInt *mask = nullptr, *zero = nullptr;
    llvm::ICmpInst::Predicate pred;
    using namespace llvm::PatternMatch;
    if (!match(call->getArgOperand(0), m_ICmp(pred, m_Value(masked), m_APInt(zero))) ||
        pred != llvm::ICmpInst::ICMP_EQ || !zero->isZero())
      continue;
    if (!match(masked, m_And(m_PtrToInt(m_Value(pointer)), m_APInt(mask))) || !(*mask + 1).isPowerOf2()) continue;
    llvm::IRBuilder<> builder(call);
    builder.CreateAlignmentAssumption(layout, pointer, mask->getZExtValue() + 1);
    call->eraseFromParent();
  }
}

// What convert-gpu-to-nvvm left unconverted (a generator bug); true if any.
bool report_unlowered_ops(mlir::ModuleOp module) {
  int found = 0;
  module.walk([&](mlir::Operation* op) {
    if (op == module.getOperation() || mlir::isa<mlir::gpu::GPUModuleOp, mlir::gpu::ModuleEndOp>(op) ||
        mlir::isa<mlir::LLVM::LLVMDialect, mlir::NVVM::NVVMDialect>(op->getDialect()))
      return mlir::WalkResult::advance();
    op->emitError() << "'" << op->getName() << "' was not lowered to the LLVM and NVVM dialects";
    return ++found < 3 ? mlir::WalkResult::advance() : mlir::WalkResult::interrupt();
  });
  return found > 0;
}

std::string compile(const std::string& mlir_text, const GpuTarget& target, CompileStats& stats) {
  Stopwatch clock;
  mlir::MLIRContext context(gpu_dialect_registry(), mlir::MLIRContext::Threading::DISABLED);
  llvm::SourceMgr source_mgr;
  source_mgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBuffer(mlir_text, "gpu_kernel.mlir"), llvm::SMLoc());
  std::string diagnostics;
  llvm::raw_string_ostream diag_stream(diagnostics);
  mlir::SourceMgrDiagnosticHandler handler(source_mgr, &context, diag_stream);
  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::parseSourceFile<mlir::ModuleOp>(source_mgr, &context);
  if (!module) throw InternalError("codegen: GPU module failed to parse:\n" + diagnostics);
  stats.parse_ms = clock.lap_ms();

  mlir::PassManager pm(&context);
  mlir::OpPassManager& gpu = pm.nest<mlir::gpu::GPUModuleOp>();
  gpu.addPass(mlir::createCanonicalizerPass());
  gpu.addPass(mlir::createCSEPass());
  gpu.addPass(mlir::createConvertSCFToCFPass());
  gpu.addPass(mlir::memref::createExpandStridedMetadataPass());
  gpu.addPass(mlir::createLowerAffinePass());
  mlir::ConvertGpuOpsToNVVMOpsOptions nvvm;
  nvvm.useBarePtrCallConv = true;  // index width: the gpu.module's DLTI entry
  gpu.addPass(mlir::createConvertGpuOpsToNVVMOps(nvvm));
  gpu.addPass(mlir::createUBToLLVMConversionPass());
  gpu.addPass(mlir::createCanonicalizerPass());
  gpu.addPass(mlir::createCSEPass());
  gpu.addPass(mlir::createReconcileUnrealizedCastsPass());
  const bool ok = mlir::succeeded(pm.run(*module));
  context.printOpOnDiagnostic(false);
  if (!ok || report_unlowered_ops(*module))
    throw InternalError("codegen: GPU module lowering to NVVM failed:\n" + diagnostics);
  if (target.dump_ir) {
    llvm::errs() << "// -----// wick: GPU module lowered to LLVM and NVVM //----- //\n";
    module->print(llvm::errs());
    llvm::errs() << "\n";
  }
  stats.mlir_passes_ms = clock.lap_ms();

  // The gpu.module's functions and globals, translated as a module of their own.
  mlir::gpu::GPUModuleOp gpu_module;
  module->walk([&](mlir::gpu::GPUModuleOp m) { gpu_module = m; });
  WICK_ASSERT(gpu_module, "a GPU module without a gpu.module");
  mlir::OwningOpRef<mlir::ModuleOp> device = mlir::ModuleOp::create(gpu_module.getLoc());
  for (mlir::Operation& op : llvm::make_early_inc_range(gpu_module.getBody()->getOperations())) {
    if (mlir::isa<mlir::gpu::ModuleEndOp>(op)) continue;
    op.moveBefore(device->getBody(), device->getBody()->end());
  }
  // The NVPTX data layout before translation: the translation gives loads
  // and stores the layout's alignment (8 for i64 and f64, not the default's 4).
  std::unique_ptr<llvm::TargetMachine> machine = make_nvptx_machine(target);
  const llvm::DataLayout data_layout = machine->createDataLayout();
  mlir::OpBuilder attrs(&context);
  (*device)->setAttr(mlir::LLVM::LLVMDialect::getDataLayoutAttrName(),
                     attrs.getStringAttr(data_layout.getStringRepresentation()));
  (*device)->setAttr(mlir::LLVM::LLVMDialect::getTargetTripleAttrName(), attrs.getStringAttr(kTriple));
  llvm::LLVMContext llvm_context;
  std::unique_ptr<llvm::Module> ir = mlir::translateModuleToLLVMIR(*device, llvm_context, "wick_gpu");
  if (!ir) throw InternalError("codegen: GPU module translation to LLVM IR failed:\n" + diagnostics);
  stats.translate_ms = clock.lap_ms();
  ir->setTargetTriple(kTriple);
  ir->setDataLayout(data_layout);
  // Kernel arguments never overlap the outputs (gpu_kernel_gen.h): `noalias`
  // lets loads go through the read-only cache and be reordered and merged.
  for (llvm::Function& f : *ir) {
    if (f.isDeclaration()) continue;
    for (llvm::Argument& a : f.args())
      if (a.getType()->isPointerTy()) a.addAttr(llvm::Attribute::NoAlias);
  }
  link_libdevice(*ir, target);
  keep_alignment_assumptions(*ir);
  optimize(*ir, *machine);
  for (const llvm::Function& f : *ir)
    if (f.isDeclaration() && !f.isIntrinsic() && !f.use_empty())
      throw InternalError("codegen: a GPU kernel calls " + f.getName().str() +
                          ", which nothing defines (PTX must not reference undefined functions)");
  if (target.dump_ir) {
    llvm::errs() << "; -----// wick: optimized GPU LLVM IR //----- ;\n";
    ir->print(llvm::errs(), nullptr);
  }
  stats.llvm_opt_ms = clock.lap_ms();
  std::string ptx = emit_machine_code(*ir, *machine, MachineCodeKind::assembly);
  stats.codegen_ms = clock.lap_ms();
  return ptx;
}

}  // namespace

std::string GpuTarget::str() const {
  std::string s = "sm_" + std::to_string(sm);
  if (ptx_version > 0) s += "+ptx" + std::to_string(ptx_version);
  return s;
}

bool gpu_sm_supported(int sm) {
  static const std::set<int> supported = {75, 80, 86, 87, 89, 90};
  return supported.count(sm) > 0;
}

GpuTarget gpu_target_for_device(int major, int minor) {
  const int cc = major * 10 + minor;
  GpuTarget t;
  t.sm = 0;
  for (int sm : {75, 80, 86, 87, 89, 90})
    if (sm <= cc) t.sm = sm;
  if (t.sm == 0)
    throw Error("the GPU has compute capability " + std::to_string(major) + "." + std::to_string(minor) +
                "; wick needs 7.5 or newer");
  return t;
}

std::string default_libdevice_path() {
  if (const char* env = std::getenv("WICK_LIBDEVICE"); env && *env) return env;
  return WICK_LIBDEVICE_PATH;
}

std::string compile_gpu_module(const std::string& mlir_text, const GpuTarget& target, CompileStats* stats) {
  if (!gpu_sm_supported(target.sm))
    throw Error("GPU target sm_" + std::to_string(target.sm) + " is not supported (sm_75, 80, 86, 87, 89, 90 are)");
  Stopwatch clock;
  CompileStats local;
  CompileStats& s = stats ? *stats : local;
  s = CompileStats{};
  const std::string libdevice = target.libdevice.empty() ? default_libdevice_path() : target.libdevice;
  const Hash128 key =
      HashBuilder().add(kPtxFormat).add(LLVM_VERSION_STRING).add(target.str()).add(libdevice).add(mlir_text).finish();
  ObjectCache cache(target.cache_dir);
  if (cache.enabled()) s.cache_file = cache.path_for(key);
  if (cache.enabled() && !target.dump_ir) {
    Stopwatch io;
    std::optional<std::string> cached = cache.load(key);
    s.cache_io_ms = io.elapsed_ms();
    if (cached) {
      s.source = CodeSource::disk_cache;
      s.total_ms = clock.elapsed_ms();
      return std::move(*cached);
    }
  }
  s.source = CodeSource::compiled;
  std::string ptx = compile(mlir_text, target, s);
  if (cache.enabled()) {
    Stopwatch io;
    s.cache_written = cache.store(key, ptx);
    s.cache_io_ms += io.elapsed_ms();
  }
  s.total_ms = clock.elapsed_ms();
  return ptx;
}

}  // namespace wick::codegen
