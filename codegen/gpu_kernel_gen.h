// GPU kernel generation: the same KernelGroups the CPU generator takes
// (kernel_gen.h) become CUDA kernels, written in MLIR's gpu dialect and
// compiled to PTX (ptx_backend.h). Shapes must be static: a dynamic dim is
// a wick::Error ("dynamic dims are not supported on the GPU yet"), and
// KernelGroup::dynamic_dim0 is ignored (GPU kernels are never split).
//
// What a group may hold, and the kernel each becomes:
//   - pointwise nodes, every output in one shape: one thread per 4
//     consecutive output elements (128-bit loads and stores where aligned,
//     see gpu_builder.h) or per element when the innermost dim is not a
//     multiple of 4; inputs broadcast and strided as on the CPU;
//   - reductions (sum, mean, amax, amin, max, min, max.dim, min.dim, argmax)
//     fed by pointwise nodes: when the innermost dim of the domain is
//     reduced, a block (a warp for rows up to 128) per output element whose
//     threads stride through the row, combined by warp shuffles and shared
//     memory; otherwise a thread per output element looping over the
//     reduced dims (adjacent threads read adjacent columns);
//   - a row group (passes::FuseOptions::row_groups): several such innermost
//     reductions over the same dims of one domain with pointwise nodes
//     between and after them (softmax, log_softmax, layer_norm). Each row is
//     read from global memory once into registers when a thread's share is
//     at most 32 elements (rows up to 32K elements); longer rows are read
//     again for each reduction and for the outputs;
//   - cat, stack, index_select, embedding, index.Tensor, one_hot, contiguous:
//     a thread per output element;
//   - slice_backward (a thread per output element, no atomics), index_add
//     and index_put: a thread per column of the positions the index selects,
//     applying the updates in order as the CPU does (deterministic);
//   - the small-MLP kind (a chain of linear layers and activations, see
//     kernel_mlp.cpp): a thread per row, unrolled, the row's features in
//     registers (gpu_mlp.cpp).
//
// Calling convention (cuLaunchKernel with kernelParams, one pointer to each
// argument's value, in GpuKernel::args order):
//   - a tensor argument is a device pointer (8 bytes, .param .u64) to its
//     FIRST element: the caller adds the storage offset. Sizes and strides
//     are baked into the kernel (KernelArg::layout). Outputs are written
//     contiguous (row-major). No output may overlap an input or another
//     output (the pointers are `noalias`); inputs may overlap each other.
//     Base pointers need no alignment beyond the element size; 16-byte
//     aligned ones take the vectorized path (tested in the kernel);
//   - Int scalars by value as int64 (.param .u64), Float as double
//     (.param .f64), Bool as a 32-bit int (.param .u32), nonzero is true;
//   - for ops that index with tensor data (index_select, embedding,
//     index.Tensor, one_hot, index_add, index_put) the last argument,
//     GpuKernel::status_arg, is a device pointer to one int64 that the
//     caller zeroes before the launch; the kernel sets it to 1 when an index
//     is out of range (torch raises there: the caller must check it and
//     raise). Elements read through a bad index are written as 0 and a bad
//     scatter index updates nothing; nothing outside the inputs is read;
//   - launch with GpuKernel::grid and ::block, no dynamic shared memory
//     (shared_bytes is the static shared memory the kernel declares, at most
//     48 KiB), on any stream.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "codegen/compile_options.h"
#include "codegen/kernel_gen.h"
#include "codegen/ptx_backend.h"

namespace wick::codegen {

struct GpuKernel {
  std::string name;  // the PTX entry (.visible .entry <name>)
  std::string ptx;
  std::string mlir;  // the gpu.module before lowering, for dumps
  std::array<uint32_t, 3> grid{1, 1, 1}, block{1, 1, 1};
  uint32_t shared_bytes = 0;
  std::vector<KernelArg> args;  // tensors (inputs, then outputs) and scalars; the status flag last
  int status_arg = -1;          // index in args of the int64 out-of-range flag, or -1
  double generate_ms = 0;       // writing the MLIR (kernel text and gpu.module)
  CompileStats compile;         // MLIR to PTX, or the PTX cache
};

// Throws wick::InternalError when the group breaks the rules of kernel_gen.h
// and wick::Error for what the GPU path does not support (dynamic dims, a
// pointwise group whose outputs differ in shape) and for what torch itself
// refuses (as generate_kernel does). Every group can_generate_group accepts
// has a GPU kernel kind.
GpuKernel generate_gpu_kernel(const KernelGroup& group, const std::string& name, const GpuTarget& target);

// A strided-to-contiguous copy of a tensor with static layout `src`:
// arguments (src, out), out contiguous with the same sizes and dtype.
GpuKernel generate_gpu_copy(const TensorLayout& src, const std::string& name, const GpuTarget& target);

// The two halves of the above, for callers that name kernels by their text
// or share equal kernels before compiling (as the CPU plan builder does):
// write_* fills everything but `ptx` and `compile` (the MLIR text depends
// only on the group and the name, not on the target); compile_gpu_kernel
// fills those for a target (through the PTX cache).
GpuKernel write_gpu_kernel(const KernelGroup& group, const std::string& name);
GpuKernel write_gpu_copy(const TensorLayout& src, const std::string& name);
void compile_gpu_kernel(GpuKernel& kernel, const GpuTarget& target);

}  // namespace wick::codegen
