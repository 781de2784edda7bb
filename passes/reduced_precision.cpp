#include "passes/reduced_precision.h"

#include <map>
#include <vector>

#include "ir/builder.h"
#include "support/error.h"

namespace wick::passes {
namespace {

// aten::to.dtype nodes sharing their constant arguments.
class Casts {
 public:
  explicit Casts(ir::Builder& b) : b_(b) {}
  ir::Value* to(ir::Value* x, DType dtype) {
    if (!no_) {
      no_ = b_.constant_bool(false);
      none_ = b_.constant_none();
    }
    ir::Value*& code = codes_[dtype];
    if (!code) {
      const auto torch_code = torch_code_of(dtype);
      WICK_ASSERT(torch_code.has_value(), "no torch code for a dtype");
      code = b_.constant_int(*torch_code);
    }
    return b_.op("aten::to.dtype", {x, code, no_, no_, none_});
  }

 private:
  ir::Builder& b_;
  std::map<DType, ir::Value*> codes_;
  ir::Value* no_ = nullptr;
  ir::Value* none_ = nullptr;
};

}  // namespace

bool is_reduced_precision(const ir::Value* v) {
  if (!v->type()->is_tensor() || !v->type()->dtype()) return false;
  const DType t = *v->type()->dtype();
  return t == DType::f16 || t == DType::bf16;
}

bool touches_reduced_precision(const ir::Node& n) {
  for (const ir::Value* v : n.inputs())
    if (is_reduced_precision(v)) return true;
  for (const ir::Value* v : n.outputs())
    if (is_reduced_precision(v)) return true;
  return false;
}

ir::Node* compute_in_f32(ir::Graph& graph, ir::Node* n) {
  ir::Builder b(graph);
  b.set_insertion_point(n);
  b.set_source(n->source_location(), n->source_line());
  Casts cast(b);
  std::vector<ir::Value*> inputs;
  for (ir::Value* v : n->inputs()) inputs.push_back(is_reduced_precision(v) ? cast.to(v, DType::f32) : v);
  ir::Node* wide = b.create(n->op(), inputs);
  wide->attrs() = n->attrs();
  std::vector<ir::Value*> results;
  for (size_t i = 0; i < n->num_outputs(); ++i) {
    ir::Value* out = n->output(i);
    ir::Value* got = wide->output(i);
    const bool round = is_reduced_precision(out) && got->type()->dtype() != out->type()->dtype();
    results.push_back(round ? cast.to(got, *out->type()->dtype()) : got);
  }
  ir::replace_node(n, results);
  return wide;
}

}  // namespace wick::passes
