// wick::Trainer: loads a .pt twice over one module (the forward in training
// mode as the module's method, and in eval mode beside it), compiles a step
// graph per input signature, and runs it. Every executor reads the module's
// tensors in place (contiguous, shared storage), so a step's stores are
// what the next step, evaluate() and predict() read. On a GPU the module's
// tensors are moved to the device once, so that every executor shares them
// there too (rt::to_device keeps a tensor already on the device).
#include "api/trainer.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <mutex>

#include "api/bind_inputs.h"
#include "api/compiled_graph.h"
#include "api/optimizer_state.h"
#include "api/train_graph.h"
#include "api/train_optimizer.h"
#include "frontend/code_index.h"
#include "frontend/emitter.h"
#include "frontend/pt_archive.h"
#include "frontend/pt_writer.h"
#include "frontend/torch_save.h"
#include "ir/verifier.h"
#include "passes/training_state.h"
#include "runtime/cuda_tensor.h"

namespace wick {

namespace {

std::string signature_of(const std::vector<Tensor>& inputs) {
  std::string key;
  for (const Tensor& t : inputs) key += (key.empty() ? "" : ", ") + (t.defined() ? t.describe() : "undefined");
  return key;
}

Tensor scalar_i64(int64_t v) {
  Tensor t = Tensor::zeros(DType::i64, {});
  *t.data_as<int64_t>() = v;
  return t;
}

// Tied weights: two names for one tensor (one Parameter in torch, as in
// weight tying) are one parameter: every read of the later name reads the
// first, so a step sums the gradients of all uses into one update, as
// torch.optim does. Returns alias -> first name. Parameters whose bytes
// overlap otherwise would each get their own update, which is not what
// torch does with them, nor would a frozen parameter see the updates of a
// trained one it shares bytes with: refused. Frozen parameters may share.
std::map<std::string, std::string> tied_parameters(const ir::Module& m) {
  struct Span {
    const Storage* storage;
    uintptr_t begin, end;
    const ir::NamedTensor* t;
  };
  std::vector<Span> spans;
  for (const ir::NamedTensor& t : m.tensors()) {
    if ((t.role != ir::TensorRole::parameter && t.role != ir::TensorRole::frozen) || !t.data.defined() ||
        t.data.numel() == 0)
      continue;
    const auto begin = reinterpret_cast<uintptr_t>(t.data.data());
    spans.push_back({t.data.storage().get(), begin, begin + t.data.nbytes(), &t});
  }
  std::stable_sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.storage != b.storage ? a.storage < b.storage : a.begin < b.begin;
  });
  auto same_tensor = [](const ir::NamedTensor& a, const ir::NamedTensor& b) {
    return a.role == b.role && a.data.data() == b.data.data() && a.data.dtype() == b.data.dtype() &&
           a.data.sizes() == b.data.sizes() && a.data.strides() == b.data.strides();
  };
  std::map<std::string, std::string> aliases;
  for (size_t i = 1; i < spans.size(); ++i)
    for (size_t j = i; j-- > 0 && spans[j].storage == spans[i].storage;) {
      const ir::NamedTensor &a = *spans[j].t, &b = *spans[i].t;
      if (spans[i].begin >= spans[j].end || (a.role == ir::TensorRole::frozen && b.role == ir::TensorRole::frozen))
        continue;
      if (!same_tensor(a, b))
        throw Error("parameters " + a.name + " and " + b.name +
                    " overlap in memory without being one tensor, which training does not support yet");
      // The name the module lists first stays; the other reads it.
      const ir::NamedTensor* first = &a < &b ? &a : &b;
      const ir::NamedTensor* other = first == &a ? &b : &a;
      auto it = aliases.find(first->name);
      aliases[other->name] = it == aliases.end() ? first->name : it->second;
    }
  return aliases;
}

// Every read of an alias in `g` reads the tensor it is tied to.
void read_tied_as_one(ir::Graph& g, const std::map<std::string, std::string>& aliases) {
  ir::walk(g.block(), [&](ir::Node* n) {
    if (!n->is("prim::Param")) return;
    auto it = aliases.find(std::get<std::string>(*n->attrs().find("name")));
    if (it != aliases.end()) n->attrs().set("name", it->second);
  });
}

}  // namespace

struct Trainer::Impl {
  std::string path;
  PtArchive archive;
  std::unique_ptr<ir::Module> module;  // its method: the forward in training mode
  std::unique_ptr<ir::Graph> eval;     // the same forward in eval mode
  LossConfig loss;
  OptimizerConfig optimizer;
  TrainerOptions options;
  std::map<std::string, std::shared_ptr<CompiledGraph>> steps, losses, predictions;
  // The parameters as model.parameters() lists them: trained and frozen,
  // a tied one once (api/optimizer_state.h).
  std::vector<std::string> parameter_order;

  const ir::Graph& train_method() const { return *module->method(options.method); }

  passes::TargetDevice target_device() const {
    return cuda_device_index(options.device) >= 0 ? passes::TargetDevice::cuda : passes::TargetDevice::cpu;
  }

  GraphCompileOptions compile_options(bool prepared) const {
    GraphCompileOptions o;
    o.cache_dir = options.cache_dir;
    o.mutable_tensors = true;
    o.prepared = prepared;
    o.device = options.device;
    return o;
  }

  // `g` with the inputs left out of `inputs` bound to None (api/bind_inputs.h).
  struct Bound {
    std::unique_ptr<ir::Graph> owned;
    const ir::Graph* graph;
  };
  static Bound bind(const ir::Graph& g, const std::vector<Tensor>& inputs) {
    Bound b;
    b.owned = bind_left_out_inputs(g, given_inputs(inputs));
    b.graph = b.owned ? b.owned.get() : &g;
    return b;
  }

  std::vector<ir::TypePtr> types_of(const std::vector<Tensor>& inputs, const Tensor* target) const {
    std::vector<ir::TypePtr> types;
    for (const Tensor& t : given_only(inputs)) types.push_back(ir::Type::tensor_static(t.dtype(), t.sizes()));
    if (target) {
      if (!target->defined()) throw Error("the target tensor is undefined");
      types.push_back(ir::Type::tensor_static(target->dtype(), target->sizes()));
    }
    return types;
  }

  // What a step or a loss runs on: the model's inputs (with the `output`
  // loss, the target too, as the last), the compiled graph's arguments and
  // their types.
  struct Batch {
    std::vector<Tensor> model_inputs, args;
    std::vector<ir::TypePtr> types;
  };
  Batch batch(const std::vector<Tensor>& inputs, const Tensor& target) const {
    Batch b;
    b.model_inputs = inputs;
    if (loss.kind == LossKind::output) {
      if (target.defined()) b.model_inputs.push_back(target);
      b.args = b.model_inputs;
      b.types = types_of(b.model_inputs, nullptr);
      return b;
    }
    b.args = inputs;
    b.args.push_back(target);
    b.types = types_of(inputs, &target);
    return b;
  }

  // Runs `make` on a miss of `cache`, then the compiled graph; errors name the file.
  template <typename Make>
  std::vector<Tensor> run(std::map<std::string, std::shared_ptr<CompiledGraph>>& cache,
                          const std::vector<Tensor>& args, Make&& make) {
    try {
      const std::string key = signature_of(args);
      auto it = cache.find(key);
      if (it == cache.end()) it = cache.emplace(key, make()).first;
      return it->second->executor().run(given_only(args));
    } catch (const Error& e) {
      throw e.with_file(path);
    }
  }

  double loss_value(const std::vector<Tensor>& out) const {
    WICK_ASSERT(out.size() == 1 && out[0].numel() == 1, "a loss graph returns one 0-d tensor");
    const Tensor& l = out[0];
    return element_as_double(l.dtype(), l.data());
  }
};

Trainer::Trainer(const std::string& path, LossConfig loss, OptimizerConfig optimizer, TrainerOptions options)
    : impl_(std::make_unique<Impl>()) {
  Impl& t = *impl_;
  t.path = path;
  t.loss = loss;
  t.optimizer = optimizer;
  t.options = std::move(options);
  train::check_optimizer(optimizer);
  try {
    t.archive = load_pt_archive(path);
    CodeIndex code(t.archive.code_files, path);
    EmitOptions train_mode, eval_mode;
    train_mode.training = true;
    eval_mode.training = false;
    t.module = emit_module(t.archive, code, path, t.options.method, train_mode);
    t.eval = emit_graph(t.archive, code, *t.module, path, t.options.method, eval_mode);
    const std::map<std::string, std::string> tied = tied_parameters(*t.module);
    read_tied_as_one(*t.module->method(t.options.method), tied);
    read_tied_as_one(*t.eval, tied);
    // Executors read contiguous tensors in place; others would be copied,
    // and updates to the copies lost.
    for (const ir::NamedTensor& nt : t.module->tensors())
      if (nt.data.defined() && !nt.data.is_contiguous()) t.module->set_tensor_data(nt.name, nt.data.contiguous());
    t.module->add_tensor(passes::kStepTensor, ir::TensorRole::buffer, scalar_i64(0));
    t.module->add_tensor(passes::kSeedTensor, ir::TensorRole::buffer,
                         scalar_i64(static_cast<int64_t>(t.options.seed)));
    ir::verify(*t.module);
    const int device = cuda_device_index(t.options.device);
    if (device >= 0)
      for (const ir::NamedTensor& nt : t.module->tensors())
        if (nt.data.defined()) t.module->set_tensor_data(nt.name, rt::to_device(nt.data, device));
    // An alias holds its tensor's data (a copy made contiguous or moved to
    // the device would go stale, and save() writes every name).
    for (const auto& [alias, name] : tied) t.module->set_tensor_data(alias, t.module->find_tensor(name)->data);
    for (const ir::NamedTensor& nt : t.module->tensors())
      if ((nt.role == ir::TensorRole::parameter || nt.role == ir::TensorRole::frozen) && !tied.count(nt.name))
        t.parameter_order.push_back(nt.name);
  } catch (const Error& e) {
    throw e.with_file(path);
  }
}

Trainer::~Trainer() = default;

double Trainer::step(const std::vector<Tensor>& inputs, const Tensor& target) {
  Impl& t = *impl_;
  const Impl::Batch b = t.batch(inputs, target);
  return t.loss_value(t.run(t.steps, b.args, [&] {
    Impl::Bound method = Impl::bind(t.train_method(), b.model_inputs);
    auto graph = train::build_step_graph(*method.graph, *t.module, t.loss, t.optimizer, b.types, t.target_device());
    return compile_graph(*graph, *t.module, b.types, t.compile_options(true));
  }));
}

double Trainer::evaluate(const std::vector<Tensor>& inputs, const Tensor& target) {
  Impl& t = *impl_;
  const Impl::Batch b = t.batch(inputs, target);
  return t.loss_value(t.run(t.losses, b.args, [&] {
    Impl::Bound eval = Impl::bind(*t.eval, b.model_inputs);
    auto graph = train::build_loss_graph(*eval.graph, *t.module, t.loss, b.types, t.target_device());
    return compile_graph(*graph, *t.module, b.types, t.compile_options(true));
  }));
}

std::vector<Tensor> Trainer::predict(const std::vector<Tensor>& inputs) {
  Impl& t = *impl_;
  return t.run(t.predictions, inputs, [&] {
    Impl::Bound eval = Impl::bind(*t.eval, inputs);
    return compile_graph(*eval.graph, *t.module, t.types_of(inputs, nullptr), t.compile_options(false));
  });
}

void Trainer::save(const std::string& path) const {
  ir::Module& m = *impl_->module;
  // The writer reads host memory: device tensors are swapped for host copies
  // while it runs, then put back.
  std::vector<std::pair<std::string, Tensor>> on_device;
  for (const ir::NamedTensor& nt : m.tensors())
    if (nt.data.defined() && nt.data.device().kind != DeviceKind::cpu) on_device.emplace_back(nt.name, nt.data);
  for (const auto& [name, data] : on_device) m.set_tensor_data(name, rt::to_host(data));
  try {
    write_pt(impl_->archive, m, path);
  } catch (...) {
    for (const auto& [name, data] : on_device) m.set_tensor_data(name, data);
    throw;
  }
  for (const auto& [name, data] : on_device) m.set_tensor_data(name, data);
}

void Trainer::save_optimizer(const std::string& path) const {
  const Impl& t = *impl_;
  std::map<std::string, Tensor> state;
  for (const ir::NamedTensor& nt : t.module->tensors())
    if (nt.name.rfind("wick::", 0) == 0 && nt.data.defined()) state[nt.name] = rt::to_host(nt.data);
  write_torch_save(path, train::optimizer_state_dict(*t.module, state, t.optimizer, t.parameter_order));
}

void Trainer::load_optimizer(const std::string& path) {
  Impl& t = *impl_;
  const std::map<std::string, Tensor> state = train::optimizer_state_tensors(
      read_torch_save(path), *t.module, t.optimizer, t.parameter_order, path);
  const int device = cuda_device_index(t.options.device);
  for (const auto& [name, value] : state) {
    const ir::NamedTensor* existing = t.module->find_tensor(name);
    if (!existing) {
      t.module->add_tensor(name, ir::TensorRole::buffer, device >= 0 ? rt::to_device(value, device) : value);
      continue;
    }
    // Compiled steps read the tensor where it is: overwritten in place.
    WICK_ASSERT(existing->data.dtype() == value.dtype() && existing->data.sizes() == value.sizes(),
                "optimizer state " + name + " changed its type");
    if (existing->data.device().kind == DeviceKind::cpu) std::memcpy(existing->data.data(), value.data(), value.nbytes());
    else rt::cuda_copy(value, existing->data);
  }
}

int64_t Trainer::steps() const {
  return *rt::to_host(impl_->module->find_tensor(passes::kStepTensor)->data).data_as<int64_t>();
}

const ir::Module& Trainer::module() const { return *impl_->module; }

}  // namespace wick
