// canonicalize: folds what is known at compile time and removes the tuples
// and lists TorchScript code builds around tensor ops, so that codegen sees
// tensors, constants and control flow only. It
//   - flattens tuple results of the graph, and list results whose elements
//     are known, into separate outputs;
//   - folds TupleUnpack/TupleIndex/ListUnpack/__getitem__/len of tuples and
//     lists built in the graph (slices of meshgrid's list too), and
//     unpacking of split/chunk into slices
//     (also where a built list is joined to a split's parts with +);
//   - folds scalar ops whose operands are constants (str.format, `in`, ...),
//     `is` where the graph tells (ir::known_identity), and shape queries
//     (size, dim, numel, dtype) of tensors whose types know the answer;
//   - turns lists of constant ints into constants;
//   - reads quantize_per_tensor's tensor scale and zero point, and
//     annotate(float, t) of a tensor, as numbers, and runs a quantized 1-d
//     convolution as the 2-d one over a height of 1;
//   - inlines If nodes with a constant condition, drops loops that never
//     run and unrolls for loops of a few constant trips (unroll_loops.h,
//     kCanonicalUnroll; kListUnroll for a loop that carries a list);
//     folds values a loop carries unchanged; removes casts that
//     change nothing (a tensor's to() its own dtype too) and warnings;
//   - composes a permute of a permute into one, drops a permute that moves
//     no dim, and makes a cat of tensors permuted one way that permute of
//     their cat;
//   - evaluates int()/float() of 0-dim tensors computed from known numbers,
//     the shape arithmetic traced models carry, and reads int(t.item()) and
//     float(t.item()) as int(t) and float(t);
//   - folds is_nested (ir/nested_tensor.h) and makes nn.TransformerEncoder's
//     left-alignment check of its key padding mask a requirement the plan
//     checks (require_left_aligned), folded true: wick runs the encoder's
//     nested-tensor path only (lower_nested_tensors.h).
// Expects types inferred (infer_shapes); returns whether anything changed,
// so a pipeline can alternate the two until neither does.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

bool canonicalize(ir::Graph& graph);

}  // namespace wick::passes
