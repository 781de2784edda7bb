// prim:: ops: block bookkeeping, constants, parameters, tuples and lists, and
// structured control flow.
#include "ir/constant_value.h"
#include "ir/module.h"
#include "ir/op_table.h"

namespace wick::ir {
namespace {

void require_no_blocks(const Node& node) {
  if (!node.blocks().empty()) throw node.error("must not have blocks");
}

void check_results(const Node& node, const Block* b, const char* which) {
  if (b->results().size() != node.num_outputs())
    throw node.error(std::string(which) + " block yields " + std::to_string(b->results().size()) +
                     " values but the node has " + std::to_string(node.num_outputs()) + " outputs");
}

bool attr_matches_type(const AttrValue& v, const Type& t) {
  switch (t.kind()) {
    case TypeKind::Int: return std::holds_alternative<int64_t>(v);
    case TypeKind::Float: return std::holds_alternative<double>(v);
    case TypeKind::Bool: return std::holds_alternative<bool>(v);
    case TypeKind::Str:
    case TypeKind::Device: return std::holds_alternative<std::string>(v);
    case TypeKind::None: return std::holds_alternative<NoneValue>(v);
    case TypeKind::List: {
      // An empty list reads back as an int list whatever its element type.
      if (auto* ints = std::get_if<std::vector<int64_t>>(&v))
        return t.element()->kind() == TypeKind::Int || ints->empty();
      switch (t.element()->kind()) {
        case TypeKind::Float: return std::holds_alternative<std::vector<double>>(v);
        case TypeKind::Bool: return std::holds_alternative<std::vector<bool>>(v);
        case TypeKind::Str: return std::holds_alternative<std::vector<std::string>>(v);
        default: return false;
      }
    }
    default: return false;
  }
}

void verify_constant(const Node& node) {
  require_no_blocks(node);
  const AttrValue* v = node.attrs().find("value");
  if (!v || node.attrs().items().size() != 1)
    throw node.error("needs exactly one attribute, `value`");
  if (node.num_outputs() != 1) throw node.error("must have one output");
  const Type& t = *node.output()->type();
  if (!attr_matches_type(*v, t))
    throw node.error("value " + attr_str(*v) + " does not have type " + t.str());
}

void verify_param(const Node& node) {
  require_no_blocks(node);
  const AttrValue* v = node.attrs().find("name");
  const std::string* name = v ? std::get_if<std::string>(v) : nullptr;
  if (!name || node.attrs().items().size() != 1)
    throw node.error("needs exactly one string attribute, `name`");
  const Module* m = node.graph()->module();
  if (!m) throw node.error("reads parameter \"" + *name + "\" but the graph is not in a module");
  const NamedTensor* t = m->find_tensor(*name);
  if (!t) throw node.error("module has no tensor named \"" + *name + "\"");
  if (*t->type != *node.output()->type())
    throw node.error("parameter \"" + *name + "\" has type " + t->type->str() + ", not " +
                     node.output()->type()->str());
}

// A store writes a new value into a module tensor (a training step's update
// of parameters, optimizer state and batch-norm statistics): same dtype,
// and a shape that does not contradict the tensor's.
void verify_store_param(const Node& node) {
  require_no_blocks(node);
  const AttrValue* v = node.attrs().find("name");
  const std::string* name = v ? std::get_if<std::string>(v) : nullptr;
  if (!name || node.attrs().items().size() != 1)
    throw node.error("needs exactly one string attribute, `name`");
  const Module* m = node.graph()->module();
  if (!m) throw node.error("stores to \"" + *name + "\" but the graph is not in a module");
  const NamedTensor* t = m->find_tensor(*name);
  if (!t) throw node.error("module has no tensor named \"" + *name + "\"");
  const Type& value = *node.input(0)->type();
  const Type& target = *t->type;
  if (!value.is_tensor()) throw node.error("stores a " + value.str() + ", not a tensor");
  bool fits = !value.dtype() || !target.dtype() || *value.dtype() == *target.dtype();
  if (fits && value.has_rank() && target.has_rank()) {
    fits = value.rank() == target.rank();
    for (size_t i = 0; fits && i < value.shape()->size(); ++i) {
      const Dim& a = (*value.shape())[i];
      const Dim& b = (*target.shape())[i];
      fits = !(a.is_static() && b.is_static() && a != b);
    }
  }
  if (!fits) throw node.error("stores a " + value.str() + " into \"" + *name + "\" of type " + target.str());
}

void verify_unsupported(const Node& node) {
  require_no_blocks(node);
  if (node.num_outputs() != 1) throw node.error("must have one output");
  const AttrValue* what = node.attrs().find("what");
  if (node.attrs().items().size() > (what ? 1u : 0u) || (what && !std::holds_alternative<std::string>(*what)))
    throw node.error("takes one optional string attribute, `what`");
}

void verify_if(const Node& node) {
  if (node.blocks().size() != 2) throw node.error("needs two blocks (then, else)");
  for (size_t i = 0; i < 2; ++i) {
    const Block* b = node.block(i);
    if (!b->params().empty()) throw node.error("blocks of prim::If take no arguments");
    check_results(node, b, i == 0 ? "then" : "else");
    for (size_t j = 0; j < node.num_outputs(); ++j)
      if (!b->results()[j]->node()->is("prim::Unsupported") &&  // stands in for any type
          !node.output(j)->type()->accepts(*b->results()[j]->type()))
        throw node.error("output " + std::to_string(j) + " has type " +
                         node.output(j)->type()->str() + " but a branch yields " +
                         b->results()[j]->type()->str());
  }
}

void verify_loop(const Node& node) {
  if (node.blocks().size() != 1) throw node.error("needs one body block");
  const size_t carried = node.num_inputs() - 2;
  const Block* body = node.block(0);
  if (node.num_outputs() != carried)
    throw node.error("carries " + std::to_string(carried) + " values but has " +
                     std::to_string(node.num_outputs()) + " outputs");
  if (body->params().size() != carried + 1)
    throw node.error("body takes " + std::to_string(body->params().size()) +
                     " arguments; expected the iteration count plus " + std::to_string(carried) +
                     " carried values");
  if (body->params()[0]->type()->kind() != TypeKind::Int)
    throw node.error("the body's first argument (the iteration count) must be Int");
  if (body->results().size() != carried + 1)
    throw node.error("body yields " + std::to_string(body->results().size()) +
                     " values; expected the continue condition plus " + std::to_string(carried) +
                     " carried values");
  if (body->results()[0]->type()->kind() != TypeKind::Bool)
    throw node.error("the body's first result (the continue condition) must be Bool");
}

void verify_list_construct(const Node& node) {
  require_no_blocks(node);
  const Type& t = *node.output()->type();
  if (t.kind() != TypeKind::List) throw node.error("output must be a List type, got " + t.str());
  for (const Value* v : node.inputs())
    if (!t.element()->accepts(*v->type()))
      throw node.error("element of type " + v->type()->str() + " in a " + t.str());
}

// A FusionGroup computes its block, whose params stand for the group's
// inputs, in one kernel (kind "kernel") or as an extern call with the
// pointwise ops after it applied as an epilogue (kind "extern").
void verify_fusion_group(const Node& node) {
  if (node.blocks().size() != 1) throw node.error("needs exactly one block");
  const Block* b = node.block(0);
  const AttrValue* kind = node.attrs().find("kind");
  const std::string* k = kind ? std::get_if<std::string>(kind) : nullptr;
  if (!k || (*k != "kernel" && *k != "extern") || node.attrs().items().size() != 1)
    throw node.error("needs one attribute, kind = \"kernel\" or \"extern\"");
  if (b->params().size() != node.num_inputs())
    throw node.error("has " + std::to_string(node.num_inputs()) + " inputs but its block takes " +
                     std::to_string(b->params().size()));
  for (size_t i = 0; i < node.num_inputs(); ++i)
    if (*b->params()[i]->type() != *node.input(i)->type())
      throw node.error("block argument " + std::to_string(i) + " has type " + b->params()[i]->type()->str() +
                       " but the input is " + node.input(i)->type()->str());
  check_results(node, b, "the");
  for (size_t i = 0; i < node.num_outputs(); ++i)
    if (*node.output(i)->type() != *b->results()[i]->type())
      throw node.error("output " + std::to_string(i) + " has type " + node.output(i)->type()->str() +
                       " but the block yields " + b->results()[i]->type()->str());
  if (b->empty()) throw node.error("an empty fusion group");
}

std::vector<TypePtr> infer_tuple_construct(const Node& node) {
  std::vector<TypePtr> elems;
  for (const Value* v : node.inputs()) elems.push_back(v->type());
  return {Type::tuple(std::move(elems))};
}

std::vector<TypePtr> infer_tuple_unpack(const Node& node) {
  const Type& t = *node.input(0)->type();
  if (t.kind() != TypeKind::Tuple) throw node.error("unpacks a " + t.str() + ", not a tuple");
  if (t.elements().size() != node.num_outputs())
    throw node.error("unpacks a tuple of " + std::to_string(t.elements().size()) + " into " +
                     std::to_string(node.num_outputs()) + " values");
  return t.elements();
}

std::vector<TypePtr> infer_tuple_index(const Node& node) {
  const Type& t = *node.input(0)->type();
  if (t.kind() != TypeKind::Tuple) throw node.error("indexes a " + t.str() + ", not a tuple");
  auto i = constant_int(node.input(1));
  if (!i) throw node.error("tuple index must be a constant");
  int64_t n = static_cast<int64_t>(t.elements().size());
  int64_t k = *i < 0 ? *i + n : *i;
  if (k < 0 || k >= n) throw node.error("tuple index " + std::to_string(*i) + " out of range");
  return {t.elements()[k]};
}

std::vector<TypePtr> infer_list_unpack(const Node& node) {
  const Type& t = *node.input(0)->type();
  if (t.kind() != TypeKind::List) throw node.error("unpacks a " + t.str() + ", not a list");
  return std::vector<TypePtr>(node.num_outputs(), t.element());
}

// A list of tensors takes the join of its elements' types, so that the
// tensors unpacked from it keep what all of them share (dtype, dims).
std::vector<TypePtr> infer_list_construct(const Node& node) {
  const TypePtr& declared = node.output()->type();
  if (declared->kind() != TypeKind::List || !declared->element()->is_tensor() || node.inputs().empty())
    return {declared};
  TypePtr element = node.input(0)->type();
  for (const Value* v : node.inputs()) {
    if (!v->type()->is_tensor()) return {declared};
    element = unify(element, v->type());
  }
  return {Type::list(element)};
}

}  // namespace

void add_prim_ops(OpTableBuilder& t) {
  t.add({"prim::Params(...) -> ...", Lowering::internal});
  t.add({"prim::Return(...) -> ...", Lowering::internal});
  t.add({"prim::Constant() -> Any", Lowering::data, nullptr, verify_constant});
  t.add({"prim::Param() -> Tensor", Lowering::data, nullptr, verify_param});
  // Side effect: writes `value` into the module tensor `name`; kept by DCE,
  // never merged by CSE.
  t.add({"prim::StoreParam(Tensor value) -> ()", Lowering::data, nullptr, verify_store_param});
  t.add({"prim::If(bool cond) -> ...", Lowering::control, nullptr, verify_if});
  t.add({"prim::Loop(int max_trip_count, bool start_condition, ...) -> ...", Lowering::control,
         nullptr, verify_loop});
  t.add({"prim::TupleConstruct(...) -> Any", Lowering::data, infer_tuple_construct});
  t.add({"prim::TupleUnpack(Any tup) -> ...", Lowering::data, infer_tuple_unpack});
  t.add({"prim::TupleIndex(Any tup, int i) -> Any", Lowering::data, infer_tuple_index});
  t.add({"prim::ListConstruct(...) -> Any", Lowering::data, infer_list_construct, verify_list_construct});
  t.add({"prim::ListUnpack(Any l) -> ...", Lowering::data, infer_list_unpack});
  t.add({"prim::RaiseException(str msg, str? cls=None) -> ()", Lowering::control});
  t.add({"prim::Uninitialized() -> Any", Lowering::data});
  // An op the front end could not emit, under a condition later folding may
  // remove; `what` (on the op itself, not on what merely depends on it) is the
  // error reported if it is still there after folding.
  t.add({"prim::Unsupported(...) -> Any", Lowering::data, nullptr, verify_unsupported});
  t.add({"prim::unchecked_cast(t x) -> t", Lowering::data});
  t.add({"prim::FusionGroup(...) -> ...", Lowering::fusion, nullptr, verify_fusion_group});
}

}  // namespace wick::ir
