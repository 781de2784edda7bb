// The decompose pass: its driver, the emitter rules build with, and the rules
// for dropout (eval and training mode), softmax and the generic convolution.
// Normalizations and losses live in decompose_norms.cpp and
// decompose_losses.cpp.
#include "passes/decompose.h"

#include <cmath>
#include <string>
#include <unordered_set>

#include "ir/constant_value.h"
#include "ir/module.h"
#include "ir/op_table.h"
#include "passes/decompose_rules.h"
#include "passes/reduced_precision.h"
#include "passes/training_state.h"

namespace wick::passes {

namespace decompose_detail {

using ir::Dim;
using ir::Type;
using ir::TypePtr;
using ir::Value;

Emitter::Emitter(ir::Graph& graph, ir::Node& node, const DecomposeOptions& options)
    : node_(node), options_(options), builder_(graph) {
  builder_.set_insertion_point(&node);
  builder_.set_source(node.source_location(), node.source_line());
}

bool Emitter::absent(size_t i) const { return ir::is_none(node_.input(i)); }

int64_t Emitter::constant_int(size_t i, const char* what) const {
  auto v = ir::constant_int(node_.input(i));
  if (!v) throw node_.error(std::string(what) + " must be a constant");
  return *v;
}

bool Emitter::constant_bool(size_t i, const char* what) const {
  auto v = ir::constant_bool(node_.input(i));
  if (!v) throw node_.error(std::string(what) + " must be a constant");
  return *v;
}

std::string Emitter::constant_string(size_t i, const char* what) const {
  const ir::AttrValue* v = ir::constant_attr(node_.input(i));
  if (!v || !std::holds_alternative<std::string>(*v)) throw node_.error(std::string(what) + " must be a constant string");
  return std::get<std::string>(*v);
}

std::vector<int64_t> Emitter::constant_ints(size_t i, size_t n, const char* what,
                                            const std::vector<int64_t>* if_empty) const {
  auto list = ir::constant_int_list(node_.input(i));
  if (!list) {
    auto one = ir::constant_int(node_.input(i));
    if (!one) throw node_.error(std::string(what) + " must be a constant");
    list = std::vector<int64_t>{*one};
  }
  if (list->empty() && if_empty) return *if_empty;
  if (list->size() == 1 && n > 1) list = std::vector<int64_t>(n, list->front());
  if (list->size() != n)
    throw node_.error(std::string(what) + " needs " + std::to_string(n) + " values, got " + std::to_string(list->size()));
  return *list;
}

const std::vector<Dim>& Emitter::shape(const Value* v, const char* what) const {
  if (!v->type()->is_tensor() || !v->type()->has_rank())
    throw node_.error(std::string("needs the rank of its ") + what + " to be known");
  return *v->type()->shape();
}

DType Emitter::float_dtype(const Value* v, const char* what) const {
  const auto& dt = v->type()->dtype();
  if (!dt) throw node_.error(std::string("needs the dtype of its ") + what + " to be known");
  if (!is_floating(*dt))
    throw node_.error(std::string("needs a floating-point ") + what + ", got " + std::string(dtype_name(*dt)));
  return *dt;
}

Value* Emitter::op(const char* name, const std::vector<Value*>& inputs) { return builder_.op(name, inputs); }

Value* Emitter::constant(const ir::AttrValue& v, const TypePtr& type) {
  const std::string key = type->str() + "=" + ir::attr_str(v);
  auto it = constants_.find(key);
  if (it != constants_.end()) return it->second;
  ir::Node* at = builder_.insertion_point();
  if (constants_before_) builder_.set_insertion_point(constants_before_);
  Value* c = builder_.constant(v, type);
  builder_.set_insertion_point(at);
  constants_[key] = c;
  return c;
}

Value* Emitter::int_(int64_t v) { return constant(v, Type::int_()); }
Value* Emitter::float_(double v) { return constant(v, Type::float_()); }
Value* Emitter::bool_(bool v) { return constant(v, Type::bool_()); }
Value* Emitter::none() { return constant(ir::NoneValue{}, Type::none()); }
Value* Emitter::ints(const std::vector<int64_t>& v) { return constant(v, Type::list(Type::int_())); }
Value* Emitter::str_(const std::string& v) { return constant(v, Type::string_()); }

bool Emitter::trained_through(const Value* v) const {
  const ir::Module* m = node_.graph()->module();
  if (!m) return false;
  std::vector<const Value*> work = {v};
  std::unordered_set<const Value*> seen;
  while (!work.empty()) {
    const Value* u = work.back();
    work.pop_back();
    if (!seen.insert(u).second) continue;
    const ir::Node* n = u->node();
    if (n->is("aten::detach")) continue;
    if (n->is("prim::Param")) {
      const ir::NamedTensor* t = m->find_tensor(std::get<std::string>(*n->attrs().find("name")));
      if (t && t->role == ir::TensorRole::parameter) return true;
      continue;
    }
    // A block's parameter: what the node owning the block reads.
    if (n->owning_block() && n == n->owning_block()->param_node()) {
      if (const ir::Node* owner = n->owning_block()->owning_node())
        for (const Value* in : owner->inputs()) work.push_back(in);
      continue;
    }
    for (const Value* in : n->inputs()) work.push_back(in);
  }
  return false;
}

Value* Emitter::module_tensor(const std::string& name) {
  const ir::Module* m = node_.graph()->module();
  const ir::NamedTensor* t = m ? m->find_tensor(name) : nullptr;
  return t ? builder_.param(name, t->type) : nullptr;
}

void Emitter::store_param(const std::string& name, Value* value) {
  ir::Node* n = builder_.create("prim::StoreParam", {value}, {});
  n->attrs().set("name", name);
}

Value* Emitter::sizes(Value* of, const std::vector<Size>& items) {
  std::vector<int64_t> fixed;
  for (const Size& s : items) {
    if (s.dim < 0) {
      fixed.push_back(s.value);
      continue;
    }
    const Dim& d = shape(of, "input")[static_cast<size_t>(s.dim)];
    if (!d.is_static()) break;
    fixed.push_back(d.value());
  }
  if (fixed.size() == items.size()) return ints(fixed);
  std::vector<Value*> elems;
  for (const Size& s : items) {
    if (s.dim < 0) {
      elems.push_back(int_(s.value));
      continue;
    }
    const Dim& d = shape(of, "input")[static_cast<size_t>(s.dim)];
    elems.push_back(d.is_static() ? int_(d.value()) : op("aten::size.int", {of, int_(s.dim)}));
  }
  return builder_.create("prim::ListConstruct", elems, {Type::list(Type::int_())})->output();
}

Value* Emitter::list(const std::vector<Value*>& items) {
  WICK_ASSERT(!items.empty(), "an empty list has no element type");
  TypePtr element = items.front()->type();
  for (const Value* v : items) element = ir::unify(element, v->type());
  return builder_.create("prim::ListConstruct", items, {Type::list(element)})->output();
}

Value* Emitter::add(Value* a, Value* b) { return op("aten::add.Tensor", {a, b, int_(1)}); }
Value* Emitter::sub(Value* a, Value* b) { return op("aten::sub.Tensor", {a, b, int_(1)}); }
Value* Emitter::mul(Value* a, Value* b) { return op("aten::mul.Tensor", {a, b}); }
Value* Emitter::div(Value* a, Value* b) { return op("aten::div.Tensor", {a, b}); }
Value* Emitter::add_scalar(Value* a, Value* s) { return op("aten::add.Scalar", {a, s, int_(1)}); }

Value* Emitter::sum(Value* x, const std::vector<int64_t>& dims, bool keepdim) {
  return op("aten::sum.dim_IntList", {x, ints(dims), bool_(keepdim), none()});
}

Value* Emitter::mean(Value* x, const std::vector<int64_t>& dims, bool keepdim) {
  return op("aten::mean.dim", {x, ints(dims), bool_(keepdim), none()});
}

Value* Emitter::cast(Value* x, DType dtype) {
  auto code = torch_code_of(dtype);
  WICK_ASSERT(code.has_value(), "no torch code for a dtype");
  return op("aten::to.dtype", {x, int_(*code), bool_(false), bool_(false), none()});
}

Value* Emitter::channel_view(Value* v, int rank) {
  std::vector<int64_t> s(static_cast<size_t>(rank), 1);
  s[1] = -1;
  return op("aten::view", {v, ints(s)});
}

Value* Emitter::softmax(Value* x, int64_t dim) {
  Value* shifted = sub(x, op("aten::amax", {x, ints({dim}), bool_(true)}));
  Value* e = op("aten::exp", {shifted});
  return div(e, sum(e, {dim}, true));
}

Value* Emitter::log_softmax(Value* x, int64_t dim) {
  Value* shifted = sub(x, op("aten::amax", {x, ints({dim}), bool_(true)}));
  Value* total = sum(op("aten::exp", {shifted}), {dim}, true);
  return sub(shifted, op("aten::log", {total}));
}

std::vector<Value*> Emitter::loop(Value* trips, const std::vector<Value*>& initial, const LoopStep& step,
                                  Value* start) {
  std::vector<Value*> inputs = {trips, start ? start : bool_(true)};
  inputs.insert(inputs.end(), initial.begin(), initial.end());
  ir::Node* node = builder_.create("prim::Loop", inputs, {});
  ir::Node* after = builder_.insertion_point();
  ir::Block* body = node->add_block();
  Value* trip = body->add_param(Type::int_());
  std::vector<Value*> carried;
  for (Value* v : initial) carried.push_back(body->add_param(v->type()));
  ir::Node* outer_constants = constants_before_;
  if (!constants_before_) constants_before_ = node;
  builder_.set_insertion_point_to_end(body);
  const LoopBody next = step(trip, carried);
  WICK_ASSERT(next.next.size() == initial.size(), "a loop step returns one value per carried value");
  body->add_result(next.again ? next.again : bool_(true));
  for (Value* v : next.next) body->add_result(v);
  constants_before_ = outer_constants;
  builder_.set_insertion_point(after);
  std::vector<Value*> outs;
  for (Value* v : initial) outs.push_back(node->add_output(v->type()));
  return outs;
}

namespace {

// The number of random streams the graph already draws from: each
// training-mode dropout takes the next one, so that two dropouts of one step
// draw different numbers.
int64_t streams_in_use(ir::Graph& g) {
  int64_t n = 0;
  ir::walk(g.block(), [&](ir::Node* node) { n += node->is("wick::uniform") ? 1 : 0; });
  return n;
}

}  // namespace

Value* draw_uniform(Emitter& e, Value* sizes, DType dtype) {
  Value* seed = e.module_tensor(passes::kSeedTensor);
  Value* step = e.module_tensor(passes::kStepTensor);
  if (!seed || !step) {
    // An inference run: seed 0, and the run's number as the step.
    seed = e.op("prim::NumToTensor.Scalar", {e.int_(0)});
    step = e.op("prim::NumToTensor.Scalar", {e.op("wick::call_index", {})});
  }
  Value* stream = e.int_(streams_in_use(*e.node().graph()));
  return e.op("wick::uniform", {sizes, e.int_(*torch_code_of(dtype)), seed, step, stream});
}

namespace {

// dropout(x, p, train): the identity in eval mode. In training mode each
// element is kept where a uniform random number u >= p and scaled by
// 1 / (1 - p), as PyTorch does; u comes from the step's random stream
// (module tensors wick::seed and wick::step, see training_state.h), or in
// an inference run (F.dropout(x, training=True), Monte Carlo dropout) from
// the run's.
// feature_dropout (dropout2d/3d) draws one u per sample and channel, [N, C,
// 1, ...], so whole feature maps are kept or dropped. alpha_dropout and
// feature_alpha_dropout keep SELU's mean and variance, as ATen: with
// alpha = 1.7580993408473766 and a = 1 / sqrt((alpha^2 p + 1) (1 - p)), a
// kept element becomes a x + alpha a p, a dropped one alpha a (p - 1).
// p = 1 gives zeros, as in ATen.
Value* random_dropout(Emitter& e, bool feature, bool alpha) {
  auto train = ir::constant_bool(e.input(2));
  if (!train) throw e.node().error("the train flag must be a constant");
  if (!*train) return e.input(0);
  auto p = ir::constant_double(e.input(1));
  if (!p) throw e.node().error("the probability p must be a constant in training mode");
  if (!(*p >= 0 && *p <= 1)) throw e.node().error("dropout probability has to be between 0 and 1, but got " +
                                                   std::to_string(*p));
  Value* x = e.input(0);
  const DType dtype = e.float_dtype(x, "input");
  const int rank = static_cast<int>(e.shape(x, "input").size());
  if (feature && rank < 2)
    throw e.node().error("feature dropout needs at least 2 dims in the input, got " + std::to_string(rank));
  if (*p == 0) return x;
  if (*p == 1) return e.op("aten::mul.Scalar", {x, e.float_(0.0)});
  std::vector<Size> dims;
  for (int i = 0; i < rank; ++i) dims.push_back(feature && i >= 2 ? Size::fixed(1) : Size::dim_of(i));
  Value* u = draw_uniform(e, e.sizes(x, dims), dtype);
  Value* keep = e.op("aten::ge.Scalar", {u, e.float_(*p)});
  if (!alpha) {
    Value* scaled = e.op("aten::mul.Scalar", {x, e.float_(1.0 / (1.0 - *p))});
    return e.op("aten::where.ScalarOther", {keep, scaled, e.float_(0.0)});
  }
  constexpr double kAlpha = 1.7580993408473766;
  const double a = 1.0 / std::sqrt((kAlpha * kAlpha * *p + 1) * (1 - *p));
  Value* kept = e.op("aten::add.Scalar", {e.op("aten::mul.Scalar", {x, e.float_(a)}), e.float_(kAlpha * a * *p),
                                          e.int_(1)});
  return e.op("aten::where.ScalarOther", {keep, kept, e.float_(kAlpha * a * (*p - 1))});
}

Value* dropout(Emitter& e) { return random_dropout(e, false, false); }
Value* feature_dropout(Emitter& e) { return random_dropout(e, true, false); }
Value* alpha_dropout(Emitter& e) { return random_dropout(e, false, true); }
Value* feature_alpha_dropout(Emitter& e) { return random_dropout(e, true, true); }

// softmax.int / log_softmax.int(x, dim, dtype?): the optional dtype casts
// the input first, as PyTorch does.
Value* softmax_input(Emitter& e, int64_t* dim) {
  *dim = e.constant_int(1, "dim");
  Value* x = e.input(0);
  if (!e.absent(2)) {
    const int64_t code = e.constant_int(2, "dtype");
    auto dt = dtype_from_torch_code(code);
    if (!dt) throw e.node().error("unsupported dtype code " + std::to_string(code));
    x = e.cast(x, *dt);
  }
  e.float_dtype(x, "input");
  return x;
}

Value* softmax(Emitter& e) {
  int64_t dim = 0;
  Value* x = softmax_input(e, &dim);
  return e.softmax(x, dim);
}

Value* log_softmax(Emitter& e) {
  int64_t dim = 0;
  Value* x = softmax_input(e, &dim);
  return e.log_softmax(x, dim);
}

// baddbmm(self, b1, b2, beta, alpha) = beta * self + alpha * bmm(b1, b2);
// with beta 0 self is not read (its NaNs do not spread), as in torch.
Value* baddbmm(Emitter& e) {
  Value* product = e.op("aten::bmm", {e.input(1), e.input(2)});
  auto alpha = ir::constant_double(e.input(4));
  if (!alpha || *alpha != 1.0) product = e.op("aten::mul.Scalar", {product, e.input(4)});
  auto beta = ir::constant_double(e.input(3));
  if (beta && *beta == 0.0) return product;
  Value* self = e.input(0);
  if (!beta || *beta != 1.0) self = e.op("aten::mul.Scalar", {self, e.input(3)});
  return e.add(product, self);
}

const std::map<std::string, Rule>& rules() {
  static const std::map<std::string, Rule> table = [] {
    std::map<std::string, Rule> t = {
        {"aten::dropout", dropout},
        {"aten::alpha_dropout", alpha_dropout},
        {"aten::feature_alpha_dropout", feature_alpha_dropout},
        {"aten::feature_dropout", feature_dropout},
        {"aten::softmax.int", softmax},
        {"aten::log_softmax.int", log_softmax},
        {"aten::baddbmm", baddbmm},
    };
    for (const auto& list : {norm_rules(), loss_rules(), attention_rules(), activation_rules(), pooling_rules(),
                             reduction_rules(), layout_rules(), rearrange_rules(), gather_rules(), distance_rules(), conv_rules(), volume_rules(), einsum_rules(), write_rules(),
                             sort_rules(), scan_rules(), unpool_rules(), antialias_rules(), mask_rules(), sampling_rules(),
                             special_function_rules(), bessel_rules(), incomplete_gamma_rules(), orthogonal_polynomial_rules(), selection_rules(), construct_rules(), bucket_rules(),
                             matrix_norm_rules(), linalg_rules(), lu_rules(), statistics_rules(), random_rules(), quantized_rules(),
                             elementwise_rules()})
      for (const NamedRule& r : list) t[r.op] = r.rule;
    return t;
  }();
  return table;
}

const std::map<std::string, MultiRule>& multi_rules() {
  static const std::map<std::string, MultiRule> table = [] {
    std::map<std::string, MultiRule> t;
    for (const NamedMultiRule& r : attention_multi_rules()) t[r.op] = r.rule;
    for (const NamedMultiRule& r : recurrent_multi_rules()) t[r.op] = r.rule;
    for (const NamedMultiRule& r : reduction_multi_rules()) t[r.op] = r.rule;
    for (const NamedMultiRule& r : sort_multi_rules()) t[r.op] = r.rule;
    for (const NamedMultiRule& r : special_function_multi_rules()) t[r.op] = r.rule;
    for (const NamedMultiRule& r : selection_multi_rules()) t[r.op] = r.rule;
    for (const NamedMultiRule& r : unique_multi_rules()) t[r.op] = r.rule;
    for (const NamedMultiRule& r : scan_multi_rules()) t[r.op] = r.rule;
    for (const NamedMultiRule& r : bag_multi_rules()) t[r.op] = r.rule;
    for (const NamedMultiRule& r : linalg_multi_rules()) t[r.op] = r.rule;
    for (const NamedMultiRule& r : lu_multi_rules()) t[r.op] = r.rule;
    for (const NamedMultiRule& r : pooling_multi_rules()) t[r.op] = r.rule;
    for (const NamedMultiRule& r : pool_indices_multi_rules()) t[r.op] = r.rule;
    return t;
  }();
  return table;
}

const std::map<std::string, Rule>& special_rules() {
  static const std::map<std::string, Rule> table = [] {
    std::map<std::string, Rule> t;
    for (const auto& list : {special_case_rules(), mask_special_rules()})
      for (const NamedRule& r : list) t[r.op] = r.rule;
    return t;
  }();
  return table;
}

const std::map<std::string, Rule>& gpu_only_rules() {
  static const std::map<std::string, Rule> table = [] {
    std::map<std::string, Rule> t;
    for (const auto& list : {gpu_conv_rules(), gpu_conv_transpose_rules(), gpu_pooling_rules()})
      for (const NamedRule& r : list) t[r.op] = r.rule;
    return t;
  }();
  return table;
}

const std::map<std::string, Rule>& double_only_rules() {
  static const std::map<std::string, Rule> table = [] {
    std::map<std::string, Rule> t;
    for (const NamedRule& r : double_rules()) t[r.op] = r.rule;
    return t;
  }();
  return table;
}

// A tensor operand of `n` is f64: no library call takes it.
bool reads_double(const ir::Node& n) {
  for (const Value* v : n.inputs())
    if (v->type()->is_tensor() && v->type()->dtype() == DType::f64) return true;
  return false;
}

// The library calls rewritten on this device or for these dtypes. The CPU
// runtime multiplies and convolves f64 tensors itself, gradients included
// (runtime/gemm_f64.h); the CUDA plan's calls take f32 only.
bool is_library_call_rewritten(const ir::Node& n, const DecomposeOptions& options) {
  if (options.for_gpu && gpu_only_rules().count(n.kind())) return true;
  if (!reads_double(n) || !double_only_rules().count(n.kind())) return false;
  return options.for_gpu || !is_double_library_call(n);
}

// The values that replace the node's results, by its rule; none to keep a
// node that is not composite as it is.
std::vector<Value*> apply_rule(Emitter& e) {
  const std::string& kind = e.node().kind();
  if (e.node().op().lowering != ir::Lowering::composite) {
    const std::map<std::string, Rule>* table = &special_rules();
    if (!table->count(kind)) table = reads_double(e.node()) && double_only_rules().count(kind) ? &double_only_rules() : &gpu_only_rules();
    auto special = table->find(kind);
    WICK_ASSERT(special != table->end(), kind + " is not composite");
    Value* v = special->second(e);
    if (!v) return {};
    return {v};
  }
  auto single = rules().find(kind);
  if (single != rules().end()) {
    WICK_ASSERT(e.node().num_outputs() == 1, kind + " has one result");
    return {single->second(e)};
  }
  auto multi = multi_rules().find(kind);
  if (multi == multi_rules().end()) throw e.node().error("no decomposition for " + kind);
  std::vector<Value*> out = multi->second(e);
  WICK_ASSERT(out.size() == e.node().num_outputs(), kind + ": the rule gives a value per result");
  return out;
}

}  // namespace
}  // namespace decompose_detail

namespace {

using decompose_detail::Emitter;
using ir::Node;
using ir::Type;
using ir::TypePtr;
using ir::Value;

// Composites whose ATen CPU kernel computes in f32 on f16/bf16 tensors and
// rounds only its f16/bf16 result (normalizations, softmax, statistics,
// norms, distances, losses). Decomposed on the reduced dtype, each of their
// steps would round instead; so they are decomposed in f32 between casts.
bool computes_in_f32(const Node& n) {
  static const std::unordered_set<std::string> ops = {
      "aten::batch_norm", "aten::layer_norm", "aten::group_norm", "aten::instance_norm",
      "aten::softmax.int", "aten::log_softmax.int", "aten::logsumexp",
      "aten::var", "aten::var.dim", "aten::var.correction", "aten::std", "aten::std.dim", "aten::std.correction",
      "aten::norm.Scalar", "aten::norm.ScalarOpt_dim", "aten::linalg_vector_norm", "aten::frobenius_norm",
      "aten::frobenius_norm.dim", "aten::cosine_similarity", "aten::pairwise_distance", "aten::cdist",
      "aten::cross_entropy_loss", "aten::nll_loss", "aten::nll_loss_nd", "aten::mse_loss", "aten::l1_loss",
      "aten::smooth_l1_loss", "aten::huber_loss", "aten::kl_div", "aten::binary_cross_entropy",
      "aten::binary_cross_entropy_with_logits"};
  if (!ops.count(n.kind())) return false;
  // A dtype argument asking for f32 (softmax's) already computes in it.
  for (const Value* v : n.outputs())
    if (is_reduced_precision(v)) return true;
  return false;
}

// What the rule's ops infer, completed by what the composite's declared type
// knew (a dim the rules lose track of, e.g. through a size list).
TypePtr refine(const TypePtr& inferred, const TypePtr& declared) {
  if (!inferred->is_tensor() || !declared->is_tensor()) return inferred;
  if (inferred->dtype() && declared->dtype() && *inferred->dtype() != *declared->dtype()) return inferred;
  auto dtype = inferred->dtype() ? inferred->dtype() : declared->dtype();
  auto shape = inferred->shape();
  if (!shape) {
    shape = declared->shape();
  } else if (declared->has_rank() && declared->rank() == inferred->rank()) {
    for (size_t i = 0; i < shape->size(); ++i)
      if ((*shape)[i].is_unknown()) (*shape)[i] = (*declared->shape())[i];
  }
  return Type::tensor(dtype, shape, inferred->tensor_device());
}

// Rewrites `node` by its rule; false when the rule keeps it as it is.
bool rewrite(ir::Graph& graph, Node& node, const DecomposeOptions& options) {
  Node* before = node.prev();
  std::vector<Value*> outs;
  try {
    Emitter e(graph, node, options);
    outs = decompose_detail::apply_rule(e);
  } catch (const Error& err) {
    // A primitive the rule built rejected its inputs: report the composite.
    if (err.op() == node.kind()) throw;
    throw node.error(err.op().empty() ? err.message() : err.op() + ": " + err.message());
  }
  if (outs.empty()) return false;  // kept as it is
  std::unordered_set<const Node*> created;
  for (Node* n = before->next(); n != &node; n = n->next()) created.insert(n);
  std::vector<std::pair<Value*, std::string>> names;  // given once the node is gone
  for (size_t i = 0; i < outs.size(); ++i) {
    Value* old = node.output(i);
    Value* out = outs[i];
    if (!out) {
      if (old->has_uses())
        throw node.error("result " + std::to_string(i) + " is undefined here (torch returns no tensor, or one wick does not compute)");
      continue;
    }
    const bool is_new = created.count(out->node()) > 0;
    if (is_new) out->set_type(refine(out->type(), old->type()));
    if (is_new && !old->name().empty() && !out->has_name()) names.emplace_back(out, old->name());
    old->replace_all_uses_with(out);
  }
  node.destroy();
  for (auto& [value, name] : names) value->set_name(name);
  return true;
}

}  // namespace

void decompose(ir::Graph& graph, const DecomposeOptions& options) {
  // A rule may build other composites (the encoder layer's layer norms):
  // rewrite until none is left. Rules only build simpler ops, so this ends.
  // A GPU rule may keep a node (a case the GPU's library does): it is not
  // offered again.
  std::unordered_set<const Node*> kept;
  for (;;) {
    std::vector<Node*> composites;
    ir::walk(graph.block(), [&](Node* n) {
      if ((n->op().lowering == ir::Lowering::composite || decompose_detail::is_library_call_rewritten(*n, options)) &&
          !kept.count(n))
        composites.push_back(n);
    });
    if (composites.empty()) break;
    for (Node* n : composites) {
      if (computes_in_f32(*n)) compute_in_f32(graph, n);  // decomposed next round
      else if (!rewrite(graph, *n, options)) kept.insert(n);
    }
  }
  // Special cases of primitives that other primitives write better.
  std::vector<Node*> special;
  ir::walk(graph.block(), [&](Node* n) {
    if (decompose_detail::special_rules().count(n->kind())) special.push_back(n);
  });
  for (Node* n : special) rewrite(graph, *n, options);
}

}  // namespace wick::passes
