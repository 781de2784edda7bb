#include "codegen/plan_builder.h"

#include <map>
#include <set>

#include "codegen/content_hash.h"
#include "codegen/memory_plan.h"
#include "codegen/view_layout.h"
#include "ir/constant_value.h"
#include "ir/op_table.h"
#include "ir/printer.h"
#include "runtime/cublaslt_gemm.h"
#include "runtime/cudnn_conv.h"
#include "runtime/fft.h"
#include "runtime/plan_validate.h"
#include "runtime/post_op.h"

namespace wick::codegen {
namespace {

using ir::Node;
using ir::Value;
using rt::Instr;
using rt::Op;
using rt::Slot;

rt::ScalarType scalar_type_of(const ir::Type& t) {
  switch (t.kind()) {
    case ir::TypeKind::Int: return rt::ScalarType::int_;
    case ir::TypeKind::Float: return rt::ScalarType::float_;
    case ir::TypeKind::Bool: return rt::ScalarType::bool_;
    case ir::TypeKind::Str: return rt::ScalarType::str;
    default: return rt::ScalarType::none;
  }
}

class PlanBuilder {
 public:
  explicit PlanBuilder(const PlanOptions& options) : options_(options) {}

  BuiltPlan build(const ir::Graph& g) {
    out_.plan.device = options_.device;
    for (const Value* v : g.inputs()) {
      const ir::Type& t = *v->type();
      if (!t.is_tensor() || !t.dtype() || !known_shape(t))
        throw Error("input %" + v->name() + " of @" + g.name() +
                    " must be a tensor of known dtype and shape (static, or with dynamic dims such as B), got " +
                    t.str());
      Slot s = slot(v);
      out_.plan.inputs.push_back(s);
      SymbolicInts sizes = symbolic_sizes(t);
      out_.plan.input_specs.push_back({*t.dtype(), sizes.ints, sizes.symbols});
      try {
        layouts_[v] = contiguous(t);
      } catch (const Error& e) {
        throw Error("input %" + v->name() + " of @" + g.name() + ": " + e.message());
      }
    }
    block(g.block(), out_.plan.body);
    if (!unsupported_.empty()) throw unsupported_error();
    for (const Value* v : g.outputs()) {
      // A None in a returned tuple (googlenet's aux outputs in eval mode) is
      // no tensor: left out, as LibTorch's flattened outputs leave it out.
      if (v->type()->kind() == ir::TypeKind::None) continue;
      if (!v->type()->is_tensor()) throw Error("@" + g.name() + " returns a " + v->type()->str() + "; only tensors are supported");
      out_.plan.outputs.push_back(slot(v));
    }
    out_.plan.num_slots = next_slot_;
    plan_memory(out_.plan);
    return std::move(out_);
  }

 private:
  // ---- slots and layouts ----
  Slot slot(const Value* v) {
    auto outer = outer_.find(v);
    if (outer != outer_.end()) v = outer->second;
    auto it = slots_.find(v);
    if (it != slots_.end()) return it->second;
    return slots_[v] = next_slot_++;
  }
  Slot fresh() { return next_slot_++; }

  // ---- dynamic dims ----
  // A dim that is a multiple of one symbol (`B`, `12*B`) is written in plan
  // ints as its coefficient, with the symbol's index beside it
  // (Instr::int_symbols). Layouts are worked out with every symbol bound to a
  // probe value; kernels are compiled for static strides, so a layout is
  // accepted only if a second probe gives the same strides and offset.
  static constexpr int64_t kProbe = 0, kCheckProbe = 1;

  struct SymbolicInts {
    std::vector<int64_t> ints;
    std::vector<int32_t> symbols;  // empty when every entry is static
  };

  static bool known_shape(const ir::Type& t) {
    if (!t.shape()) return false;
    for (const ir::Dim& d : *t.shape())
      if (d.is_unknown() || d.symbols().size() > 1) return false;
    return true;
  }

  int32_t symbol_index(const std::string& name) {
    auto& names = out_.plan.symbols;
    auto it = std::find(names.begin(), names.end(), name);
    if (it != names.end()) return static_cast<int32_t>(it - names.begin());
    names.push_back(name);
    return static_cast<int32_t>(names.size() - 1);
  }

  SymbolicInts symbolic_sizes(const ir::Type& t) {
    WICK_ASSERT(known_shape(t), "symbolic_sizes of " + t.str());
    SymbolicInts r;
    bool any = false;
    for (const ir::Dim& d : *t.shape()) {
      r.ints.push_back(d.coefficient());
      r.symbols.push_back(d.is_symbolic() ? symbol_index(d.symbols()[0]) : -1);
      any = any || d.is_symbolic();
    }
    if (!any) r.symbols.clear();
    return r;
  }

  // The sizes of `t` with its symbols bound to probe `which`.
  std::vector<int64_t> probe_sizes(const ir::Type& t, int which) {
    std::vector<int64_t> sizes;
    for (const ir::Dim& d : *t.shape()) {
      if (!d.is_symbolic()) {
        sizes.push_back(d.value());
        continue;
      }
      // Distinct, odd values per symbol, so that no two symbols (and no
      // static size of 1) can be confused for each other.
      const int64_t value = (which == kProbe ? 5 : 101) + 2 * symbol_index(d.symbols()[0]);
      sizes.push_back(d.coefficient() * value);
    }
    return sizes;
  }

  StridedLayout contiguous(const ir::Type& t) {
    StridedLayout l;
    l.sizes = probe_sizes(t, kProbe);
    l.strides = contiguous_strides(l.sizes);
    if (!t.fully_static() && contiguous_strides(probe_sizes(t, kCheckProbe)) != l.strides)
      throw Error("a tensor of type " + t.str() +
                  " would need strides that change with a dynamic dim; only the outermost dim of a tensor may be dynamic");
    return l;
  }

  // An alloc of `t` into slot `s`.
  void emit_alloc(Slot s, const ir::Type& t) {
    Instr& al = emit(Op::alloc);
    al.outputs = {s};
    al.dtype = *t.dtype();
    SymbolicInts sizes = symbolic_sizes(t);
    al.ints = std::move(sizes.ints);
    al.int_symbols = std::move(sizes.symbols);
  }

  // The layout of `x`, its sizes at kProbe. A value whose producer could not
  // be lowered (already reported) is taken as contiguous so that the rest of
  // the graph can be checked too.
  StridedLayout layout_of(const Value* x) {
    auto outer = outer_.find(x);
    if (outer != outer_.end()) x = outer->second;
    auto it = layouts_.find(x);
    if (it == layouts_.end()) {
      WICK_ASSERT(!unsupported_.empty(), "no layout for %" + x->name());
      // Of unknown shape, the rest cannot be checked: what is known so far.
      if (!x->type()->is_tensor() || !known_shape(*x->type())) throw unsupported_error();
      it = layouts_.emplace(x, contiguous(*x->type())).first;
    }
    return it->second;
  }

  Error unsupported_error() const {
    std::string msg = std::to_string(unsupported_.size()) + " op" + (unsupported_.size() == 1 ? " has" : "s have") +
                      (on_gpu() ? " no CUDA lowering yet:" : " no CPU lowering yet:");
    for (const std::string& u : unsupported_) msg += "\n  " + u;
    return Error(msg);
  }

  // The layout a kernel argument has: symbolic dims are kDynamic.
  TensorLayout tensor_layout(const Value* v) {
    const StridedLayout strided = layout_of(v);
    TensorLayout l{*v->type()->dtype(), strided.sizes, strided.strides};
    const auto& dims = *v->type()->shape();
    for (size_t d = 0; d < dims.size() && d < l.sizes.size(); ++d)
      if (dims[d].is_symbolic()) l.sizes[d] = kDynamic;
    return l;
  }

  void note_unsupported(const Node* n, const std::string& why) {
    std::string where = n->source_location().known() ? n->source_location().str() + ": " : std::string();
    std::string entry = where + n->kind() + (why.empty() ? "" : " (" + why + ")");
    if (seen_.insert(entry).second) unsupported_.push_back(entry);
  }

  void require_known_shapes(const Node* n) {
    for (const Value* v : n->outputs()) {
      const ir::Type& t = *v->type();
      if (!t.is_tensor() || known_shape(t)) continue;
      bool product = false;
      if (t.shape())
        for (const ir::Dim& d : *t.shape()) product = product || d.symbols().size() > 1;
      throw n->error(product ? "its result has a dim that is a product of dynamic dims, which is not supported: " + t.str()
                             : "the shape of its result is not known at compile time: " + t.str());
    }
  }

  // A dynamic dim broadcast against a static size (x[B, 8] * y[4, 8]) only
  // works when the dim is 1 or that size: shape inference has taken the
  // static size, and code built on it would read past a dynamic input.
  static void check_dynamic_broadcast(const Node* n) {
    const std::string& name = n->op().schema.name;
    if (n->op().lowering != ir::Lowering::pointwise && name != "expand" && name != "expand_as") return;
    if (n->num_outputs() != 1 || !n->output()->type()->is_tensor() || !n->output()->type()->shape()) return;
    const auto& out = *n->output()->type()->shape();
    for (const Value* v : n->inputs()) {
      if (!v->type()->is_tensor() || !v->type()->shape()) continue;
      if (name == "expand_as" && v != n->input(0)) continue;
      const auto& in = *v->type()->shape();
      if (in.size() > out.size()) continue;
      const size_t lead = out.size() - in.size();
      for (size_t d = 0; d < in.size(); ++d)
        if (in[d].is_symbolic() && !out[lead + d].is_unknown() && in[d] != out[lead + d])
          throw n->error("the dynamic dim " + in[d].str() + " of an input meets size " + out[lead + d].str() +
                         " here, so the model runs only when " + in[d].str() + " is 1 or " + out[lead + d].str() +
                         "; make the other input's dim dynamic too, or compile for a static size");
    }
  }

  // ---- blocks and nodes ----
  void block(const ir::Block* b, rt::Block& out) {
    rt::Block* saved = current_;
    current_ = &out;
    for (const Node* n : *b) node(n);
    current_ = saved;
  }

  Instr& emit(Op op) {
    current_->instrs.emplace_back();
    current_->instrs.back().op = op;
    return current_->instrs.back();
  }

  void node(const Node* n) {
    const size_t first = current_->instrs.size();
    try {
      lower(n);
    } catch (const Error& e) {
      // Messages raised without a place get the node's.
      if (e.op().empty() && !e.where().known()) throw n->error(e.message());
      throw;
    }
    // The node's place in the model's code, for errors while running.
    const SourceLocation& where = n->source_location().known() ? n->source_location() : n->text_location();
    for (size_t i = first; i < current_->instrs.size(); ++i) {
      Instr& in = current_->instrs[i];
      if (!in.source_file.empty() || in.source_line_number != 0) continue;
      in.source_file = where.file;
      in.source_line_number = where.line;
      in.source_column = where.column;
      in.source_text = n->source_line();
    }
  }

  void lower(const Node* n) {
    const ir::OpDef& op = n->op();
    if (op.lowering == ir::Lowering::fusion) {
      for (const Node* m : *n->block(0)) check_dynamic_broadcast(m);
    } else {
      check_dynamic_broadcast(n);
    }
    switch (op.lowering) {
      case ir::Lowering::data: return data(n);
      case ir::Lowering::pointwise:
      case ir::Lowering::reduction:
      case ir::Lowering::movement: return kernel(n);
      case ir::Lowering::view: return view(n);
      case ir::Lowering::extern_call: return extern_call(n);
      case ir::Lowering::scalar: return scalar(n);
      case ir::Lowering::control: return control(n);
      case ir::Lowering::fusion: return fusion_group(n);
      default: return note_unsupported(n, "not decomposed");
    }
  }

  void data(const Node* n) {
    const std::string& k = n->kind();
    if (k == "prim::Param") {
      const std::string& name = std::get<std::string>(*n->attrs().find("name"));
      out_.plan.tensors.emplace_back(slot(n->output()), name);
      layouts_[n->output()] = contiguous(*n->output()->type());
      return;
    }
    if (k == "prim::Constant") {
      const ir::Type& t = *n->output()->type();
      const ir::AttrValue& v = *n->attrs().find("value");
      rt::ScalarType st = scalar_type_of(t);
      if (st == rt::ScalarType::none) return;  // None, lists, devices: read at compile time
      Instr& in = emit(Op::constant);
      in.scalar = st;
      in.outputs = {slot(n->output())};
      if (auto* i = std::get_if<int64_t>(&v)) in.ints = {*i};
      if (auto* b = std::get_if<bool>(&v)) in.ints = {*b ? 1 : 0};
      if (auto* d = std::get_if<double>(&v)) in.floats = {*d};
      if (auto* s = std::get_if<std::string>(&v)) in.text = *s;
      return;
    }
    if (k == "prim::ListConstruct") return;  // consumed by the op it feeds
    if (k == "prim::Uninitialized") return;
    if (k == "prim::StoreParam") return store_param(n);
    if (k == "prim::unchecked_cast" && n->input(0)->type()->kind() == ir::TypeKind::None)
      return note_unsupported(n, "a cast of None to " + n->output()->type()->str() + ": the value is None here");
    note_unsupported(n, "tuples and lists are not supported at run time");
  }

  // prim::StoreParam: the module tensor gets a slot of its own (as a
  // prim::Param would), which the store writes into.
  void store_param(const Node* n) {
    const std::string& name = std::get<std::string>(*n->attrs().find("name"));
    const Value* v = n->input(0);
    if (!v->type()->is_tensor() || !v->type()->fully_static())
      return note_unsupported(n, "a value of unknown shape: " + v->type()->str());
    const Slot target = fresh();
    out_.plan.tensors.emplace_back(target, name);
    Instr& in = emit(Op::store);
    in.inputs = {slot(v), target};
    in.text = n->kind() + "[" + name + "]";
  }

  // Inputs of a kernel: tensors and non-constant scalars, in first-use order.
  void add_kernel_inputs(const Node* n, KernelGroup& g, std::set<const Value*>& seen) {
    for (const Value* v : n->inputs()) {
      if (v->node()->is("prim::ListConstruct")) {
        if (std::find(g.nodes.begin(), g.nodes.end(), v->node()) == g.nodes.end())
          g.nodes.insert(g.nodes.begin(), v->node());
        add_kernel_inputs(v->node(), g, seen);
        continue;
      }
      if (ir::constant_attr(v) || ir::is_none(v)) continue;
      if (!seen.insert(v).second) continue;
      const ir::Type& t = *v->type();
      if (t.is_tensor()) {
        g.inputs.push_back(v);
        g.input_layouts.push_back(tensor_layout(v));
      } else if (t.kind() == ir::TypeKind::Int || t.kind() == ir::TypeKind::Float || t.kind() == ir::TypeKind::Bool) {
        g.inputs.push_back(v);
        g.input_layouts.push_back(TensorLayout{});
      }
    }
  }

  int kernel_index(GeneratedKernel k) {
    auto it = kernel_by_text_.find(k.mlir);
    if (it != kernel_by_text_.end()) return it->second;
    int index = static_cast<int>(out_.kernels.size());
    out_.plan.kernels.push_back(k.name);
    out_.kernels.push_back(std::move(k));
    kernel_by_text_[out_.kernels.back().mlir] = index;
    return index;
  }

  int gpu_kernel_index(GpuKernel k) {
    const int index = static_cast<int>(out_.gpu_kernels.size());
    out_.plan.kernels.push_back(k.name);
    for (uint32_t d : k.grid) out_.plan.launch_dims.push_back(d);
    for (uint32_t d : k.block) out_.plan.launch_dims.push_back(d);
    out_.gpu_kernels.push_back(std::move(k));
    return index;
  }

  // GPU kernels are named by their place in the plan (each is its own
  // module, so names need only be unique within it).
  std::string gpu_kernel_name(const Node* n) const {
    std::string base = n->op().schema.name;
    for (char& c : base)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return "wick_" + base + "_" + std::to_string(out_.gpu_kernels.size());
  }

  // Kernel names are derived from the kernel's text, so equal kernels share
  // compiled code across graphs and processes.
  static std::string kernel_name(const Node* n, const std::string& hash) {
    std::string base = n->op().schema.name;
    for (char& c : base)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return "wick_" + base + "_" + hash;
  }

  bool on_gpu() const { return options_.device == rt::PlanDevice::cuda; }

  // A kernel's operands: tensors of known dtypes, numbers of a known kind.
  // In a fusion group, the error names the member reading the operand.
  void require_kernel_operands(const Node* n) {
    for (size_t i = 0; i < n->num_inputs(); ++i) {
      const ir::Type& t = *n->input(i)->type();
      const Node* reader = n;
      if (n->op().lowering == ir::Lowering::fusion && n->block(0)->params()[i]->has_uses())
        reader = n->block(0)->params()[i]->uses().front().user;
      if (t.is_tensor() && !t.dtype())
        throw reader->error("the dtype of an operand is not known at compile time: " + t.str() +
                            " (an `if` whose branches give tensors of different dtypes?)");
      if (t.kind() == ir::TypeKind::Number)
        throw reader->error("an operand is a number whose kind (int, float or bool) is not known at compile time");
    }
  }

  void kernel(const Node* n) {
    if (!can_generate(*n))
      return note_unsupported(n, "no kernel generator");
    require_known_shapes(n);
    require_kernel_operands(n);
    KernelGroup g;
    g.nodes.push_back(n);
    std::set<const Value*> seen;
    add_kernel_inputs(n, g, seen);
    for (const Value* o : n->outputs()) g.outputs.push_back(o);
    emit_kernel(g, n, g.inputs, n->outputs());
  }

  // Allocates `results` (the values standing for the group's outputs outside
  // it), generates the group's kernel and calls it on `args` (the values
  // standing for its inputs).
  void emit_kernel(const KernelGroup& g, const Node* named_after, const std::vector<Value*>& args,
                   const std::vector<Value*>& results) {
    std::vector<const Value*> a(args.begin(), args.end());
    emit_kernel(g, named_after, a, results);
  }
  void emit_kernel(const KernelGroup& group, const Node* named_after, const std::vector<const Value*>& args,
                   const std::vector<Value*>& results) {
    KernelGroup g = group;
    g.dynamic_dim0 = !on_gpu() && worth_splitting(*results.front()->type());
    if (options_.on_kernel_group) options_.on_kernel_group(g);
    int status_arg = -1, index = 0;
    std::vector<uint8_t> sliced;
    if (on_gpu()) {
      // Named by position: a GPU kernel is compiled when generated.
      GpuKernel k = generate_gpu_kernel(g, gpu_kernel_name(named_after), options_.gpu);
      status_arg = k.status_arg;
      index = gpu_kernel_index(std::move(k));
    } else {
      // Generate once under a provisional name, then name it by its text.
      GeneratedKernel k = generate_kernel(g, "k");
      k = generate_kernel(g, kernel_name(named_after, hash128(k.mlir).hex().substr(0, 16)));
      sliced = sliced_args(k);
      status_arg = k.status_arg;
      index = kernel_index(std::move(k));
    }
    for (const Value* o : results) {
      emit_alloc(slot(o), *o->type());
      layouts_[o] = contiguous(*o->type());
    }
    const bool has_status = status_arg >= 0;
    Slot status = -1;
    if (has_status) {
      // Gathers report an out-of-range index through a flag the executor checks.
      status = fresh();
      Instr& al = emit(Op::alloc);
      al.outputs = {status};
      al.dtype = DType::i64;
    }
    Instr& in = emit(Op::kernel);
    in.index = index;
    in.text = named_after->kind();
    in.sliced = sliced;
    for (const Value* v : args) in.inputs.push_back(slot(v));
    for (const Value* o : results) in.outputs.push_back(slot(o));
    if (has_status) {
      in.outputs.push_back(status);
      in.ints = {1};
    }
    if (in.inputs.size() + in.outputs.size() > rt::kMaxKernelArgs)
      throw named_after->error("its kernel would take " + std::to_string(in.inputs.size() + in.outputs.size()) +
                               " arguments; at most " + std::to_string(rt::kMaxKernelArgs) + " are supported");
  }

  // Kernels big enough to share among threads are generated with a dynamic
  // dim 0 so that the executor can call them on slices of it; kernels whose
  // dim 0 is dynamic anyway are always. Small static kernels stay as they
  // are: one call, every bound a constant.
  static bool worth_splitting(const ir::Type& t) {
    if (!t.is_tensor() || !t.shape() || t.shape()->empty()) return false;
    if (!t.fully_static()) return true;
    int64_t numel = 1;
    for (int64_t s : t.static_sizes()) numel *= s;
    return numel >= kSplitMinElements && t.static_sizes()[0] >= 2;
  }
  static constexpr int64_t kSplitMinElements = 1 << 16;

  // Instr::sliced for a kernel: empty when it must run as one call.
  static std::vector<uint8_t> sliced_args(const GeneratedKernel& k) {
    if (!k.splittable_dim0) return {};
    return std::vector<uint8_t>(k.sliced_dim0.begin(), k.sliced_dim0.end());
  }

  // A contiguous copy of `v`, for views that cannot restride it.
  const Value* copy_to_contiguous(const Value* v, Slot target, const Node* at) {
    TensorLayout src = tensor_layout(v);
    if (options_.on_copy) options_.on_copy(src);
    int index = 0;
    std::vector<uint8_t> sliced;
    if (on_gpu()) {
      index = gpu_kernel_index(generate_gpu_copy(src, gpu_kernel_name(at), options_.gpu));
    } else {
      const bool split = worth_splitting(*v->type());
      GeneratedKernel k = generate_copy(src, "k", split);
      k = generate_copy(src, "wick_copy_" + hash128(k.mlir).hex().substr(0, 16), split);
      sliced = sliced_args(k);
      index = kernel_index(std::move(k));
    }
    emit_alloc(target, *v->type());
    Instr& in = emit(Op::kernel);
    in.index = index;
    in.sliced = sliced;
    in.text = at->kind();
    in.inputs = {slot(v)};
    in.outputs = {target};
    return v;
  }

  void view(const Node* n) {
    require_known_shapes(n);
    const std::string& name = n->op().schema.name;
    if (n->output()->type()->kind() == ir::TypeKind::List)
      return note_unsupported(n, "its list result was not unpacked");
    const Value* x = n->input(0);
    const Value* out = n->output();
    StridedLayout in = layout_of(x);
    if (name == "select" && !ir::constant_int(n->input(2))) {
      // A run-time index (a loop counter): the executor restrides.
      Instr& s = emit(Op::select);
      s.inputs = {slot(x), slot(n->input(2))};
      s.outputs = {slot(out)};
      int64_t rank = static_cast<int64_t>(in.sizes.size());
      int64_t d = *ir::constant_int(n->input(1));
      s.ints = {d < 0 ? d + rank : d};
      s.text = n->kind();
      StridedLayout l;
      l.sizes = probe_sizes(*out->type(), kProbe);
      l.strides = in.strides;
      l.strides.erase(l.strides.begin() + s.ints[0]);
      layouts_[out] = l;
      return;
    }
    auto l = probed_view_layout(n, in);
    Slot source = slot(x);
    if (!l) {
      // Restriding is impossible: copy to contiguous memory, then view that.
      Slot tmp = fresh();
      copy_to_contiguous(x, tmp, n);
      l = probed_view_layout(n, contiguous(*x->type()));
      if (!l) return note_unsupported(n, "view of a copy failed");
      source = tmp;
    }
    Instr& v = emit(Op::view);
    v.inputs = {source};
    v.outputs = {slot(out)};
    const SymbolicInts sizes = symbolic_sizes(*out->type());
    v.ints.push_back(static_cast<int64_t>(l->sizes.size()));
    v.ints.insert(v.ints.end(), sizes.ints.begin(), sizes.ints.end());
    v.ints.insert(v.ints.end(), l->strides.begin(), l->strides.end());
    v.ints.push_back(l->offset);
    if (!sizes.symbols.empty()) {
      v.int_symbols.assign(v.ints.size(), -1);
      std::copy(sizes.symbols.begin(), sizes.symbols.end(), v.int_symbols.begin() + 1);
    }
    layouts_[out] = *l;
  }

  // view_layout, checked to give the same strides and offset whatever the
  // dynamic dims are; nullopt where the view needs a copy.
  std::optional<StridedLayout> probed_view_layout(const Node* n, const StridedLayout& in) {
    const ir::Type& in_type = *n->input(0)->type();
    const ir::Type& out_type = *n->output()->type();
    auto l = view_layout(*n, in, probe_sizes(out_type, kProbe));
    if (!l || (in_type.fully_static() && out_type.fully_static())) return l;
    StridedLayout in_check = in;
    in_check.sizes = probe_sizes(in_type, kCheckProbe);
    auto check = view_layout(*n, in_check, probe_sizes(out_type, kCheckProbe));
    if (!check || check->strides != l->strides || check->offset != l->offset)
      throw n->error("this view of " + in_type.str() + " as " + out_type.str() +
                     " would have strides or an offset that change with a dynamic dim");
    return l;
  }

  // ---- extern calls ----
  std::vector<int64_t> ints_of(const Node* n, size_t i, size_t count) {
    const Value* v = n->input(i);
    std::vector<int64_t> values;
    if (auto l = ir::constant_int_list(v)) values = *l;
    else if (auto one = ir::constant_int(v)) values = {*one};
    else throw n->error("argument " + n->op().schema.args[i].name + " must be a constant");
    if (values.size() == 1 && count > 1) values.assign(count, values[0]);
    if (values.empty() && count > 0) return {};
    if (values.size() != count)
      throw n->error("argument " + n->op().schema.args[i].name + " needs " + std::to_string(count) + " values");
    return values;
  }
  int64_t int_of(const Node* n, size_t i) {
    auto v = ir::constant_int(n->input(i));
    if (!v) {
      if (auto b = ir::constant_bool(n->input(i))) return *b ? 1 : 0;
      throw n->error("argument " + n->op().schema.args[i].name + " must be a constant");
    }
    return *v;
  }
  double float_of(const Node* n, size_t i) {
    auto v = ir::constant_double(n->input(i));
    if (!v) throw n->error("argument " + n->op().schema.args[i].name + " must be a constant");
    return *v;
  }

  void extern_call(const Node* n) {
    if (n->is("aten::nonzero")) return nonzero(n);
    if (n->is("wick::repeat_positions")) return repeat_positions(n);
    extern_call(n, n->output(), nullptr);
  }

  // The positions of the nonzero elements: an instruction that allocates its
  // result once it has counted them, binding the count's dynamic dim.
  void nonzero(const Node* n) {
    // Thrown at once: what follows would fail on the dynamic dim anyway.
    if (on_gpu()) throw n->error("sizes only the data decides need dynamic dims, which CUDA plans lack");
    require_known_shapes(n);
    const ir::Type& t = *n->output()->type();
    const ir::Dim& count = (*t.shape())[0];
    WICK_ASSERT(count.is_symbolic() && count.coefficient() == 1, "nonzero of " + t.str());
    Instr& in = emit(Op::nonzero);
    in.inputs = {slot(n->input(0))};
    in.outputs = {slot(n->output())};
    in.ints = {symbol_index(count.symbols()[0])};
    in.text = n->kind();
    layouts_[n->output()] = contiguous(t);
  }

  // repeat_interleave's source positions: allocated by the instruction once
  // it has summed the repeats, binding the total's dynamic dim.
  void repeat_positions(const Node* n) {
    if (on_gpu()) throw n->error("sizes only the data decides need dynamic dims, which CUDA plans lack");
    require_known_shapes(n);
    const ir::Type& t = *n->output()->type();
    const ir::Dim& total = (*t.shape())[0];
    WICK_ASSERT(total.is_symbolic() && total.coefficient() == 1, "repeat_positions of " + t.str());
    Instr& in = emit(Op::repeat_index);
    in.inputs = {slot(n->input(0)), slot(n->input(1))};
    in.outputs = {slot(n->output())};
    in.ints = {symbol_index(total.symbols()[0])};
    in.text = n->kind();
    layouts_[n->output()] = contiguous(t);
  }

  // A module tensor, or a view of one, in a plan that never writes one.
  bool constant_module_tensor(const Value* v) const {
    while (v->node()->op().lowering == ir::Lowering::view && v->node()->num_inputs() > 0) v = v->node()->input(0);
    return v->node()->is("prim::Param") && !options_.mutable_tensors;
  }

  static bool reads_f64(const Node* n) {
    for (const Value* v : n->inputs())
      if (v->type()->is_tensor() && *v->type()->dtype() == DType::f64) return true;
    return false;
  }

  // A library call computing `n`, writing `result` (the node's output, or the
  // output of the fusion group it heads), with `epilogue` applied in the call.
  void extern_call(const Node* n, const Value* result, const Node* epilogue) {
    require_known_shapes(n);
    require_kernel_operands(n);
    const std::string& name = n->op().schema.name;
    if (n->op().schema.ns == "wick" && (linalg_call(n, result) || fourier_call(n, result) || ctc_call(n, result))) return;
    // The CPU runtime multiplies and convolves f64 (gradients included) and
    // bf16 tensors too (runtime/gemm_f64.h, oneDNN's bf16 kernels).
    const bool products = name == "matmul" || name == "mm" || name == "bmm" || name == "linear" || name == "addmm" ||
                          name == "conv1d" || name == "conv2d" || name == "conv3d";
    const DType first = n->input(0)->type()->is_tensor() ? *n->input(0)->type()->dtype() : DType::f32;
    const bool f64_calls = products || name == "conv_input_backward" || name == "conv_weight_backward";
    const DType wanted = f64_calls && !on_gpu() && reads_f64(n)                ? DType::f64
                         : products && !on_gpu() && first == DType::bf16 ? DType::bf16
                                                                          : DType::f32;
    // The integer operands of the quantized linear and convolution: their
    // shape rules checked them.
    const bool quantized =
        n->op().schema.ns == "wick" && (name == "quantized_linear_dynamic" || name == "conv2d_int8");
    for (const Value* v : n->inputs())
      if (!quantized && v->type()->is_tensor() && *v->type()->dtype() != wanted)
        return note_unsupported(n, "only float32 is supported, got " + std::string(dtype_name(*v->type()->dtype())));
    auto tensor_slot = [&](size_t i) -> Slot { return ir::is_none(n->input(i)) ? -1 : slot(n->input(i)); };
    Instr in;
    in.op = Op::extern_call;
    in.text = n->kind();
    if (name == "matmul" || name == "mm" || name == "bmm") {
      in.index = static_cast<int32_t>(rt::ExternOp::matmul);
      in.inputs = {tensor_slot(0), tensor_slot(1)};
    } else if (name == "linear") {
      in.index = static_cast<int32_t>(rt::ExternOp::linear);
      in.inputs = {tensor_slot(0), tensor_slot(1), tensor_slot(2)};
    } else if (quantized && on_gpu()) {
      return note_unsupported(n, "no CUDA kernel (the CUDA pipeline multiplies the floats the integers stand for)");
    } else if (name == "conv2d_int8") {
      in.index = static_cast<int32_t>(rt::ExternOp::conv2d_int8);
      in.inputs = {tensor_slot(0), tensor_slot(2)};
      in.ints = {int_of(n, 1)};
      for (size_t i : {3, 4, 5}) {
        auto v = ints_of(n, i, 2);
        in.ints.insert(in.ints.end(), v.begin(), v.end());
      }
      in.ints.push_back(int_of(n, 6));
      in.ints.push_back(constant_module_tensor(n->input(2)) ? 1 : 0);
    } else if (quantized) {
      in.index = static_cast<int32_t>(rt::ExternOp::quantized_linear_dynamic);
      for (size_t i = 0; i < 5; ++i) in.inputs.push_back(tensor_slot(i));
      // Module tensors are read-only in an inference plan: the kernel may
      // keep what it derives from the weight.
      in.ints = {int_of(n, 5), constant_module_tensor(n->input(1)) ? 1 : 0};
    } else if (name == "addmm") {
      in.index = static_cast<int32_t>(rt::ExternOp::addmm);
      in.inputs = {tensor_slot(0), tensor_slot(1), tensor_slot(2)};
      in.floats = {float_of(n, 3), float_of(n, 4)};
    } else if (name == "conv3d" && on_gpu()) {
      return note_unsupported(n, "no CUDA kernel (the CUDA pipeline writes it as conv2d)");
    } else if (name == "conv1d" || name == "conv2d" || name == "conv3d") {
      const size_t k = name == "conv1d" ? 1 : name == "conv2d" ? 2 : 3;
      in.index = static_cast<int32_t>(k == 1 ? rt::ExternOp::conv1d : k == 2 ? rt::ExternOp::conv2d : rt::ExternOp::conv3d);
      in.inputs = {tensor_slot(0), tensor_slot(1), tensor_slot(2)};
      for (size_t i : {3, 4, 5}) {
        auto v = ints_of(n, i, k);
        in.ints.insert(in.ints.end(), v.begin(), v.end());
      }
      in.ints.push_back(int_of(n, 6));
      // Module tensors are read-only in an inference plan: the library may
      // keep its own layout of them.
      in.ints.push_back(constant_module_tensor(n->input(1)) ? 1 : 0);
    } else if (name == "max_pool2d") {
      in.index = static_cast<int32_t>(rt::ExternOp::max_pool2d);
      in.inputs = {tensor_slot(0)};
      auto kernel = ints_of(n, 1, 2);
      auto stride = ints_of(n, 2, 2);
      if (stride.empty()) stride = kernel;
      for (auto v : {kernel, stride, ints_of(n, 3, 2), ints_of(n, 4, 2)}) in.ints.insert(in.ints.end(), v.begin(), v.end());
      in.ints.push_back(int_of(n, 5));
    } else if (name == "avg_pool2d") {
      in.index = static_cast<int32_t>(rt::ExternOp::avg_pool2d);
      in.inputs = {tensor_slot(0)};
      auto kernel = ints_of(n, 1, 2);
      auto stride = ints_of(n, 2, 2);
      if (stride.empty()) stride = kernel;
      for (auto v : {kernel, stride, ints_of(n, 3, 2)}) in.ints.insert(in.ints.end(), v.begin(), v.end());
      in.ints.push_back(int_of(n, 4));
      in.ints.push_back(int_of(n, 5));
      in.ints.push_back(ir::is_none(n->input(6)) ? 0 : int_of(n, 6));
    } else if (name == "adaptive_avg_pool2d" && on_gpu()) {
      return note_unsupported(n, "no CUDA kernel unless its output is 1 x 1");
    } else if (name == "adaptive_avg_pool2d") {
      in.index = static_cast<int32_t>(rt::ExternOp::adaptive_avg_pool2d);
      in.inputs = {tensor_slot(0)};
      in.ints = ints_of(n, 1, 2);
    } else if (n->op().schema.ns == "wick") {
      // The gradients of convolution and pooling (cuDNN on the GPU); not
      // adaptive pooling's, which the GPU pipeline turns into a mean's.
      if (on_gpu() && name == "adaptive_avg_pool2d_backward") return note_unsupported(n, "no CUDA kernel yet");
      if (!backward_extern_call(n, in)) return note_unsupported(n, "no extern kernel");
    } else {
      return note_unsupported(n, "no extern kernel");
    }
    if (epilogue && !set_post_op(epilogue, in)) return note_unsupported(epilogue, "not an epilogue");
    const Value* o = result;
    if (!epilogue && read_channels_last_only(n, o)) {
      alloc_channels_last(o);
    } else {
      emit_alloc(slot(o), *o->type());
      layouts_[o] = contiguous(*o->type());
    }
    in.outputs = {slot(o)};
    current_->instrs.push_back(std::move(in));
  }

  static bool is_pooling(const Node* n) {
    const std::string& name = n->op().schema.name;
    return n->op().schema.ns == "aten" &&
           (name == "max_pool2d" || name == "avg_pool2d" || name == "adaptive_avg_pool2d");
  }

  // NCHW strides of a tensor laid out NHWC.
  static std::vector<int64_t> channels_last_strides(const std::vector<int64_t>& s) {
    return {s[1] * s[2] * s[3], 1, s[3] * s[1], s[1]};
  }

  // Whether `o`, the NCHW result of a pooling on the CPU of a channels-last
  // input, is only read through permutes to NHWC (as int8 convolutions read
  // their inputs) or by other poolings: it is then written channels-last,
  // where oneDNN pools at full speed (a channels-last input into an NCHW
  // result it pools NHWC and converts), and those permutes become plain
  // reads.
  bool read_channels_last_only(const Node* n, const Value* o) {
    if (on_gpu() || !is_pooling(n)) return false;
    const ir::Type& t = *o->type();
    if (!t.has_rank() || t.rank() != 4 || o->uses().empty()) return false;
    for (size_t d = 1; d < 4; ++d)
      if (!(*t.shape())[d].is_static()) return false;
    const StridedLayout in = layout_of(n->input(0));
    if (in.sizes.size() != 4 || in.sizes[1] == 1 || in.strides != channels_last_strides(in.sizes)) return false;
    for (const ir::Use& u : o->uses()) {
      if (is_pooling(u.user) && u.index == 0) continue;
      if (!u.user->is("aten::permute") || u.index != 0) return false;
      auto order = ir::constant_int_list(u.user->input(1));
      if (!order || order->size() != 4) return false;
      for (int64_t& d : *order) d = d < 0 ? d + 4 : d;
      if (*order != std::vector<int64_t>{0, 2, 3, 1}) return false;
    }
    return true;
  }

  // Slot(o) as an NCHW view of a fresh channels-last (NHWC) tensor.
  void alloc_channels_last(const Value* o) {
    const ir::Type& t = *o->type();
    const std::vector<ir::Dim>& d = *t.shape();
    const Slot base = fresh();
    emit_alloc(base, *ir::Type::tensor(*t.dtype(), std::vector<ir::Dim>{d[0], d[2], d[3], d[1]}, t.tensor_device()));
    StridedLayout l;
    l.sizes = probe_sizes(t, kProbe);
    l.strides = channels_last_strides(l.sizes);
    Instr& v = emit(Op::view);
    v.inputs = {base};
    v.outputs = {slot(o)};
    v.text = "channels-last result";
    const SymbolicInts sizes = symbolic_sizes(t);
    v.ints.push_back(4);
    v.ints.insert(v.ints.end(), sizes.ints.begin(), sizes.ints.end());
    v.ints.insert(v.ints.end(), l.strides.begin(), l.strides.end());
    v.ints.push_back(0);
    if (!sizes.symbols.empty()) {
      v.int_symbols.assign(v.ints.size(), -1);
      std::copy(sizes.symbols.begin(), sizes.symbols.end(), v.int_symbols.begin() + 1);
    }
    layouts_[o] = l;
  }

  // The dense linear algebra kernels (runtime/linalg.h), in f32 or f64;
  // false for another op.
  bool linalg_call(const Node* n, const Value* result) {
    static const std::map<std::string, rt::ExternOp> kernels = {{"lu_solve", rt::ExternOp::lu_solve},
                                                                {"lu_solve_ex", rt::ExternOp::lu_solve},
                                                                {"cholesky_ex", rt::ExternOp::cholesky},
                                                                {"slogdet", rt::ExternOp::slogdet},
                                                                {"cholesky", rt::ExternOp::cholesky},
                                                                {"triangular_solve", rt::ExternOp::triangular_solve},
                                                                {"eigh", rt::ExternOp::symmetric_eigen},
                                                                {"svd", rt::ExternOp::singular_values},
                                                                {"svdvals", rt::ExternOp::singular_values},
                                                                {"qr", rt::ExternOp::qr_factor},
                                                                {"matrix_exp", rt::ExternOp::matrix_exponential},
                                                                {"lu_factor", rt::ExternOp::lu_factor},
                                                                {"lu_permutation", rt::ExternOp::lu_permutation}};
    auto kernel = kernels.find(n->op().schema.name);
    if (kernel == kernels.end()) return false;
    if (on_gpu()) {
      note_unsupported(n, "no CUDA kernel: linear algebra runs on the CPU");
      return true;
    }
    Instr in;
    in.op = Op::extern_call;
    in.text = n->kind();
    in.index = static_cast<int32_t>(kernel->second);
    for (const Value* v : n->inputs())
      if (v->type()->is_tensor()) in.inputs.push_back(slot(v));
    if (kernel->second == rt::ExternOp::triangular_solve) in.ints = {int_of(n, 2), int_of(n, 3)};
    if (kernel->second == rt::ExternOp::singular_values) in.ints = {n->op().schema.name == "svd" ? 1 : 0};
    if (kernel->second == rt::ExternOp::qr_factor) in.ints = {int_of(n, 1), int_of(n, 2)};
    if (kernel->second == rt::ExternOp::lu_factor) in.ints = {int_of(n, 1)};
    if (n->op().schema.name == "lu_solve_ex" || n->op().schema.name == "cholesky_ex") in.ints = {1};
    emit_alloc(slot(result), *result->type());
    layouts_[result] = contiguous(*result->type());
    in.outputs = {slot(result)};
    current_->instrs.push_back(std::move(in));
    return true;
  }

  // The Fourier transforms (runtime/fft.h): wick::fft_c2c, fft_r2c,
  // fft_c2r and stft_r2c; false for another op.
  bool fourier_call(const Node* n, const Value* result) {
    const std::string& name = n->op().schema.name;
    if (name != "fft_c2c" && name != "fft_r2c" && name != "fft_c2r" && name != "stft_r2c") return false;
    if (on_gpu()) {
      note_unsupported(n, "no CUDA kernel: the CUDA pipeline computes Fourier transforms as matrix products");
      return true;
    }
    if (name == "stft_r2c") {
      Instr in;
      in.op = Op::extern_call;
      in.text = n->kind();
      in.index = static_cast<int32_t>(rt::ExternOp::short_time_transform);
      in.inputs = {slot(n->input(0)), slot(n->input(1))};
      in.ints = {int_of(n, 2), int_of(n, 3)};
      emit_alloc(slot(result), *result->type());
      layouts_[result] = contiguous(*result->type());
      in.outputs = {slot(result)};
      current_->instrs.push_back(std::move(in));
      return true;
    }
    rt::FftKind kind = rt::FftKind::real_forward;
    if (name == "fft_c2c") kind = int_of(n, 2) != 0 ? rt::FftKind::inverse : rt::FftKind::forward;
    if (name == "fft_c2r") kind = rt::FftKind::real_inverse;
    const ir::Type& x = *n->input(0)->type();
    const int64_t dim = int_of(n, 1);
    const int64_t n_points = name == "fft_c2r" ? int_of(n, 2) : (*x.shape())[static_cast<size_t>(dim)].value();
    Instr in;
    in.op = Op::extern_call;
    in.text = n->kind();
    in.index = static_cast<int32_t>(rt::ExternOp::fourier_transform);
    in.inputs = {slot(n->input(0))};
    in.ints = {dim, static_cast<int64_t>(kind), n_points};
    emit_alloc(slot(result), *result->type());
    layouts_[result] = contiguous(*result->type());
    in.outputs = {slot(result)};
    current_->instrs.push_back(std::move(in));
    return true;
  }

  // The CTC loss and its gradient (runtime/ctc_loss.h): wick::ctc_loss and
  // wick::ctc_loss_backward; false for another op.
  bool ctc_call(const Node* n, const Value* result) {
    const std::string& name = n->op().schema.name;
    if (name != "ctc_loss" && name != "ctc_loss_backward") return false;
    if (on_gpu()) {
      note_unsupported(n, "no CUDA kernel: ctc_loss runs on the CPU");
      return true;
    }
    const size_t operands = name == "ctc_loss" ? 4 : 5;
    Instr in;
    in.op = Op::extern_call;
    in.text = n->kind();
    in.index = static_cast<int32_t>(name == "ctc_loss" ? rt::ExternOp::ctc_loss : rt::ExternOp::ctc_loss_backward);
    for (size_t i = 0; i < operands; ++i) in.inputs.push_back(slot(n->input(i)));
    in.ints = {int_of(n, operands), int_of(n, operands + 1)};
    emit_alloc(slot(result), *result->type());
    layouts_[result] = contiguous(*result->type());
    in.outputs = {slot(result)};
    current_->instrs.push_back(std::move(in));
    return true;
  }

  // The extern calls of the backward pass (ir/ops_backward.cpp); false for
  // an op that has none.
  bool backward_extern_call(const Node* n, Instr& in) {
    const std::string& name = n->op().schema.name;
    auto list = [&](size_t i) {
      auto v = ir::constant_int_list(n->input(i));
      if (!v) throw n->error("argument " + n->op().schema.args[i].name + " must be a constant");
      return *v;
    };
    auto append = [&](const std::vector<int64_t>& v) { in.ints.insert(in.ints.end(), v.begin(), v.end()); };
    in.inputs = {slot(n->input(0))};
    if (name == "conv_input_backward" || name == "conv_weight_backward") {
      in.index = static_cast<int32_t>(name == "conv_input_backward" ? rt::ExternOp::conv_input_backward
                                                                    : rt::ExternOp::conv_weight_backward);
      in.inputs.push_back(slot(n->input(1)));
      const auto stride = list(3);
      in.ints = {static_cast<int64_t>(stride.size())};
      for (size_t i : {3, 4, 5}) {
        if (list(i).size() != stride.size()) throw n->error("stride, padding and dilation differ in length");
        append(list(i));
      }
      in.ints.push_back(int_of(n, 6));
    } else if (name == "max_pool2d_backward") {
      in.index = static_cast<int32_t>(rt::ExternOp::max_pool2d_backward);
      in.inputs.push_back(slot(n->input(1)));
      for (size_t i : {2, 3, 4, 5}) append(ints_of(n, i, 2));
      in.ints.push_back(int_of(n, 6));
    } else if (name == "avg_pool2d_backward") {
      in.index = static_cast<int32_t>(rt::ExternOp::avg_pool2d_backward);
      for (size_t i : {2, 3, 4}) append(ints_of(n, i, 2));
      in.ints.push_back(int_of(n, 5));
      in.ints.push_back(int_of(n, 6));
      in.ints.push_back(ir::is_none(n->input(7)) ? 0 : int_of(n, 7));
    } else if (name == "adaptive_avg_pool2d_backward") {
      in.index = static_cast<int32_t>(rt::ExternOp::adaptive_avg_pool2d_backward);
    } else {
      return false;
    }
    return true;
  }

  // Whether cuBLASLt (GEMMs) or cuDNN (convolutions) computes activation
  // `act` after `call` exactly.
  static bool gpu_fuses(const Node* call, const Node* act) {
    rt::Instr probe;
    if (!set_post_op(act, probe)) return false;
    const rt::Epilogue e{static_cast<rt::PostOp>(probe.post_op), probe.post_alpha, probe.post_beta};
    const std::string& name = call->op().schema.name;
    return name.rfind("conv", 0) == 0 ? rt::cudnn_fuses(e) : rt::cublaslt_fuses(e);
  }

  // The oneDNN post-op computing the activation `n`.
  static bool set_post_op(const Node* n, Instr& in) {
    const std::string& k = n->kind();
    auto number = [&](size_t i) { return static_cast<float>(*ir::constant_double(n->input(i))); };
    rt::PostOp op = rt::PostOp::none;
    if (k == "aten::relu") op = rt::PostOp::relu;
    else if (k == "aten::leaky_relu") { op = rt::PostOp::relu; in.post_alpha = number(1); }
    else if (k == "aten::relu6") { op = rt::PostOp::clip; in.post_alpha = 0; in.post_beta = 6; }
    else if (k == "aten::hardtanh") { op = rt::PostOp::clip; in.post_alpha = number(1); in.post_beta = number(2); }
    else if (k == "aten::sigmoid") op = rt::PostOp::sigmoid;
    else if (k == "aten::tanh") op = rt::PostOp::tanh;
    else if (k == "aten::silu") op = rt::PostOp::silu;
    else if (k == "aten::hardswish") op = rt::PostOp::hardswish;
    else if (k == "aten::gelu") {
      const ir::AttrValue* a = ir::constant_attr(n->input(1));
      bool tanh = a && std::holds_alternative<std::string>(*a) && std::get<std::string>(*a) == "tanh";
      op = tanh ? rt::PostOp::gelu_tanh : rt::PostOp::gelu_erf;
    }
    if (op == rt::PostOp::none) return false;
    in.post_op = static_cast<uint8_t>(op);
    return true;
  }

  void fusion_group(const Node* n) {
    const ir::Block* body = n->block(0);
    for (size_t i = 0; i < n->num_inputs(); ++i) outer_[body->params()[i]] = n->input(i);
    std::vector<const Node*> members;
    for (const Node* m : *body) members.push_back(m);
    const std::string& kind = std::get<std::string>(*n->attrs().find("kind"));
    if (kind != "extern") require_kernel_operands(n);
    if (kind == "extern") {
      WICK_ASSERT(members.size() <= 2 && n->num_outputs() == 1, "an extern group is a call and one epilogue");
      if (members.size() == 2 && on_gpu() && !gpu_fuses(members[0], members[1])) {
        // The library cannot apply this activation: a kernel after the call.
        extern_call(members[0], members[0]->output(), nullptr);
        KernelGroup g;
        g.nodes.push_back(members[1]);
        std::set<const Value*> seen;
        add_kernel_inputs(members[1], g, seen);
        g.outputs.push_back(members[1]->output());
        emit_kernel(g, members[1], g.inputs, n->outputs());
        return;
      }
      extern_call(members[0], n->output(), members.size() == 2 ? members[1] : nullptr);
      return;
    }
    if (!can_generate_group(members)) return note_unsupported(members.front(), "no kernel generator for its group");
    require_known_shapes(n);
    KernelGroup g;
    g.nodes = members;
    for (const Value* p : body->params()) {
      g.inputs.push_back(p);
      g.input_layouts.push_back(p->type()->is_tensor() ? tensor_layout(p) : TensorLayout{});
    }
    for (const Value* r : body->results()) g.outputs.push_back(r);
    emit_kernel(g, members.back(), n->inputs(), n->outputs());
  }

  // ---- scalars ----
  void scalar(const Node* n) {
    const std::string& k = n->kind();
    static const std::map<std::string, rt::ScalarOp> ops = {
        {"aten::add.int", rt::ScalarOp::add_int},        {"aten::sub.int", rt::ScalarOp::sub_int},
        {"aten::mul.int", rt::ScalarOp::mul_int},        {"aten::floordiv.int", rt::ScalarOp::floordiv_int},
        {"aten::remainder.int", rt::ScalarOp::remainder_int}, {"aten::neg.int", rt::ScalarOp::neg_int},
        {"aten::add.float", rt::ScalarOp::add_float},    {"aten::sub.float", rt::ScalarOp::sub_float},
        {"aten::mul.float", rt::ScalarOp::mul_float},    {"aten::div.float", rt::ScalarOp::div_float},
        {"aten::neg.float", rt::ScalarOp::neg_float},    {"aten::__not__", rt::ScalarOp::not_},
        {"aten::__and__.bool", rt::ScalarOp::and_},      {"aten::__or__.bool", rt::ScalarOp::or_},
        {"aten::Float.int", rt::ScalarOp::int_to_float}, {"aten::Int.float", rt::ScalarOp::float_to_int},
        {"aten::Bool.int", rt::ScalarOp::to_bool},       {"aten::Bool.float", rt::ScalarOp::to_bool},
        {"aten::Int.bool", rt::ScalarOp::float_to_int},  {"aten::Float.bool", rt::ScalarOp::int_to_float},
        {"aten::size.int", rt::ScalarOp::size},          {"prim::max.int", rt::ScalarOp::max_int},
        {"prim::min.int", rt::ScalarOp::min_int},        {"aten::__derive_index", rt::ScalarOp::derive_index},
        {"wick::call_index", rt::ScalarOp::call_index},
        {"aten::__and__.int", rt::ScalarOp::and_int},    {"aten::__or__.int", rt::ScalarOp::or_int},
        {"aten::__xor__.int", rt::ScalarOp::xor_int},    {"aten::__xor__.bool", rt::ScalarOp::ne},
        {"aten::__lshift__.int", rt::ScalarOp::shl_int}, {"aten::__rshift__.int", rt::ScalarOp::shr_int},
    };
    if (k == "aten::Int.Tensor" || k == "aten::Float.Tensor" || k == "aten::Bool.Tensor") {
      Instr& in = emit(Op::item);
      in.index = k == "aten::Int.Tensor" ? 0 : k == "aten::Float.Tensor" ? 1 : 2;
      in.inputs = {slot(n->input(0))};
      in.outputs = {slot(n->output())};
      return;
    }
    if (k == "prim::NumToTensor.Scalar" || k == "prim::NumToTensor.bool") {
      require_known_shapes(n);
      Instr& in = emit(Op::to_tensor);
      in.dtype = *n->output()->type()->dtype();
      in.inputs = {slot(n->input(0))};
      in.outputs = {slot(n->output())};
      layouts_[n->output()] = contiguous(*n->output()->type());
      return;
    }
    if (k == "aten::format") return;  // only feeds exception messages
    auto it = ops.find(k);
    rt::ScalarOp op{};
    if (it != ops.end()) {
      op = it->second;
    } else {
      // Comparisons of any numbers.
      const std::string& name = n->op().schema.name;
      static const std::map<std::string, rt::ScalarOp> cmp = {{"eq", rt::ScalarOp::eq}, {"ne", rt::ScalarOp::ne},
                                                              {"lt", rt::ScalarOp::lt}, {"le", rt::ScalarOp::le},
                                                              {"gt", rt::ScalarOp::gt}, {"ge", rt::ScalarOp::ge}};
      auto c = cmp.find(name);
      if (c == cmp.end() || n->op().schema.overload == "str" || n->op().schema.overload == "int_list")
        return note_unsupported(n, "scalar op not supported at run time");
      op = c->second;
    }
    Instr& in = emit(Op::scalar);
    in.index = static_cast<int32_t>(op);
    for (const Value* v : n->inputs()) in.inputs.push_back(slot(v));
    in.outputs = {slot(n->output())};
    in.text = k;
  }

  // ---- control flow ----
  // Block results and loop-carried tensors are contiguous, so that a value
  // has one layout whichever branch or iteration produced it.
  Slot contiguous_result(const Value* v) {
    if (!v->type()->is_tensor()) return slot(v);
    auto it = layouts_.find(v);
    if (it == layouts_.end() || is_contiguous(it->second.sizes, it->second.strides)) return slot(v);
    Slot tmp = fresh();
    copy_to_contiguous(v, tmp, v->node());
    return tmp;
  }

  void control(const Node* n) {
    if (n->is("prim::RaiseException")) {
      Instr& in = emit(Op::raise);
      const ir::AttrValue* msg = ir::constant_attr(n->input(0));
      if (msg && std::holds_alternative<std::string>(*msg)) {
        in.text = std::get<std::string>(*msg);
      } else if (n->input(0)->node()->is("aten::format")) {
        const ir::AttrValue* fmt = ir::constant_attr(n->input(0)->node()->input(0));
        in.text = fmt && std::holds_alternative<std::string>(*fmt) ? std::get<std::string>(*fmt) : "exception";
      } else {
        in.text = "exception";
      }
      if (n->source_location().known()) in.text += " (raised at " + n->source_location().str() + ")";
      return;
    }
    require_known_shapes(n);
    if (n->is("prim::If")) {
      Instr in;
      in.op = Op::if_;
      in.inputs = {slot(n->input(0))};
      in.blocks.resize(2);
      for (int i = 0; i < 2; ++i) {
        block(n->block(i), in.blocks[i]);
        rt::Block* saved = current_;
        current_ = &in.blocks[i];
        for (const Value* r : n->block(i)->results()) in.blocks[i].results.push_back(contiguous_result(r));
        current_ = saved;
      }
      for (const Value* o : n->outputs()) {
        in.outputs.push_back(slot(o));
        if (o->type()->is_tensor()) layouts_[o] = contiguous(*o->type());
      }
      current_->instrs.push_back(std::move(in));
      return;
    }
    if (n->is("prim::Loop")) {
      Instr in;
      in.op = Op::loop;
      in.inputs = {slot(n->input(0)), slot(n->input(1))};
      for (size_t i = 2; i < n->num_inputs(); ++i) in.inputs.push_back(contiguous_result(n->input(i)));
      const ir::Block* body = n->block(0);
      in.blocks.resize(1);
      rt::Block& b = in.blocks[0];
      for (const Value* p : body->params()) {
        b.params.push_back(slot(p));
        if (p->type()->is_tensor()) layouts_[p] = contiguous(*p->type());
      }
      block(body, b);
      rt::Block* saved = current_;
      current_ = &b;
      for (const Value* r : body->results()) b.results.push_back(contiguous_result(r));
      current_ = saved;
      for (const Value* o : n->outputs()) {
        in.outputs.push_back(slot(o));
        if (o->type()->is_tensor()) layouts_[o] = contiguous(*o->type());
      }
      current_->instrs.push_back(std::move(in));
      return;
    }
    note_unsupported(n, "");
  }

  PlanOptions options_;
  BuiltPlan out_;
  rt::Block* current_ = nullptr;
  std::map<const Value*, Slot> slots_;
  std::map<const Value*, const Value*> outer_;  // a fusion group's block params -> its inputs
  std::map<const Value*, StridedLayout> layouts_;
  std::map<std::string, int> kernel_by_text_;
  std::vector<std::string> unsupported_;
  std::set<std::string> seen_;
  Slot next_slot_ = 0;
};

}  // namespace

BuiltPlan build_plan(const ir::Graph& graph, const PlanOptions& options) { return PlanBuilder(options).build(graph); }

}  // namespace wick::codegen
