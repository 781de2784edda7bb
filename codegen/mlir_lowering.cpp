// The lowering pipeline, in order:
//   linalg ops -> scf loops; polynomial approximations of math ops (optional);
//   vector multi-reductions and n-D transfers -> 1-D vector ops and loops;
//   affine -> scf -> cf; then each dialect to the LLVM dialect; translation.
// Loops stay scalar here on purpose: LLVM's loop vectorizer, run for the host
// CPU at -O3, picks the vector width. Vector ops written by the caller lower
// as written.
#include "codegen/mlir_lowering.h"

#include <mlir/Conversion/Passes.h>
#include <mlir/Dialect/Affine/IR/AffineOps.h>
#include <mlir/Dialect/Arith/IR/Arith.h>
#include <mlir/Dialect/ControlFlow/IR/ControlFlow.h>
#include <mlir/Dialect/Func/IR/FuncOps.h>
#include <mlir/Dialect/LLVMIR/LLVMDialect.h>
#include <mlir/Dialect/Linalg/IR/Linalg.h>
#include <mlir/Dialect/Linalg/Passes.h>
#include <mlir/Dialect/Math/IR/Math.h>
#include <mlir/Dialect/Math/Transforms/Passes.h>
#include <mlir/Dialect/MemRef/IR/MemRef.h>
#include <mlir/Dialect/MemRef/Transforms/Passes.h>
#include <mlir/Dialect/SCF/IR/SCF.h>
#include <mlir/Dialect/UB/IR/UBOps.h>
#include <mlir/Dialect/Vector/IR/VectorOps.h>
#include <mlir/Dialect/Vector/Transforms/LoweringPatterns.h>
#include <mlir/Dialect/Vector/Transforms/Passes.h>
#include <mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h>
#include <mlir/IR/BuiltinOps.h>
#include <mlir/IR/Diagnostics.h>
#include <mlir/IR/MLIRContext.h>
#include <mlir/Parser/Parser.h>
#include <mlir/Pass/Pass.h>
#include <mlir/Pass/PassManager.h>
#include <mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h>
#include <mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h>
#include <mlir/Target/LLVMIR/Export.h>
#include <mlir/Transforms/GreedyPatternRewriteDriver.h>
#include <mlir/Transforms/Passes.h>

#include <llvm/IR/Function.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Support/raw_ostream.h>

#include "codegen/exp_approximation.h"
#include "codegen/f64_math_approximation.h"
#include "codegen/sin_cos_approximation.h"
#include "codegen/stopwatch.h"
#include "support/error.h"

namespace wick::codegen {
namespace {

const mlir::DialectRegistry& dialect_registry() {
  static const mlir::DialectRegistry* registry = [] {
    auto* r = new mlir::DialectRegistry;
    r->insert<mlir::affine::AffineDialect, mlir::arith::ArithDialect, mlir::cf::ControlFlowDialect,
              mlir::func::FuncDialect, mlir::linalg::LinalgDialect, mlir::LLVM::LLVMDialect,
              mlir::math::MathDialect, mlir::memref::MemRefDialect, mlir::scf::SCFDialect,
              mlir::ub::UBDialect, mlir::vector::VectorDialect>();
    mlir::registerBuiltinDialectTranslation(*r);
    mlir::registerLLVMDialectTranslation(*r);
    return r;
  }();
  return *registry;
}

// Rewrites math ops (exp, log, tanh, erf, sin, ...) on f32 (sin and cos
// reduced in f64), and exp, expm1, log, log1p and tanh on f64, into
// polynomials of arith ops, which vectorize; libm calls would not.
struct MathApproximationPass
    : public mlir::PassWrapper<MathApproximationPass, mlir::OperationPass<mlir::func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(MathApproximationPass)

  llvm::StringRef getArgument() const final { return "wick-math-approximation"; }
  void getDependentDialects(mlir::DialectRegistry& registry) const override {
    registry.insert<mlir::arith::ArithDialect, mlir::math::MathDialect,
                    mlir::vector::VectorDialect>();
  }
  void runOnOperation() override {
    mlir::RewritePatternSet patterns(&getContext());
    populate_exp_approximation(patterns);
    populate_sin_cos_approximation(patterns);
    populate_f64_math_approximation(patterns);
    mlir::populateMathPolynomialApproximationPatterns(patterns, {});
    if (mlir::failed(mlir::applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

// 16 x 16 transposes of f32 (the small-MLP kernel's input tiles) become
// shuffles; the default lowering would move the 256 elements one by one.
struct TransposeLoweringPass
    : public mlir::PassWrapper<TransposeLoweringPass, mlir::OperationPass<mlir::func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TransposeLoweringPass)

  llvm::StringRef getArgument() const final { return "wick-transpose-lowering"; }
  void getDependentDialects(mlir::DialectRegistry& registry) const override {
    registry.insert<mlir::vector::VectorDialect>();
  }
  void runOnOperation() override {
    mlir::RewritePatternSet patterns(&getContext());
    mlir::vector::VectorTransformsOptions options;
    options.setVectorTransposeLowering(mlir::vector::VectorTransposeLowering::Shuffle16x16);
    mlir::vector::populateVectorTransposeLoweringPatterns(patterns, options);
    if (mlir::failed(mlir::applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

void build_pipeline(mlir::PassManager& pm, const CompileOptions& options) {
  mlir::OpPassManager& fn = pm.nest<mlir::func::FuncOp>();
  fn.addPass(mlir::createConvertLinalgToLoopsPass());
  if (options.approximate_math) fn.addPass(std::make_unique<MathApproximationPass>());
  fn.addPass(mlir::vector::createLowerVectorMultiReductionPass());
  fn.addPass(std::make_unique<TransposeLoweringPass>());
  fn.addPass(mlir::createConvertVectorToSCFPass());
  pm.addPass(mlir::createLowerAffinePass());
  pm.addPass(mlir::createConvertSCFToCFPass());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
  pm.addPass(mlir::createConvertVectorToLLVMPass());
  pm.addPass(mlir::createConvertMathToLLVMPass());
  pm.addPass(mlir::createConvertMathToLibmPass());  // what has no LLVM intrinsic: erff, tanhf...
  pm.addPass(mlir::memref::createExpandStridedMetadataPass());
  pm.addPass(mlir::createLowerAffinePass());  // the expansion leaves affine.apply behind
  pm.addPass(mlir::createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(mlir::createArithToLLVMConversionPass());
  pm.addPass(mlir::createConvertIndexToLLVMPass());
  pm.addPass(mlir::createConvertFuncToLLVMPass());
  pm.addPass(mlir::createConvertControlFlowToLLVMPass());
  pm.addPass(mlir::createUBToLLVMConversionPass());
  pm.addPass(mlir::createReconcileUnrealizedCastsPass());
}

// Records each public kernel's signature and asks func-to-llvm for its C
// interface.
std::vector<KernelSignature> prepare_kernels(mlir::ModuleOp module) {
  std::vector<KernelSignature> kernels;
  module.walk([&](mlir::func::FuncOp fn) {
    if (fn.isExternal() || !fn.isPublic()) return;
    fn->setAttr(mlir::LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                mlir::UnitAttr::get(fn.getContext()));
    KernelSignature sig;
    sig.name = fn.getSymName().str();
    for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
      auto memref = mlir::dyn_cast<mlir::MemRefType>(fn.getArgumentTypes()[i]);
      sig.memref_args.push_back(static_cast<bool>(memref));
      sig.memref_ranks.push_back(memref ? memref.getRank() : 0);
      sig.noalias.push_back(memref && fn.getArgAttr(i, mlir::LLVM::LLVMDialect::getNoAliasAttrName()));
    }
    auto results = fn.getResultTypes();
    sig.returns_scalar = results.size() == 1 && results[0].isIntOrIndexOrFloat();
    sig.packable = results.empty() || sig.returns_scalar;
    kernels.push_back(std::move(sig));
  });
  return kernels;
}

// MLIR puts a memref argument's {llvm.noalias} on the C wrapper's pointer to
// the descriptor only; the kernel itself takes the descriptor's fields, and
// its loops are what LLVM vectorizes. So the kernel's two pointers of such a
// memref (allocated, never accessed, and aligned) are marked here. A memref
// of rank r arrives as 3 + 2r parameters, a scalar as one.
void mark_noalias_pointers(llvm::Module& module, const std::vector<KernelSignature>& kernels) {
  for (const KernelSignature& k : kernels) {
    llvm::Function* fn = module.getFunction(k.name);
    if (!fn) continue;
    unsigned p = 0;
    for (size_t i = 0; i < k.memref_args.size(); ++i) {
      if (!k.memref_args[i]) {
        ++p;
        continue;
      }
      if (k.noalias[i]) {
        fn->addParamAttr(p, llvm::Attribute::NoAlias);
        fn->addParamAttr(p + 1, llvm::Attribute::NoAlias);
      }
      p += 3 + 2 * static_cast<unsigned>(k.memref_ranks[i]);
    }
    WICK_ASSERT(p == fn->arg_size(), "kernel " + k.name + ": its parameters do not match its memref arguments");
  }
}

// Conversions are partial: an op that no pass lowers survives the pipeline.
// Reports up to three such ops at their source locations; true if any.
bool report_unlowered_ops(mlir::ModuleOp module) {
  int found = 0;
  module.walk([&](mlir::Operation* op) {
    if (op == module.getOperation() || mlir::isa<mlir::LLVM::LLVMDialect>(op->getDialect()))
      return mlir::WalkResult::advance();
    op->emitError() << "'" << op->getName() << "' was not lowered to the LLVM dialect";
    return ++found < 3 ? mlir::WalkResult::advance() : mlir::WalkResult::interrupt();
  });
  return found > 0;
}

// Failures here are wick bugs (the MLIR is generated), reported with MLIR's
// own diagnostics.
[[noreturn]] void fail(const std::string& what, const std::string& diagnostics) {
  throw InternalError("codegen: " + what + "\n" + diagnostics);
}

}  // namespace

LoweredModule lower_mlir_to_llvm(const std::string& mlir_text, const CompileOptions& options,
                                 llvm::LLVMContext& llvm_context, CompileStats& stats) {
  Stopwatch clock;
  // One context per compile keeps compiles independent and thread-safe;
  // MLIR's own thread pool would only compete with the caller's threads.
  mlir::MLIRContext context(dialect_registry(), mlir::MLIRContext::Threading::DISABLED);

  // Diagnostics go to a string, with the offending source line and a caret.
  llvm::SourceMgr source_mgr;
  source_mgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBuffer(mlir_text, "kernel.mlir"),
                                llvm::SMLoc());
  std::string diagnostics;
  llvm::raw_string_ostream diag_stream(diagnostics);
  mlir::SourceMgrDiagnosticHandler diag_handler(source_mgr, &context, diag_stream);

  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceFile<mlir::ModuleOp>(source_mgr, &context);
  if (!module) fail("MLIR kernel module failed to parse:", diagnostics);
  stats.parse_ms = clock.lap_ms();

  LoweredModule lowered;
  lowered.kernels = prepare_kernels(*module);
  mlir::PassManager pm(&context);
  build_pipeline(pm, options);
  bool lowered_ok = mlir::succeeded(pm.run(*module));
  context.printOpOnDiagnostic(false);  // the source line says enough about leftovers
  if (!lowered_ok || report_unlowered_ops(*module))
    fail("MLIR lowering to the LLVM dialect failed:", diagnostics);
  if (options.dump_ir) {
    llvm::errs() << "// -----// wick: MLIR lowered to the LLVM dialect //----- //\n";
    module->print(llvm::errs());
    llvm::errs() << "\n";
  }
  stats.mlir_passes_ms = clock.lap_ms();

  lowered.module = mlir::translateModuleToLLVMIR(*module, llvm_context, "wick_kernels");
  if (!lowered.module) fail("translation of the LLVM dialect to LLVM IR failed:", diagnostics);
  mark_noalias_pointers(*lowered.module, lowered.kernels);
  stats.translate_ms = clock.lap_ms();
  return lowered;
}

}  // namespace wick::codegen
