// The optimizer state of a training step as torch.optim's state_dict(), and
// back: what torch.save(optimizer.state_dict()) writes and
// optimizer.load_state_dict(torch.load(...)) reads, for an optimizer built
// on model.parameters(). Its indices number the parameters in that order
// (a module's own parameters, then its submodules', as the module lists
// them; a tied parameter once; frozen ones too, which hold no state).
//   SGD:         {'momentum_buffer': the buffer, or None without momentum}
//   Adam, AdamW: {'step': tensor(float), 'exp_avg': m, 'exp_avg_sq': v}
// with one parameter group of the trainer's settings. A parameter that
// took no step has no entry, as in torch.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "api/trainer.h"
#include "frontend/pickle_value.h"
#include "ir/module.h"

namespace wick::train {

// The state_dict of the training state `state` holds (host copies of the
// module's "wick::" tensors: passes/training_state.h), for `params`, the
// parameter names in model.parameters() order.
PickleValue optimizer_state_dict(const ir::Module& module, const std::map<std::string, Tensor>& state,
                                 const OptimizerConfig& config, const std::vector<std::string>& params);

// The training state a state_dict holds, by module tensor name, to resume
// training from: each parameter's optimizer state and step count, and the
// step count (the largest of the parameters'). The learning rate and other
// settings stay the trainer's. A user error naming `file` for anything
// this trainer cannot take over: several parameter groups, another number
// of parameters, another optimizer's state, AMSGrad's, tensors of another
// shape.
std::map<std::string, Tensor> optimizer_state_tensors(const PickleValue& state_dict, const ir::Module& module,
                                                      const OptimizerConfig& config,
                                                      const std::vector<std::string>& params, const std::string& file);

}  // namespace wick::train
