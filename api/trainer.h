// wick::Trainer: one compiled training step for a loaded module. The step
// is a single graph (forward in training mode, the loss, the backward
// derived by autodiff, and the optimizer's update) compiled and fused like
// any other; parameters, batch-norm statistics and optimizer state are
// module tensors that the step updates in place. save() writes a .pt with
// the input file's structure and code and the new values, which LibTorch and
// R torch load.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/jit_module.h"
#include "support/tensor.h"

namespace wick {

// `output`: the model computes its own loss (a CTC loss, a contrastive one,
// anything its forward writes), returned as its first output, a 0-d
// floating-point tensor; a target given to step() or evaluate() is passed to
// the model as its last input.
enum class LossKind { mse, cross_entropy, bce_with_logits, l1, smooth_l1, huber, output };

// "mse", "cross_entropy", "bce_with_logits", "l1", "smooth_l1", "huber",
// "output"; throws wick::Error for anything else.
LossKind loss_from_name(const std::string& name);
const char* loss_name(LossKind kind);

struct LossConfig {
  LossKind kind = LossKind::mse;
  double beta = 1.0;   // smooth_l1's beta, huber's delta
};

enum class OptimizerKind { sgd, adam, adamw };

// "sgd", "adam", "adamw"; throws wick::Error for anything else.
OptimizerKind optimizer_from_name(const std::string& name);
const char* optimizer_name(OptimizerKind kind);

// PyTorch's torch.optim semantics for each kind.
struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::sgd;
  double lr = 0.01;
  double momentum = 0.0;      // sgd
  double dampening = 0.0;     // sgd
  bool nesterov = false;      // sgd
  double weight_decay = 0.0;  // sgd and adam: L2 added to the gradient; adamw: decoupled
  double beta1 = 0.9;         // adam, adamw
  double beta2 = 0.999;
  double eps = 1e-8;
};

struct TrainerOptions {
  std::string method = "forward";
  uint64_t seed = 0;      // dropout's random stream
  std::string cache_dir;  // kernel cache, as in JitOptions
  // "cpu", or "cuda" / "cuda:N": the parameters and optimizer state move to
  // that GPU once and stay there; every step, loss and prediction runs
  // there; save() and steps() copy back what they read.
  std::string device = "cpu";
};

class Trainer {
 public:
  // Loads `path` for training (the module's `training` flag is taken as
  // true: dropout active, batch norm on batch statistics). The parameters
  // trained are the module's parameters of a floating-point dtype; one the
  // loss does not depend on is left alone, as torch.optim leaves a
  // parameter without a gradient. Throws wick::Error for a file that is no
  // model, settings torch.optim refuses (check_optimizer), and parameters
  // that share their data (tied weights), which are not supported yet.
  Trainer(const std::string& path, LossConfig loss, OptimizerConfig optimizer, TrainerOptions options = {});
  ~Trainer();

  // One optimizer step on a batch; returns the batch's mean loss (as the
  // loss's own reduction computes it). Compiles on the first call for each
  // input signature. A model output that cannot match `target` is a
  // wick::Error raised before anything is updated. With the `output` loss
  // the target may be undefined (Tensor()): the model gets `inputs` alone.
  double step(const std::vector<Tensor>& inputs, const Tensor& target);
  // The loss in eval mode, without updating anything.
  double evaluate(const std::vector<Tensor>& inputs, const Tensor& target);
  // The model's outputs in eval mode (for predictions after training).
  std::vector<Tensor> predict(const std::vector<Tensor>& inputs);

  // Writes the trained model as a TorchScript archive: the input file's
  // entries, code and structure unchanged, its parameters and buffers
  // replaced by the trained values (frontend/pt_writer.h). The optimizer's
  // state is saved apart, by save_optimizer().
  void save(const std::string& path) const;

  // Writes the optimizer's state as torch.save(optimizer.state_dict())
  // does, for an optimizer built on model.parameters(), which
  // load_state_dict() in PyTorch takes to go on training the saved model
  // (api/optimizer_state.h).
  void save_optimizer(const std::string& path) const;
  // Takes over the optimizer state such a file holds, written by
  // save_optimizer() or by torch.save from torch.optim (SGD, Adam, AdamW),
  // to go on training from there: the moments or momentum buffers and the
  // step counts. The learning rate and other settings stay this trainer's.
  // A wick::Error naming the file when it holds no such state or state for
  // other parameters or another optimizer.
  void load_optimizer(const std::string& path);

  // Steps taken so far.
  int64_t steps() const;
  // The module: its tensors hold the current values (the model's own, and
  // the training state named "wick::...", passes/training_state.h).
  const ir::Module& module() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace wick
