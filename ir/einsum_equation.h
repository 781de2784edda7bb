// The subscripts of an einsum equation ("bhqd,bhkd->bhqk"), read for
// operands of known ranks: one label per dim of each operand and of the
// result. An ellipsis stands for the dims the letters leave, labelled by
// digits right-aligned across operands (so "...ij" of a rank-4 and of a
// rank-3 operand share their last ellipsis label). Without "->" the result
// is the ellipsis dims, then the letters used once, in ASCII order, as in
// torch.einsum.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace wick::ir {

struct EinsumEquation {
  std::vector<std::string> operands;  // the labels of each operand's dims
  std::string result;
};

// Throws wick::Error (a message, no location) when the equation is malformed
// or does not fit the ranks.
EinsumEquation parse_einsum(const std::string& equation, const std::vector<int64_t>& ranks);

}  // namespace wick::ir
