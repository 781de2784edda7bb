// widen_library_calls: a library call (GEMM, convolution, pooling and their
// backward calls: the ops lowered as Lowering::extern_call) on f16 or bf16
// tensors computes in f32: its reduced-precision inputs are cast up, the call
// runs on f32, and each result is rounded back to the dtype it had. This is
// what torch's CPU kernels for bf16 do (f32 accumulation, one rounding of the
// result); the casts are pointwise ops that fuse with the kernels around the
// call. Expects shapes inferred; nonzero, which reads any dtype, is left as is.
// With `bf16_products`, matrix products (matmul, mm, bmm, linear, addmm) and
// convolutions whose tensors are all bf16 stay as they are: the CPU runtime
// computes them in bf16 (natively where the CPU can, else widened at run
// time). Their gradients' calls are widened.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

struct WidenOptions {
  bool bf16_products = false;
};

// Returns whether any call was widened.
bool widen_library_calls(ir::Graph& graph, const WidenOptions& options = {});

}  // namespace wick::passes
