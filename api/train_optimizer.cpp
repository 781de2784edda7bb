#include "api/train_optimizer.h"

#include <cmath>
#include <cstdio>

#include "passes/training_state.h"
#include "support/error.h"

namespace wick {

OptimizerKind optimizer_from_name(const std::string& name) {
  if (name == "sgd") return OptimizerKind::sgd;
  if (name == "adam") return OptimizerKind::adam;
  if (name == "adamw") return OptimizerKind::adamw;
  throw Error("unknown optimizer '" + name + "'; the optimizers are sgd, adam, adamw");
}

const char* optimizer_name(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::sgd: return "sgd";
    case OptimizerKind::adam: return "adam";
    case OptimizerKind::adamw: return "adamw";
  }
  return "?";
}

namespace train {

using ir::Value;

void check_optimizer(const OptimizerConfig& c) {
  auto require = [](bool ok, const std::string& what, double v) {
    char number[32];
    std::snprintf(number, sizeof number, "%g", v);
    if (!ok) throw Error("invalid " + what + ": " + number);
  };
  require(std::isfinite(c.lr) && c.lr >= 0, "learning rate", c.lr);
  require(std::isfinite(c.weight_decay) && c.weight_decay >= 0, "weight_decay value", c.weight_decay);
  if (c.kind == OptimizerKind::sgd) {
    require(std::isfinite(c.momentum) && c.momentum >= 0, "momentum value", c.momentum);
    require(std::isfinite(c.dampening), "dampening value", c.dampening);
    if (c.nesterov && (c.momentum <= 0 || c.dampening != 0))
      throw Error("Nesterov momentum requires a momentum and zero dampening");
    return;
  }
  require(c.beta1 >= 0 && c.beta1 < 1, "beta parameter at index 0", c.beta1);
  require(c.beta2 >= 0 && c.beta2 < 1, "beta parameter at index 1", c.beta2);
  require(std::isfinite(c.eps) && c.eps >= 0, "epsilon value", c.eps);
}

OptimizerGraph::OptimizerGraph(ir::Builder& b, ir::Module& module, const OptimizerConfig& config, ir::Value* step)
    : b_(b), g_(b, constants_), module_(module), config_(config), every_step_(terms(step)) {}

OptimizerGraph::StepTerms OptimizerGraph::terms(ir::Value* step) {
  StepTerms out;
  out.first = g_.op("aten::eq.Scalar", {step, g_.int_(0)});
  if (config_.kind == OptimizerKind::sgd) return out;
  // torch: t = step + 1; bias_correction = 1 - beta^t, in double precision.
  Value* t = g_.add_scalar(g_.cast(step, DType::f64), 1.0);
  auto bias = [&](double beta) {
    return g_.rsub_scalar(1.0, g_.op("aten::pow.Scalar", {g_.float_(beta), t}));
  };
  out.neg_step_size = g_.scale(g_.op("aten::reciprocal", {bias(config_.beta1)}), -config_.lr);
  out.bias2_sqrt = g_.op("aten::sqrt", {bias(config_.beta2)});
  return out;
}

ir::Value* OptimizerGraph::state(const std::string& kind, const std::string& param, DType dtype,
                                 const std::vector<int64_t>& sizes) {
  const std::string name = passes::optimizer_state_name(kind, param);
  const ir::NamedTensor* t = module_.find_tensor(name);
  if (!t) t = &module_.add_tensor(name, ir::TensorRole::buffer, Tensor::zeros(dtype, sizes));
  return b_.param(name, t->type);
}

ir::Value* OptimizerGraph::state(const std::string& kind, const std::string& param, const ir::Value* like) {
  return state(kind, param, g_.dtype(like), like->type()->static_sizes());
}

void OptimizerGraph::store(const std::string& name, ir::Value* value, ir::Value* old) {
  if (value->type()->dtype() != old->type()->dtype()) value = g_.cast(value, g_.dtype(old));
  if (reached_) value = g_.where(reached_, value, old);
  ir::Node* n = b_.create("prim::StoreParam", {value}, {});
  n->attrs().set("name", name);
}

ir::Value* OptimizerGraph::as_dtype_of(ir::Value* scalar, const ir::Value* like) {
  const DType dtype = g_.dtype(like);
  return dtype == DType::f64 ? scalar : g_.cast(scalar, dtype);
}

void OptimizerGraph::update(const std::string& name, ir::Value* param, ir::Value* grad, ir::Value* reached) {
  StepTerms step = every_step_;
  reached_ = reached;
  if (reached) {
    // torch.optim skips a parameter whose gradient is None, and counts the
    // steps of each parameter apart.
    Value* own = state("step", name, DType::i64, {});
    step = terms(own);
    store(passes::optimizer_state_name("step", name), g_.op("aten::add.Scalar", {own, g_.int_(1), g_.int_(1)}), own);
  }
  if (config_.kind == OptimizerKind::sgd) sgd(name, param, grad, step);
  else adam(name, param, grad, step);
  reached_ = nullptr;
}

// torch.optim.SGD: d = g + wd * p; buf = d on the first step, else
// momentum * buf + (1 - dampening) * d; d = d + momentum * buf (Nesterov)
// or buf; p -= lr * d.
void OptimizerGraph::sgd(const std::string& name, ir::Value* param, ir::Value* grad, const StepTerms& step) {
  Value* d = grad;
  if (config_.weight_decay != 0) d = g_.op("aten::add.Tensor", {d, param, g_.float_(config_.weight_decay)});
  if (config_.momentum != 0) {
    const std::string kind = "momentum_buffer";
    Value* buf = state(kind, name, param);
    Value* later = g_.op("aten::add.Tensor", {g_.scale(buf, config_.momentum), d, g_.float_(1.0 - config_.dampening)});
    Value* next = g_.where(step.first, d, later);
    store(passes::optimizer_state_name(kind, name), next, buf);
    d = config_.nesterov ? g_.op("aten::add.Tensor", {d, next, g_.float_(config_.momentum)}) : next;
  }
  store(name, g_.op("aten::add.Tensor", {param, d, g_.float_(-config_.lr)}), param);
}

// torch.optim.Adam / AdamW: g += wd * p (Adam) or p *= 1 - lr * wd (AdamW);
// m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g g;
// p += -lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
void OptimizerGraph::adam(const std::string& name, ir::Value* param, ir::Value* grad, const StepTerms& step) {
  Value* g = grad;
  Value* p = param;
  if (config_.weight_decay != 0) {
    if (config_.kind == OptimizerKind::adamw) p = g_.scale(p, 1.0 - config_.lr * config_.weight_decay);
    else g = g_.op("aten::add.Tensor", {g, p, g_.float_(config_.weight_decay)});
  }
  Value* m = state("exp_avg", name, param);
  Value* v = state("exp_avg_sq", name, param);
  Value* m_next = g_.op("aten::add.Tensor", {g_.scale(m, config_.beta1), g, g_.float_(1.0 - config_.beta1)});
  Value* v_next = g_.add(g_.scale(v, config_.beta2), g_.mul(g_.scale(g, 1.0 - config_.beta2), g));
  Value* denom = g_.add_scalar(g_.div(g_.op("aten::sqrt", {v_next}), as_dtype_of(step.bias2_sqrt, param)), config_.eps);
  Value* p_next = g_.add(p, g_.div(g_.mul(m_next, as_dtype_of(step.neg_step_size, param)), denom));
  store(passes::optimizer_state_name("exp_avg", name), m_next, m);
  store(passes::optimizer_state_name("exp_avg_sq", name), v_next, v);
  store(name, p_next, param);
}

}  // namespace train
}  // namespace wick
