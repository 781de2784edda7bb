// The fresh end-to-end cases (tests/models/fresh_cases.py writes them into
// the build's fresh_cases/ folder: new random inputs for every zoo model and
// LibTorch's outputs for them), and the error measure every end-to-end test
// compares with.
#pragma once

#include <string>
#include <vector>

#include "support/tensor.h"

namespace wick::testing {

struct FreshCase {
  std::string model, variant, pt;
  int batch = 0;
  std::vector<std::string> inputs, refs;  // .npy paths
};

// Every case in cases.txt; *seed is the seed the inputs were drawn with.
std::vector<FreshCase> read_fresh_cases(std::string* seed);

// max|out - ref| / max|ref| (max|out - ref| when ref is all zeros). NaN and
// infinities must sit in the same places; a dtype or shape mismatch, or a
// non-finite mismatch, gives infinity and says why in *problem.
double relative_error(const Tensor& out, const Tensor& ref, std::string* problem);

// The relative error allowed for a floating output of zoo model `model`:
// 1e-4, but for the models computing in bf16 (whose unit roundoff is
// 2^-8; LibTorch's own bf16 matrix products round partial sums) and f16
// (2^-11, against LibTorch's f32 computation on the same weights).
double zoo_tolerance(const std::string& model);

}  // namespace wick::testing
