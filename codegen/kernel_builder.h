// Internal to kernel generation: the state shared by the kernel kinds while
// one kernel is written. It owns the writer, turns the group's inputs and
// outputs into kernel arguments, and answers what each IR value is: a
// memref argument, a scalar argument, a constant, or a value computed in the
// group. Each kernel kind (kernel_pointwise.cpp, kernel_reduction.cpp,
// kernel_movement.cpp, kernel_gather.cpp) has one entry declared here.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "codegen/kernel_gen.h"
#include "codegen/mlir_writer.h"
#include "ir/attribute.h"

namespace wick::codegen {

class KernelBuilder {
 public:
  KernelBuilder(const KernelGroup& group, std::string name);

  // Makes arguments of the group's inputs and outputs, in order.
  void add_group_args();
  // One more memref argument.
  MemRef add_tensor_arg(const TensorLayout& layout, bool is_output);

  const KernelGroup& group() const { return group_; }
  MlirWriter& w() { return w_; }

  // The memref argument of a group input tensor, or null.
  const MemRef* input_tensor(const ir::Value* v) const;
  // The scalar argument of a group input scalar, or null.
  const Scalar* input_scalar(const ir::Value* v) const;
  // The output memref of `v`, or null when `v` is not a group output.
  const MemRef* output(const ir::Value* v) const;
  // Adds the int64 [] out-of-range status output and stores 0 into it.
  const MemRef& add_status();
  // Sets the status to 1.
  void report_out_of_range();

  bool in_group(const ir::Node* n) const;

  GeneratedKernel finish();

 private:
  const KernelGroup& group_;
  std::string name_;
  MlirWriter w_;
  GeneratedKernel kernel_;
  std::vector<std::string> params_;
  std::map<const ir::Value*, MemRef> inputs_;
  std::map<const ir::Value*, Scalar> scalars_;
  std::map<const ir::Value*, MemRef> outputs_;
  std::optional<MemRef> status_;
};

// The static sizes of a tensor value's type; asserts that it is fully static.
std::vector<int64_t> static_sizes(const ir::Value* v);
DType static_dtype(const ir::Value* v);

// The elements of a list operand, through its prim::ListConstruct.
std::vector<const ir::Value*> list_elements(const ir::Value* list);

// Row-major loops over `sizes`; the index of each dim (a constant 0 for size-1
// dims, so broadcasting reads need no special case).
std::vector<std::string> open_loops(MlirWriter& w, const std::vector<int64_t>& sizes);
void close_loops(MlirWriter& w, const std::vector<int64_t>& sizes);

// The kernel kinds. Each writes its loops into `b`.
void emit_pointwise(KernelBuilder& b);
void emit_reduction(KernelBuilder& b, const ir::Node& node);
void emit_concat(KernelBuilder& b, const ir::Node& node);   // cat, stack
void emit_copy(MlirWriter& w, const MemRef& in, const MemRef& out);  // contiguous
void emit_gather(KernelBuilder& b, const ir::Node& node);   // index_select, embedding, index, one_hot

}  // namespace wick::codegen
