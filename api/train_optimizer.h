// The optimizer of a training step as graph ops: SGD (momentum, dampening,
// Nesterov, weight decay), Adam and AdamW with bias correction, each exactly
// as torch.optim computes it, appended after the backward. Every parameter
// and state tensor is a module tensor written back with prim::StoreParam;
// the step count is the module tensor passes::kStepTensor, so one compiled
// step serves every step (SGD's first step, which starts the momentum
// buffer from the gradient, and Adam's bias correction read it).
#pragma once

#include <map>
#include <string>

#include "api/trainer.h"
#include "ir/gradient_rule.h"
#include "ir/module.h"

namespace wick::train {

// Throws wick::Error for settings torch.optim refuses (a negative learning
// rate, Nesterov without momentum, betas outside [0, 1), ...).
void check_optimizer(const OptimizerConfig& config);

class OptimizerGraph {
 public:
  // `step` reads the step count (int64 []) before this step.
  OptimizerGraph(ir::Builder& b, ir::Module& module, const OptimizerConfig& config, ir::Value* step);

  // Appends the update of parameter `name` (read as `param`) by `grad`, and
  // the stores of the new value and state. State tensors missing from the
  // module are added, zero. `reached` (a 0-d bool tensor, or null for
  // always) says whether the gradient flowed in this step: when it did not,
  // the parameter and its state are left as they are, and such a parameter
  // keeps its own step count, as torch.optim does for a None gradient.
  void update(const std::string& name, ir::Value* param, ir::Value* grad, ir::Value* reached = nullptr);

 private:
  // What the update reads of a step count (the step's, or a parameter's own).
  struct StepTerms {
    ir::Value* first = nullptr;          // step == 0
    ir::Value* neg_step_size = nullptr;  // Adam: -lr / (1 - beta1^t), f64 []
    ir::Value* bias2_sqrt = nullptr;     // Adam: sqrt(1 - beta2^t), f64 []
  };
  StepTerms terms(ir::Value* step);
  ir::Value* state(const std::string& kind, const std::string& param, DType dtype, const std::vector<int64_t>& sizes);
  ir::Value* state(const std::string& kind, const std::string& param, const ir::Value* like);
  // Stores `value` as module tensor `name`, read as `old` in this step (kept
  // instead where the gradient was not reached).
  void store(const std::string& name, ir::Value* value, ir::Value* old);
  // A 0-d f64 value cast to `like`'s dtype (CSE merges repeats).
  ir::Value* as_dtype_of(ir::Value* scalar, const ir::Value* like);
  void sgd(const std::string& name, ir::Value* param, ir::Value* grad, const StepTerms& step);
  void adam(const std::string& name, ir::Value* param, ir::Value* grad, const StepTerms& step);

  ir::Builder& b_;
  std::map<std::string, ir::Value*> constants_;
  ir::GradBuilder g_;
  ir::Module& module_;
  OptimizerConfig config_;
  StepTerms every_step_;         // from the step count of the training step
  ir::Value* reached_ = nullptr;  // of the parameter being updated
};

}  // namespace wick::train
