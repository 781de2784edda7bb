// generate_kernel's front door: sorts the group into a kernel kind, makes the
// arguments, and hands over to the kind's emitter. Also the argument
// bookkeeping of KernelBuilder and the helpers every kind shares.
#include "codegen/kernel_gen.h"

#include <algorithm>
#include <set>

#include "codegen/kernel_builder.h"
#include "codegen/reduction_op.h"
#include "ir/constant_value.h"
#include "ir/op_table.h"
#include "support/error.h"

namespace wick::codegen {

TensorLayout contiguous_layout(DType dtype, const std::vector<int64_t>& sizes) {
  TensorLayout l;
  l.dtype = dtype;
  l.sizes = sizes;
  l.strides.assign(sizes.size(), 1);
  for (size_t i = sizes.size(); i-- > 1;) {
    if (sizes[i] == kDynamic) {
      std::string shape;
      for (size_t k = 0; k < sizes.size(); ++k)
        shape += (k ? ", " : "") + (sizes[k] == kDynamic ? std::string("?") : std::to_string(sizes[k]));
      throw Error("a dynamic dim must not make strides dynamic: [" + shape + "]");
    }
    l.strides[i - 1] = l.strides[i] * std::max<int64_t>(sizes[i], 1);
  }
  return l;
}

std::vector<int64_t> static_sizes(const ir::Value* v) {
  WICK_ASSERT(v->type()->is_tensor() && v->type()->fully_static(),
              "kernel generation needs static types here; %" + v->name() + " is " + v->type()->str());
  return v->type()->static_sizes();
}

DType static_dtype(const ir::Value* v) {
  const ir::Type& t = *v->type();
  bool known = t.is_tensor() && t.dtype() && t.has_rank();
  for (size_t k = 0; known && k < t.shape()->size(); ++k) known = !(*t.shape())[k].is_unknown();
  WICK_ASSERT(known, "kernel generation needs known dtypes and dims; %" + v->name() + " is " + t.str());
  return *t.dtype();
}

std::vector<const ir::Value*> list_elements(const ir::Value* list) {
  WICK_ASSERT(list->node()->is("prim::ListConstruct"),
              "a list operand must come from prim::ListConstruct, got " + list->node()->kind());
  return {list->node()->inputs().begin(), list->node()->inputs().end()};
}

std::vector<std::string> open_loops(MlirWriter& w, const std::vector<Size>& sizes) {
  std::vector<std::string> idx;
  for (const Size& n : sizes) idx.push_back(n.is(1) ? w.index(0) : w.begin_for(n));
  return idx;
}

void close_loops(MlirWriter& w, const std::vector<Size>& sizes) {
  for (const Size& n : sizes)
    if (!n.is(1)) w.end_for();
}

std::vector<std::string> open_loops(MlirWriter& w, const std::vector<int64_t>& sizes) {
  return open_loops(w, static_shape(sizes));
}

void close_loops(MlirWriter& w, const std::vector<int64_t>& sizes) { close_loops(w, static_shape(sizes)); }

KernelBuilder::KernelBuilder(const KernelGroup& group, std::string name)
    : group_(group), name_(std::move(name)) {
  kernel_.name = name_;
}

MemRef KernelBuilder::add_tensor_arg(const TensorLayout& layout, bool is_output) {
  MemRef m{"%a" + std::to_string(params_.size()), layout, memref_type(layout), {}};
  // An output is always a fresh allocation that no input overlaps
  // (plan_builder.cpp, memory_plan.cpp): saying so lets LLVM vectorize
  // loops that gather, whose reads it cannot otherwise tell from the writes.
  params_.push_back(m.ssa + ": " + m.type + (is_output ? " {llvm.noalias}" : ""));
  kernel_.args.push_back({KernelArgKind::tensor, layout, is_output});
  kernel_.sliced_dim0.push_back(false);
  return m;
}

std::vector<const ir::Value*> group_tensors(const KernelGroup& g) {
  std::vector<const ir::Value*> vs;
  for (const ir::Value* v : g.inputs)
    if (v->type()->is_tensor()) vs.push_back(v);
  for (const ir::Node* n : g.nodes)
    for (const ir::Value* v : n->outputs())
      if (v->type()->is_tensor()) vs.push_back(v);
  return vs;
}

bool KernelBuilder::split_dim0(const std::set<const ir::Value*>& rows) {
  WICK_ASSERT(params_.empty(), "kernel " + name_ + ": split_dim0 after the arguments were made");
  // The dims arguments will carry once dim 0 of the rows is sliced.
  std::vector<ir::Dim> carried;
  bool sliced = false;
  auto carry = [&](const ir::Value* v, const std::vector<int64_t>* strides) {
    const std::vector<ir::Dim>& dims = *v->type()->shape();
    for (size_t k = 0; k < dims.size(); ++k) {
      if (strides && (k >= strides->size() || (*strides)[k] == 0)) continue;
      if (k == 0 && rows.count(v)) sliced = true;
      else if (dims[k].is_symbolic()) carried.push_back(dims[k]);
    }
  };
  for (size_t i = 0; i < group_.inputs.size(); ++i)
    if (group_.inputs[i]->type()->is_tensor()) carry(group_.inputs[i], &group_.input_layouts[i].strides);
  for (const ir::Value* v : group_.outputs) carry(v, nullptr);
  if (!sliced) return false;
  for (const ir::Value* v : group_tensors(group_)) {
    static_dtype(v);
    const std::vector<ir::Dim>& dims = *v->type()->shape();
    for (size_t k = rows.count(v) ? 1 : 0; k < dims.size(); ++k) {
      if (!dims[k].is_symbolic()) continue;
      if (std::find(carried.begin(), carried.end(), dims[k]) == carried.end()) return false;
    }
  }
  split_ = true;
  rows_ = rows;
  kernel_.splittable_dim0 = true;
  return true;
}

TensorLayout KernelBuilder::output_layout(const ir::Value* v) const {
  const DType dtype = static_dtype(v);
  const std::vector<ir::Dim>& dims = *v->type()->shape();
  std::vector<int64_t> sizes;
  for (size_t k = 0; k < dims.size(); ++k) {
    const bool dynamic = !dims[k].is_static() || (k == 0 && is_row(v));
    if (dynamic && k > 0)
      throw v->node()->error("a dynamic dim must not make strides dynamic: %" + v->name() + " has type " +
                             v->type()->str() + ", whose contiguous strides depend on " + dims[k].str());
    sizes.push_back(dynamic ? kDynamic : dims[k].value());
  }
  return contiguous_layout(dtype, sizes);
}

void KernelBuilder::add_sources(const ir::Value* v, const MemRef& m) {
  const std::vector<ir::Dim>& dims = *v->type()->shape();
  for (size_t k = 0; k < dims.size(); ++k) {
    if (m.layout.sizes[k] != kDynamic || m.layout.strides[k] == 0) continue;
    DimSource s{dims[k], m.ssa, m.type, k};
    if (k == 0 && is_row(v)) {
      if (!split_source_) split_source_ = s;
    } else {
      sources_.push_back(s);
    }
  }
}

void KernelBuilder::add_group_args() {
  WICK_ASSERT(group_.inputs.size() == group_.input_layouts.size(),
              "kernel " + name_ + ": inputs and input_layouts differ in length");
  for (size_t i = 0; i < group_.inputs.size(); ++i) {
    const ir::Value* v = group_.inputs[i];
    const ir::Type& t = *v->type();
    if (t.is_tensor()) {
      TensorLayout layout = group_.input_layouts[i];
      bool matches = layout.dtype == static_dtype(v) && layout.sizes.size() == t.shape()->size() &&
                     layout.strides.size() == layout.sizes.size();
      for (size_t k = 0; matches && k < layout.sizes.size(); ++k) {
        const ir::Dim& d = (*t.shape())[k];
        matches = d.is_static() ? layout.sizes[k] == d.value() : layout.sizes[k] == kDynamic;
      }
      WICK_ASSERT(matches, "kernel " + name_ + ": the layout of input " + std::to_string(i) + " does not match " +
                               t.str());
      if (is_row(v)) layout.sizes[0] = kDynamic;
      const MemRef m = inputs_[v] = add_tensor_arg(layout, false);
      kernel_.sliced_dim0.back() = is_row(v) && layout.strides[0] != 0;
      add_sources(v, m);
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
    kernel_.sliced_dim0.push_back(false);
    scalars_[v] = s;
  }
  for (const ir::Value* v : group_.outputs) {
    const MemRef m = outputs_[v] = add_tensor_arg(output_layout(v), true);
    kernel_.sliced_dim0.back() = is_row(v);
    add_sources(v, m);
  }
  // Sizes once every argument can be read from, in argument order (the
  // text must not depend on where values live in memory).
  for (const ir::Value* v : group_.inputs)
    if (v->type()->is_tensor()) inputs_[v].sizes = shape(v);
  for (const ir::Value* v : group_.outputs) outputs_[v].sizes = shape(v);
}

std::vector<Size> KernelBuilder::shape(const ir::Value* v) {
  auto set = shapes_.find(v);
  if (set != shapes_.end()) return set->second;
  static_dtype(v);
  const std::vector<ir::Dim>& dims = *v->type()->shape();
  std::vector<Size> s;
  for (size_t k = 0; k < dims.size(); ++k) s.push_back(k == 0 && is_row(v) ? split_size() : size_of(dims[k]));
  return s;
}

Size KernelBuilder::split_size() {
  if (!split_size_) {
    WICK_ASSERT(split_source_.has_value(), "kernel " + name_ + ": no sliced argument");
    const DimSource& s = *split_source_;
    split_size_ = Size{0, w_.entry_op("memref.dim " + s.memref + ", " + w_.index(0) + " : " + s.type, "d")};
  }
  return *split_size_;
}

Size KernelBuilder::size_of(const ir::Dim& d) {
  WICK_ASSERT(!d.is_unknown(), "kernel " + name_ + ": a dim of unknown size");
  if (d.is_static()) return Size::of(d.value());
  auto it = dim_sizes_.find(d.str());
  if (it != dim_sizes_.end()) return it->second;
  const auto source = std::find_if(sources_.begin(), sources_.end(), [&](const DimSource& s) { return s.dim == d; });
  if (source == sources_.end())
    throw Error("kernel " + name_ + ": no argument carries the dynamic dim " + d.str() +
                ", so its size is not known at run time");
  const std::string ssa = w_.entry_op("memref.dim " + source->memref + ", " +
                                          w_.index(static_cast<int64_t>(source->pos)) + " : " + source->type,
                                      "d");
  return dim_sizes_[d.str()] = Size{0, ssa};
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

const MemRef& KernelBuilder::operand_of(const ir::Node& node, const ir::Value* v) const {
  const MemRef* m = input_tensor(v);
  WICK_ASSERT(m != nullptr, node.kind() + ": a tensor operand is not a kernel input");
  return *m;
}

const MemRef& KernelBuilder::result_of(const ir::Node& node) const {
  const MemRef* m = output(node.output());
  WICK_ASSERT(m != nullptr, node.kind() + ": its result is not a kernel output");
  return *m;
}

const MemRef& KernelBuilder::add_status() {
  WICK_ASSERT(!status_, "kernel " + name_ + " has two status outputs");
  kernel_.status_arg = static_cast<int>(params_.size());
  status_ = add_tensor_arg(contiguous_layout(DType::i64, {}), true);
  kernel_.sliced_dim0.back() = false;
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

const std::set<std::string>& gather_ops() {
  static const std::set<std::string> ops = {"aten::index_select", "aten::embedding", "aten::index.Tensor",
                                            "aten::one_hot"};
  return ops;
}

const std::set<std::string>& scatter_ops() {
  static const std::set<std::string> ops = {"aten::slice_backward", "aten::index_add", "aten::index_put",
                                            "wick::index_put_reduce"};
  return ops;
}

// A list of index tensors without boolean masks (which give data-dependent
// shapes) built in the graph.
bool plain_indices(const ir::Value* indices) {
  const ir::Node* list = indices->node();
  if (!list->is("prim::ListConstruct")) return false;
  for (const ir::Value* v : list->inputs()) {
    const auto& dt = v->type()->dtype();
    if (v->type()->is_tensor() && dt && (*dt == DType::b8 || *dt == DType::u8)) return false;
  }
  return true;
}

bool is_data(const ir::Node* n) { return n->is("prim::Constant") || n->is("prim::ListConstruct"); }

}  // namespace

bool can_generate(const ir::Node& node) {
  const std::string& kind = node.kind();
  if (node.op().lowering == ir::Lowering::pointwise) return true;
  if (is_reduction(node)) return true;
  if (kind == "aten::index.Tensor" || kind == "aten::index_put" || kind == "wick::index_put_reduce")
    return plain_indices(node.input(1));
  return gather_ops().count(kind) || scatter_ops().count(kind) || kind == "aten::cat" || kind == "aten::stack" ||
         kind == "aten::contiguous";
}

bool can_generate_group(const std::vector<const ir::Node*>& nodes) {
  // A small MLP: linear layers with pointwise ops between them (kernel_mlp.cpp).
  const bool mlp = std::any_of(nodes.begin(), nodes.end(), [](const ir::Node* n) { return n->is("aten::linear"); });
  for (const ir::Node* n : nodes) {
    if (is_data(n)) continue;
    if (mlp ? !(n->is("aten::linear") || n->op().lowering == ir::Lowering::pointwise) : !can_generate(*n)) return false;
  }
  return true;
}

GeneratedKernel generate_kernel(const KernelGroup& group, const std::string& name) {
  WICK_ASSERT(can_generate_group(group.nodes), "kernel " + name + ": cannot generate this group");
  std::vector<const ir::Node*> compute;
  for (const ir::Node* n : group.nodes) {
    if (is_data(n)) continue;
    compute.push_back(n);
  }
  WICK_ASSERT(!compute.empty(), "kernel " + name + " has nothing to compute");
  WICK_ASSERT(!group.outputs.empty(), "kernel " + name + " has no outputs");
  for (const ir::Value* v : group.outputs)
    WICK_ASSERT(std::find(compute.begin(), compute.end(), v->node()) != compute.end(),
                "kernel " + name + ": output %" + v->name() + " is not computed in the group");

  std::vector<const ir::Node*> reductions;
  const ir::Node* movement = nullptr;
  KernelKind kind = KernelKind::pointwise;
  if (std::any_of(compute.begin(), compute.end(), [](const ir::Node* n) { return n->is("aten::linear"); })) {
    kind = KernelKind::mlp;
  } else {
    for (const ir::Node* n : compute) {
      if (is_reduction(*n)) reductions.push_back(n);
      else if (n->op().lowering != ir::Lowering::pointwise) movement = n;
    }
    if (movement) {
      WICK_ASSERT(compute.size() == 1, "kernel " + name + ": " + movement->kind() + " must be alone in its group");
      kind = KernelKind::movement;
    } else if (!reductions.empty()) {
      // One reduction writing only its own results is a reduction kernel;
      // anything more is a row group.
      bool only_results = reductions.size() == 1;
      for (const ir::Value* v : group.outputs) only_results = only_results && v->node() == reductions[0];
      kind = only_results ? KernelKind::reduction : KernelKind::row_group;
    }
  }
  const ir::Node* reduction = reductions.empty() ? nullptr : reductions.front();

  KernelBuilder b(group, name);
  // Split along dim 0 where the caller asks for it or where that dim is
  // dynamic anyway.
  if (auto rows = dim0_rows(group, kind, movement ? movement : reduction)) {
    bool symbolic = false;
    for (const ir::Value* v : *rows) symbolic = symbolic || !(*v->type()->shape())[0].is_static();
    if (symbolic || group.dynamic_dim0) b.split_dim0(*rows);
  }
  b.add_group_args();
  switch (kind) {
    case KernelKind::mlp: emit_mlp(b); break;
    case KernelKind::reduction: emit_reduction(b, *reduction); break;
    case KernelKind::row_group: emit_row_group(b, reductions); break;
    case KernelKind::pointwise: emit_pointwise(b); break;
    case KernelKind::movement: {
      const std::string& k = movement->kind();
      if (k == "aten::cat" || k == "aten::stack") {
        emit_concat(b, *movement);
      } else if (k == "aten::contiguous") {
        const MemRef* in = b.input_tensor(movement->input(0));
        const MemRef* out = b.output(movement->output());
        WICK_ASSERT(in && out, "kernel " + name + ": contiguous needs its input and output as arguments");
        emit_copy(b.w(), *in, *out);
      } else if (scatter_ops().count(k)) {
        // Scatters are mostly gradients of training graphs, which are
        // specialized to static shapes; index_put also writes a mask's
        // selection back (x[mask] = v), whose count is dynamic.
        const bool dynamic_ok = k == "aten::index_put" || k == "wick::index_put_reduce";
        for (const ir::Value* v : group_tensors(group))
          if (!dynamic_ok && !v->type()->fully_static()) throw movement->error(k + " is not supported with dynamic dims");
        emit_scatter(b, *movement);
      } else {
        emit_gather(b, *movement);
      }
      break;
    }
  }
  return b.finish();
}

GeneratedKernel generate_copy(const TensorLayout& src, const std::string& name, bool dynamic_dim0) {
  static const KernelGroup no_group;
  KernelBuilder b(no_group, name);
  const bool split = !src.sizes.empty() && (src.sizes[0] == kDynamic || (dynamic_dim0 && src.sizes[0] > 1));
  TensorLayout in_layout = src;
  if (split) in_layout.sizes[0] = kDynamic;
  MemRef in = b.add_tensor_arg(in_layout, false);
  MemRef out = b.add_tensor_arg(contiguous_layout(src.dtype, in_layout.sizes), true);
  // Only dim 0 can be dynamic (contiguous_layout refuses the rest); the
  // output always carries it.
  in.sizes = out.sizes = split ? std::vector<Size>{} : static_shape(src.sizes);
  if (split) {
    const std::string n = b.w().entry_op("memref.dim " + out.ssa + ", " + b.w().index(0) + " : " + out.type, "d");
    in.sizes.push_back(Size{0, n});
    for (size_t k = 1; k < src.sizes.size(); ++k) in.sizes.push_back(Size::of(src.sizes[k]));
    out.sizes = in.sizes;
  }
  if (split) b.mark_split({src.strides[0] != 0, true});
  emit_copy(b.w(), in, out);
  return b.finish();
}

}  // namespace wick::codegen
