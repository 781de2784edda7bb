// Kernel generation: a group of IR nodes becomes one MLIR function of scf
// loops over memrefs, ready for JitEngine or compile_to_object. The caller
// (fusion and the executor) decides what goes into a group; this layer only
// turns it into code.
//
// What a group may hold:
//   - pointwise nodes (any DAG; every output of the group has one shape, the
//     iteration domain; inputs broadcast to it), computed in registers;
//   - one reduction node (sum, mean, amax, amin, max, min, max.dim, min.dim,
//     argmax), optionally fed by pointwise nodes of the group; or a row
//     group: several of sum, mean, amax, amin over the same trailing dims of
//     one domain, keepdim, with pointwise nodes before, between and after
//     them, writing values of the domain's shape or of the rows' shape;
//   - one movement node: cat, stack, index_select, embedding, index.Tensor,
//     one_hot or contiguous (a copy), or a scatter: slice_backward, index_add,
//     index_put (whose loops must stay sequential, see kernel_scatter.cpp);
//   - prim::Constant nodes (their values are baked into the code) and
//     prim::ListConstruct nodes (generate nothing, see below).
// List operands (cat's and stack's tensors, index.Tensor's indices) are read
// through the prim::ListConstruct that builds them, whether or not that node
// is in `nodes`: its tensor elements must be group inputs, its None elements
// are constants.
//
// Dims: each dim of a tensor type is static or symbolic (`B`, `4*B`, see
// ir/type.h). A symbolic size is read at run time, once, from the memref
// descriptor of an argument that has a dim of the same ir::Dim; strides stay
// static. A symbolic dim is never a broadcast 1 (a static 1 against it
// broadcasts). The kernel trusts that every argument binds a symbol to the
// same size (the caller checks its inputs); a symbol that is 0 at run time
// makes max/min/argmax over it give their identity (index 0) where torch
// raises.
//
// Kernel arguments, in order: the group inputs (tensors as memrefs with the
// sizes and strides of their layout and a dynamic offset, stride-0 dims
// allowed; Int, Float and Bool scalars as i64, f64 and i1, which the
// packed entry reads through int64_t*, double* and bool*), then the outputs
// (contiguous memrefs, dynamic offset), then, for ops that index with tensor data
// (index_select, embedding, index.Tensor, one_hot, index_add, index_put), an int64 [] status
// output: the kernel sets it to 0, and to 1 when an index is out of range
// (torch raises an error there; the caller must check and raise). Elements
// read through a bad index are written as 0; nothing outside the inputs is
// ever read.
//
// Splitting the outer dim (GeneratedKernel::splittable_dim0): a kernel whose
// output rows along dim 0 of its iteration domain are independent may be
// called several times on slices of that dim, from several threads. A call
// on rows [i0, i1) passes, for every argument with sliced_dim0[i] set, a
// descriptor with sizes[0] = i1 - i0 and offset advanced by i0 * strides[0];
// every other argument is passed whole (those that broadcast along dim 0,
// tables that are indexed such as embedding's weight, scalars). All sliced
// arguments have the same dim-0 size, the domain's. The calls together write
// exactly what one call on the whole tensors writes; each must get its own
// status output (when the kernel has one), to be or-ed afterwards.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "support/dtype.h"

namespace wick::codegen {

// A size known only at run time, in TensorLayout::sizes.
inline constexpr int64_t kDynamic = -1;

// A tensor argument's memory layout: sizes (static, or kDynamic for a
// symbolic dim) and static strides, in elements. The element offset stays
// dynamic (the descriptor's offset field).
struct TensorLayout {
  DType dtype = DType::f32;
  std::vector<int64_t> sizes;
  std::vector<int64_t> strides;
};

// Row-major strides. A kDynamic size is allowed at dim 0 only, the one dim no
// stride depends on; elsewhere it throws wick::Error ("a dynamic dim must not
// make strides dynamic").
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
                                             // with the sizes of their IR type
  // Make dim 0 of the iteration domain dynamic when the kernel can be split
  // along it, even where its size is static, so that the caller can run it
  // on slices (see splittable_dim0). A group that cannot be split gives the
  // same kernel either way.
  bool dynamic_dim0 = false;
};

struct GeneratedKernel {
  std::string name;
  std::string mlir;  // a module holding `func.func @<name>`
  std::vector<KernelArg> args;
  int status_arg = -1;  // index in args of the int64 [] out-of-range flag, or -1
  // The kernel may be called on slices of dim 0 of its iteration domain (see
  // the top of this file). True only when that dim is dynamic in the kernel
  // (symbolic, or static with KernelGroup::dynamic_dim0) and no output
  // element depends on other positions along it: pointwise groups (that
  // draw no random numbers), reductions that keep dim 0, the MLP kernel, copies, cat and stack along
  // another dim, gathers whose output rows come from their source's rows or
  // their index tensor's rows. Never for scatters.
  bool splittable_dim0 = false;
  // Parallel to args: whether the caller slices this argument along dim 0
  // when it splits the kernel (all false unless splittable_dim0).
  std::vector<bool> sliced_dim0;
};

// Throws wick::InternalError when the group breaks the rules above (a dim or
// dtype unknown, an input missing, an unsupported node). What torch itself
// would refuse is a wick::Error on the node: max of an empty tensor,
// hardswish of an integer tensor, negation of a bool tensor. So is what
// dynamic dims cannot express: an output whose contiguous strides would
// depend on a symbolic size ([4, B]), a symbolic dim no argument carries.
GeneratedKernel generate_kernel(const KernelGroup& group, const std::string& name);

// A strided-to-contiguous copy of a tensor with layout `src`: arguments
// (src, out), out contiguous with the same sizes and dtype. Splittable when
// src has at least one dim and its dim 0 is dynamic or, with dynamic_dim0,
// larger than 1.
GeneratedKernel generate_copy(const TensorLayout& src, const std::string& name, bool dynamic_dim0 = false);

// Whether generate_kernel can compute `node` (in a group of the right kind).
bool can_generate(const ir::Node& node);
// Whether a whole group can be one kernel: every node generatable, or a
// small MLP (linear layers with pointwise ops between them).
bool can_generate_group(const std::vector<const ir::Node*>& nodes);

}  // namespace wick::codegen
