#include "ir/value_digest.h"

#include <cstdint>
#include <cstdio>
#include <unordered_map>

#include "ir/attribute.h"
#include "ir/constant_value.h"

namespace wick::ir {
namespace {

constexpr int kMaxDepth = 200;

// aten::squeeze.dim(x, 0) of an x whose dim 0 is 1, or aten::unsqueeze(x, 0).
bool unit_dim_view(const Node& n) {
  if (!n.is("aten::squeeze.dim") && !n.is("aten::unsqueeze")) return false;
  if (constant_int(n.input(1)) != 0) return false;
  if (n.is("aten::unsqueeze")) return true;
  const Type& t = *n.input(0)->type();
  return t.has_rank() && t.rank() > 0 && (*t.shape())[0].is_static() && (*t.shape())[0].value() == 1;
}

class Digester {
 public:
  uint64_t digest(const Value* v, int depth) {
    auto it = memo_.find(v);
    if (it != memo_.end()) return it->second;
    const uint64_t d = compute(v, depth);
    memo_.emplace(v, d);
    return d;
  }

 private:
  static uint64_t mix(uint64_t h, const std::string& s) {
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull;  // a separator, so that "ab","c" differs from "a","bc"
  }
  static uint64_t mix(uint64_t h, uint64_t x) { return mix(h, std::to_string(x)); }
  static uint64_t own(const Value* v) { return mix(14695981039346656037ull, reinterpret_cast<uintptr_t>(v)); }

  uint64_t compute(const Value* v, int depth) {
    const Node* n = v->node();
    uint64_t h = 14695981039346656037ull;
    if (n->is("prim::Params")) {
      // A graph input is known by its name, a fusion group's parameter by
      // the group's input, any other block's parameter by itself.
      const Node* owner = n->owning_block() ? n->owning_block()->owning_node() : nullptr;
      if (!owner && v->has_name()) return mix(mix(h, "input"), v->name());
      if (owner && owner->is("prim::FusionGroup")) return digest(owner->input(v->offset()), depth + 1);
      return own(v);
    }
    // Fusing changes how a value is computed, not what it is.
    if (n->is("prim::FusionGroup")) return digest(n->block(0)->results().at(v->offset()), depth + 1);
    // Nor does a leading unit dim taken out or put back (squeeze_unit_batch's
    // views around a kernel): the elements stay, and so do the counts.
    if (unit_dim_view(*n)) return digest(n->input(0), depth + 1);
    if (!n->blocks().empty() || n->is("aten::dropout") || depth > kMaxDepth) return own(v);
    h = mix(h, n->kind());
    h = mix(h, v->offset());
    for (const auto& [name, value] : n->attrs().items()) h = mix(mix(h, name), attr_str(value));
    if (n->is("prim::Constant")) h = mix(h, v->type()->str());
    for (const Value* in : n->inputs()) h = mix(h, digest(in, depth + 1));
    return h;
  }

  std::unordered_map<const Value*, uint64_t> memo_;
};

}  // namespace

std::string value_digest(const Value* v) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(Digester().digest(v, 0)));
  return text;
}

}  // namespace wick::ir
