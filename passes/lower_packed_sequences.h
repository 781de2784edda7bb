// lower_packed_sequences: gives the packed sequences of
// nn.utils.rnn.pack_padded_sequence their padded form. ATen packs a batch
// [B, T, *] of rows with lengths[b] steps into `data` (the steps present,
// time-major) and `batch_sizes` (how many rows have step t), both sized by
// the data; wick keeps the padded batch and the lengths instead:
//   _pack_padded_sequence(input, lengths, batch_first) checks the lengths at
//     run time as ATen does (positive, in decreasing order) and that none
//     exceeds T, which must be static;
//   a recurrent layer's `data` overload (lstm.data, gru.data, ...) becomes
//     wick::<cell>_padded over the padded batch and the lengths, whose rows
//     stop at their last step and whose outputs are zero after it;
//   _pad_packed_sequence(data, batch_sizes, batch_first, padding, total)
//     becomes a `where` with the padding value, cut or extended to total,
//     and returns the lengths.
// `batch_sizes` is read only through batch_sizes[k] (the number of lengths
// above k) and its size (the longest length). The padded result of
// pad_packed_sequence is as long as the longest row when total_length is
// not given: wick computes it when that equals T and raises at run time
// otherwise. Any other use of packed data is a wick::Error naming it.
// Expects folded control flow (canonicalize) and inferred types; returns
// whether it changed the graph.
#pragma once

#include "ir/graph.h"

namespace wick::passes {

bool lower_packed_sequences(ir::Graph& graph);

}  // namespace wick::passes
