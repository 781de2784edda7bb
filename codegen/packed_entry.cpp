// The packed entry of kernel `k` with C interface `_mlir_ciface_k(A0, ..., An-1)`:
//
//   void _wick_packed_k(void** args) {
//     [*(R*)args[n] =] _mlir_ciface_k(a0, ..., an-1);
//   }
//
// where ai is args[i] itself for a memref (a descriptor pointer) and *(Ai*)args[i]
// for a scalar. This is mlir::ExecutionEngine's packed interface, less one
// indirection for memrefs.
#include "codegen/packed_entry.h"

#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include "runtime/memref_descriptor.h"
#include "support/error.h"

namespace wick::codegen {

void add_packed_entries(llvm::Module& module, const std::vector<KernelSignature>& kernels) {
  llvm::LLVMContext& context = module.getContext();
  llvm::Type* ptr = llvm::PointerType::getUnqual(context);
  llvm::Type* i64 = llvm::Type::getInt64Ty(context);
  for (const KernelSignature& kernel : kernels) {
    if (!kernel.packable) continue;
    llvm::Function* target = module.getFunction("_mlir_ciface_" + kernel.name);
    WICK_ASSERT(target != nullptr, "no C interface for kernel " + kernel.name);
    WICK_ASSERT(target->arg_size() == kernel.memref_args.size(),
                "C interface of " + kernel.name + " has an unexpected arity");

    auto* type = llvm::FunctionType::get(llvm::Type::getVoidTy(context), {ptr}, false);
    auto* entry = llvm::Function::Create(type, llvm::GlobalValue::ExternalLinkage,
                                         packed_entry_name(kernel.name), module);
    entry->addFnAttr(llvm::Attribute::NoUnwind);
    llvm::IRBuilder<> b(llvm::BasicBlock::Create(context, "entry", entry));
    llvm::Value* args = entry->getArg(0);
    auto slot = [&](size_t i) {
      llvm::Value* address = b.CreateGEP(ptr, args, llvm::ConstantInt::get(i64, i));
      return b.CreateLoad(ptr, address);
    };
    std::vector<llvm::Value*> call_args;
    for (size_t i = 0; i < kernel.memref_args.size(); ++i) {
      llvm::Type* arg_type = target->getArg(i)->getType();
      if (kernel.memref_args[i]) {
        WICK_ASSERT(arg_type->isPointerTy(), "memref argument not passed by pointer");
        call_args.push_back(slot(i));
      } else {
        call_args.push_back(b.CreateLoad(arg_type, slot(i)));
      }
    }
    llvm::Value* result = b.CreateCall(target, call_args);
    if (kernel.returns_scalar) b.CreateStore(result, slot(kernel.memref_args.size()));
    b.CreateRetVoid();
  }
}

}  // namespace wick::codegen
