// Internal to the decompose pass: the emitter its rules build with, and the
// rules of each file. Not part of the pass's interface.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ir/builder.h"
#include "ir/graph.h"
#include "passes/decompose.h"

namespace wick::passes::decompose_detail {

// One entry of a size list: a fixed size, or the size of a dim of a tensor
// (a constant when that dim is static, else read with aten::size.int).
struct Size {
  int64_t value = 0;
  int dim = -1;
  static Size fixed(int64_t v) { return {v, -1}; }
  static Size dim_of(int d) { return {0, d}; }
};

// Builds primitive ops in front of the composite node being rewritten, with
// the node's source location. Constants are made once per rewrite. The
// checks throw user errors on the composite node.
class Emitter {
 public:
  Emitter(ir::Graph& graph, ir::Node& node, const DecomposeOptions& options = {});

  ir::Node& node() const { return node_; }
  const DecomposeOptions& options() const { return options_; }
  ir::Value* input(size_t i) const { return node_.input(i); }
  bool absent(size_t i) const;  // the input is None

  // Requirements on the node's inputs.
  int64_t constant_int(size_t i, const char* what) const;
  bool constant_bool(size_t i, const char* what) const;
  std::string constant_string(size_t i, const char* what) const;
  // An int[n] argument: n ints, or one int (or a one-item list) meaning n
  // copies; an empty list gives `if_empty` when that is given.
  std::vector<int64_t> constant_ints(size_t i, size_t n, const char* what,
                                     const std::vector<int64_t>* if_empty = nullptr) const;
  const std::vector<ir::Dim>& shape(const ir::Value* v, const char* what) const;  // known rank
  DType float_dtype(const ir::Value* v, const char* what) const;  // known, floating

  ir::Value* op(const char* name, const std::vector<ir::Value*>& inputs);
  ir::Value* int_(int64_t v);
  ir::Value* float_(double v);
  ir::Value* bool_(bool v);
  ir::Value* none();
  ir::Value* ints(const std::vector<int64_t>& v);
  ir::Value* str_(const std::string& v);
  // Whether a trainable module parameter reaches `v` through anything but
  // detach (a loop's or branch's value counts what its node reads).
  bool trained_through(const ir::Value* v) const;
  // A read of the module tensor `name` (prim::Param), or null when the
  // graph's module has no such tensor.
  ir::Value* module_tensor(const std::string& name);
  // prim::StoreParam[name](value): the step writes `value` into the tensor.
  void store_param(const std::string& name, ir::Value* value);
  // prim::ListConstruct of `items` (at least one), typed by their join.
  ir::Value* list(const std::vector<ir::Value*>& items);
  // A List[Int] of sizes; a constant when every size is known statically.
  ir::Value* sizes(ir::Value* of, const std::vector<Size>& items);

  ir::Value* add(ir::Value* a, ir::Value* b);      // aten::add.Tensor(a, b, 1)
  ir::Value* sub(ir::Value* a, ir::Value* b);      // aten::sub.Tensor(a, b, 1)
  ir::Value* mul(ir::Value* a, ir::Value* b);      // aten::mul.Tensor
  ir::Value* div(ir::Value* a, ir::Value* b);      // aten::div.Tensor
  ir::Value* add_scalar(ir::Value* a, ir::Value* s);  // aten::add.Scalar(a, s, 1)
  ir::Value* sum(ir::Value* x, const std::vector<int64_t>& dims, bool keepdim);
  ir::Value* mean(ir::Value* x, const std::vector<int64_t>& dims, bool keepdim);
  ir::Value* cast(ir::Value* x, DType dtype);      // aten::to.dtype
  // A per-channel vector [C] viewed as [1, C, 1, ...] for a tensor of `rank`.
  ir::Value* channel_view(ir::Value* v, int rank);

  // softmax and log_softmax over `dim`, subtracting the maximum first.
  ir::Value* softmax(ir::Value* x, int64_t dim);
  ir::Value* log_softmax(ir::Value* x, int64_t dim);

  // prim::If(condition) { prim::RaiseException(message) }: a check while running.
  void raise_if(ir::Value* condition, const std::string& message) { builder_.raise_if(condition, message); }

  // A prim::Loop of at most `trips` (an Int) trips carrying `initial`,
  // entered when `start` (a Bool; null: always): `step` emits the body from
  // the trip's number and the carried values and returns their next values
  // (of the same types) and whether to go on (null: until `trips`).
  // Returns the values after the last trip. Constants the body makes go in
  // front of the loop, so that the rest of the rewrite may share them.
  struct LoopBody {
    std::vector<ir::Value*> next;
    ir::Value* again = nullptr;
  };
  using LoopStep = std::function<LoopBody(ir::Value* trip, const std::vector<ir::Value*>& carried)>;
  std::vector<ir::Value*> loop(ir::Value* trips, const std::vector<ir::Value*>& initial, const LoopStep& step,
                               ir::Value* start = nullptr);

 private:
  ir::Value* constant(const ir::AttrValue& v, const ir::TypePtr& type);

  ir::Node& node_;
  DecomposeOptions options_;
  ir::Builder builder_;
  std::map<std::string, ir::Value*> constants_;
  ir::Node* constants_before_ = nullptr;  // set while emitting a loop's body
};

// A rule returns the value that replaces the node's single result.
using Rule = ir::Value* (*)(Emitter& e);
struct NamedRule {
  const char* op;
  Rule rule;
};

// A rule for a composite with several results returns one value per result,
// or nullptr for a result torch leaves undefined or wick does not compute
// (it must have no uses).
using MultiRule = std::vector<ir::Value*> (*)(Emitter& e);
struct NamedMultiRule {
  const char* op;
  MultiRule rule;
};

std::vector<NamedRule> norm_rules();                  // decompose_norms.cpp
std::vector<NamedRule> loss_rules();                  // decompose_losses.cpp
std::vector<NamedRule> attention_rules();             // decompose_attention.cpp
std::vector<NamedRule> activation_rules();            // decompose_activations.cpp
std::vector<NamedRule> pooling_rules();               // decompose_pooling.cpp
std::vector<NamedRule> unpool_rules();                // decompose_pool_indices.cpp
std::vector<NamedRule> antialias_rules();             // decompose_antialias.cpp
std::vector<NamedRule> reduction_rules();             // decompose_reductions.cpp
std::vector<NamedRule> layout_rules();                // decompose_layout.cpp
std::vector<NamedRule> rearrange_rules();             // decompose_rearrange.cpp
std::vector<NamedRule> distance_rules();              // decompose_distances.cpp
std::vector<NamedRule> gather_rules();                // decompose_gather.cpp
std::vector<NamedRule> conv_rules();                  // decompose_conv.cpp
std::vector<NamedRule> volume_rules();                // decompose_volumes.cpp
std::vector<NamedRule> einsum_rules();                // decompose_einsum.cpp
std::vector<NamedRule> write_rules();                 // decompose_writes.cpp
std::vector<NamedRule> sort_rules();                  // decompose_sort.cpp
std::vector<NamedRule> scan_rules();                  // decompose_scans.cpp
std::vector<NamedRule> mask_rules();                  // decompose_masks.cpp
std::vector<NamedRule> sampling_rules();              // decompose_sampling.cpp
std::vector<NamedRule> special_function_rules();      // decompose_special.cpp
std::vector<NamedRule> bessel_rules();                // decompose_bessel.cpp
std::vector<NamedRule> incomplete_gamma_rules();      // decompose_igamma.cpp
std::vector<NamedRule> orthogonal_polynomial_rules(); // decompose_polynomials.cpp
std::vector<NamedRule> selection_rules();             // decompose_select.cpp
std::vector<NamedRule> construct_rules();             // decompose_construct.cpp
std::vector<NamedRule> bucket_rules();                // decompose_buckets.cpp
std::vector<NamedRule> matrix_norm_rules();           // decompose_matrix_norms.cpp
std::vector<NamedRule> linalg_rules();                // decompose_linalg.cpp
std::vector<NamedRule> lu_rules();                    // decompose_lu.cpp
std::vector<NamedRule> statistics_rules();            // decompose_statistics.cpp
std::vector<NamedRule> random_rules();                // decompose_random.cpp
std::vector<NamedRule> quantized_rules();             // decompose_quantized.cpp
std::vector<NamedRule> elementwise_rules();           // decompose_elementwise.cpp
// Rules for primitives with a special case other primitives write better
// (index_put with a boolean mask is a where); nullptr keeps the node.
std::vector<NamedRule> special_case_rules();          // decompose_writes.cpp
std::vector<NamedRule> mask_special_rules();          // decompose_masks.cpp: index with a mask
// Rules for library calls the CUDA plan lacks, applied for the GPU only.
std::vector<NamedRule> gpu_conv_rules();              // decompose_volumes.cpp
std::vector<NamedRule> gpu_conv_transpose_rules();    // decompose_conv.cpp
std::vector<NamedRule> gpu_pooling_rules();           // decompose_pooling.cpp
// Rules for library calls on f64 tensors, which no library call takes.
std::vector<NamedRule> double_rules();                // decompose_double.cpp
// matmul, mm, bmm, addmm, linear, conv1d/2d/3d: of the double rules, the
// library calls the CPU runtime computes in f64 too.
bool is_double_library_call(const ir::Node& n);

// The scale factor of each of the last n dims of an upsample node: from the
// list scale_factors at input `at` (.vec overloads), or from n optional
// floats there (decompose_layout.cpp).
std::vector<std::optional<double>> upsample_scales(Emitter& e, size_t at, size_t n);
// Keys' cubic convolution weights (A = -0.75, as ATen's bicubic) of the
// four taps at distances 1 + t, t, 1 - t, 2 - t from a position t past
// the second tap, t in [0, 1) (decompose_layout.cpp).
std::array<ir::Value*, 4> cubic_weights(Emitter& e, ir::Value* t);
// Adaptive pooling of x's dim `dim` (static length) to `size`: the maximum
// or the mean of each window, as torch places them (decompose_pooling.cpp).
ir::Value* adaptive_pool_along(Emitter& e, ir::Value* x, int64_t dim, int64_t size, bool max);
// adaptive_avg_pool2d(x, output_size): a mean when the output is 1 x 1,
// else adaptive_pool_along each pooled dim (decompose_pooling.cpp).
ir::Value* adaptive_avg_pool2d_by_dims(Emitter& e);
// The values of max_pool1d/2d/3d(x, kernel, stride, padding, dilation,
// ceil_mode) found window by window as with their indices
// (decompose_pool_indices.cpp).
ir::Value* max_pool_values(Emitter& e);
// wick::conv_input_backward(x, w, input_size, stride, padding, dilation,
// groups) as a plain convolution over x spread with zeros; with
// volumes_only, nullptr (kept) unless it is 3-D (decompose_conv.cpp).
ir::Value* spread_input_backward(Emitter& e, bool volumes_only);
// x gathered along `dim` at `positions` ([k, out] int64, in range): the k
// elements of each of out windows, [..., k, out, ...]
// (decompose_pool_indices.cpp).
ir::Value* gather_windows(Emitter& e, ir::Value* x, int64_t dim, ir::Value* positions, int64_t k, int64_t out);
// Adaptive max pooling of x's last sizes.size() dims with torch's indices:
// {values, indices} (decompose_pool_indices.cpp).
std::vector<ir::Value*> adaptive_max_with_indices(Emitter& e, ir::Value* x, const std::vector<int64_t>& sizes);
// The positions of mask's nonzero elements as `rank` index tensors [N], one
// per dim of the mask: nonzero's columns (decompose_masks.cpp).
std::vector<ir::Value*> mask_columns(Emitter& e, ir::Value* mask, size_t rank);
// The dim of x along which every element meets every other (sort, running
// scans), made non-negative; its size must be static and at most 4096.
// Errors name it "the <dim_name> dim" and the work "<doing> N elements"
// (decompose_sort.cpp).
struct PairwiseDim {
  int64_t dim;
  int64_t n;
};
PairwiseDim pairwise_dim(Emitter& e, ir::Value* x, int64_t dim, const char* dim_name, const char* doing);
// x sorted along dim, which pairwise_dim checks: stable (ties keep their
// order), NaN the largest (decompose_sort.cpp).
struct SortedAlong {
  ir::Value* values;
  ir::Value* indices;  // int64: each value's position in x
};
SortedAlong sort_along(Emitter& e, ir::Value* x, int64_t dim, bool descending);
// The positions (row, column), row by row, of the lower (upper) triangle of
// a rows x cols matrix from the diagonal `offset` on: [count, 2] int64
// (decompose_construct.cpp).
ir::Value* triangle_positions(Emitter& e, int64_t rows, int64_t cols, int64_t offset, bool lower);
// wick::uniform over `sizes` (a List[int]) in `dtype`, from the next random
// stream of the graph: a training step's (module tensors wick::seed and
// wick::step) when the module has them, else an inference run's (seed 0,
// the run's number wick::call_index as the step) (decompose.cpp).
ir::Value* draw_uniform(Emitter& e, ir::Value* sizes, DType dtype);

// 0 .. n-1 (int64) along dim `at` of a tensor of rank `rank`, size 1 in its
// other dims (decompose_sort.cpp).
ir::Value* positions_along(Emitter& e, int64_t n, int64_t at, int64_t rank);

// decompose_linalg.cpp's helpers, shared with decompose_lu.cpp: x [.., r, c]
// expanded to the batch dims `batch`, reading a size x lacks from `other`
// (whose last `other_matrix_dims` dims are not batch); the batch dims of the
// node's first result, which has `matrix_dims` more; X with A X = B for a
// triangular A, both expanded to `batch`.
ir::Value* with_batch(Emitter& e, ir::Value* x, const std::vector<ir::Dim>& batch, ir::Value* other,
                      size_t other_matrix_dims);
std::vector<ir::Dim> result_batch(Emitter& e, size_t matrix_dims);
ir::Value* triangular(Emitter& e, ir::Value* a, ir::Value* b, bool upper, bool unit, const std::vector<ir::Dim>& batch);

std::vector<NamedMultiRule> attention_multi_rules();  // decompose_attention.cpp
std::vector<NamedMultiRule> recurrent_multi_rules();  // decompose_rnn.cpp
std::vector<NamedMultiRule> reduction_multi_rules();  // decompose_reductions.cpp
std::vector<NamedMultiRule> pooling_multi_rules();    // decompose_pooling.cpp
std::vector<NamedMultiRule> pool_indices_multi_rules();  // decompose_pool_indices.cpp
std::vector<NamedMultiRule> sort_multi_rules();       // decompose_sort.cpp
std::vector<NamedMultiRule> special_function_multi_rules();  // decompose_special.cpp
std::vector<NamedMultiRule> selection_multi_rules();  // decompose_select.cpp
std::vector<NamedMultiRule> unique_multi_rules();     // decompose_unique.cpp
std::vector<NamedMultiRule> scan_multi_rules();       // decompose_scans.cpp
std::vector<NamedMultiRule> bag_multi_rules();        // decompose_bags.cpp
std::vector<NamedMultiRule> linalg_multi_rules();     // decompose_linalg.cpp
std::vector<NamedMultiRule> lu_multi_rules();         // decompose_lu.cpp

}  // namespace wick::passes::decompose_detail
