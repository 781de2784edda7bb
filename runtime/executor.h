// Runs a Plan: checks the inputs against the compiled signature before
// anything runs, then interprets the instructions, calling compiled kernels
// through their packed entries and extern kernels through oneDNN.
#pragma once

#include <vector>

#include "runtime/memref_descriptor.h"
#include "runtime/plan.h"
#include "support/tensor.h"

namespace wick::rt {

class Executor {
 public:
  // `kernels` is parallel to plan.kernels, `tensors` to plan.tensors.
  Executor(Plan plan, std::vector<PackedKernelFn> kernels, std::vector<Tensor> tensors);

  // Thread-compatible: concurrent runs each use their own slots.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs) const;

  const Plan& plan() const { return plan_; }

 private:
  Plan plan_;
  std::vector<PackedKernelFn> kernels_;
  std::vector<Tensor> tensors_;
};

// The error for inputs that do not match the compiled signature; empty when
// they do. Exposed so that callers can decide to compile for a new signature.
std::string check_inputs(const std::vector<TensorSpec>& specs, const std::vector<Tensor>& inputs);

}  // namespace wick::rt
