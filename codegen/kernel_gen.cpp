// generate_kernel's front door: sorts the group into a kernel kind, makes the
// arguments, and hands over to the kind's emitter. Also the argument
// bookkeeping of KernelBuilder and the helpers every kind shares.
#include "codegen/kernel_gen.h"

#include <algorithm>
#include <set>

#include "codegen/kernel_builder.h"
#include "ir/constant_value.h"
#include "ir/op_table.h"
#include "support/error.h"

namespace wick::codegen {

TensorLayout contiguous_layout(DType dtype, const std::vector<int64_t>& sizes) {
  TensorLayout l;
  l.dtype = dtype;
  l.sizes = sizes;
  l.strides.assign(sizes.size(), 1);
  for (size_t i = sizes.size(); i-- > 1;) l.strides[i - 1] = l.strides[i] * std::max<int64_t>(sizes[i], 1);
  return l;
}

std::vector<int64_t> static_sizes(const ir::Value* v) {
  WICK_ASSERT(v->type()->is_tensor() && v->type()->fully_static(),
              "kernel generation needs static types; %" + v->name() + " is " + v->type()->str());
  return v->type()->static_sizes();
}

DType static_dtype(const ir::Value* v) {
  static_sizes(v);
  return *v->type()->dtype();
}

std::vector<const ir::Value*> list_elements(const ir::Value* list) {
  WICK_ASSERT(list->node()->is("prim::ListConstruct"),
              "a list operand must come from prim::ListConstruct, got " + list->node()->kind());
  return {list->node()->inputs().begin(), list->node()->inputs().end()};
}

std::vector<std::string> open_loops(MlirWriter& w, const std::vector<int64_t>& sizes) {
  std::vector<std::string> idx;
  for (int64_t n : sizes) idx.push_back(n == 1 ? w.index(0) : w.begin_for(n));
  return idx;
}

void close_loops(MlirWriter& w, const std::vector<int64_t>& sizes) {
  for (int64_t n : sizes)
    if (n != 1) w.end_for();
}

KernelBuilder::KernelBuilder(const KernelGroup& group, std::string name)
    : group_(group), name_(std::move(name)) {
  kernel_.name = name_;
}

MemRef KernelBuilder::add_tensor_arg(const TensorLayout& layout, bool is_output) {
  MemRef m{"%a" + std::to_string(params_.size()), layout, memref_type(layout)};
  params_.push_back(m.ssa + ": " + m.type);
  kernel_.args.push_back({KernelArgKind::tensor, layout, is_output});
  return m;
}

void KernelBuilder::add_group_args() {
  WICK_ASSERT(group_.inputs.size() == group_.input_layouts.size(),
              "kernel " + name_ + ": inputs and input_layouts differ in length");
  for (size_t i = 0; i < group_.inputs.size(); ++i) {
    const ir::Value* v = group_.inputs[i];
    const ir::Type& t = *v->type();
    if (t.is_tensor()) {
      const TensorLayout& layout = group_.input_layouts[i];
      WICK_ASSERT(layout.dtype == static_dtype(v) && layout.sizes == static_sizes(v),
                  "kernel " + name_ + ": the layout of input " + std::to_string(i) + " does not match " +
                      t.str());
      inputs_[v] = add_tensor_arg(layout, false);
      continue;
    }
    KernelArg arg;
    Scalar s{"%a" + std::to_string(params_.size()), DType::i64};
    if (t.kind() == ir::TypeKind::Int) {
      arg.kind = KernelArgKind::int_scalar;
    } else if (t.kind() == ir::TypeKind::Float) {
      arg.kind = KernelArgKind::float_scalar;
      s.dtype = DType::f64;
    } else {
      WICK_ASSERT(t.kind() == ir::TypeKind::Bool,
                  "kernel " + name_ + ": input " + std::to_string(i) + " has type " + t.str());
      arg.kind = KernelArgKind::bool_scalar;
      s.dtype = DType::b8;
    }
    arg.layout.dtype = s.dtype;
    params_.push_back(s.ssa + ": " + register_type(s.dtype));
    kernel_.args.push_back(arg);
    scalars_[v] = s;
  }
  for (const ir::Value* v : group_.outputs)
    outputs_[v] = add_tensor_arg(contiguous_layout(static_dtype(v), static_sizes(v)), true);
}

const MemRef* KernelBuilder::input_tensor(const ir::Value* v) const {
  auto it = inputs_.find(v);
  return it == inputs_.end() ? nullptr : &it->second;
}

const Scalar* KernelBuilder::input_scalar(const ir::Value* v) const {
  auto it = scalars_.find(v);
  return it == scalars_.end() ? nullptr : &it->second;
}

const MemRef* KernelBuilder::output(const ir::Value* v) const {
  auto it = outputs_.find(v);
  return it == outputs_.end() ? nullptr : &it->second;
}

const MemRef& KernelBuilder::add_status() {
  WICK_ASSERT(!status_, "kernel " + name_ + " has two status outputs");
  kernel_.status_arg = static_cast<int>(params_.size());
  status_ = add_tensor_arg(contiguous_layout(DType::i64, {}), true);
  w_.store(w_.int_constant(DType::i64, 0), *status_, {});
  return *status_;
}

void KernelBuilder::report_out_of_range() {
  WICK_ASSERT(status_.has_value(), "kernel " + name_ + " has no status output");
  w_.store(w_.int_constant(DType::i64, 1), *status_, {});
}

bool KernelBuilder::in_group(const ir::Node* n) const {
  return std::find(group_.nodes.begin(), group_.nodes.end(), n) != group_.nodes.end();
}

GeneratedKernel KernelBuilder::finish() {
  kernel_.mlir = w_.module(name_, params_);
  return std::move(kernel_);
}

namespace {

const std::set<std::string>& reduction_ops() {
  static const std::set<std::string> ops = {
      "aten::sum",  "aten::sum.dim_IntList", "aten::mean",    "aten::mean.dim",
      "aten::amax", "aten::amin",            "aten::max",     "aten::min",
      "aten::max.dim", "aten::min.dim",      "aten::argmax"};
  return ops;
}

const std::set<std::string>& gather_ops() {
  static const std::set<std::string> ops = {"aten::index_select", "aten::embedding", "aten::index.Tensor",
                                            "aten::one_hot"};
  return ops;
}

bool is_data(const ir::Node* n) { return n->is("prim::Constant") || n->is("prim::ListConstruct"); }

}  // namespace

bool can_generate(const ir::Node& node) {
  const std::string& kind = node.kind();
  if (node.op().lowering == ir::Lowering::pointwise) {
    // The expression of & and | is logical; on integers torch means bitwise.
    if (kind == "aten::__and__.Tensor" || kind == "aten::__or__.Tensor") {
      const auto& dt = node.output()->type()->dtype();
      return !dt || *dt == DType::b8;
    }
    return true;
  }
  if (reduction_ops().count(kind)) return true;
  if (kind == "aten::index.Tensor") {
    // Boolean masks give data-dependent shapes.
    const ir::Node* list = node.input(1)->node();
    if (!list->is("prim::ListConstruct")) return false;
    for (const ir::Value* v : list->inputs()) {
      const auto& dt = v->type()->dtype();
      if (v->type()->is_tensor() && dt && (*dt == DType::b8 || *dt == DType::u8)) return false;
    }
    return true;
  }
  return gather_ops().count(kind) || kind == "aten::cat" || kind == "aten::stack" ||
         kind == "aten::contiguous";
}

GeneratedKernel generate_kernel(const KernelGroup& group, const std::string& name) {
  std::vector<const ir::Node*> compute;
  for (const ir::Node* n : group.nodes) {
    if (is_data(n)) continue;
    WICK_ASSERT(can_generate(*n), "kernel " + name + ": cannot generate " + n->kind());
    compute.push_back(n);
  }
  WICK_ASSERT(!compute.empty(), "kernel " + name + " has nothing to compute");
  WICK_ASSERT(!group.outputs.empty(), "kernel " + name + " has no outputs");
  for (const ir::Value* v : group.outputs)
    WICK_ASSERT(std::find(compute.begin(), compute.end(), v->node()) != compute.end(),
                "kernel " + name + ": output %" + v->name() + " is not computed in the group");

  KernelBuilder b(group, name);
  b.add_group_args();
  const ir::Node* reduction = nullptr;
  const ir::Node* movement = nullptr;
  for (const ir::Node* n : compute) {
    if (reduction_ops().count(n->kind())) {
      WICK_ASSERT(!reduction, "kernel " + name + " holds two reductions");
      reduction = n;
    } else if (n->op().lowering != ir::Lowering::pointwise) {
      movement = n;
    }
  }
  if (movement) {
    WICK_ASSERT(compute.size() == 1, "kernel " + name + ": " + movement->kind() + " must be alone in its group");
    const std::string& kind = movement->kind();
    if (kind == "aten::cat" || kind == "aten::stack") {
      emit_concat(b, *movement);
    } else if (kind == "aten::contiguous") {
      const MemRef* in = b.input_tensor(movement->input(0));
      const MemRef* out = b.output(movement->output());
      WICK_ASSERT(in && out, "kernel " + name + ": contiguous needs its input and output as arguments");
      emit_copy(b.w(), *in, *out);
    } else {
      emit_gather(b, *movement);
    }
  } else if (reduction) {
    emit_reduction(b, *reduction);
  } else {
    emit_pointwise(b);
  }
  return b.finish();
}

GeneratedKernel generate_copy(const TensorLayout& src, const std::string& name) {
  static const KernelGroup no_group;
  KernelBuilder b(no_group, name);
  MemRef in = b.add_tensor_arg(src, false);
  MemRef out = b.add_tensor_arg(contiguous_layout(src.dtype, src.sizes), true);
  emit_copy(b.w(), in, out);
  return b.finish();
}

}  // namespace wick::codegen
