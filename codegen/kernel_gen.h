// Kernel generation: a group of IR nodes with fully static types becomes one
// MLIR function of scf loops over memrefs, ready for JitEngine or
// compile_to_object. The caller (fusion and the executor) decides what goes
// into a group; this layer only turns it into code.
//
// What a group may hold:
//   - pointwise nodes (any DAG; every output of the group has one shape, the
//     iteration domain; inputs broadcast to it), computed in registers;
//   - one reduction node (sum, mean, amax, amin, max, min, max.dim, min.dim,
//     argmax), optionally fed by pointwise nodes of the group;
//   - one movement node: cat, stack, index_select, embedding, index.Tensor,
//     one_hot or contiguous (a copy);
//   - prim::Constant nodes (their values are baked into the code) and
//     prim::ListConstruct nodes (generate nothing, see below).
// List operands (cat's and stack's tensors, index.Tensor's indices) are read
// through the prim::ListConstruct that builds them, whether or not that node
// is in `nodes`: its tensor elements must be group inputs, its None elements
// are constants.
//
// Kernel arguments, in order: the group inputs (tensors as memrefs with the
// static sizes and strides of their layout and a dynamic offset, stride-0
// dims allowed; Int, Float and Bool scalars as i64, f64 and i1, which the
// packed entry reads through int64_t*, double* and bool*), then the outputs
// (contiguous memrefs, dynamic offset), then, for ops that index with tensor data
// (index_select, embedding, index.Tensor, one_hot), an int64 [] status
// output: the kernel sets it to 0, and to 1 when an index is out of range
// (torch raises an error there; the caller must check and raise). Elements
// read through a bad index are written as 0; nothing outside the inputs is
// ever read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "support/dtype.h"

namespace wick::codegen {

// A tensor argument's memory layout: static sizes and strides in elements.
// The element offset stays dynamic (the descriptor's offset field).
struct TensorLayout {
  DType dtype = DType::f32;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
};

TensorLayout contiguous_layout(DType dtype, const std::vector<int64_t>& sizes);

enum class KernelArgKind { tensor, int_scalar, float_scalar, bool_scalar };

struct KernelArg {
  KernelArgKind kind = KernelArgKind::tensor;
  TensorLayout layout;  // tensors only
  bool is_output = false;
};

struct KernelGroup {
  std::vector<const ir::Node*> nodes;        // topologically ordered nodes to compute in one kernel
  std::vector<const ir::Value*> inputs;      // values from outside the group, in argument order:
                                             // tensors, and Int/Float/Bool scalars that are not
                                             // prim::Constant
  std::vector<TensorLayout> input_layouts;   // parallel to inputs (ignored for scalars)
  std::vector<const ir::Value*> outputs;     // tensor values the kernel writes, in argument order
                                             // after the inputs; written contiguous (row-major)
                                             // with the static sizes of their IR type
};

struct GeneratedKernel {
  std::string name;
  std::string mlir;  // a module holding `func.func @<name>`
  std::vector<KernelArg> args;
  int status_arg = -1;  // index in args of the int64 [] out-of-range flag, or -1
};

// Throws wick::InternalError when the group breaks the rules above (types not
// static, an input missing, an unsupported node). What torch itself would
// refuse is a wick::Error on the node: max of an empty tensor, hardswish of
// an integer tensor, negation of a bool tensor.
GeneratedKernel generate_kernel(const KernelGroup& group, const std::string& name);

// A strided-to-contiguous copy of a tensor with layout `src`: arguments
// (src, out), out contiguous with the same sizes and dtype.
GeneratedKernel generate_copy(const TensorLayout& src, const std::string& name);

// Whether generate_kernel can compute `node` (in a group of the right kind).
bool can_generate(const ir::Node& node);

}  // namespace wick::codegen
