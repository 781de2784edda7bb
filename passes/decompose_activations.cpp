// Decomposition rules for activations PyTorch computes from others:
//   mish(x)        = x * tanh(softplus(x))
//   selu(x)        = elu(x, alpha = 1.6732632423543772, scale = 1.0507009873554805)
//   celu(x, a)     = elu(x, a, 1, 1 / a)
//   log_sigmoid(x) = -softplus(-x)
//   prelu(x, w)    = x > 0 ? x : w * x, w per channel (dim 1) or one value
//   glu(x, dim)    = a * sigmoid(b), a and b the halves of x along dim
//   rrelu(x, l, u) = leaky_relu(x, (l + u) / 2) in eval mode; training mode's
//                    random slopes are refused
#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Value;

Value* softplus(Emitter& e, Value* x) { return e.op("aten::softplus", {x, e.int_(1), e.int_(20)}); }

Value* mish(Emitter& e) {
  Value* x = e.input(0);
  return e.mul(x, e.op("aten::tanh", {softplus(e, x)}));
}

Value* selu(Emitter& e) {
  return e.op("aten::elu", {e.input(0), e.float_(1.6732632423543772848170429916717),
                            e.float_(1.0507009873554804934193349852946), e.int_(1)});
}

Value* celu(Emitter& e) {
  auto alpha = ir::constant_double(e.input(1));
  if (!alpha) throw e.node().error("alpha must be a constant");
  if (*alpha == 0) throw e.node().error("alpha must not be 0");
  return e.op("aten::elu", {e.input(0), e.input(1), e.int_(1), e.float_(1.0 / *alpha)});
}

Value* log_sigmoid(Emitter& e) {
  return e.op("aten::neg", {softplus(e, e.op("aten::neg", {e.input(0)}))});
}

Value* prelu(Emitter& e) {
  Value *x = e.input(0), *w = e.input(1);
  const auto& ws = e.shape(w, "weight");
  const int rank = static_cast<int>(e.shape(x, "input").size());
  const bool one = ws.size() == 1 && ws[0].is_static() && ws[0].value() == 1;
  if (ws.size() != 1) throw e.node().error("needs a 1-D weight, got rank " + std::to_string(ws.size()));
  if (!one && rank < 2)
    throw e.node().error("a weight per channel needs an input of rank 2 or more (channels on dim 1)");
  Value* slope = one ? w : e.channel_view(w, rank);
  Value* positive = e.op("aten::gt.Scalar", {x, e.int_(0)});
  return e.op("aten::where.self", {positive, x, e.mul(slope, x)});
}

Value* glu(Emitter& e) {
  Value* x = e.input(0);
  const auto& shape = e.shape(x, "input");
  const int64_t rank = static_cast<int64_t>(shape.size());
  int64_t dim = e.constant_int(1, "dim");
  if (dim < 0) dim += rank;
  if (dim < 0 || dim >= rank || !shape[dim].is_static())
    throw e.node().error("needs a dim of known size to halve");
  const int64_t half = shape[dim].value() / 2;
  auto part = [&](int64_t start) {
    return e.op("aten::slice.Tensor", {x, e.int_(dim), e.int_(start), e.int_(start + half), e.int_(1)});
  };
  return e.mul(part(0), e.op("aten::sigmoid", {part(half)}));
}

Value* rrelu(Emitter& e) {
  if (e.constant_bool(3, "training"))
    throw e.node().error("rrelu in training mode draws a random slope per element, which is not supported");
  auto lower = ir::constant_double(e.input(1)), upper = ir::constant_double(e.input(2));
  if (!lower || !upper) throw e.node().error("the lower and upper slopes must be constants");
  return e.op("aten::leaky_relu", {e.input(0), e.float_((*lower + *upper) / 2)});
}

}  // namespace

std::vector<NamedRule> activation_rules() {
  return {{"aten::mish", mish},         {"aten::selu", selu}, {"aten::celu", celu},
          {"aten::log_sigmoid", log_sigmoid}, {"aten::prelu", prelu}, {"aten::glu", glu}, {"aten::rrelu", rrelu}};
}

}  // namespace wick::passes::decompose_detail
