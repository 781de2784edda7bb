#include "tools/input_spec.h"

#include <filesystem>
#include <random>

#include "runtime/npy.h"
#include "support/error.h"

namespace wick::tools {

namespace {

bool looks_like_shape(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != 'x') return false;
  return std::isdigit(static_cast<unsigned char>(s.front())) && std::isdigit(static_cast<unsigned char>(s.back()));
}

}  // namespace

Tensor read_input(const std::string& spec, uint64_t seed, int index) {
  if (spec == "none") return Tensor();  // an Optional input left out
  // `wick compile` reads i64:8x16 as a dtype and a shape; here data is made,
  // and only float32 data has an obvious distribution.
  const size_t colon = spec.find(':');
  if (colon != std::string::npos && dtype_from_name(spec.substr(0, colon)) && looks_like_shape(spec.substr(colon + 1)) &&
      !std::filesystem::exists(spec))
    throw Error("only float32 inputs are made from a shape; for " + spec.substr(0, colon) + " data give a .npy file",
                {spec});
  if (!looks_like_shape(spec)) return read_npy(spec);
  std::vector<int64_t> sizes;
  size_t start = 0;
  while (start <= spec.size()) {
    size_t x = spec.find('x', start);
    std::string part = spec.substr(start, x == std::string::npos ? std::string::npos : x - start);
    if (part.empty() || part.size() > 12) throw Error("bad input shape '" + spec + "'");
    sizes.push_back(std::stoll(part));
    if (x == std::string::npos) break;
    start = x + 1;
  }
  Tensor t = Tensor::zeros(DType::f32, sizes);
  std::mt19937_64 rng(seed * 1000003u + static_cast<uint64_t>(index));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  float* p = t.data_as<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = normal(rng);
  return t;
}

}  // namespace wick::tools
