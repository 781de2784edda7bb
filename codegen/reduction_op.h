// What a reduction node computes, shared by the CPU and GPU reduction
// generators: how elements combine (sum, product, maximum, minimum), whether
// it divides by the count (mean), whether it returns positions (max.dim,
// min.dim: values and indices; argmax, argmin: indices only), which dims it
// reduces, and the combining arithmetic itself, which the scatters share.
#pragma once

#include <optional>
#include <vector>

#include "codegen/mlir_writer.h"
#include "ir/graph.h"

namespace wick::codegen {

enum class Combine { sum, prod, max, min };

struct ReductionOp {
  Combine combine = Combine::sum;
  bool mean = false;
  bool in_order = false;      // wick::sum_in_order: float adds in index order, not reassociated
  bool with_index = false;    // the result includes positions
  bool indices_only = false;  // argmax, argmin: output 0 is the positions
  std::vector<bool> reduced;  // per input dim
};

// Whether the code generators reduce `node` (every op of Lowering::reduction).
bool is_reduction(const ir::Node& node);

// Classifies a node of Lowering::reduction whose input has `rank` dims.
ReductionOp reduction_op(const ir::Node& node, size_t rank);

// Sums and products accumulate in the result's dtype (ints in i64); the
// extrema compare in the input's.
inline bool accumulates_in_result(Combine c) { return c == Combine::sum || c == Combine::prod; }
// Whether the combination has an identity for an empty reduction.
inline bool has_identity(Combine c) { return accumulates_in_result(c); }

// The identity of `c` in dtype t: 0, 1, the lowest or the highest value.
Scalar reduction_identity(MlirWriter& w, Combine c, DType t);

// acc combined with x (both of acc's dtype). `reassociate` marks float
// additions and products `fastmath<reassoc>` so that LLVM may vectorize them
// with several partial results.
Scalar combine_values(MlirWriter& w, Combine c, const Scalar& acc, const Scalar& x, bool reassociate);

// How the scatter `node` (aten::index_put, wick::index_put_reduce) combines
// each value with its target: nothing when it replaces the target.
std::optional<Combine> scatter_combine(const ir::Node& node);

}  // namespace wick::codegen
