#include "ir/einsum_equation.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "support/error.h"

namespace wick::ir {
namespace {

constexpr int64_t kMaxEllipsisDims = 10;  // labelled '0'..'9'

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts(1);
  for (char c : s) {
    if (c == sep) parts.emplace_back();
    else parts.back() += c;
  }
  return parts;
}

std::string strip(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != ' ') out += c;
  return out;
}

// The letters of `term` (checked), and whether it holds an ellipsis.
std::string letters_of(const std::string& term, const std::string& equation, bool* ellipsis) {
  std::string letters;
  *ellipsis = false;
  for (size_t i = 0; i < term.size(); ++i) {
    if (term.compare(i, 3, "...") == 0) {
      if (*ellipsis) throw Error("einsum equation '" + equation + "': more than one ellipsis in a term");
      *ellipsis = true;
      i += 2;
    } else if (std::isalpha(static_cast<unsigned char>(term[i]))) {
      letters += term[i];
    } else {
      throw Error("einsum equation '" + equation + "': unexpected '" + std::string(1, term[i]) + "'");
    }
  }
  return letters;
}

// `term` with its ellipsis replaced by the last `count` of `ellipsis_labels`.
std::string expand(const std::string& term, const std::string& ellipsis_labels, int64_t count) {
  const size_t at = term.find("...");
  if (at == std::string::npos) return term;
  return term.substr(0, at) + ellipsis_labels.substr(ellipsis_labels.size() - static_cast<size_t>(count)) +
         term.substr(at + 3);
}

}  // namespace

EinsumEquation parse_einsum(const std::string& raw, const std::vector<int64_t>& ranks) {
  const std::string equation = strip(raw);
  const size_t arrow = equation.find("->");
  const std::string lhs = equation.substr(0, arrow);
  const std::vector<std::string> terms = split(lhs, ',');
  if (terms.size() != ranks.size())
    throw Error("einsum equation '" + raw + "' has " + std::to_string(terms.size()) + " operand terms for " +
                std::to_string(ranks.size()) + " tensors");
  // How many dims each ellipsis covers.
  std::vector<int64_t> covered(terms.size(), 0);
  int64_t most = 0;
  for (size_t i = 0; i < terms.size(); ++i) {
    bool ellipsis = false;
    const std::string letters = letters_of(terms[i], raw, &ellipsis);
    const int64_t rest = ranks[i] - static_cast<int64_t>(letters.size());
    if (rest < 0 || (!ellipsis && rest != 0))
      throw Error("einsum equation '" + raw + "': term '" + terms[i] + "' does not fit an operand of rank " +
                  std::to_string(ranks[i]));
    covered[i] = rest;
    most = std::max(most, rest);
  }
  if (most > kMaxEllipsisDims) throw Error("einsum equation '" + raw + "': the ellipsis covers too many dims");
  std::string ellipsis_labels;
  for (int64_t i = 0; i < most; ++i) ellipsis_labels += static_cast<char>('0' + i);

  EinsumEquation eq;
  std::map<char, int> uses;
  for (size_t i = 0; i < terms.size(); ++i) {
    eq.operands.push_back(expand(terms[i], ellipsis_labels, covered[i]));
    for (char c : eq.operands.back()) ++uses[c];
  }
  if (arrow == std::string::npos) {
    eq.result = ellipsis_labels;
    for (const auto& [c, n] : uses)
      if (n == 1 && std::isalpha(static_cast<unsigned char>(c))) eq.result += c;
  } else {
    bool ellipsis = false;
    const std::string rhs = equation.substr(arrow + 2);
    const std::string letters = letters_of(rhs, raw, &ellipsis);
    eq.result = ellipsis ? expand(rhs, ellipsis_labels, most) : rhs;
    for (char c : letters)
      if (!uses.count(c))
        throw Error("einsum equation '" + raw + "': output label '" + std::string(1, c) + "' is in no operand");
    for (size_t i = 0; i < eq.result.size(); ++i)
      if (eq.result.find(eq.result[i], i + 1) != std::string::npos)
        throw Error("einsum equation '" + raw + "': output label '" + std::string(1, eq.result[i]) + "' repeats");
  }
  return eq;
}

}  // namespace wick::ir
