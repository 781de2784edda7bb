// Connectionist temporal classification (Graves et al., 2006): the kernels
// behind torch.nn.functional.ctc_loss. For each sample, the negative log of
// the probability that the frames of `log_probs` spell the sample's target
// through some alignment (blanks between and around the labels, repeats
// merged), summed over all alignments with the forward recursion; and the
// gradient of that with respect to log_probs, from the forward and backward
// recursions together.
//
// Operands: log_probs [T, N, C] of f32 or f64 (log-probabilities of C
// classes, any strides); targets of i64 or i32, either [N, S] (padded rows)
// or 1-D (the samples' targets one after another); input_lengths and
// target_lengths i64 or i32 [N]. Sums run in f64 in log space. A length
// out of range, a target that is not a class or is the blank (torch
// documents that it may not be), and a blank that is not a class are a
// wick::Error naming ctc_loss.
#pragma once

#include <cstdint>

#include "support/tensor.h"

namespace wick::rt {

struct CtcOptions {
  int64_t blank = 0;
  // An infinite loss (no alignment fits in the input) counts as 0, and its
  // gradient as 0.
  bool zero_infinity = false;
};

// out [N]: each sample's negative log-likelihood (inf where no alignment
// fits, unless zero_infinity).
void ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
              const Tensor& target_lengths, CtcOptions options, Tensor& out);

// out [T, N, C]: grad[n] times the gradient of sample n's loss, as ATen
// computes it: exp(log_probs) minus the posterior of each class at each
// frame (the gradient through a log_softmax that made log_probs, written
// onto log_probs themselves), zero for the frames past the sample's input
// length.
void ctc_loss_backward(const Tensor& grad, const Tensor& log_probs, const Tensor& targets,
                       const Tensor& input_lengths, const Tensor& target_lengths, CtcOptions options, Tensor& out);

}  // namespace wick::rt
