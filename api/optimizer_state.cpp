#include "api/optimizer_state.h"

#include <algorithm>
#include <cstring>

#include "passes/training_state.h"
#include "support/error.h"

namespace wick::train {
namespace {

using passes::optimizer_state_name;

PickleValue str(const char* s) { return PickleValue::string(s); }

Tensor scalar_i64(int64_t v) {
  Tensor t = Tensor::zeros(DType::i64, {});
  *t.data_as<int64_t>() = v;
  return t;
}

const Tensor* find(const std::map<std::string, Tensor>& state, const std::string& name) {
  auto it = state.find(name);
  return it == state.end() || !it->second.defined() ? nullptr : &it->second;
}

int64_t step_of(const Tensor& t) { return *t.contiguous().data_as<int64_t>(); }

// The settings of torch.optim's parameter group for this optimizer, in the
// order PyTorch 1.13 lists them.
PickleValue param_group(const OptimizerConfig& c, size_t count) {
  PickleValue g = PickleValue::dict();
  g.set_item(str("lr"), PickleValue::floating(c.lr));
  if (c.kind == OptimizerKind::sgd) {
    g.set_item(str("momentum"), PickleValue::floating(c.momentum));
    g.set_item(str("dampening"), PickleValue::floating(c.dampening));
    g.set_item(str("weight_decay"), PickleValue::floating(c.weight_decay));
    g.set_item(str("nesterov"), PickleValue::boolean(c.nesterov));
  } else {
    g.set_item(str("betas"), PickleValue::tuple({PickleValue::floating(c.beta1), PickleValue::floating(c.beta2)}));
    g.set_item(str("eps"), PickleValue::floating(c.eps));
    g.set_item(str("weight_decay"), PickleValue::floating(c.weight_decay));
    g.set_item(str("amsgrad"), PickleValue::boolean(false));
  }
  g.set_item(str("maximize"), PickleValue::boolean(false));
  g.set_item(str("foreach"), PickleValue());
  if (c.kind != OptimizerKind::sgd) g.set_item(str("capturable"), PickleValue::boolean(false));
  std::vector<PickleValue> ids;
  for (size_t i = 0; i < count; ++i) ids.push_back(PickleValue::integer(static_cast<int64_t>(i)));
  g.set_item(str("params"), PickleValue::list(std::move(ids)));
  return g;
}

[[noreturn]] void refuse(const std::string& file, const std::string& why) {
  throw Error("optimizer state: " + why, {file});
}

const PickleValue& entry(const PickleValue& dict, const char* key, PickleValue::Kind kind, const std::string& file,
                         const std::string& where) {
  const PickleValue* v = dict.find(key);
  if (!v || !v->is(kind))
    refuse(file, where + " has no '" + key + "' " + std::string(PickleValue::kind_name(kind)) +
                     (v ? ", but " + v->repr(60) : std::string()));
  return *v;
}

// A state tensor read for parameter `param` (module tensor `like`): its
// sizes, in the parameter's dtype.
Tensor state_tensor(const PickleValue& v, const ir::NamedTensor& like, const std::string& what,
                    const std::string& file) {
  if (!v.is(PickleValue::Kind::tensor)) refuse(file, what + " is " + v.repr(60) + ", not a tensor");
  const Tensor& t = v.tensor();
  if (t.sizes() != like.data.sizes())
    refuse(file, what + " is " + t.describe() + ", but the parameter is " + like.data.describe());
  if (t.dtype() != like.data.dtype())
    refuse(file, what + " is " + t.describe() + ", but the parameter is " + like.data.describe());
  return t.contiguous();
}

int64_t step_count(const PickleValue& v, const std::string& what, const std::string& file) {
  double d = 0;
  const bool tensor = v.is(PickleValue::Kind::tensor) && v.tensor().numel() == 1;
  if (tensor && v.tensor().dtype() == DType::f32) {
    d = *v.tensor().data_as<float>();
  } else if (tensor && v.tensor().dtype() == DType::f64) {
    d = *v.tensor().data_as<double>();
  } else if (tensor && v.tensor().dtype() == DType::i64) {
    d = static_cast<double>(*v.tensor().data_as<int64_t>());
  } else if (v.is(PickleValue::Kind::integer) || v.is(PickleValue::Kind::floating)) {
    d = v.to_double();
  } else {
    refuse(file, what + " is " + v.repr(60) + ", not a step count");
  }
  if (!(d >= 0 && d < 9e18) || d != static_cast<double>(static_cast<int64_t>(d)))
    refuse(file, what + " is " + v.repr(60) + ", not a step count");
  return static_cast<int64_t>(d);
}

}  // namespace

PickleValue optimizer_state_dict(const ir::Module& module, const std::map<std::string, Tensor>& state,
                                 const OptimizerConfig& config, const std::vector<std::string>& params) {
  const Tensor* global = find(state, passes::kStepTensor);
  const int64_t steps = global ? step_of(*global) : 0;
  PickleValue per_param = PickleValue::dict();
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string& name = params[i];
    const ir::NamedTensor* p = module.find_tensor(name);
    if (!p || p->role != ir::TensorRole::parameter) continue;
    const Tensor* own = find(state, optimizer_state_name("step", name));
    const int64_t taken = own ? step_of(*own) : steps;
    if (taken == 0) continue;
    PickleValue e = PickleValue::dict();
    if (config.kind == OptimizerKind::sgd) {
      const Tensor* buf = find(state, optimizer_state_name("momentum_buffer", name));
      if (config.momentum != 0 && !buf) continue;  // never updated
      e.set_item(str("momentum_buffer"), buf ? PickleValue::tensor(*buf, false) : PickleValue());
    } else {
      const Tensor* m = find(state, optimizer_state_name("exp_avg", name));
      const Tensor* v = find(state, optimizer_state_name("exp_avg_sq", name));
      if (!m || !v) continue;
      Tensor step = Tensor::zeros(DType::f32, {});
      *step.data_as<float>() = static_cast<float>(taken);
      e.set_item(str("step"), PickleValue::tensor(step, false));
      e.set_item(str("exp_avg"), PickleValue::tensor(*m, false));
      e.set_item(str("exp_avg_sq"), PickleValue::tensor(*v, false));
    }
    per_param.set_item(PickleValue::integer(static_cast<int64_t>(i)), std::move(e));
  }
  PickleValue root = PickleValue::dict();
  root.set_item(str("state"), std::move(per_param));
  root.set_item(str("param_groups"), PickleValue::list({param_group(config, params.size())}));
  return root;
}

std::map<std::string, Tensor> optimizer_state_tensors(const PickleValue& state_dict, const ir::Module& module,
                                                      const OptimizerConfig& config,
                                                      const std::vector<std::string>& params, const std::string& file) {
  if (!state_dict.is(PickleValue::Kind::dict))
    refuse(file, "the file holds " + state_dict.repr(60) + ", not an optimizer's state_dict()");
  const PickleValue& groups = entry(state_dict, "param_groups", PickleValue::Kind::list, file, "the state_dict");
  const PickleValue& per_param = entry(state_dict, "state", PickleValue::Kind::dict, file, "the state_dict");
  if (groups.elements().size() != 1)
    refuse(file, "it has " + std::to_string(groups.elements().size()) +
                     " parameter groups; wick trains every parameter in one");
  const PickleValue& group = groups.elements()[0];
  if (!group.is(PickleValue::Kind::dict)) refuse(file, "its parameter group is " + group.repr(60));
  const PickleValue& ids = entry(group, "params", PickleValue::Kind::list, file, "its parameter group");
  if (ids.elements().size() != params.size())
    refuse(file, "it holds " + std::to_string(ids.elements().size()) + " parameters, but the model has " +
                     std::to_string(params.size()) + " (an optimizer built on model.parameters() holds them all)");
  const bool sgd_state = group.find("momentum") != nullptr;
  const bool adam_state = group.find("betas") != nullptr;
  const bool sgd = config.kind == OptimizerKind::sgd;
  if ((sgd && !sgd_state) || (!sgd && !adam_state))
    refuse(file, std::string("it is not the state of ") + (sgd ? "SGD" : "Adam or AdamW") + ", which this training uses");
  if (const PickleValue* ams = group.find("amsgrad"); ams && ams->is(PickleValue::Kind::boolean) && ams->to_bool())
    refuse(file, "it is AMSGrad's state, which wick does not train with");

  std::map<std::string, Tensor> out;
  int64_t steps = 0;
  for (const auto& [key, value] : per_param.dict_items()) {
    if (!key.is(PickleValue::Kind::integer)) refuse(file, "its state is keyed by " + key.repr(60) + ", not an index");
    const auto at = std::find_if(ids.elements().begin(), ids.elements().end(), [&](const PickleValue& id) {
      return id.is(PickleValue::Kind::integer) && id.to_int() == key.to_int();
    });
    if (at == ids.elements().end()) refuse(file, "it has state for parameter " + key.repr() + ", which no group holds");
    const std::string& name = params[static_cast<size_t>(at - ids.elements().begin())];
    const ir::NamedTensor* p = module.find_tensor(name);
    WICK_ASSERT(p != nullptr && p->data.defined(), "a parameter without data");
    const std::string where = "the state of parameter " + key.repr() + " (" + name + ")";
    if (!value.is(PickleValue::Kind::dict)) refuse(file, where + " is " + value.repr(60));
    int64_t taken = 1;
    if (sgd) {
      const PickleValue* buf = value.find("momentum_buffer");
      if (config.momentum != 0) {
        if (!buf || buf->is_none())
          refuse(file, where + " has no momentum buffer: it was trained without momentum");
        out[optimizer_state_name("momentum_buffer", name)] = state_tensor(*buf, *p, where + "'s momentum buffer", file);
      }
    } else {
      if (value.find("max_exp_avg_sq")) refuse(file, where + " is AMSGrad's, which wick does not train with");
      const PickleValue* step = value.find("step");
      if (!step) refuse(file, where + " has no step count");
      taken = step_count(*step, where + "'s step", file);
      out[optimizer_state_name("exp_avg", name)] =
          state_tensor(entry(value, "exp_avg", PickleValue::Kind::tensor, file, where), *p, where + "'s exp_avg", file);
      out[optimizer_state_name("exp_avg_sq", name)] = state_tensor(
          entry(value, "exp_avg_sq", PickleValue::Kind::tensor, file, where), *p, where + "'s exp_avg_sq", file);
    }
    out[optimizer_state_name("step", name)] = scalar_i64(taken);
    steps = std::max(steps, taken);
  }
  out[passes::kStepTensor] = scalar_i64(steps);
  return out;
}

}  // namespace wick::train
