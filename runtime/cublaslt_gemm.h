// GEMM on NVIDIA GPUs through cuBLASLt: the GPU side of the matmul, linear
// and addmm extern kernels (extern_kernels.h), with the same signatures,
// shape rules and semantics, on f32 tensors in CUDA device memory.
//
// Arithmetic is plain fp32 (CUBLAS_COMPUTE_32F, never TF32), so results match
// the CPU kernels to rounding. Operands may have any leading dimension and be
// transposed views (one unit stride per matrix); batch dimensions broadcast
// as in torch.matmul (stride 0 or size 1) and fold into one strided batched
// call where their strides allow, several calls otherwise. Epilogues cuBLASLt
// applies in the same kernel: none, relu, gelu (tanh approximation, PyTorch's
// approximate='tanh'), each with or without linear's bias (cublaslt_fuses).
// Other post-ops, a leaky relu's slope and erf gelu included, are refused
// with a wick::Error: the plan must run them as their own kernel.
//
// The work is queued on the device's stream (asynchronous) and can be
// captured in a CUDA graph. Matmul descriptors and the algorithm cuBLASLt's
// heuristic picks are cached per shape, strides, alignment and epilogue; a
// 32 MiB workspace per device comes from the caching allocator.
//
// cuBLASLt is opened with dlopen on first use: $WICK_CUBLASLT, else
// libcublasLt.so.13 / libcublasLt.so.12 in WICK_CUDA_LIBRARY_PATH, then
// through the loader (cuda_library.h). Missing: "cuBLASLt not found
// (searched: ...)".
#pragma once

#include <cstddef>
#include <string>

#include "runtime/extern_kernels.h"
#include "support/tensor.h"

namespace wick::rt {

// Whether cuBLASLt applies this post-op inside the GEMM.
bool cublaslt_fuses(const Epilogue& epilogue);

void cuda_matmul(const Tensor& a, const Tensor& b, Tensor& out, const Epilogue& epilogue = {});
void cuda_linear(const Tensor& x, const Tensor& weight, const Tensor& bias, Tensor& out,
                 const Epilogue& epilogue = {});
void cuda_addmm(const Tensor& bias, const Tensor& a, const Tensor& b, float beta, float alpha,
                Tensor& out, const Epilogue& epilogue = {});

// Loads cuBLASLt (once) and returns cublasLtGetVersion(), e.g. 130100;
// throws wick::Error when it cannot be found. Needs no GPU.
size_t cublaslt_version();
// The library file that was opened (loading it when needed).
std::string cublaslt_path();

}  // namespace wick::rt
