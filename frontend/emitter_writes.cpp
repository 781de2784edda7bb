// In-place writes. TorchScript code mutates tensors (`y.relu_()`, and
// `y[:, 0] = v`, which it saves as a copy_ into a view of y); the IR is
// functional. The emitter remembers which values are views of which (slice,
// select, view, transpose, ..., and detach, which shares its base's
// storage); a write gives the written value a new
// value, each base under it a new value through a scatter (slice_scatter,
// select_scatter) or the inverse view, and rebinds every variable bound to
// one of the old values, or to another view of the same base, in every
// function being inlined.
#include <numeric>

#include "frontend/emitter_impl.h"
#include "ir/constant_value.h"

namespace wick {

namespace {

const std::set<std::string>& view_ops() {
  static const std::set<std::string> ops = {
      "aten::slice.Tensor", "aten::select.int",    "aten::narrow",      "aten::view",
      "aten::reshape",      "aten::flatten.using_ints", "aten::unflatten.int", "aten::unsqueeze",
      "aten::squeeze",      "aten::squeeze.dim",   "aten::transpose.int", "aten::t",
      "aten::permute",      "aten::expand",        "aten::expand_as",     "aten::detach"};
  return ops;
}

// Whether torch writes a result of dtype `from` into a tensor of dtype `to`
// in place (floats not into integers, numbers not into bools).
bool can_cast(DType from, DType to) {
  if (is_floating(from) && !is_floating(to)) return false;
  return !(to == DType::b8 && from != DType::b8);
}

}  // namespace

bool is_view_op(const std::string& kind) { return view_ops().count(kind) > 0; }

void Emitter::note_view(ir::Node* n) {
  if (n->num_outputs() == 1 && n->num_inputs() > 0 && is_view_op(n->kind()) && n->input(0)->type()->is_tensor())
    views_[n->output()] = n;
}

ir::Value* Emitter::view_root(ir::Value* v) const {
  for (auto it = views_.find(v); it != views_.end(); it = views_.find(v)) v = it->second->input(0);
  return v;
}

ir::Value* Emitter::unview(ir::Node* view, ir::Value* updated, Frame& f, const SourceLocation& loc) {
  ir::Value* base = view->input(0);
  const std::string& k = view->kind();
  if (k == "aten::slice.Tensor")
    return builder_->op("aten::slice_scatter",
                        {base, updated, view->input(1), view->input(2), view->input(3), view->input(4)});
  if (k == "aten::select.int")
    return builder_->op("aten::select_scatter", {base, updated, view->input(1), view->input(2)});
  if (k == "aten::narrow") {
    if (auto start = ir::constant_int(view->input(2)); start && *start < 0)
      fail(f, loc, "a write into narrow() with a negative start is not supported", k);
    ir::Value* end = builder_->op("aten::add.int", {view->input(2), view->input(3)});
    return builder_->op("aten::slice_scatter",
                        {base, updated, view->input(1), view->input(2), end, constant(int64_t{1}, ir::Type::int_())});
  }
  if (k == "aten::transpose.int") return builder_->op("aten::transpose.int", {updated, view->input(1), view->input(2)});
  if (k == "aten::t") return builder_->op("aten::t", {updated});
  if (k == "aten::permute") {
    auto dims = ir::constant_int_list(view->input(1));
    if (!dims) fail(f, loc, "a write into a permute() with dims known only at run time is not supported", k);
    const int64_t rank = static_cast<int64_t>(dims->size());
    std::vector<int64_t> inverse(dims->size());
    for (int64_t i = 0; i < rank; ++i) {
      const int64_t d = (*dims)[i] < 0 ? (*dims)[i] + rank : (*dims)[i];
      if (d < 0 || d >= rank) fail(f, loc, "permute dim out of range", k);
      inverse[d] = i;
    }
    return builder_->op("aten::permute", {updated, constant(inverse, ir::Type::list(ir::Type::int_()))});
  }
  if (k == "aten::detach") {
    // The base's storage holds the new values, while its gradient goes on as
    // if unchanged (autograd does not see a write through a detached alias).
    ir::Value* one = constant(int64_t{1}, ir::Type::int_());
    ir::Value* change = builder_->op("aten::detach", {builder_->op("aten::sub.Tensor", {updated, base, one})});
    return builder_->op("aten::add.Tensor", {base, change, one});
  }
  if (k == "aten::expand" || k == "aten::expand_as")
    fail(f, loc, "a write into an expanded tensor, whose elements share memory, is not supported (torch refuses it too)",
         k);
  // The reshapes: view, reshape, flatten, unflatten, (un)squeeze.
  return builder_->op("aten::reshape", {updated, builder_->op("aten::size", {base})});
}

ir::Value* Emitter::rederive(ir::Value* v, std::map<const ir::Value*, ir::Value*>& updated, int depth) {
  auto known = updated.find(v);
  if (known != updated.end()) return known->second;
  auto view = views_.find(v);
  if (view == views_.end() || depth > 1000) return nullptr;
  ir::Node* node = view->second;
  ir::Value* base = rederive(node->input(0), updated, depth + 1);
  if (!base) return nullptr;
  std::vector<ir::Value*> inputs = node->inputs();
  inputs[0] = base;
  ir::Node* n = builder_->create(node->op(), inputs);
  note_view(n);
  updated[v] = n->output();
  return n->output();
}

bool Emitter::same_view(const ir::Value* a, const ir::Value* a_base, const ir::Value* b,
                        const ir::Value* b_base) const {
  for (int depth = 0; depth < 1000; ++depth) {
    if (a == a_base || b == b_base) return a == a_base && b == b_base;
    auto va = views_.find(a);
    auto vb = views_.find(b);
    if (va == views_.end() || vb == views_.end()) return false;
    const ir::Node* na = va->second;
    const ir::Node* nb = vb->second;
    if (na->kind() != nb->kind() || na->num_inputs() != nb->num_inputs()) return false;
    for (size_t i = 1; i < na->num_inputs(); ++i)
      if (na->input(i) != nb->input(i)) return false;
    a = na->input(0);
    b = nb->input(0);
  }
  return false;
}

void Emitter::rebind(SugaredValue& binding, std::map<const ir::Value*, ir::Value*>& updated) {
  if (binding.is_value()) {
    if (ir::Value* v = rederive(binding.value, updated)) binding = SugaredValue::of(v);
  } else if (binding.kind == SugaredValue::Kind::tuple || binding.kind == SugaredValue::Kind::dict) {
    for (SugaredValue& part : binding.parts) rebind(part, updated);
  }
}

void Emitter::write_through(ir::Value* old, ir::Value* result, Frame& f, const SourceLocation& loc) {
  set_source(f, loc);
  const auto& want = old->type()->dtype();
  const auto& got = result->type()->dtype();
  if (want && got && *want != *got) {
    if (!can_cast(*got, *want))
      fail(f, loc, "result type " + std::string(dtype_name(*got)) + " can't be cast to the desired output type " +
                       std::string(dtype_name(*want)) + " of an in-place op");
    result = builder_->op("aten::to.dtype", {result, constant(*torch_code_of(*want), ir::Type::int_()),
                                             constant(false, ir::Type::bool_()), constant(false, ir::Type::bool_()),
                                             constant(ir::NoneValue{}, ir::Type::none())});
  }
  ir::Value* v = old;
  ir::Value* now = result;
  for (auto it = views_.find(v); it != views_.end(); it = views_.find(v)) {
    now = unview(it->second, now, f, loc);
    v = it->second->input(0);
  }
  // Every other view of the base becomes a view of the base's new value, so
  // that later writes to any of them reach the others. The written view
  // reads `result` itself, recorded as that view of the new base.
  std::map<const ir::Value*, ir::Value*> updated = {{v, now}, {result, result}};
  if (v != old) {
    views_[result] = views_.at(rederive(old, updated));
    updated[old] = result;
  }
  std::set<Frame*> frames(frames_.begin(), frames_.end());
  frames.insert(&f);
  for (Frame* frame : frames)
    for (auto& [name, binding] : frame->env) rebind(binding, updated);
  if (options_.training.value_or(false)) store_in_place(v, now, f, loc);
}

}  // namespace wick
