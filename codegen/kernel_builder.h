// Internal to kernel generation: the state shared by the kernel kinds while
// one kernel is written. It owns the writer, turns the group's inputs and
// outputs into kernel arguments, and answers what each IR value is: a
// memref argument, a scalar argument, a constant, or a value computed in the
// group. It also knows each dim's size: static, or read at run time from an
// argument's descriptor (once, in the entry block). Each kernel kind
// (kernel_pointwise.cpp, kernel_reduction.cpp, kernel_movement.cpp,
// kernel_gather.cpp, kernel_scatter.cpp, kernel_mlp.cpp) has one entry
// declared here.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "codegen/kernel_gen.h"
#include "codegen/mlir_writer.h"
#include "ir/attribute.h"

namespace wick::codegen {

class KernelBuilder {
 public:
  KernelBuilder(const KernelGroup& group, std::string name);

  // Before add_group_args: makes dim 0 of `rows` (values of the group) the
  // split dim, read from a sliced argument (see GeneratedKernel). Returns
  // false, changing nothing, when the kernel could not then be split: no
  // argument to read the split size from, or a symbolic dim elsewhere that
  // only a sliced dim 0 carries.
  bool split_dim0(const std::set<const ir::Value*>& rows);
  // For kernels made without a group (generate_copy): the kernel splits along
  // dim 0, slicing the arguments marked in `sliced`.
  void mark_split(std::vector<bool> sliced) {
    kernel_.splittable_dim0 = true;
    kernel_.sliced_dim0 = std::move(sliced);
  }
  // Makes arguments of the group's inputs and outputs, in order.
  void add_group_args();
  // One more memref argument; the caller fills in its `sizes`.
  MemRef add_tensor_arg(const TensorLayout& layout, bool is_output);

  // The sizes of a tensor value of the group in this kernel.
  std::vector<Size> shape(const ir::Value* v);
  // Makes shape(v) give `sizes` from now on: for a kernel that iterates
  // over fewer, collapsed dims (kernel_pointwise.cpp).
  void set_shape(const ir::Value* v, std::vector<Size> sizes) { shapes_[v] = std::move(sizes); }
  // The size of a dim: static, or read from an argument that has it.
  Size size_of(const ir::Dim& d);

  const KernelGroup& group() const { return group_; }
  MlirWriter& w() { return w_; }

  // The memref argument of a group input tensor (or a buffer bound to a value
  // computed in the group), or null.
  const MemRef* input_tensor(const ir::Value* v) const;
  // Makes `v` read from `m` from now on, as if it were an input.
  void bind(const ir::Value* v, const MemRef& m) { inputs_[v] = m; }
  // The scalar argument of a group input scalar, or null.
  const Scalar* input_scalar(const ir::Value* v) const;
  // Makes every read of `v` (at any index) give `s` from now on: for a
  // row's reduction results in a row group, read by the nodes after them.
  void bind_register(const ir::Value* v, const Scalar& s) { scalars_[v] = s; }
  // The output memref of `v`, or null when `v` is not a group output.
  const MemRef* output(const ir::Value* v) const;
  // Makes `v` write to `m` (a view of its argument) from now on.
  void bind_output(const ir::Value* v, const MemRef& m) { outputs_[v] = m; }
  // For a node that is its kernel alone (a gather, a scatter): the memref of
  // its tensor operand `v`, and of its single result, which must be there.
  const MemRef& operand_of(const ir::Node& node, const ir::Value* v) const;
  const MemRef& result_of(const ir::Node& node) const;
  // Adds the int64 [] out-of-range status output and stores 0 into it.
  const MemRef& add_status();
  // Sets the status to 1.
  void report_out_of_range();

  bool in_group(const ir::Node* n) const;

  // A GPU kernel: its lowering has no math.roundeven or math.trunc, which
  // the CPU's has (one instruction each there).
  void set_for_gpu() { for_gpu_ = true; }
  bool for_gpu() const { return for_gpu_; }
  GeneratedKernel finish();

 private:
  // Where a symbolic dim can be read: dim `pos` of memref argument `memref`.
  struct DimSource {
    ir::Dim dim;
    std::string memref, type;
    size_t pos = 0;
  };
  TensorLayout output_layout(const ir::Value* v) const;
  bool is_row(const ir::Value* v) const { return split_ && rows_.count(v); }
  void add_sources(const ir::Value* v, const MemRef& m);
  Size split_size();

  const KernelGroup& group_;
  std::string name_;
  MlirWriter w_;
  GeneratedKernel kernel_;
  std::vector<std::string> params_;
  std::map<const ir::Value*, MemRef> inputs_;
  std::map<const ir::Value*, Scalar> scalars_;
  std::map<const ir::Value*, MemRef> outputs_;
  std::map<const ir::Value*, std::vector<Size>> shapes_;  // set_shape
  std::optional<MemRef> status_;
  bool split_ = false;
  bool for_gpu_ = false;
  std::set<const ir::Value*> rows_;
  std::optional<DimSource> split_source_;
  std::optional<Size> split_size_;
  std::vector<DimSource> sources_;
  std::map<std::string, Size> dim_sizes_;  // by ir::Dim::str()
};

// The static sizes of a tensor value's type; asserts that it is fully static.
std::vector<int64_t> static_sizes(const ir::Value* v);
// The dtype of a tensor value; asserts that its dtype and every dim are known.
DType static_dtype(const ir::Value* v);

// Whether a reduction node reduces dim 0 of its input (kernel_reduction.cpp).
bool reduces_dim0(const ir::Node& reduction);

// The kinds of kernel generate_kernel writes.
enum class KernelKind { pointwise, reduction, row_group, movement, mlp };
// The values of a group whose dim 0 is dim 0 of its iteration domain, when
// the kernel can be split along that dim (kernel_split.cpp); nothing when an
// output element may depend on other positions along it, or when the dim is
// static 0 or 1. `node` is the reduction or movement node.
std::optional<std::set<const ir::Value*>> dim0_rows(const KernelGroup& group, KernelKind kind, const ir::Node* node);

// The tensor values of a group: its inputs and what its nodes compute.
std::vector<const ir::Value*> group_tensors(const KernelGroup& g);

// The elements of a list operand, through its prim::ListConstruct.
std::vector<const ir::Value*> list_elements(const ir::Value* list);

// Row-major loops over `sizes`; the index of each dim (a constant 0 for
// static size-1 dims, so broadcasting reads need no special case).
std::vector<std::string> open_loops(MlirWriter& w, const std::vector<Size>& sizes);
void close_loops(MlirWriter& w, const std::vector<Size>& sizes);
// The same over static sizes.
std::vector<std::string> open_loops(MlirWriter& w, const std::vector<int64_t>& sizes);
void close_loops(MlirWriter& w, const std::vector<int64_t>& sizes);

// An index read from tensor data, checked (kernel_gather.cpp): `raw` (i32 or
// i64) against [0, size), negative values first wrapping around once when
// `wrap` (Python-style indexing). `index` is 0 when not `ok`.
struct CheckedIndex {
  Scalar ok;          // i1
  std::string index;  // an index value
};
CheckedIndex check_index(MlirWriter& w, const Scalar& raw, const Size& size, bool wrap);
inline CheckedIndex check_index(MlirWriter& w, const Scalar& raw, int64_t size, bool wrap) {
  return check_index(w, raw, Size::of(size), wrap);
}

// Advanced indexing of a tensor of sizes `s` with the index tensors (and
// None entries) of a list operand: the index tensors broadcast to `bshape`,
// which takes the place of the indexed dims when they are adjacent and comes
// first otherwise. Shared by index.Tensor and index_put.
struct AdvancedIndex {
  std::vector<const MemRef*> index;   // per dim of s; null where not indexed
  std::vector<Size> bshape;           // the broadcast index shape
  std::vector<int64_t> pre_dims, rest_dims;    // kept dims of s before and after bshape
  std::vector<Size> pre_sizes, rest_sizes;
  std::vector<Size> result_sizes;     // pre + bshape + rest
  // Loads the indices at `bidx` (an index into bshape) and sets picked[d] for
  // the indexed dims; returns whether all are in range (none when no dim is
  // indexed).
  std::optional<Scalar> pick(MlirWriter& w, const std::vector<Size>& s, const std::vector<std::string>& bidx,
                             std::vector<std::string>& picked) const;
};
AdvancedIndex advanced_index(KernelBuilder& b, const ir::Node& node, const std::vector<Size>& s,
                             const ir::Value* list);

// The layers of a small-MLP group (passes::FuseOptions::small_mlp), in
// order: each linear node, the last value of the activation chain after it
// (the layer's output when none), and its features. Checks that they chain.
struct MlpLayer {
  const ir::Node* linear = nullptr;
  const ir::Value* end = nullptr;
  int64_t in = 0, out = 0;
};
std::vector<MlpLayer> mlp_layers(const KernelBuilder& b);

// The kernel kinds. Each writes its loops into `b`.
void emit_pointwise(KernelBuilder& b);
void emit_reduction(KernelBuilder& b, const ir::Node& node);
// Several reductions over the same trailing dims of one domain, with
// pointwise nodes before, between and after them (passes::FuseOptions::row_groups).
void emit_row_group(KernelBuilder& b, const std::vector<const ir::Node*>& reductions);
void emit_concat(KernelBuilder& b, const ir::Node& node);   // cat, stack
void emit_copy(MlirWriter& w, const MemRef& in, const MemRef& out);  // contiguous
void emit_gather(KernelBuilder& b, const ir::Node& node);   // index_select, embedding, index, one_hot
void emit_mlp(KernelBuilder& b);                            // chains of small linears and activations
void emit_scatter(KernelBuilder& b, const ir::Node& node);  // slice_backward, index_add, index_put

}  // namespace wick::codegen
