// Runs a Plan: checks the inputs against the compiled signature before
// anything runs, then interprets the instructions, calling compiled kernels
// through their packed entries and extern kernels through oneDNN.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "runtime/cuda_module.h"
#include "runtime/memref_descriptor.h"
#include "runtime/plan.h"
#include "support/tensor.h"

namespace wick::rt {

// The kernels of a CUDA plan, loaded on `device`, parallel to plan.kernels.
struct CudaPlanKernels {
  int device = 0;
  std::vector<CudaFunction> functions;
};

class Executor {
 public:
  // `kernels` is parallel to plan.kernels, `tensors` to plan.tensors.
  Executor(Plan plan, std::vector<PackedKernelFn> kernels, std::vector<Tensor> tensors);
  // A CUDA plan: `tensors` are copied to the device once, here. Inputs may
  // be on the CPU or the device; outputs come back on the CPU. A plan of
  // fixed shapes whose run needs nothing from the host midway (no If, Loop
  // or item), and whose inputs are small next to the launches a replay saves,
  // is captured as a CUDA graph after its first run and replayed.
  Executor(CudaPlanKernels kernels, Plan plan, std::vector<Tensor> tensors);
  ~Executor();
  Executor(Executor&&) noexcept;

  // Thread-safe: concurrent runs each take their own context (slots and
  // arena); a finished run returns its context for the next one to reuse.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs) const;

  // A CUDA plan's run that leaves its outputs on the device and does not wait
  // for them: the caller synchronizes (cuda_device(i).synchronize()) or reads
  // them with to_host. Inputs may be on the host or the device. When the run
  // was replayed from a CUDA graph, the outputs are the graph's own buffers,
  // which the next run of this executor overwrites (as with PyTorch's CUDA
  // graphs): copy them to keep them. On a CPU plan this is run().
  std::vector<Tensor> run_on_device(const std::vector<Tensor>& inputs) const;

  const Plan& plan() const { return plan_; }
  // Whether runs after the first are captured and replayed as a CUDA graph
  // (unless the capture fails; then they launch directly).
  bool replays_graph() const { return graph_safe_; }
  // The module tensors the plan reads (on the plan's device).
  const std::vector<Tensor>& tensors() const { return tensors_; }

  struct Context;

 private:
  std::vector<Tensor> run_impl(const std::vector<Tensor>& inputs, bool outputs_on_device) const;
  std::unique_ptr<Context> acquire() const;
  void release(std::unique_ptr<Context> c) const;
  std::vector<Tensor> run_cuda(Context& c, const std::vector<Tensor>& inputs, const std::vector<int64_t>& symbols,
                               bool outputs_on_device) const;
  void capture_graph(Context& c, const std::vector<Tensor>& inputs) const;

  Plan plan_;
  std::vector<PackedKernelFn> kernels_;
  std::unique_ptr<CudaPlanKernels> gpu_;
  bool graph_safe_ = false;
  std::vector<Tensor> tensors_;
  mutable std::mutex mutex_;
  mutable std::vector<std::unique_ptr<Context>> contexts_;
  mutable std::atomic<int64_t> calls_{0};  // runs begun: each draws from its own random stream
};

// The error for inputs that do not match the compiled signature; empty when
// they do. Exposed so that callers can decide to compile for a new signature.
std::string check_inputs(const std::vector<TensorSpec>& specs, const std::vector<Tensor>& inputs);
// The same, also giving the value of each dynamic dim (symbol) the inputs fix.
std::string bind_symbols(const std::vector<TensorSpec>& specs, const std::vector<Tensor>& inputs,
                         std::vector<int64_t>* symbols);

}  // namespace wick::rt
