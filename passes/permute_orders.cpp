#include "passes/permute_orders.h"

#include "ir/constant_value.h"

namespace wick::passes {

std::optional<std::vector<int64_t>> permute_order(const ir::Node* n, int64_t rank) {
  if (!n->is("aten::permute")) return std::nullopt;
  auto order = ir::constant_int_list(n->input(1));
  if (!order || static_cast<int64_t>(order->size()) != rank) return std::nullopt;
  for (int64_t& d : *order) {
    if (d < -rank || d >= rank) return std::nullopt;
    if (d < 0) d += rank;
  }
  return order;
}

bool undoes(const std::vector<int64_t>& first, const std::vector<int64_t>& then) {
  for (size_t d = 0; d < then.size(); ++d)
    if (first[static_cast<size_t>(then[d])] != static_cast<int64_t>(d)) return false;
  return true;
}

ir::TypePtr permuted(const ir::Type& t, const std::vector<int64_t>& order) {
  std::vector<ir::Dim> dims;
  for (int64_t d : order) dims.push_back((*t.shape())[static_cast<size_t>(d)]);
  return ir::Type::tensor(t.dtype(), dims, t.tensor_device());
}

ir::TypePtr unpermuted(const ir::Type& t, const std::vector<int64_t>& order) {
  std::vector<ir::Dim> dims(order.size());
  for (size_t i = 0; i < order.size(); ++i) dims[static_cast<size_t>(order[i])] = (*t.shape())[i];
  return ir::Type::tensor(t.dtype(), dims, t.tensor_device());
}

}  // namespace wick::passes
