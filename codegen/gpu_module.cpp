// func.func to gpu.func, done on the parsed module (so it does not depend on
// how the writer formats its text) and printed back.
#include "codegen/gpu_module.h"

#include <mlir/Dialect/Affine/IR/AffineOps.h>
#include <mlir/Dialect/Arith/IR/Arith.h>
#include <mlir/Dialect/ControlFlow/IR/ControlFlow.h>
#include <mlir/Dialect/DLTI/DLTI.h>
#include <mlir/Dialect/Func/IR/FuncOps.h>
#include <mlir/Dialect/GPU/IR/GPUDialect.h>
#include <mlir/Dialect/Index/IR/IndexDialect.h>
#include <mlir/Dialect/LLVMIR/LLVMDialect.h>
#include <mlir/Dialect/LLVMIR/NVVMDialect.h>
#include <mlir/Dialect/Math/IR/Math.h>
#include <mlir/Dialect/MemRef/IR/MemRef.h>
#include <mlir/Dialect/SCF/IR/SCF.h>
#include <mlir/Dialect/UB/IR/UBOps.h>
#include <mlir/Dialect/Vector/IR/VectorOps.h>
#include <mlir/IR/Builders.h>
#include <mlir/IR/BuiltinOps.h>
#include <mlir/IR/Diagnostics.h>
#include <mlir/IR/MLIRContext.h>
#include <mlir/IR/Verifier.h>
#include <mlir/Parser/Parser.h>
#include <mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h>
#include <mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h>
#include <mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h>
#include <mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h>

#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/SourceMgr.h>
#include <llvm/Support/raw_ostream.h>

#include "support/error.h"

namespace wick::codegen {

const mlir::DialectRegistry& gpu_dialect_registry() {
  static const mlir::DialectRegistry* registry = [] {
    auto* r = new mlir::DialectRegistry;
    r->insert<mlir::affine::AffineDialect, mlir::arith::ArithDialect, mlir::cf::ControlFlowDialect,
              mlir::DLTIDialect, mlir::func::FuncDialect, mlir::gpu::GPUDialect, mlir::index::IndexDialect,
              mlir::LLVM::LLVMDialect, mlir::NVVM::NVVMDialect, mlir::math::MathDialect,
              mlir::memref::MemRefDialect, mlir::scf::SCFDialect, mlir::ub::UBDialect,
              mlir::vector::VectorDialect>();
    mlir::registerBuiltinDialectTranslation(*r);
    mlir::registerLLVMDialectTranslation(*r);
    mlir::registerNVVMDialectTranslation(*r);
    mlir::registerGPUDialectTranslation(*r);
    return r;
  }();
  return *registry;
}

namespace {

bool is_workgroup(mlir::MemRefType t) {
  auto space = mlir::dyn_cast_or_null<mlir::gpu::AddressSpaceAttr>(t.getMemorySpace());
  return space && space.getValue() == mlir::gpu::AddressSpace::Workgroup;
}

}  // namespace

GpuModuleText make_gpu_module(const std::string& func_text, const std::string& name,
                              const std::array<uint32_t, 3>& block, bool index32) {
  mlir::MLIRContext context(gpu_dialect_registry(), mlir::MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  llvm::SourceMgr source_mgr;
  source_mgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBuffer(func_text, "kernel.mlir"), llvm::SMLoc());
  std::string diagnostics;
  llvm::raw_string_ostream diag_stream(diagnostics);
  mlir::SourceMgrDiagnosticHandler handler(source_mgr, &context, diag_stream);

  mlir::OwningOpRef<mlir::ModuleOp> module = mlir::parseSourceFile<mlir::ModuleOp>(source_mgr, &context);
  if (!module) throw InternalError("codegen: GPU kernel " + name + " failed to parse:\n" + diagnostics);
  auto fn = module->lookupSymbol<mlir::func::FuncOp>(name);
  WICK_ASSERT(fn && !fn.isExternal(), "GPU kernel " + name + ": no func.func of that name");

  mlir::OpBuilder b(&context);
  const mlir::Location loc = fn.getLoc();
  (*module)->setAttr(mlir::gpu::GPUDialect::getContainerModuleAttrName(), b.getUnitAttr());
  b.setInsertionPointToEnd(module->getBody());
  auto gpu_module = b.create<mlir::gpu::GPUModuleOp>(loc, "wick_gpu");
  auto index_entry = mlir::DataLayoutEntryAttr::get(b.getIndexType(), b.getI32IntegerAttr(index32 ? 32 : 64));
  gpu_module->setAttr(mlir::DLTIDialect::kDataLayoutAttrName, mlir::DataLayoutSpecAttr::get(&context, {index_entry}));

  // Arguments: memrefs with offset 0 (bare pointers to the first element),
  // i1 as i32.
  mlir::Block& old_entry = fn.getBody().front();
  llvm::SmallVector<mlir::Type> arg_types;
  for (mlir::Type t : fn.getArgumentTypes()) {
    if (auto m = mlir::dyn_cast<mlir::MemRefType>(t)) {
      llvm::SmallVector<int64_t> strides;
      int64_t offset = 0;
      WICK_ASSERT(mlir::succeeded(mlir::getStridesAndOffset(m, strides, offset)),
                  "GPU kernel " + name + ": a memref argument without a strided layout");
      arg_types.push_back(mlir::MemRefType::get(m.getShape(), m.getElementType(),
                                                mlir::StridedLayoutAttr::get(&context, 0, strides)));
    } else if (t.isInteger(1)) {
      arg_types.push_back(b.getI32Type());
    } else {
      arg_types.push_back(t);
    }
  }
  // Workgroup buffers: allocas in the workgroup address space.
  llvm::SmallVector<mlir::memref::AllocaOp> shared;
  llvm::SmallVector<mlir::Type> shared_types;
  uint64_t shared_bytes = 0;
  for (mlir::Operation& op : old_entry) {
    auto alloca = mlir::dyn_cast<mlir::memref::AllocaOp>(op);
    if (!alloca || !is_workgroup(alloca.getType())) continue;
    shared.push_back(alloca);
    shared_types.push_back(alloca.getType());
    const mlir::MemRefType t = alloca.getType();
    shared_bytes += static_cast<uint64_t>(t.getNumElements()) * ((t.getElementTypeBitWidth() + 7) / 8);
  }
  fn.walk([&](mlir::memref::AllocaOp a) {
    WICK_ASSERT(!is_workgroup(a.getType()) || a->getBlock() == &old_entry,
                "GPU kernel " + name + ": workgroup memory allocated outside the entry block");
  });

  b.setInsertionPointToStart(gpu_module.getBody());
  auto kernel = b.create<mlir::gpu::GPUFuncOp>(loc, name, b.getFunctionType(arg_types, {}), shared_types,
                                               mlir::TypeRange{});
  kernel->setAttr(mlir::gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  kernel.setKnownBlockSizeAttr(b.getDenseI32ArrayAttr(
      {static_cast<int32_t>(block[0]), static_cast<int32_t>(block[1]), static_cast<int32_t>(block[2])}));
  mlir::Block& entry = kernel.getBody().front();
  b.setInsertionPointToStart(&entry);
  for (unsigned i = 0; i < old_entry.getNumArguments(); ++i) {
    mlir::Value from = entry.getArgument(i);
    mlir::Value old = old_entry.getArgument(i);
    mlir::Value now = from;
    if (mlir::isa<mlir::MemRefType>(old.getType())) {
      now = b.create<mlir::memref::CastOp>(loc, old.getType(), from);
    } else if (old.getType().isInteger(1)) {
      mlir::Value zero = b.create<mlir::arith::ConstantIntOp>(loc, 0, 32);
      now = b.create<mlir::arith::CmpIOp>(loc, mlir::arith::CmpIPredicate::ne, from, zero);
    }
    old.replaceAllUsesWith(now);
  }
  const unsigned num_args = static_cast<unsigned>(arg_types.size());
  for (size_t k = 0; k < shared.size(); ++k) {
    shared[k].getResult().replaceAllUsesWith(entry.getArgument(num_args + static_cast<unsigned>(k)));
    shared[k].erase();
  }
  entry.getOperations().splice(entry.end(), old_entry.getOperations());
  mlir::Operation* ret = entry.getTerminator();
  WICK_ASSERT(mlir::isa<mlir::func::ReturnOp>(ret) && ret->getNumOperands() == 0,
              "GPU kernel " + name + ": the function must end in a plain return");
  b.setInsertionPoint(ret);
  b.create<mlir::gpu::ReturnOp>(loc);
  ret->erase();
  fn.erase();

  if (mlir::failed(mlir::verify(*module)))
    throw InternalError("codegen: GPU kernel " + name + " does not verify:\n" + diagnostics);
  GpuModuleText out;
  llvm::raw_string_ostream os(out.mlir);
  module->print(os);
  out.shared_bytes = static_cast<uint32_t>(shared_bytes);
  return out;
}

}  // namespace wick::codegen
