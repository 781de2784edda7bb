#include "api/bind_inputs.h"

#include <string>

#include "ir/builder.h"
#include "support/error.h"

namespace wick {
namespace {

bool optional_input(const ir::Value* v) { return v->type()->accepts(*ir::Type::none()); }

std::string input_name(const ir::Graph& method, size_t i) {
  const ir::Value* v = method.inputs()[i];
  return "input " + std::to_string(i) + (v->has_name() ? " (%" + v->name() + ")" : std::string());
}

}  // namespace

std::unique_ptr<ir::Graph> bind_left_out_inputs(const ir::Graph& method, const std::vector<bool>& given) {
  const size_t n = method.inputs().size();
  size_t required = n;
  while (required > 0 && optional_input(method.inputs()[required - 1])) --required;
  if (given.size() > n || given.size() < required) {
    std::string range = required == n ? std::to_string(n) : std::to_string(required) + " to " + std::to_string(n);
    throw Error("@" + method.name() + " takes " + range + " input" + (n == 1 ? "" : "s") + ", got " +
                std::to_string(given.size()));
  }
  bool all = given.size() == n;
  for (bool g : given) all = all && g;
  if (all) return nullptr;
  for (size_t i = 0; i < given.size(); ++i)
    if (!given[i] && !optional_input(method.inputs()[i]))
      throw Error(input_name(method, i) + " of @" + method.name() + " is undefined; only an Optional input may be left out");

  std::unique_ptr<ir::Graph> bound = method.clone();
  ir::Builder b(*bound);
  b.set_insertion_point(bound->block()->param_node()->next());
  ir::Value* none = b.constant_none();
  for (size_t i = n; i-- > 0;) {
    if (i < given.size() && given[i]) continue;
    bound->inputs()[i]->replace_all_uses_with(none);
    bound->block()->param_node()->erase_output(i);
  }
  return bound;
}

std::vector<bool> given_inputs(const std::vector<Tensor>& inputs) {
  std::vector<bool> given;
  for (const Tensor& t : inputs) given.push_back(t.defined());
  return given;
}

std::vector<Tensor> given_only(const std::vector<Tensor>& inputs) {
  std::vector<Tensor> out;
  for (const Tensor& t : inputs)
    if (t.defined()) out.push_back(t);
  return out;
}

}  // namespace wick
