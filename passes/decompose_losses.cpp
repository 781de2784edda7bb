// Decomposition of the losses, in the numerically stable forms PyTorch
// computes them. mse_loss is (a - b)^2 reduced, l1_loss |a - b|; with
// z = |a - b|, smooth_l1_loss is z < beta ? 0.5 z^2 / beta : z - 0.5 beta
// (l1 for beta 0) and huber_loss z < delta ? 0.5 z^2 : delta (z - 0.5 delta).
// binary_cross_entropy_with_logits is (1 - y) x + m + log(exp(-m) +
// exp(-x - m)) with m = max(-x, 0), so that no exp overflows; with
// pos_weight p the log term is scaled by (p - 1) y + 1; binary_cross_entropy
// on probabilities clamps its logs at -100, and kl_div takes 0 log 0 as 0.
// nll_loss picks
// each target's log-probability with a one-hot mask (where, not a multiply,
// so that -inf elsewhere in a row cannot turn into nan), weights it by the
// class weight picked the same way, zeroes ignored targets, and reduces:
// `mean` divides by the sum of the weights of the targets kept, as PyTorch
// does. cross_entropy_loss is log_softmax over the class dim followed by
// nll_loss, or for class-probability targets -sum(target * logp) per sample;
// label smoothing eps adds eps / C times -sum(logp) per sample to (1 - eps)
// times that (class indices), or mixes eps / C into the target
// (probabilities), as ATen does. The margin losses follow ATen's forms:
// margin_ranking max(0, -y (a - b) + m); hinge_embedding x where y != -1
// plus max(0, m - x) where y != 1; soft_margin log1p(exp(-y x));
// cosine_embedding 1 - cos where y == 1, max(0, cos - m) where y == -1,
// cos from sums of products with 1e-12 added to the squared norms;
// triplet_margin max(0, m + d(a, p) - d(a, n)) with pairwise distances (the
// smaller of d(a, n) and d(p, n) with swap); poisson_nll exp(x) - y x (log
// input) or x - y log(x + eps), plus Stirling's term where y > 1 (full);
// multi_margin sum over j != y of max(0, m - x[y] + x[j])^p (times the
// weight of class y) over C; multilabel_margin the sum over the targets y
// before the first -1 and the classes j not among them of
// max(0, 1 - x[y] + x[j]), over C. ctc_loss takes each sample's negative
// log-likelihood from the runtime's kernel (wick::ctc_loss, which carries
// the gradient); `mean` divides each by its target length (at least 1)
// before averaging, as ATen does.
#include <cmath>

#include "ir/constant_value.h"
#include "passes/decompose_rules.h"

namespace wick::passes::decompose_detail {
namespace {

using ir::Dim;
using ir::Value;

// reduction: 0 none, 1 mean, 2 sum.
int64_t reduction_arg(Emitter& e, size_t i) {
  const int64_t r = e.constant_int(i, "reduction");
  if (r < 0 || r > 2) throw e.node().error("unknown reduction " + std::to_string(r));
  return r;
}

Value* reduce(Emitter& e, Value* loss, int64_t reduction) {
  if (reduction == 0) return loss;
  return e.op(reduction == 1 ? "aten::mean" : "aten::sum", {loss, e.none()});
}

// mse_loss(a, b, reduction)
Value* mse_loss(Emitter& e) {
  const int64_t r = reduction_arg(e, 2);
  Value* d = e.sub(e.input(0), e.input(1));
  return reduce(e, e.mul(d, d), r);
}

Value* optional_input(Emitter& e, size_t i) { return e.absent(i) ? nullptr : e.input(i); }

// The float argument `i` of the node, which must be a constant.
double constant_float(Emitter& e, size_t i, const char* what) {
  auto v = ir::constant_double(e.input(i));
  if (!v) throw e.node().error(std::string(what) + " must be a constant");
  return *v;
}

// |a - b| of the loss's input and target, which must be floating-point.
Value* abs_difference(Emitter& e) {
  e.float_dtype(e.input(0), "input");
  return e.op("aten::abs", {e.sub(e.input(0), e.input(1))});
}

// l1_loss(a, b, reduction)
Value* l1_loss(Emitter& e) {
  const int64_t r = reduction_arg(e, 2);
  return reduce(e, abs_difference(e), r);
}

// z < threshold ? quadratic : linear, elementwise. (Each op is built in a
// statement of its own, so the order of the ops does not depend on the
// compiler's order of evaluating arguments.)
Value* piecewise(Emitter& e, Value* z, double threshold, Value* quadratic, Value* linear) {
  Value* small = e.op("aten::lt.Scalar", {z, e.float_(threshold)});
  return e.op("aten::where.self", {small, quadratic, linear});
}

// 0.5 * z * z, as torch orders it.
Value* half_square(Emitter& e, Value* z) {
  Value* half = e.op("aten::mul.Scalar", {z, e.float_(0.5)});
  return e.mul(half, z);
}

// smooth_l1_loss(a, b, reduction, beta)
Value* smooth_l1_loss(Emitter& e) {
  const int64_t r = reduction_arg(e, 2);
  const double beta = constant_float(e, 3, "beta");
  if (beta < 0) throw e.node().error("beta must not be negative, got " + std::to_string(beta));
  Value* z = abs_difference(e);
  if (beta == 0) return reduce(e, z, r);
  Value* quadratic = e.op("aten::div.Scalar", {half_square(e, z), e.float_(beta)});
  Value* linear = e.op("aten::sub.Scalar", {z, e.float_(0.5 * beta), e.int_(1)});
  return reduce(e, piecewise(e, z, beta, quadratic, linear), r);
}

// huber_loss(a, b, reduction, delta)
Value* huber_loss(Emitter& e) {
  const int64_t r = reduction_arg(e, 2);
  const double delta = constant_float(e, 3, "delta");
  if (!(delta > 0)) throw e.node().error("delta must be positive, got " + std::to_string(delta));
  Value* z = abs_difference(e);
  Value* quadratic = half_square(e, z);
  Value* shifted = e.op("aten::sub.Scalar", {z, e.float_(0.5 * delta), e.int_(1)});
  Value* linear = e.op("aten::mul.Scalar", {shifted, e.float_(delta)});
  return reduce(e, piecewise(e, z, delta, quadratic, linear), r);
}

// binary_cross_entropy_with_logits(x, y, weight?, pos_weight?, reduction)
Value* binary_cross_entropy_with_logits(Emitter& e) {
  const int64_t r = reduction_arg(e, 4);
  e.float_dtype(e.input(0), "input");
  Value* x = e.input(0);
  Value* y = e.input(1);
  Value* one = e.int_(1);
  Value* neg_x = e.op("aten::neg", {x});
  Value* m = e.op("aten::clamp_min", {neg_x, e.float_(0.0)});
  // log(exp(-m) + exp(-x - m))
  Value* exp_neg_m = e.op("aten::exp", {e.op("aten::neg", {m})});
  Value* exp_neg_x_m = e.op("aten::exp", {e.sub(neg_x, m)});
  Value* log_term = e.op("aten::log", {e.add(exp_neg_m, exp_neg_x_m)});
  Value* loss = e.mul(e.op("aten::rsub.Scalar", {y, one, one}), x);
  if (Value* pos_weight = optional_input(e, 3)) {
    Value* scaled = e.mul(e.op("aten::sub.Scalar", {pos_weight, one, one}), y);
    Value* log_weight = e.add_scalar(scaled, one);
    loss = e.add(loss, e.mul(log_weight, e.add(log_term, m)));
  } else {
    loss = e.add(e.add(loss, m), log_term);
  }
  if (Value* weight = optional_input(e, 2)) loss = e.mul(loss, weight);
  return reduce(e, loss, r);
}

// binary_cross_entropy(x, y, weight?, reduction) = -w (y log x + (1 - y)
// log(1 - x)), each log clamped at -100 as PyTorch does.
Value* binary_cross_entropy(Emitter& e) {
  const int64_t r = reduction_arg(e, 3);
  e.float_dtype(e.input(0), "input");
  Value *x = e.input(0), *y = e.input(1);
  auto clamped_log = [&](Value* v) { return e.op("aten::clamp_min", {v, e.float_(-100.0)}); };
  Value* log_x = clamped_log(e.op("aten::log", {x}));
  Value* log_rest = clamped_log(e.op("aten::log1p", {e.op("aten::neg", {x})}));
  // (y - 1) log(1 - x) - y log(x)
  Value* loss = e.sub(e.mul(e.op("aten::sub.Scalar", {y, e.int_(1), e.int_(1)}), log_rest), e.mul(y, log_x));
  if (Value* weight = optional_input(e, 2)) loss = e.mul(loss, weight);
  return reduce(e, loss, r);
}

// kl_div(x, y, reduction, log_target): y log y - y x (0 where y is 0), or
// exp(y) (y - x) for log-space targets.
Value* kl_div(Emitter& e) {
  const int64_t r = reduction_arg(e, 2);
  e.float_dtype(e.input(0), "input");
  Value *x = e.input(0), *y = e.input(1);
  if (e.constant_bool(3, "log_target")) return reduce(e, e.mul(e.op("aten::exp", {y}), e.sub(y, x)), r);
  Value* y_log_y = e.op("aten::where.ScalarSelf", {e.op("aten::eq.Scalar", {y, e.int_(0)}), e.float_(0.0),
                                                   e.mul(y, e.op("aten::log", {y}))});
  return reduce(e, e.sub(y_log_y, e.mul(y, x)), r);
}

// The negative log-likelihood of log-probabilities `logp` ([C], [N, C] or
// [N, C, d1, ...]) at class indices `target` ([], [N] or [N, d1, ...]).
// `weight` is null when absent.
Value* nll(Emitter& e, Value* logp, Value* target, Value* weight, int64_t reduction, Value* ignore_index) {
  const auto& shape = e.shape(logp, "input");
  const int rank = static_cast<int>(shape.size());
  const int class_dim = rank >= 2 ? 1 : 0;
  const DType dtype = e.float_dtype(logp, "input");
  const auto& target_dtype = target->type()->dtype();
  if (!target_dtype) throw e.node().error("needs the dtype of its target to be known");
  if (*target_dtype != DType::i64)
    throw e.node().error("needs an int64 class-index target, got " + std::string(dtype_name(*target_dtype)));
  const auto& target_shape = e.shape(target, "target");
  bool fits = static_cast<int>(target_shape.size()) == rank - 1;
  for (int i = 0, j = 0; fits && i < rank; ++i) {
    if (i == class_dim) continue;
    const Dim& a = shape[i];
    const Dim& b = target_shape[j++];
    fits = !(a.is_static() && b.is_static() && a != b);
  }
  if (!fits)
    throw e.node().error("a target of shape " + ir::shape_str(target_shape) + " does not fit an input of shape " +
                         ir::shape_str(shape));

  Value* valid = e.op("aten::ne.Scalar", {target, ignore_index});
  Value* index = e.op("aten::where.ScalarOther", {valid, target, e.int_(0)});
  const Dim& classes = shape[class_dim];
  Value* num_classes = classes.is_static() ? e.int_(classes.value())
                                           : e.op("aten::size.int", {logp, e.int_(class_dim)});
  Value* mask = e.op("aten::eq.Scalar", {e.op("aten::one_hot", {index, num_classes}), e.int_(1)});
  Value* classes_last = logp;
  if (class_dim != rank - 1) {
    std::vector<int64_t> perm = {0};
    for (int i = 2; i < rank; ++i) perm.push_back(i);
    perm.push_back(1);
    classes_last = e.op("aten::permute", {logp, e.ints(perm)});
  }
  Value* zero = e.float_(0.0);
  Value* picked = e.sum(e.op("aten::where.ScalarOther", {mask, classes_last, zero}), {-1}, false);
  Value* loss = e.op("aten::neg", {picked});
  Value* picked_weight = nullptr;
  if (weight) {
    picked_weight = e.sum(e.op("aten::where.ScalarOther", {mask, weight, zero}), {-1}, false);
    loss = e.mul(loss, picked_weight);
  }
  loss = e.op("aten::where.ScalarOther", {valid, loss, zero});
  if (reduction == 0) return loss;
  Value* total = e.op("aten::sum", {loss, e.none()});
  if (reduction == 2) return total;
  Value* kept = picked_weight ? e.op("aten::where.ScalarOther", {valid, picked_weight, zero}) : e.cast(valid, dtype);
  return e.div(total, e.op("aten::sum", {kept, e.none()}));
}

// nll_loss(logp, target, weight?, reduction, ignore_index): logp [C] or [N, C].
Value* nll_loss(Emitter& e) {
  const size_t rank = e.shape(e.input(0), "input").size();
  if (rank != 1 && rank != 2) throw e.node().error("needs an input of rank 1 or 2, got rank " + std::to_string(rank));
  return nll(e, e.input(0), e.input(1), optional_input(e, 2), reduction_arg(e, 3), e.input(4));
}

// nll_loss_nd: the same with any number of trailing dims after the classes.
Value* nll_loss_nd(Emitter& e) {
  if (e.shape(e.input(0), "input").empty()) throw e.node().error("needs an input of rank at least 1");
  return nll(e, e.input(0), e.input(1), optional_input(e, 2), reduction_arg(e, 3), e.input(4));
}

// Label smoothing's part of cross_entropy_loss over class indices, as ATen
// adds it: each sample's -sum(weight * logp) over the classes, 0 where the
// target is ignored, reduced (a mean divides by the weight of the targets
// kept, or their count).
Value* smoothing_term(Emitter& e, Value* logp, Value* target, Value* weight, int64_t reduction, Value* ignore_index,
                      int class_dim, int rank) {
  Value* weighted = weight ? e.mul(logp, rank > 2 ? e.channel_view(weight, rank) : weight) : logp;
  Value* valid = e.op("aten::ne.Scalar", {target, ignore_index});
  Value* per_sample = e.op("aten::where.ScalarOther",
                           {valid, e.op("aten::neg", {e.sum(weighted, {class_dim}, false)}), e.float_(0.0)});
  if (reduction != 1) return reduce(e, per_sample, reduction);
  Value* kept;
  if (weight) {
    Value* index = e.op("aten::where.ScalarOther", {valid, target, e.int_(0)});
    Value* picked = e.op("aten::index.Tensor", {weight, e.list({index})});
    kept = e.op("aten::where.ScalarOther", {valid, picked, e.float_(0.0)});
  } else {
    kept = e.cast(valid, *logp->type()->dtype());
  }
  return e.div(e.op("aten::sum", {per_sample, e.none()}), e.op("aten::sum", {kept, e.none()}));
}

// cross_entropy_loss(x, target, weight?, reduction, ignore_index, label_smoothing)
Value* cross_entropy_loss(Emitter& e) {
  auto smoothing = ir::constant_double(e.input(5));
  if (!smoothing) throw e.node().error("label_smoothing must be a constant");
  const double eps = *smoothing;
  if (eps < 0 || eps > 1) throw e.node().error("label_smoothing must be between 0.0 and 1.0, got " + std::to_string(eps));
  const int64_t r = reduction_arg(e, 3);
  const auto& shape = e.shape(e.input(0), "input");
  const int rank = static_cast<int>(shape.size());
  if (rank == 0) throw e.node().error("needs an input of rank at least 1");
  e.float_dtype(e.input(0), "input");
  const int class_dim = rank >= 2 ? 1 : 0;
  const Dim& classes = shape[static_cast<size_t>(class_dim)];
  if (eps != 0 && !classes.is_static()) throw e.node().error("label smoothing needs the number of classes when compiling");
  const auto& target_dtype = e.input(1)->type()->dtype();
  if (!target_dtype) throw e.node().error("needs the dtype of its target to be known");
  Value* logp = e.log_softmax(e.input(0), class_dim);
  Value* weight = optional_input(e, 2);
  if (!is_floating(*target_dtype)) {
    Value* loss = nll(e, logp, e.input(1), weight, r, e.input(4));
    if (eps == 0) return loss;
    Value* smooth = smoothing_term(e, logp, e.input(1), weight, r, e.input(4), class_dim, rank);
    return e.add(e.op("aten::mul.Scalar", {loss, e.float_(1 - eps)}),
                 e.op("aten::mul.Scalar", {smooth, e.float_(eps / static_cast<double>(classes.value()))}));
  }
  // Class probabilities: the target has the input's shape; ignore_index
  // does not apply. Smoothing mixes the target with the uniform one.
  Value* target = e.input(1);
  if (eps != 0)
    target = e.op("aten::add.Scalar", {e.op("aten::mul.Scalar", {target, e.float_(1 - eps)}),
                                       e.float_(eps / static_cast<double>(classes.value())), e.int_(1)});
  Value* weighted = e.mul(logp, target);
  if (weight) weighted = e.mul(weighted, rank > 2 ? e.channel_view(weight, rank) : weight);
  Value* per_sample = e.op("aten::neg", {e.sum(weighted, {class_dim}, false)});
  return reduce(e, per_sample, r);
}

Value* clamp_min0(Emitter& e, Value* v) { return e.op("aten::clamp_min", {v, e.int_(0)}); }
Value* where_target(Emitter& e, Value* target, int64_t is, Value* v) {
  return e.op("aten::where.ScalarOther", {e.op("aten::eq.Scalar", {target, e.int_(is)}), v, e.float_(0.0)});
}
Value* where_not_target(Emitter& e, Value* target, int64_t is, Value* v) {
  return e.op("aten::where.ScalarOther", {e.op("aten::ne.Scalar", {target, e.int_(is)}), v, e.float_(0.0)});
}

// margin_ranking_loss(a, b, y, margin, reduction)
Value* margin_ranking_loss(Emitter& e) {
  const double margin = constant_float(e, 3, "margin");
  Value* gap = e.op("aten::neg", {e.mul(e.input(2), e.sub(e.input(0), e.input(1)))});
  return reduce(e, clamp_min0(e, e.op("aten::add.Scalar", {gap, e.float_(margin), e.int_(1)})), reduction_arg(e, 4));
}

// hinge_embedding_loss(x, y, margin, reduction)
Value* hinge_embedding_loss(Emitter& e) {
  Value *x = e.input(0), *y = e.input(1);
  const double margin = constant_float(e, 2, "margin");
  Value* below = clamp_min0(e, e.op("aten::rsub.Scalar", {x, e.float_(margin), e.int_(1)}));
  return reduce(e, e.add(where_not_target(e, y, 1, below), where_not_target(e, y, -1, x)), reduction_arg(e, 3));
}

// soft_margin_loss(x, y, reduction)
Value* soft_margin_loss(Emitter& e) {
  Value* z = e.op("aten::neg", {e.mul(e.input(1), e.input(0))});
  return reduce(e, e.op("aten::log1p", {e.op("aten::exp", {z})}), reduction_arg(e, 2));
}

// cosine_embedding_loss(a, b, y, margin, reduction)
Value* cosine_embedding_loss(Emitter& e) {
  Value *a = e.input(0), *b = e.input(1), *y = e.input(2);
  const double margin = constant_float(e, 3, "margin");
  auto sum_last = [&](Value* v) { return e.sum(v, {-1}, false); };
  Value* dot = sum_last(e.mul(a, b));
  auto square = [&](Value* v) { return e.op("aten::add.Scalar", {sum_last(e.mul(v, v)), e.float_(1e-12), e.int_(1)}); };
  Value* cos = e.div(dot, e.op("aten::sqrt", {e.mul(square(a), square(b))}));
  Value* pos = e.op("aten::rsub.Scalar", {cos, e.float_(1.0), e.int_(1)});
  Value* neg = clamp_min0(e, e.op("aten::sub.Scalar", {cos, e.float_(margin), e.int_(1)}));
  return reduce(e, e.add(where_target(e, y, 1, pos), where_target(e, y, -1, neg)), reduction_arg(e, 4));
}

// triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction)
Value* triplet_margin_loss(Emitter& e) {
  const double margin = constant_float(e, 3, "margin");
  auto distance = [&](Value* u, Value* v) {
    return e.op("aten::pairwise_distance", {u, v, e.input(4), e.input(5), e.bool_(false)});
  };
  Value* positive = distance(e.input(0), e.input(1));
  Value* negative = distance(e.input(0), e.input(2));
  if (e.constant_bool(6, "swap")) negative = e.op("aten::minimum", {negative, distance(e.input(1), e.input(2))});
  Value* gap = e.op("aten::add.Scalar", {e.sub(positive, negative), e.float_(margin), e.int_(1)});
  return reduce(e, clamp_min0(e, gap), reduction_arg(e, 7));
}

// poisson_nll_loss(x, y, log_input, full, eps, reduction)
Value* poisson_nll_loss(Emitter& e) {
  Value *x = e.input(0), *y = e.input(1);
  const double eps = constant_float(e, 4, "eps");
  Value* loss = e.constant_bool(2, "log_input")
                    ? e.sub(e.op("aten::exp", {x}), e.mul(y, x))
                    : e.sub(x, e.mul(y, e.op("aten::log", {e.op("aten::add.Scalar", {x, e.float_(eps), e.int_(1)})})));
  if (e.constant_bool(3, "full")) {
    // y log y - y + log(2 pi y) / 2, where y > 1.
    Value* stirling = e.add(e.sub(e.mul(y, e.op("aten::log", {y})), y),
                            e.op("aten::mul.Scalar", {e.op("aten::log", {e.op("aten::mul.Scalar", {y, e.float_(2 * M_PI)})}),
                                                      e.float_(0.5)}));
    loss = e.add(loss, e.op("aten::where.ScalarOther", {e.op("aten::gt.Scalar", {y, e.int_(1)}), stirling, e.float_(0.0)}));
  }
  return reduce(e, loss, reduction_arg(e, 5));
}

// The loss per sample as [N, C] rows: x (and a target of one per sample)
// as at least one row; `rows` is whether x had them.
struct Rows {
  Value* x;
  Value* target;
  bool rows;
};

Rows as_rows(Emitter& e, Value* x, Value* target, bool target_per_class) {
  const size_t rank = e.shape(x, "input").size();
  if (rank != 1 && rank != 2) throw e.node().error("needs a 1-D or 2-D input, got " + std::to_string(rank) + " dims");
  if (!target->type()->dtype() || is_floating(*target->type()->dtype()))
    throw e.node().error("the target must hold class indices (an integer tensor)");
  if (rank == 2) return {x, target, true};
  return {e.op("aten::unsqueeze", {x, e.int_(0)}),
          e.op("aten::reshape", {target, e.ints(target_per_class ? std::vector<int64_t>{1, -1} : std::vector<int64_t>{1})}),
          false};
}

Value* per_sample_reduced(Emitter& e, Value* loss, const Rows& r, int64_t reduction) {
  if (!r.rows && reduction == 0) return e.op("aten::squeeze.dim", {loss, e.int_(0)});
  return reduce(e, loss, reduction);
}

int64_t classes(Emitter& e, Value* rows) {
  const Dim& c = e.shape(rows, "input")[1];
  if (!c.is_static()) throw e.node().error("needs the number of classes, got " + c.str());
  return c.value();
}

// multi_margin_loss(x, target, p, margin, weight, reduction)
Value* multi_margin_loss(Emitter& e) {
  Rows r = as_rows(e, e.input(0), e.input(1), false);
  const double p = constant_float(e, 2, "p");
  if (p != 1 && p != 2) throw e.node().error("only p == 1 and p == 2 are supported, got " + std::to_string(p));
  const double margin = constant_float(e, 3, "margin");
  Value* at = e.op("aten::unsqueeze", {r.target, e.int_(1)});
  Value* picked = e.op("aten::gather", {r.x, e.int_(1), at, e.bool_(false)});
  Value* z = e.op("aten::add.Scalar", {e.sub(r.x, picked), e.float_(margin), e.int_(1)});
  Value* h = clamp_min0(e, z);
  if (p == 2) h = e.mul(h, h);
  Value* own = e.op("aten::eq.Tensor", {positions_along(e, classes(e, r.x), 1, 2), at});
  h = e.op("aten::where.ScalarSelf", {own, e.float_(0.0), h});
  if (!e.absent(4)) h = e.mul(h, e.op("aten::index.Tensor", {e.input(4), e.list({at})}));
  Value* loss = e.op("aten::div.Scalar", {e.sum(h, {1}, false), e.int_(classes(e, r.x))});
  return per_sample_reduced(e, loss, r, reduction_arg(e, 5));
}

// multilabel_margin_loss(x, target, reduction)
Value* multilabel_margin_loss(Emitter& e) {
  Rows r = as_rows(e, e.input(0), e.input(1), true);
  const int64_t c = classes(e, r.x);
  Value* k_at = positions_along(e, c, 1, 2);  // [1, C]
  // Targets count up to the first -1.
  Value* stop = e.op("aten::amin", {e.op("aten::where.ScalarOther", {e.op("aten::eq.Scalar", {r.target, e.int_(-1)}),
                                                                       k_at, e.int_(c)}),
                                    e.ints({1}), e.bool_(true)});
  Value* valid = e.op("aten::lt.Tensor", {k_at, stop});                        // [N, K]
  Value* target = e.op("aten::where.ScalarOther", {valid, r.target, e.int_(0)});  // in range where unused
  // is_target[n, j]: j among the valid targets of row n.
  Value* j_at = positions_along(e, c, 2, 3);                                   // [1, 1, C]
  Value* hits = e.op("aten::logical_and", {e.op("aten::eq.Tensor", {e.op("aten::unsqueeze", {target, e.int_(2)}), j_at}),
                                           e.op("aten::unsqueeze", {valid, e.int_(2)})});
  Value* is_target = e.op("aten::gt.Scalar", {e.sum(e.cast(hits, DType::i64), {1}, false), e.int_(0)});  // [N, C]
  Value* picked = e.op("aten::gather", {r.x, e.int_(1), target, e.bool_(false)});  // [N, K]
  Value* z = e.op("aten::rsub.Scalar", {e.sub(e.op("aten::unsqueeze", {picked, e.int_(2)}),
                                              e.op("aten::unsqueeze", {r.x, e.int_(1)})),
                                        e.float_(1.0), e.int_(1)});  // [N, K, C]: 1 - x[y_k] + x[j]
  Value* counted = e.op("aten::logical_and", {e.op("aten::unsqueeze", {valid, e.int_(2)}),
                                              e.op("aten::logical_not", {e.op("aten::unsqueeze", {is_target, e.int_(1)})})});
  Value* h = e.op("aten::where.ScalarOther", {counted, clamp_min0(e, z), e.float_(0.0)});
  Value* loss = e.op("aten::div.Scalar", {e.sum(h, {1, 2}, false), e.int_(c)});
  return per_sample_reduced(e, loss, r, reduction_arg(e, 2));
}

// A length operand of ctc_loss as an i64 tensor: a tensor as it is, an
// int list as a tensor of it.
Value* ctc_lengths(Emitter& e, size_t i) {
  if (e.input(i)->type()->is_tensor()) return e.input(i);
  return e.op("aten::tensor", {e.input(i), e.none(), e.none(), e.bool_(false)});
}

// ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
// reduction, zero_infinity), batched ([T, N, C]) or unbatched ([T, C], 1-D
// targets, one length each), which gains a batch of one.
Value* ctc_loss(Emitter& e) {
  const int64_t r = reduction_arg(e, 5);
  Value* log_probs = e.input(0);
  Value* targets = e.input(1);
  Value* input_lengths = ctc_lengths(e, 2);
  Value* target_lengths = ctc_lengths(e, 3);
  const bool unbatched = e.shape(log_probs, "log_probs").size() == 2;
  if (unbatched) {
    if (e.shape(targets, "targets").size() != 1) throw e.node().error("unbatched targets must be 1-D");
    log_probs = e.op("aten::unsqueeze", {log_probs, e.int_(1)});
    targets = e.op("aten::unsqueeze", {targets, e.int_(0)});
    input_lengths = e.op("aten::reshape", {input_lengths, e.ints({1})});
    target_lengths = e.op("aten::reshape", {target_lengths, e.ints({1})});
  }
  Value* nll = e.op("wick::ctc_loss", {log_probs, targets, input_lengths, target_lengths,
                                       e.int_(e.constant_int(4, "blank")),
                                       e.bool_(e.constant_bool(6, "zero_infinity"))});
  if (r == 0) return unbatched ? e.op("aten::squeeze.dim", {nll, e.int_(0)}) : nll;
  if (r == 2) return e.op("aten::sum", {nll, e.none()});
  Value* lengths = e.cast(target_lengths, e.float_dtype(log_probs, "log_probs"));
  return e.op("aten::mean", {e.div(nll, e.op("aten::clamp_min", {lengths, e.int_(1)})), e.none()});
}

}  // namespace

std::vector<NamedRule> loss_rules() {
  return {
      {"aten::mse_loss", mse_loss},
      {"aten::l1_loss", l1_loss},
      {"aten::smooth_l1_loss", smooth_l1_loss},
      {"aten::huber_loss", huber_loss},
      {"aten::binary_cross_entropy_with_logits", binary_cross_entropy_with_logits},
      {"aten::binary_cross_entropy", binary_cross_entropy},
      {"aten::kl_div", kl_div},
      {"aten::nll_loss", nll_loss},
      {"aten::nll_loss_nd", nll_loss_nd},
      {"aten::cross_entropy_loss", cross_entropy_loss},
      {"aten::margin_ranking_loss", margin_ranking_loss},
      {"aten::hinge_embedding_loss", hinge_embedding_loss},
      {"aten::soft_margin_loss", soft_margin_loss},
      {"aten::multi_margin_loss", multi_margin_loss},
      {"aten::multilabel_margin_loss", multilabel_margin_loss},
      {"aten::cosine_embedding_loss", cosine_embedding_loss},
      {"aten::triplet_margin_loss", triplet_margin_loss},
      {"aten::poisson_nll_loss", poisson_nll_loss},
      {"aten::ctc_loss.IntList", ctc_loss},
      {"aten::ctc_loss.Tensor", ctc_loss},
  };
}

}  // namespace wick::passes::decompose_detail
