// autodiff: reverse-mode automatic differentiation. Given a forward graph
// that is decomposed and canonicalized with types inferred (ranks and dtypes
// known; dims may stay symbolic), the tensors to differentiate (a loss with
// one element, or several outputs with seed gradients) and the values to
// differentiate with respect to (graph inputs and prim::Param values of the
// top block), it appends the backward computation to the same graph, built
// from the op table's gradient rules (ir/gradient_rule.h), and adds one
// gradient per wrt value as extra graph outputs: the joint graph that a
// training step compiles as one unit.
//
// Only floating-point tensors carry gradients: a wrt value of another dtype
// is a wick::Error, and integer results (indices, masks) and aten::detach
// stop the flow (what reads only detached values is left alone, loops too). A wrt
// value with no path to the differentiated outputs gets zeros of its shape.
// A prim::If whose condition is only known at run time is differentiated
// into a prim::If on the same condition whose branches recompute the
// forward branch and differentiate it (values of a branch are not visible
// after it), yielding gradients for the values the If reads from outside.
// Loops are differentiated by unrolling them first (unroll_loops.h; a
// training step unrolls up to kTrainingUnroll): a prim::Loop left is
// refused with a wick::Error on that node that says why, and so is an op
// without a rule (composite ops must be decomposed first).
//
// The split form gives the same computation as two graphs, for inspection
// and tests. The forward graph returns its outputs and then the values the
// backward needs ("saved"); the backward graph takes those and one gradient
// per differentiated output. Saved-value policy: a needed value computed by
// a chain of at most kMaxRecomputeDepth pointwise ops (views and constants
// are free) is recomputed in the backward from what that chain reads, when
// those values, not yet saved, take no more memory than the value itself
// (graph inputs and outputs count as free: the caller holds them anyway);
// otherwise it is saved. Results of reductions, GEMMs, convolutions and
// gathers are always saved.
#pragma once

#include <memory>
#include <vector>

#include "ir/graph.h"

namespace wick::passes {

struct AutodiffSpec {
  std::vector<ir::Value*> outputs;  // tensors of the top block to differentiate
  // Their gradients, values of the graph (graph inputs, usually). Empty:
  // `outputs` is one tensor with one element, seeded with 1.
  std::vector<ir::Value*> seeds;
  std::vector<ir::Value*> wrt;  // graph inputs and prim::Param values of the top block
};

inline constexpr int kMaxRecomputeDepth = 4;

// The training convention (also that of the IR text tests): the last graph
// output is the loss, differentiated w.r.t. every floating-point tensor
// input and then every module parameter the top block reads, in order.
AutodiffSpec loss_spec(const ir::Graph& graph);

// Appends the backward; returns the gradients (parallel to spec.wrt), which
// are also added, in that order, as graph outputs. With `reached`, also one
// value per wrt value: null when its gradient flows in every run, else a 0-d
// bool tensor of the graph saying whether it flowed in this one (it is zero
// when not, as when a branch that did not run was the only one to read it;
// torch's gradient is None then).
std::vector<ir::Value*> autodiff(ir::Graph& graph, const AutodiffSpec& spec,
                                 std::vector<ir::Value*>* reached = nullptr);

struct SplitGraphs {
  // The graph's inputs; its outputs, then the saved values.
  std::unique_ptr<ir::Graph> forward;
  // The saved values, then one gradient per spec output; returns one
  // gradient per wrt value. Named "<graph>_backward".
  std::unique_ptr<ir::Graph> backward;
  size_t num_saved = 0;
};

// The split form. `spec` refers to values of `graph` and has no seeds; both
// graphs belong to graph's module (not added to it).
SplitGraphs autodiff_split(const ir::Graph& graph, const AutodiffSpec& spec);

}  // namespace wick::passes
