#include "passes/canonicalize.h"

#include <algorithm>
#include <functional>
#include <limits>
#include <optional>
#include <type_traits>
#include <variant>

#include "ir/builder.h"
#include "ir/constant_value.h"
#include "ir/nested_tensor.h"
#include "ir/shape_rules.h"
#include "ir/op_table.h"
#include "passes/fold_scalar.h"
#include "passes/lower_nested_tensors.h"
#include "passes/unroll_loops.h"

namespace wick::passes {
namespace {

template <typename T>
struct is_vector : std::false_type {};
template <typename T>
struct is_vector<std::vector<T>> : std::true_type {};

using ir::Node;
using ir::Value;

class Canonicalizer {
 public:
  explicit Canonicalizer(ir::Graph& g) : graph_(g), builder_(g) {}

  bool run() {
    flatten_outputs();
    block(graph_.block());
    return changed_;
  }

 private:
  // ---- helpers ----
  Value* constant_before(Node* at, ir::AttrValue v, ir::TypePtr t) {
    builder_.set_insertion_point(at);
    builder_.set_source(at->source_location(), at->source_line());
    return builder_.constant(std::move(v), std::move(t));
  }

  void replace(Node* n, const std::vector<Value*>& values) {
    ir::replace_node(n, values);
    changed_ = true;
  }

  // Elements of a tuple or list built in the graph, or null.
  static const std::vector<Value*>* built_elements(const Value* v, const char* construct) {
    return v->node()->is(construct) ? &v->node()->inputs() : nullptr;
  }

  // ---- graph outputs ----
  // Tuples, and lists whose elements are known (a `List[Tensor]` built by
  // appends), leave as their elements, as LibTorch's flattened outputs do.
  void flatten_outputs() {
    ir::Block* top = graph_.block();
    auto expandable = [](const Value* v) {
      return v->type()->kind() == ir::TypeKind::Tuple || built_elements(v, "prim::ListConstruct");
    };
    bool any = false;
    for (Value* v : top->results()) any |= expandable(v);
    if (!any) return;
    std::vector<Value*> flat;
    builder_.set_insertion_point(top->return_node());
    std::function<void(Value*)> expand = [&](Value* v) {
      if (!expandable(v)) {
        flat.push_back(v);
        return;
      }
      if (const auto* e = built_elements(v, "prim::ListConstruct")) {
        for (Value* x : *e) expand(x);
        return;
      }
      if (const auto* e = built_elements(v, "prim::TupleConstruct")) {
        for (Value* x : *e) expand(x);
        return;
      }
      Node* u = builder_.create("prim::TupleUnpack", {v}, {}, v->type()->elements().size());
      for (Value* x : u->outputs()) expand(x);
    };
    for (Value* v : top->results()) expand(v);
    top->return_node()->remove_all_inputs();
    for (Value* v : flat) top->add_result(v);
    changed_ = true;
  }

  // ---- nodes ----
  void block(ir::Block* b) {
    for (Node* n : *b) {
      for (ir::Block* inner : n->blocks()) block(inner);
      node(n);
    }
  }

  void node(Node* n) {
    const std::string& k = n->kind();
    if (auto v = fold_scalar(*n)) return replace(n, {constant_before(n, *v, n->output()->type())});
    if (auto v = fold_tensor_to_scalar(*n)) return replace(n, {constant_before(n, *v, constant_type(*v))});
    if (k == "prim::TupleUnpack") return unpack(n, "prim::TupleConstruct");
    if (k == "prim::ListUnpack") return unpack_list(n);
    if (k == "prim::TupleIndex") return tuple_index(n);
    if (k == "aten::__getitem__.t") return list_getitem(n);
    if (k == "aten::len.t") return list_len(n);
    if (k == "aten::slice.t") return list_slice(n);
    if (k == "aten::add.t") return list_concat(n);
    if (k == "aten::mul.left_t" || k == "aten::mul.right_") return list_repeat(n, k == "aten::mul.left_t");
    if (k == "aten::list.t") return replace(n, {n->input(0)});
    if (k == "aten::append.t") return list_append(n);
    if (k == "aten::_set_item.t") return list_set_item(n);
    if (k == "aten::all.bool" || k == "aten::any.bool") return all_or_any(n, k == "aten::all.bool");
    if (n->op().schema.ns == "prim" && (n->op().schema.overload == "self_int" || n->op().schema.overload == "self_float"))
      return list_extreme(n);
    if (k == "aten::Int.Tensor" || k == "aten::Float.Tensor") return number_round_trip(n);
    if (k == "aten::Int.Scalar" || k == "aten::Float.Scalar") return number_of_item(n);
    if (k == "aten::item" || k == "aten::ScalarImplicit") return typed_item(n);
    if (k == "prim::unchecked_cast") return unchecked_cast(n);
    if (k == "aten::quantize_per_tensor.tensor_qparams") return quantize_with_tensor_parameters(n);
    if (k == "quantized::conv1d" || k == "quantized::conv1d_relu") return conv1d_over_height(n);
    if (k == "aten::to.dtype") return same_dtype_cast(n);
    if (k == "aten::permute") return permute_of_permute(n);
    if ((k == "aten::cat" || k == "aten::stack") && split_long_join(n)) return;
    if (k == "aten::cat") return cat_of_permutes(n);
    if (k == "prim::ListConstruct") return constant_list(n);
    if (k == "aten::warn") {
      n->destroy();
      changed_ = true;
      return;
    }
    if (k == "prim::is_nested") {
      if (auto nested = ir::is_nested(n->input(0))) replace(n, {constant_before(n, *nested, ir::Type::bool_())});
      return;
    }
    if (k == "aten::_nested_tensor_from_mask_left_aligned") return left_aligned(n);
    if (k == "prim::If") return if_node(n);
    if (k == "prim::Loop") return loop_node(n);
    shape_query(n);
  }

  // x.to(dtype) is x itself when x has that dtype and no copy is asked for
  // (as in torch); the cast nn.quantized layers end with, for one.
  void same_dtype_cast(Node* n) {
    const auto dtype = n->input(0)->type()->dtype();
    const auto code = ir::constant_int(n->input(1));
    const auto copy = ir::constant_bool(n->input(3));
    if (!dtype || !code || !copy || *copy || !ir::is_none(n->input(4))) return;
    if (dtype_from_torch_code(*code) == *dtype) replace(n, {n->input(0)});
  }

  // permute(permute(x, a), b) is one permute of x, and a permute that keeps
  // every dim where it is is x itself (a view either way): the int8
  // convolutions' channels-last views cancel so between layers.
  // The dims a permute of a tensor of rank `rank` takes from it, from 0.
  static std::optional<std::vector<int64_t>> permute_dims(const Node* p, int64_t rank) {
    if (!p->is("aten::permute")) return std::nullopt;
    auto order = ir::constant_int_list(p->input(1));
    if (!order || static_cast<int64_t>(order->size()) != rank) return std::nullopt;
    for (int64_t& d : *order) {
      if (d < -rank || d >= rank) return std::nullopt;  // infer_shapes reports it
      if (d < 0) d += rank;
    }
    return order;
  }

  void permute_of_permute(Node* n) {
    if (!n->input(0)->type()->has_rank()) return;
    const int64_t rank = n->input(0)->type()->rank();
    auto dims_of = [&](const Node* p) { return permute_dims(p, rank); };
    auto order = dims_of(n);
    if (!order) return;
    Value* x = n->input(0);
    if (x->node()->is("aten::permute")) {
      const auto inner = dims_of(x->node());
      if (!inner) return;
      for (int64_t& d : *order) d = (*inner)[static_cast<size_t>(d)];
      x = x->node()->input(0);
    }
    bool identity = true;
    for (int64_t d = 0; d < rank; ++d) identity = identity && (*order)[static_cast<size_t>(d)] == d;
    if (identity) return replace(n, {x});
    if (x == n->input(0)) return;
    n->set_input(0, x);
    n->set_input(1, constant_before(n, *order, ir::Type::list(ir::Type::int_())));
    changed_ = true;
  }

  // A cat or stack of more than kMaxJoined tensors is a cat of such joins
  // of at most kMaxJoined each: a kernel takes at most 64 arguments, and an
  // unrolled sequence of 64 steps stacks 64 outputs.
  static constexpr size_t kMaxJoined = 32;
  static ir::TypePtr list_of(const std::vector<Value*>& elements) {
    ir::TypePtr element = elements[0]->type();
    for (const Value* v : elements) element = ir::unify(element, v->type());
    return ir::Type::list(element);
  }
  bool split_long_join(Node* n) {
    const auto* parts = built_elements(n->input(0), "prim::ListConstruct");
    if (!parts || parts->size() <= kMaxJoined || !ir::constant_int(n->input(1))) return false;
    builder_.set_insertion_point(n);
    builder_.set_source(n->source_location(), n->source_line());
    std::vector<Value*> pieces;
    for (size_t begin = 0; begin < parts->size(); begin += kMaxJoined) {
      const size_t end = std::min(parts->size(), begin + kMaxJoined);
      std::vector<Value*> chunk(parts->begin() + static_cast<std::ptrdiff_t>(begin),
                                parts->begin() + static_cast<std::ptrdiff_t>(end));
      Value* list = builder_.create("prim::ListConstruct", chunk, {list_of(chunk)})->output();
      pieces.push_back(builder_.create(n->kind().c_str(), {list, n->input(1)})->output());
    }
    Value* list = builder_.create("prim::ListConstruct", pieces, {list_of(pieces)})->output();
    replace(n, {builder_.create("aten::cat", {list, n->input(1)}, {n->output()->type()})->output()});
    return true;
  }

  // A cat of tensors all permuted one way is that permute of their cat
  // along the dim the permute moves there: the branches of an int8 network
  // (channels-last views) concatenate channels-last, and the permutes of
  // what reads the result cancel in turn.
  void cat_of_permutes(Node* n) {
    const auto* parts = built_elements(n->input(0), "prim::ListConstruct");
    const auto dim = ir::constant_int(n->input(1));
    const ir::Type& t = *n->output()->type();
    if (!parts || parts->empty() || !dim || !t.is_tensor() || !t.has_rank() || t.rank() < 2) return;
    const int64_t rank = t.rank();
    const int64_t d = *dim < 0 ? *dim + rank : *dim;
    if (d < 0 || d >= rank) return;
    std::optional<std::vector<int64_t>> order;
    std::vector<Value*> sources;
    for (Value* part : *parts) {
      auto o = permute_dims(part->node(), rank);
      if (!o || (order && *o != *order)) return;
      order = o;
      sources.push_back(part->node()->input(0));
    }
    // Result dim i is dim order[i] of the sources' cat.
    std::vector<ir::Dim> dims(static_cast<size_t>(rank));
    for (size_t i = 0; i < dims.size(); ++i) dims[static_cast<size_t>((*order)[i])] = (*t.shape())[i];
    builder_.set_insertion_point(n);
    builder_.set_source(n->source_location(), n->source_line());
    Value* list = builder_.create("prim::ListConstruct", sources, {n->input(0)->type()})->output();
    Value* joined = builder_
                        .create("aten::cat", {list, builder_.constant_int((*order)[static_cast<size_t>(d)])},
                                {ir::Type::tensor(t.dtype(), dims, t.tensor_device())})
                        ->output();
    Value* order_list = builder_.constant(*order, ir::Type::list(ir::Type::int_()));
    replace(n, {builder_.create("aten::permute", {joined, order_list}, {n->output()->type()})->output()});
  }

  // Int(NumToTensor(x)) is x: traced models pass sizes through 0-dim
  // tensors, and seeing through them keeps a dynamic batch symbolic.
  void number_round_trip(Node* n) {
    const Node* wrap = n->input(0)->node();
    if (!wrap->is("prim::NumToTensor.Scalar")) return;
    Value* x = wrap->input(0);
    if (x->type()->kind() == n->output()->type()->kind()) replace(n, {x});
  }

  // int(t.item()) and float(t.item()) read t as Int.Tensor and Float.Tensor
  // do, which plans run; the Scalar between has no run-time form.
  void number_of_item(Node* n) {
    const Node* item = n->input(0)->node();
    // (or of what typed_item made of it)
    if (!item->is("aten::item") && !item->is("aten::Float.Tensor") && !item->is("aten::Int.Tensor") &&
        !item->is("aten::Bool.Tensor"))
      return;
    builder_.set_insertion_point(n);
    builder_.set_source(n->source_location(), n->source_line());
    replace(n, {builder_.op(n->is("aten::Int.Scalar") ? "aten::Int.Tensor" : "aten::Float.Tensor", {item->input(0)})});
  }

  // t.item() once t's dtype is known: a Float, Int or Bool read as
  // Float.Tensor, Int.Tensor and Bool.Tensor read it, which plans run.
  void typed_item(Node* n) {
    const ir::TypeKind kind = n->output()->type()->kind();
    const char* read = kind == ir::TypeKind::Float ? "aten::Float.Tensor"
                       : kind == ir::TypeKind::Int ? "aten::Int.Tensor"
                       : kind == ir::TypeKind::Bool ? "aten::Bool.Tensor"
                                                    : nullptr;
    if (!read) return;
    builder_.set_insertion_point(n);
    builder_.set_source(n->source_location(), n->source_line());
    replace(n, {builder_.op(read, {n->input(0)})});
  }

  void unpack(Node* n, const char* construct) {
    if (const auto* e = built_elements(n->input(0), construct); e && e->size() == n->num_outputs())
      replace(n, *e);
  }

  void unpack_list(Node* n) {
    Value* list = n->input(0);
    if (const auto* e = built_elements(list, "prim::ListConstruct")) {
      if (e->size() != n->num_outputs())
        throw n->error("unpacks a list of " + std::to_string(e->size()) + " into " + std::to_string(n->num_outputs()));
      return replace(n, *e);
    }
    if (auto ints = ir::constant_int_list(list)) {
      if (ints->size() != n->num_outputs())
        throw n->error("unpacks a list of " + std::to_string(ints->size()) + " into " + std::to_string(n->num_outputs()));
      std::vector<Value*> values;
      for (int64_t i : *ints) values.push_back(constant_before(n, i, ir::Type::int_()));
      return replace(n, values);
    }
    if (split_into_slices(n)) return;
    broadcast_into_expands(n);
  }

  // ListUnpack of broadcast_tensors: each tensor expanded to the common shape
  // (with dynamic dims, only tensors of that shape already).
  void broadcast_into_expands(Node* unpack) {
    Node* b = unpack->input(0)->node();
    if (!b->is("aten::broadcast_tensors")) return;
    const auto* tensors = built_elements(b->input(0), "prim::ListConstruct");
    const ir::Type& elem = *b->output()->type()->element();
    if (!tensors || !elem.has_rank()) return;
    if (!elem.fully_static()) {
      for (Value* t : *tensors)
        if (!t->type()->has_rank() || *t->type()->shape() != *elem.shape()) return;
      if (tensors->size() == unpack->num_outputs()) replace(unpack, *tensors);
      return;
    }
    if (tensors->size() != unpack->num_outputs())
      throw unpack->error("unpacks " + std::to_string(unpack->num_outputs()) + " values from " +
                          std::to_string(tensors->size()) + " broadcast tensors");
    builder_.set_insertion_point(unpack);
    builder_.set_source(b->source_location(), b->source_line());
    const std::vector<int64_t> shape = elem.static_sizes();
    std::vector<Value*> out;
    for (Value* t : *tensors) {
      if (t->type()->fully_static() && t->type()->static_sizes() == shape) {
        out.push_back(t);
        continue;
      }
      Value* sizes = builder_.constant_int_list(shape);
      out.push_back(builder_.op("aten::expand", {t, sizes, builder_.constant_bool(false)}));
    }
    replace(unpack, out);
  }

  // tensor_split's parts of a dim of `total`: `sections` parts, the first
  // total % sections of them one longer, or the parts between indices
  // (clamped to the dim; indices that go back are left to fail later).
  static std::optional<std::vector<int64_t>> tensor_split_parts(Node* split, int64_t total) {
    std::vector<int64_t> parts;
    if (split->input(1)->type()->kind() == ir::TypeKind::Int) {
      auto sections = ir::constant_int(split->input(1));
      if (!sections) return std::nullopt;
      if (*sections <= 0) throw split->error("tensor_split expects a positive number of sections");
      for (int64_t i = 0; i < *sections; ++i) parts.push_back(total / *sections + (i < total % *sections ? 1 : 0));
      return parts;
    }
    auto indices = ir::constant_int_list(split->input(1));
    if (!indices) return std::nullopt;
    int64_t start = 0;
    for (int64_t index : *indices) {
      const int64_t end = std::min(index, total);
      if (end < start) return std::nullopt;
      parts.push_back(end - start);
      start = end;
    }
    parts.push_back(total - start);
    return parts;
  }

  // hsplit, vsplit, dsplit: tensor_split's parts along the dim the rank
  // picks, `sections` equal ones.
  static std::optional<std::vector<int64_t>> numpy_split_parts(Node* split, int64_t* d) {
    const ir::Type& t = *split->input(0)->type();
    if (!t.has_rank()) return std::nullopt;
    *d = ir::shape::numpy_split_dim(*split, t.rank());
    const ir::Dim& size = (*t.shape())[*d];
    if (!size.is_static()) return std::nullopt;
    if (split->input(1)->type()->kind() == ir::TypeKind::Int)
      ir::shape::numpy_split_dim(*split, t.rank(), size.value(), ir::constant_int(split->input(1)));
    return tensor_split_parts(split, size.value());
  }

  // The parts of a split/chunk node along its dim `*d`, when known now.
  std::optional<std::vector<int64_t>> split_parts(Node* split, int64_t* d) {
    if (ir::shape::is_numpy_split(*split)) return numpy_split_parts(split, d);
    const std::string& name = split->op().schema.name;
    const bool chunk = name == "chunk" || name == "unsafe_chunk";
    const bool tensor_split = name == "tensor_split";
    if (!chunk && !tensor_split && name != "split" && name != "split_with_sizes" && name != "unsafe_split" &&
        name != "unsafe_split_with_sizes")
      return std::nullopt;
    const ir::Type& t = *split->input(0)->type();
    auto dim = ir::constant_int(split->input(2));
    if (!t.has_rank() || !dim) return std::nullopt;
    *d = *dim < 0 ? *dim + t.rank() : *dim;
    if (*d < 0 || *d >= t.rank()) return std::nullopt;
    const ir::Dim& size = (*t.shape())[*d];
    if (!size.is_static()) return std::nullopt;
    const int64_t total = size.value();
    std::vector<int64_t> parts;
    if (tensor_split) return tensor_split_parts(split, total);
    if (chunk) {
      auto chunks = ir::constant_int(split->input(1));
      if (!chunks || *chunks <= 0) return std::nullopt;
      const int64_t each = total / *chunks + (total % *chunks != 0);  // no overflow for a huge count
      for (int64_t start = 0; start < total || (total == 0 && parts.empty()); start += each)
        parts.push_back(std::min(each, total - start));
    } else if (auto each = ir::constant_int(split->input(1))) {
      if (*each <= 0) throw split->error("split_size must be positive");
      for (int64_t start = 0; start < total; start += *each) parts.push_back(std::min(*each, total - start));
    } else if (auto sizes = ir::constant_int_list(split->input(1))) {
      parts = *sizes;
    } else {
      return std::nullopt;
    }
    return parts;
  }

  // One aten::slice per part of a split, in front of `at`.
  std::vector<Value*> slices_of(Node* split, int64_t d, const std::vector<int64_t>& parts, Node* at) {
    builder_.set_insertion_point(at);
    builder_.set_source(split->source_location(), split->source_line());
    std::vector<Value*> slices;
    int64_t start = 0;
    Value* dim_value = builder_.constant_int(d);
    Value* one = builder_.constant_int(1);
    for (int64_t p : parts) {
      Value* s = builder_.constant_int(start);
      Value* e = builder_.constant_int(start + p);
      slices.push_back(builder_.op("aten::slice.Tensor", {split->input(0), dim_value, s, e, one}));
      start += p;
    }
    return slices;
  }

  // ListUnpack of split/chunk: one slice per part. True when it replaced `unpack`.
  bool split_into_slices(Node* unpack) {
    Node* split = unpack->input(0)->node();
    int64_t d = 0;
    auto parts = split_parts(split, &d);
    if (!parts) return false;
    if (parts->size() != unpack->num_outputs())
      throw unpack->error("unpacks " + std::to_string(unpack->num_outputs()) + " values but " +
                          split->op().schema.name + " gives " + std::to_string(parts->size()));
    replace(unpack, slices_of(split, d, *parts, unpack));
    return true;
  }

  void tuple_index(Node* n) {
    const auto* e = built_elements(n->input(0), "prim::TupleConstruct");
    auto i = ir::constant_int(n->input(1));
    if (!e || !i) return;
    int64_t k = *i < 0 ? *i + static_cast<int64_t>(e->size()) : *i;
    if (k < 0 || k >= static_cast<int64_t>(e->size())) throw n->error("tuple index out of range");
    replace(n, {(*e)[static_cast<size_t>(k)]});
  }

  void list_getitem(Node* n) {
    auto i = ir::constant_int(n->input(1));
    if (!i) return;
    const auto* e = built_elements(n->input(0), "prim::ListConstruct");
    auto ints = ir::constant_int_list(n->input(0));
    int64_t size = e ? static_cast<int64_t>(e->size()) : ints ? static_cast<int64_t>(ints->size()) : -1;
    if (size < 0) return split_part(n, *i);
    int64_t k = *i < 0 ? *i + size : *i;
    if (k < 0 || k >= size) throw n->error("list index " + std::to_string(*i) + " out of range for a list of " + std::to_string(size));
    if (e) return replace(n, {(*e)[static_cast<size_t>(k)]});
    replace(n, {constant_before(n, (*ints)[static_cast<size_t>(k)], ir::Type::int_())});
  }

  // A split's part `i` (from the end when negative) when its parts are
  // known here: that part's slice (the others' go as dead code).
  void split_part(Node* n, int64_t i) {
    Node* split = n->input(0)->node();
    int64_t d = 0;
    auto parts = split_parts(split, &d);
    if (!parts) return;
    const int64_t count = static_cast<int64_t>(parts->size());
    const int64_t k = i < 0 ? i + count : i;
    if (k < 0 || k >= count)
      throw n->error("list index " + std::to_string(i) + " out of range for the " + std::to_string(count) + " parts of " +
                     split->op().schema.name);
    replace(n, {slices_of(split, d, *parts, n)[static_cast<size_t>(k)]});
  }

  void list_len(Node* n) {
    std::optional<size_t> len;
    if (const auto* e = built_elements(n->input(0), "prim::ListConstruct")) len = e->size();
    if (const ir::AttrValue* a = ir::constant_attr(n->input(0)))
      std::visit(
          [&](const auto& v) {
            if constexpr (is_vector<std::decay_t<decltype(v)>>::value) len = v.size();
          },
          *a);
    if (!len) return;
    replace(n, {constant_before(n, static_cast<int64_t>(*len), ir::Type::int_())});
  }

  // The elements of an int list built in the graph or constant (as new
  // constants before `at`).
  void int_list_elements(Node* at, Value* list, std::vector<Value*>* out) {
    if (const auto* e = built_elements(list, "prim::ListConstruct")) {
      *out = *e;
      return;
    }
    out->clear();
    if (auto ints = ir::constant_int_list(list))
      for (int64_t i : *ints) out->push_back(constant_before(at, i, ir::Type::int_()));
  }

  // Lists of sizes with dynamic entries (aten::size of a tensor with dynamic
  // dims) stay built lists through slicing and concatenation, so that their
  // length and static entries still fold. Constant lists fold elsewhere.
  // Python's slicing, also backwards (`l[::-1]`), of a list whose elements
  // are known here.
  void list_slice(Node* n) {
    std::vector<Value*> e;
    if (const auto* built = built_elements(n->input(0), "prim::ListConstruct")) e = *built;
    else if (auto parts = unpacked_parts(n->input(0))) e = *parts;
    else return;
    const int64_t len = static_cast<int64_t>(e.size());
    auto bound = [&](size_t i) -> std::optional<std::optional<int64_t>> {
      if (i >= n->num_inputs() || ir::is_none(n->input(i))) return std::optional<int64_t>();
      auto v = ir::constant_int(n->input(i));
      if (!v) return std::nullopt;
      return v;
    };
    auto start = bound(1), end = bound(2);
    auto step = n->num_inputs() > 3 ? ir::constant_int(n->input(3)) : std::optional<int64_t>(1);
    if (!start || !end || !step) return;
    if (*step == 0) throw n->error("slice step cannot be zero");
    const bool back = *step < 0;
    // Bounds as Python clamps them: [0, len] forwards, [-1, len - 1] backwards.
    auto clamp = [&](std::optional<int64_t> v, int64_t none) {
      if (!v) return none;
      const int64_t k = *v < 0 ? *v + len : *v;
      return back ? std::clamp(k, int64_t{-1}, len - 1) : std::clamp(k, int64_t{0}, len);
    };
    const int64_t from = clamp(*start, back ? len - 1 : 0), to = clamp(*end, back ? -1 : len);
    std::vector<Value*> picked;
    for (int64_t k = from; back ? k > to : k < to; k += *step) picked.push_back(e[static_cast<size_t>(k)]);
    built_list(n, picked);
  }

  // The tensors of a list that an op returns in a number known here (meshgrid
  // of a list built in the graph), unpacked right after the op so that
  // slices of the list fold.
  std::optional<std::vector<Value*>> unpacked_parts(Value* list) {
    Node* op = list->node();
    if (!op->is("aten::meshgrid") && !op->is("aten::meshgrid.indexing")) return std::nullopt;
    const auto* inputs = built_elements(op->input(0), "prim::ListConstruct");
    if (!inputs) return std::nullopt;
    for (const ir::Use& u : list->uses())
      if (u.user->is("prim::ListUnpack") && u.user->num_outputs() == inputs->size()) return u.user->outputs();
    builder_.set_insertion_point(op->next());
    builder_.set_source(op->source_location(), op->source_line());
    return builder_.create("prim::ListUnpack", {list}, {}, inputs->size())->outputs();
  }

  // a + b of lists whose elements are known here (built, constant ints, or
  // the parts of a split): one list built of them all.
  void list_concat(Node* n) {
    if (!built_elements(n->input(0), "prim::ListConstruct") && !built_elements(n->input(1), "prim::ListConstruct"))
      return;
    std::vector<std::optional<std::vector<int64_t>>> parts(2);
    int64_t dims[2] = {0, 0};
    for (size_t i = 0; i < 2; ++i) {
      Value* list = n->input(i);
      if (built_elements(list, "prim::ListConstruct") || ir::constant_int_list(list)) continue;
      parts[i] = split_parts(list->node(), &dims[i]);
      if (!parts[i]) return;
    }
    std::vector<Value*> a, b;
    std::vector<Value*>* out[2] = {&a, &b};
    for (size_t i = 0; i < 2; ++i) {
      if (parts[i]) *out[i] = slices_of(n->input(i)->node(), dims[i], *parts[i], n);
      else int_list_elements(n, n->input(i), out[i]);
    }
    a.insert(a.end(), b.begin(), b.end());
    built_list(n, a);
  }

  // Python's `list * n`: the list's elements n times (none for n <= 0).
  void list_repeat(Node* n, bool list_first) {
    Value* list = n->input(list_first ? 0 : 1);
    auto times = ir::constant_int(n->input(list_first ? 1 : 0));
    if (!times) return;
    std::vector<Value*> once;
    if (!built_elements(list, "prim::ListConstruct") && !ir::constant_int_list(list)) return;
    int_list_elements(n, list, &once);
    // Each element is a value of the graph: a file asking for millions
    // would take minutes and gigabytes to fold.
    constexpr int64_t kMaxElements = 65536;
    if (!once.empty() && *times > kMaxElements / static_cast<int64_t>(once.size()))
      throw n->error("this list would hold " + std::to_string(once.size()) + " x " + std::to_string(*times) +
                     " elements; lists of up to " + std::to_string(kMaxElements) + " are supported");
    std::vector<Value*> items;
    for (int64_t i = 0; i < *times; ++i) items.insert(items.end(), once.begin(), once.end());
    built_list(n, items);
  }

  // append(list, x) where the list is built here: the list built with x
  // too. The front end rebinds every variable bound to the list to append's
  // result, so what still reads the old list read it before the append
  // (densenet passes its features list to a layer, then appends to it).
  void list_append(Node* n) {
    std::vector<Value*> items;
    if (const auto* e = built_elements(n->input(0), "prim::ListConstruct")) {
      items = *e;
    } else if (auto doubles = ir::constant_double_list(n->input(0))) {
      // A constant list (an empty one, which built lists fold to, above all).
      const ir::TypePtr element = n->output()->type()->element();
      for (double d : *doubles) {
        if (element->kind() == ir::TypeKind::Int) items.push_back(constant_before(n, static_cast<int64_t>(d), element));
        else if (element->kind() == ir::TypeKind::Float) items.push_back(constant_before(n, d, element));
        else return;
      }
    } else {
      return;
    }
    items.push_back(n->input(1));
    built_list(n, items);
  }

  // l[i] = v once l is built here and i known: the list built with v at i.
  void list_set_item(Node* n) {
    auto i = ir::constant_int(n->input(1));
    if (!i) return;
    std::vector<Value*> items;
    if (const auto* e = built_elements(n->input(0), "prim::ListConstruct")) {
      items = *e;
    } else if (auto ints = ir::constant_int_list(n->input(0))) {
      for (int64_t x : *ints) items.push_back(constant_before(n, x, ir::Type::int_()));
    } else {
      return;
    }
    const auto size = static_cast<int64_t>(items.size());
    const int64_t k = *i < 0 ? *i + size : *i;
    if (k < 0 || k >= size)
      throw n->error("list assignment index " + std::to_string(*i) + " out of range for a list of " + std::to_string(size));
    items[static_cast<size_t>(k)] = n->input(2);
    built_list(n, items);
  }

  // min(list) / max(list) of a list whose elements are known here: a chain
  // of the binary min / max, which folds where the elements are constants.
  void list_extreme(Node* n) {
    const std::string& name = n->op().schema.name;
    std::vector<Value*> items;
    if (const auto* e = built_elements(n->input(0), "prim::ListConstruct")) {
      items = *e;
    } else if (const ir::AttrValue* a = ir::constant_attr(n->input(0))) {
      const ir::TypePtr element = n->output()->type();
      if (auto* ints = std::get_if<std::vector<int64_t>>(a))
        for (int64_t i : *ints) items.push_back(constant_before(n, i, element));
      else if (auto* doubles = std::get_if<std::vector<double>>(a))
        for (double d : *doubles) items.push_back(constant_before(n, d, element));
      else
        return;
    } else {
      return;
    }
    if (items.empty()) throw n->error(name + "() arg is an empty sequence");
    const std::string binary =
        "prim::" + name + (n->op().schema.overload == "self_int" ? ".int" : ".float");
    builder_.set_insertion_point(n);
    builder_.set_source(n->source_location(), n->source_line());
    Value* result = items[0];
    for (size_t i = 1; i < items.size(); ++i) {
      Value* next = builder_.op(binary.c_str(), {result, items[i]});
      if (auto v = fold_scalar(*next->node())) {
        next->node()->destroy();
        next = constant_before(n, *v, n->output()->type());
      }
      result = next;
    }
    replace(n, {result});
  }

  void all_or_any(Node* n, bool all) {
    const auto* e = built_elements(n->input(0), "prim::ListConstruct");
    if (!e) return;
    bool result = all;
    for (const Value* v : *e) {
      auto b = ir::constant_bool(v);
      if (!b) return;
      result = all ? result && *b : result || *b;
    }
    replace(n, {constant_before(n, result, ir::Type::bool_())});
  }

  // Replaces `n` by a prim::ListConstruct of `items`, of n's type.
  void built_list(Node* n, const std::vector<Value*>& items) {
    builder_.set_insertion_point(n);
    builder_.set_source(n->source_location(), n->source_line());
    replace(n, {builder_.create("prim::ListConstruct", items, {n->output()->type()})->output()});
  }

  // quantize_per_tensor with its scale and zero point in tensors (FX graph
  // mode's module tensors) reads them as numbers, as the quantized passes
  // expect them.
  void quantize_with_tensor_parameters(Node* n) {
    builder_.set_insertion_point(n);
    builder_.set_source(n->source_location(), n->source_line());
    Value* scale = builder_.op("aten::Float.Tensor", {n->input(1)});
    Value* zero_point = builder_.op("aten::Int.Tensor", {n->input(2)});
    replace(n, {builder_.op("aten::quantize_per_tensor", {n->input(0), scale, zero_point, n->input(3)})});
  }

  // A quantized 1-d convolution is the 2-d one over a height of 1, as ATen
  // runs it (its packed weight is 2-d already): the quantized passes know
  // one convolution.
  void conv1d_over_height(Node* n) {
    builder_.set_insertion_point(n);
    builder_.set_source(n->source_location(), n->source_line());
    Value* height = builder_.constant_int(2);
    std::vector<Value*> inputs = n->inputs();
    inputs[0] = builder_.op("aten::unsqueeze", {n->input(0), height});
    Value* y = builder_.op(n->is("quantized::conv1d") ? "quantized::conv2d.new" : "quantized::conv2d_relu.new", inputs);
    replace(n, {builder_.op("aten::squeeze.dim", {y, height})});
  }

  // annotate(float, t) of a tensor, as FX graph modules' code passes a
  // module tensor of one element where an op takes a number: read as
  // float(t) (int(t), bool(t)) reads it.
  void unchecked_cast(Node* n) {
    Value* x = n->input(0);
    const ir::TypeKind to = n->output()->type()->kind();
    if (x->type()->kind() == ir::TypeKind::Tensor &&
        (to == ir::TypeKind::Float || to == ir::TypeKind::Int || to == ir::TypeKind::Bool)) {
      builder_.set_insertion_point(n);
      builder_.set_source(n->source_location(), n->source_line());
      const char* read = to == ir::TypeKind::Float ? "aten::Float.Tensor"
                         : to == ir::TypeKind::Int ? "aten::Int.Tensor"
                                                   : "aten::Bool.Tensor";
      return replace(n, {builder_.op(read, {x})});
    }
    if (n->output()->type()->accepts(*x->type()) && x->type()->kind() != ir::TypeKind::Optional &&
        x->type()->kind() != ir::TypeKind::Any)
      replace(n, {x});
  }

  // [1, 2, 3] built from constants is one constant.
  void constant_list(Node* n) {
    const ir::Type& t = *n->output()->type();
    if (t.kind() != ir::TypeKind::List) return;
    const ir::TypeKind elem = t.element()->kind();
    if (elem == ir::TypeKind::Int) {
      if (auto ints = ir::constant_int_list(n->output()))
        replace(n, {constant_before(n, *ints, ir::Type::list(ir::Type::int_()))});
    } else if (elem == ir::TypeKind::Float) {
      std::vector<double> values;
      for (const Value* v : n->inputs()) {
        const ir::AttrValue* a = ir::constant_attr(v);
        if (!a || !std::holds_alternative<double>(*a)) return;
        values.push_back(std::get<double>(*a));
      }
      replace(n, {constant_before(n, values, ir::Type::list(ir::Type::float_()))});
    } else if (elem == ir::TypeKind::Str) {
      // F.interpolate's `mode in ["nearest", "area", ...]`. (Bool lists stay
      // built: append and all/any fold on built lists.)
      std::vector<std::string> strs;
      for (const Value* v : n->inputs()) {
        const ir::AttrValue* a = ir::constant_attr(v);
        const std::string* str = a ? std::get_if<std::string>(a) : nullptr;
        if (!str) return;
        strs.push_back(*str);
      }
      replace(n, {constant_before(n, strs, ir::Type::list(ir::Type::string_()))});
    }
  }

  // nn.TransformerEncoder takes its nested-tensor path when the key padding
  // mask is left-aligned, its other path otherwise; wick has the first only,
  // so the check becomes a requirement the plan checks, and folds true.
  void left_aligned(Node* n) {
    const auto& dt = n->input(1)->type()->dtype();
    if (!dt) return;  // once its type is known
    builder_.set_insertion_point(n);
    builder_.set_source(n->source_location(), n->source_line());
    Value* mask = n->input(1);
    if (*dt != DType::b8) mask = builder_.op("aten::ne.Scalar", {mask, builder_.constant_int(0)});
    require_left_aligned(builder_, mask);
    replace(n, {builder_.constant_bool(true)});
  }

  void if_node(Node* n) {
    auto c = ir::constant_bool(n->input(0));
    if (!c) return;
    ir::Block* taken = n->block(*c ? 0 : 1);
    for (Node* inner : *taken) inner->move_before(n);
    std::vector<Value*> results = taken->results();
    replace(n, results);
  }

  static ir::TypePtr constant_type(const ir::AttrValue& v) {
    if (std::holds_alternative<bool>(v)) return ir::Type::bool_();
    if (std::holds_alternative<double>(v)) return ir::Type::float_();
    return ir::Type::int_();
  }

  // A for loop with a few constant trips is unrolled, so that what its body
  // computes from the counter (shape checks, list indexing) folds too.
  void loop_node(Node* n) {
    fold_unchanged_carried(n);
    bool carries_list = false;
    for (const Value* v : n->outputs()) carries_list |= v->type()->kind() == ir::TypeKind::List;
    changed_ = unroll_loop(n, carries_list ? kListUnroll : kCanonicalUnroll) || changed_;
  }

  // A carried value the body yields unchanged is the loop's initial value
  // throughout: its uses read that, and dead code elimination drops it.
  void fold_unchanged_carried(Node* n) {
    const ir::Block* body = n->block(0);
    for (size_t j = 0; j < n->num_outputs(); ++j) {
      Value* param = body->params()[j + 1];
      if (body->results()[j + 1] != param) continue;
      Value* initial = n->input(j + 2);
      param->replace_all_uses_with(initial);
      n->output(j)->replace_all_uses_with(initial);
      changed_ = true;
    }
  }

  // Shape queries answered by the input's type.
  void shape_query(Node* n) {
    const std::string& k = n->kind();
    if (n->num_inputs() == 0 || !n->input(0)->type()->is_tensor()) return;
    const ir::Type& t = *n->input(0)->type();
    if (k == "aten::dim" && t.has_rank()) return replace(n, {constant_before(n, int64_t{t.rank()}, ir::Type::int_())});
    if (k == "prim::dtype" && t.dtype()) {
      if (auto code = torch_code_of(*t.dtype())) return replace(n, {constant_before(n, *code, ir::Type::int_())});
    }
    if (k == "prim::device") return replace(n, {constant_before(n, t.tensor_device().str(), ir::Type::device())});
    if (k == "aten::is_floating_point" && t.dtype())
      return replace(n, {constant_before(n, is_floating(*t.dtype()), ir::Type::bool_())});
    if (k == "aten::is_complex" && t.dtype())
      return replace(n, {constant_before(n, is_complex(*t.dtype()), ir::Type::bool_())});
    if (k == "prim::is_cuda")
      return replace(n, {constant_before(n, t.tensor_device().kind == DeviceKind::cuda, ir::Type::bool_())});
    if (!t.has_rank()) return;
    const auto& dims = *t.shape();
    if (k == "aten::size.int") {
      auto d = ir::constant_int(n->input(1));
      if (!d) return;
      int64_t r = t.rank();
      int64_t i = *d < 0 ? *d + r : *d;
      if (i < 0 || i >= r) throw n->error("dim " + std::to_string(*d) + " out of range for rank " + std::to_string(r));
      if (dims[i].is_static()) replace(n, {constant_before(n, dims[i].value(), ir::Type::int_())});
      return;
    }
    if (k == "aten::len.Tensor") {
      if (dims.empty()) throw n->error("len() of a zero-dim tensor");
      if (dims[0].is_static()) replace(n, {constant_before(n, dims[0].value(), ir::Type::int_())});
      return;
    }
    if (k == "aten::size" && !t.fully_static()) {
      // A known rank with dynamic dims: the list of the static sizes and a
      // size query per other dim, so that len() and the static entries fold.
      builder_.set_insertion_point(n);
      builder_.set_source(n->source_location(), n->source_line());
      std::vector<Value*> items;
      for (size_t d = 0; d < dims.size(); ++d)
        items.push_back(dims[d].is_static()
                            ? builder_.constant_int(dims[d].value())
                            : builder_.op("aten::size.int", {n->input(0), builder_.constant_int(static_cast<int64_t>(d))}));
      Node* list = builder_.create("prim::ListConstruct", items, {ir::Type::list(ir::Type::int_())});
      return replace(n, {list->output()});
    }
    if (!t.fully_static()) return;
    if (k == "aten::size") return replace(n, {constant_before(n, t.static_sizes(), ir::Type::list(ir::Type::int_()))});
    if (k == "aten::numel") {
      int64_t total = 1;
      for (int64_t s : t.static_sizes()) total *= s;
      replace(n, {constant_before(n, total, ir::Type::int_())});
    }
  }

  ir::Graph& graph_;
  ir::Builder builder_;
  bool changed_ = false;
};

}  // namespace

bool canonicalize(ir::Graph& graph) { return Canonicalizer(graph).run(); }

}  // namespace wick::passes
