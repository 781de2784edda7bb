// The `uniform(seed, step, stream)` builtin of pointwise expressions (the op
// wick::uniform, which training-mode dropout draws from): a counter-based
// random number of the element's position, so any element can be computed
// on its own, in any order, and a step is reproducible.
//
// The stream is SplitMix64 (Steele, Lea and Flood, 2014) started at a state
// derived from (seed, stream, step) and read at the element's row-major
// linear index i in the op's result:
//   mix(z)  = z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27;
//             z *= 0x94D049BB133111EB; z ^ (z >> 31)        (uint64, wrapping)
//   base    = mix(mix(seed + stream * G) + step * G),  G = 0x9E3779B97F4A7C15
//   bits    = mix(base + (i + 1) * G)
//   u       = (bits >> 40) * 2^-24 in f32 (bits >> 11) * 2^-53 in f64
// so u is exactly representable and lies in [0, 1).
#include "codegen/pointwise_eval.h"
#include "support/error.h"

namespace wick::codegen {

namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;
constexpr uint64_t kMix1 = 0xBF58476D1CE4E5B9ULL;
constexpr uint64_t kMix2 = 0x94D049BB133111EBULL;

class Mixer {
 public:
  explicit Mixer(MlirWriter& w) : w_(w) {}

  Scalar constant(uint64_t v) { return w_.int_constant(DType::i64, static_cast<int64_t>(v)); }
  Scalar binary(const char* op, const Scalar& a, const Scalar& b) {
    return w_.op(std::string(op) + " " + a.ssa + ", " + b.ssa + " : i64", DType::i64);
  }
  Scalar add(const Scalar& a, const Scalar& b) { return binary("arith.addi", a, b); }
  Scalar mul(const Scalar& a, const Scalar& b) { return binary("arith.muli", a, b); }
  Scalar xor_shift(const Scalar& z, int shift) {
    return binary("arith.xori", z, binary("arith.shrui", z, constant(shift)));
  }
  Scalar mix(Scalar z) {
    z = mul(xor_shift(z, 30), constant(kMix1));
    z = mul(xor_shift(z, 27), constant(kMix2));
    return xor_shift(z, 31);
  }

 private:
  MlirWriter& w_;
};

}  // namespace

Scalar PointwiseEval::uniform(const ir::PointwiseExpr& e, const Context& c) {
  WICK_ASSERT(e.operands.size() == 3, "uniform takes seed, step and stream");
  WICK_ASSERT(is_floating(c.compute), c.node->kind() + ": uniform computes in a floating type");
  Scalar seed = in(eval(e.operand(0), c), DType::i64);
  Scalar step = in(eval(e.operand(1), c), DType::i64);
  Scalar stream = in(eval(e.operand(2), c), DType::i64);
  // Row-major linear index of the element in the node's result.
  const std::vector<Size> sizes = b_.shape(c.node->output());
  const std::vector<std::string>& idx = *c.idx;
  WICK_ASSERT(idx.size() == sizes.size(), "uniform: an index per dim");
  std::string linear = w_.index(0);
  for (size_t d = 0; d < sizes.size(); ++d) {
    linear = w_.op("arith.muli " + linear + ", " + w_.bound(sizes[d]) + " : index");
    linear = w_.op("arith.addi " + linear + ", " + idx[d] + " : index");
  }
  Mixer m(w_);
  const Scalar golden = m.constant(kGolden);
  Scalar base = m.mix(m.add(m.mix(m.add(seed, m.mul(stream, golden))), m.mul(step, golden)));
  Scalar counter = m.add(w_.index_to_i64(linear), m.constant(1));
  Scalar bits = m.mix(m.add(base, m.mul(counter, golden)));
  const bool wide = c.compute == DType::f64;
  const DType t = wide ? DType::f64 : DType::f32;
  Scalar top = m.binary("arith.shrui", bits, m.constant(wide ? 11 : 40));
  Scalar f = w_.op("arith.uitofp " + top.ssa + " : i64 to " + register_type(t), t);
  Scalar scale = w_.float_constant(t, wide ? 0x1.0p-53 : 0x1.0p-24);
  return w_.op("arith.mulf " + f.ssa + ", " + scale.ssa + " : " + register_type(t), t);
}

}  // namespace wick::codegen
