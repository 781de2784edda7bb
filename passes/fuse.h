// fuse: groups nodes that codegen compiles as one unit into prim::FusionGroup
// nodes:
//   - kind "kernel": chains of pointwise ops over one iteration domain,
//     optionally ending in one reduction over that domain (bias + activation
//     chains, residual adds, gelu, the exp-and-sum of a softmax, the squares
//     and mean of a layer norm). Intermediates stay in registers.
//   - kind "extern": a GEMM or convolution followed by the single activation
//     that consumes its result, applied inside the library call as an
//     epilogue (a oneDNN post-op).
// A node joins a group only when the group's values are not used between
// the group and the node, so moving the members to the group's place keeps
// every use after its definition, and when the group's arguments stay
// within kMaxKernelArguments. A pointwise node joins the group of one of its
// inputs; the other plain pointwise groups computing its inputs over the
// same domain then merge into that group under the same conditions (two
// chains meeting in an add, grid_sample's four taps: one kernel, not one
// per chain writing a tensor the next reads back). A gather (wick::gather_flat) joins no group
// that computes the tensor it reads whole. Once every node is placed, a plain
// group over a domain that broadcasts to another plain group's (size 1
// where that one is larger: grid_sample's per-point positions [N, 1, P]
// under its taps [N, C, P]), whose values only that group reads, joins it
// when each of its elements is then computed at most
// FuseOptions::max_recompute times. Expects static or symbolic types (after
// infer_shapes), composite ops decomposed. Groups of one node stay plain.
//
// With FuseOptions::row_groups (the pipeline's choice on both devices), a
// reduction over the trailing dims of its input with keepdim (sum, mean,
// amax, amin) does not end its kernel group: what follows may join, as
// long as it is pointwise over the group's domain or over its rows (the
// domain with the reduced dims 1), or is another such reduction over the
// same dims of the same domain. Softmax (amax, sub, exp, sum, div),
// log_softmax and a decomposed layer_norm (mean, sub, square, mean, add
// eps, rsqrt, mul, affine) each become one group whose row is read once.
// Such a group writes any of its values that are used outside it. Both
// generators take these groups (kernel_reduction.cpp, gpu_reduction.cpp);
// the option is off by default so that pass tests show the plain groups.
#pragma once

#include <cstddef>

#include "ir/graph.h"

namespace wick::passes {

// A kernel group takes at most this many arguments (inputs it reads and
// values it writes): a node that would take it past stays out. The
// runtime calls a kernel with at most 64, and unrolled loops' gradients
// (a sum over every trip) would otherwise gather hundreds into one group.
inline constexpr size_t kMaxKernelArguments = 48;

struct FuseOptions {
  bool row_groups = false;
  // Chains of at least two small linear layers (2-D f32 input, weight and
  // bias from the module, at most mlp_layer_weights weights) with pointwise
  // activations between them, as one kernel (the small-MLP kernel); f64
  // layers (which decompose keeps whole only for this kernel) from one. Where
  // mlp_max_features is not 0 (the GPU, whose kernel keeps a row's features
  // in registers and unrolls every weight), also at most that many features
  // per layer and mlp_max_weights weights in all: a chain stops before the
  // layer that would pass them.
  bool small_mlp = true;
  // A plain pointwise group whose values only one plain pointwise group
  // over a larger domain reads, its domain broadcasting to that one's, joins
  // it when each of its elements is then computed at most this many times
  // (1: never).
  int64_t max_recompute = 8;
  int64_t mlp_layer_weights = 16384;
  int64_t mlp_max_features = 0;
  int64_t mlp_max_weights = 0;
  // The rows (the input's dim 0) may be a symbol, such as a dynamic batch
  // (the CPU's kernel loops over them; the GPU's launches a thread per row
  // of a static count).
  bool mlp_dynamic_rows = true;
  // GELU as a library call's epilogue. oneDNN's erf-based GELU post-op is
  // slower than the generated GELU kernel (a 768 -> 3072 -> GELU -> 768
  // block runs 2% to 8% faster with it apart), so the CPU keeps it apart;
  // cuBLASLt's GELU epilogue is kept on the GPU.
  bool gelu_epilogue = false;
};

void fuse(ir::Graph& graph, const FuseOptions& options = {});

// A linear layer the small-MLP kernel takes under `options`: a 2-D f32 or
// f64 input of static features (and rows, unless mlp_dynamic_rows), a
// module weight within the limits, a module bias or none.
bool is_small_mlp_layer(const ir::Node& n, const FuseOptions& options);

}  // namespace wick::passes
