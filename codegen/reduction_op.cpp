#include "codegen/reduction_op.h"

#include <limits>
#include <string>

#include "ir/constant_value.h"
#include "ir/op_table.h"
#include "support/error.h"

namespace wick::codegen {
namespace {

// The dims a reduction names at input 1 (an int or a list; None or []
// reduce everything).
std::vector<bool> named_dims(const ir::Node& node, size_t rank) {
  std::vector<bool> reduced(rank, true);
  const ir::Value* dims_value = node.input(1);
  if (ir::is_none(dims_value)) return reduced;
  std::vector<int64_t> dims;
  if (dims_value->type()->kind() == ir::TypeKind::Int) {
    auto d = ir::constant_int(dims_value);
    WICK_ASSERT(d.has_value(), node.kind() + ": the dim must be a constant");
    dims = {*d};
  } else {
    auto list = ir::constant_int_list(dims_value);
    WICK_ASSERT(list.has_value(), node.kind() + ": the dims must be constants");
    dims = *list;
  }
  if (dims.empty() || rank == 0) return reduced;
  reduced.assign(rank, false);
  for (int64_t d : dims) reduced[d < 0 ? d + static_cast<int64_t>(rank) : d] = true;
  return reduced;
}

}  // namespace

bool is_reduction(const ir::Node& node) { return node.op().lowering == ir::Lowering::reduction; }

ReductionOp reduction_op(const ir::Node& node, size_t rank) {
  const std::string& name = node.op().schema.name;
  const std::string& overload = node.op().schema.overload;
  ReductionOp r;
  r.combine = name == "sum" || name == "mean" || name == "sum_in_order"       ? Combine::sum
              : name == "prod"                                                ? Combine::prod
              : name == "amax" || name == "max" || name == "argmax"           ? Combine::max
                                                                              : Combine::min;
  WICK_ASSERT(r.combine != Combine::min || name == "amin" || name == "min" || name == "argmin",
              node.kind() + " is not a reduction the code generators know");
  r.mean = name == "mean";
  r.in_order = name == "sum_in_order";
  r.indices_only = name == "argmax" || name == "argmin";
  r.with_index = r.indices_only || (overload == "dim" && (name == "max" || name == "min"));
  // sum(x), mean(x), prod(x), max(x), min(x) reduce everything; the others
  // name their dims at input 1.
  const bool all = overload.empty() && !r.indices_only && name != "amax" && name != "amin" && !r.in_order;
  r.reduced = all ? std::vector<bool>(rank, true) : named_dims(node, rank);
  return r;
}

Scalar reduction_identity(MlirWriter& w, Combine c, DType t) {
  if (c == Combine::sum) return w.number(t, 0, 0, true);
  if (c == Combine::prod) return w.number(t, 1, 1, true);
  const bool max = c == Combine::max;
  if (is_floating(t))
    return w.float_constant(t, max ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity());
  if (t == DType::b8) return w.bool_constant(!max);
  if (t == DType::u8) return w.int_constant(t, max ? 0 : 255);
  const int bits = bit_width(t);
  const int64_t lowest = bits == 64 ? std::numeric_limits<int64_t>::min() : -(int64_t{1} << (bits - 1));
  const int64_t highest = bits == 64 ? std::numeric_limits<int64_t>::max() : (int64_t{1} << (bits - 1)) - 1;
  return w.int_constant(t, max ? lowest : highest);
}

Scalar combine_values(MlirWriter& w, Combine c, const Scalar& acc, const Scalar& x, bool reassociate) {
  const std::string ops = " " + acc.ssa + ", " + x.ssa;
  const std::string ty = " : " + register_type(acc.dtype);
  const std::string fast = reassociate ? " fastmath<reassoc>" : "";
  const DType t = acc.dtype;
  if (c == Combine::sum) {
    if (is_floating(t)) return w.op("arith.addf" + ops + fast + ty, t);
    if (t == DType::b8) return w.op("arith.ori" + ops + ty, t);
    return w.op("arith.addi" + ops + ty, t);
  }
  if (c == Combine::prod) {
    if (is_floating(t)) return w.op("arith.mulf" + ops + fast + ty, t);
    if (t == DType::b8) return w.op("arith.andi" + ops + ty, t);
    return w.op("arith.muli" + ops + ty, t);
  }
  const bool max = c == Combine::max;
  if (is_floating(t)) return w.op((max ? "arith.maximumf" : "arith.minimumf") + ops + ty, t);
  if (t == DType::b8) return w.op((max ? "arith.ori" : "arith.andi") + ops + ty, t);
  if (t == DType::u8) return w.op((max ? "arith.maxui" : "arith.minui") + ops + ty, t);
  return w.op((max ? "arith.maxsi" : "arith.minsi") + ops + ty, t);
}

std::optional<Combine> scatter_combine(const ir::Node& node) {
  if (node.is("wick::index_put_reduce")) {
    const ir::AttrValue* a = ir::constant_attr(node.input(3));
    const std::string* r = a ? std::get_if<std::string>(a) : nullptr;
    if (r && *r == "prod") return Combine::prod;
    if (r && *r == "amax") return Combine::max;
    if (r && *r == "amin") return Combine::min;
    throw node.error("reduce must be a constant \"prod\", \"amax\" or \"amin\"");
  }
  auto accumulate = ir::constant_bool(node.input(3));
  if (!accumulate) throw node.error("accumulate must be a constant");
  if (*accumulate) return Combine::sum;
  return std::nullopt;
}

}  // namespace wick::codegen
