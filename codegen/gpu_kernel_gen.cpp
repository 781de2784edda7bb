// generate_gpu_kernel's front door: sorts the group into a kernel kind (as
// generate_kernel does), checks that its shapes are static, writes the
// kernel with the kind's GPU emitter, wraps it into a gpu.module and
// compiles that to PTX.
#include "codegen/gpu_kernel_gen.h"

#include <algorithm>
#include <set>

#include "codegen/gpu_builder.h"
#include "codegen/gpu_module.h"
#include "codegen/stopwatch.h"
#include "codegen/reduction_op.h"
#include "ir/op_table.h"
#include "support/error.h"

namespace wick::codegen {
namespace {

const std::set<std::string>& scatter_ops() {
  static const std::set<std::string> ops = {"aten::slice_backward", "aten::index_add", "aten::index_put",
                                            "wick::index_put_reduce"};
  return ops;
}

bool is_data(const ir::Node* n) { return n->is("prim::Constant") || n->is("prim::ListConstruct"); }

bool is_mlp(const std::vector<const ir::Node*>& nodes) {
  return std::any_of(nodes.begin(), nodes.end(), [](const ir::Node* n) { return n->is("aten::linear"); });
}

[[noreturn]] void dynamic_error(const std::string& name, const std::string& what) {
  throw Error("kernel " + name + ": dynamic dims are not supported on the GPU yet (" + what + ")");
}

void check_static(const KernelGroup& group, const std::string& name) {
  for (const ir::Value* v : group_tensors(group))
    if (!v->type()->fully_static()) dynamic_error(name, "%" + v->name() + " has type " + v->type()->str());
  for (const TensorLayout& l : group.input_layouts)
    if (std::find(l.sizes.begin(), l.sizes.end(), kDynamic) != l.sizes.end())
      dynamic_error(name, "an input layout has a dynamic size");
}

// Whether 32-bit index arithmetic reaches every element: every argument's
// span and every value's element count below 2^31.
bool fits_index32(const std::vector<KernelArg>& args, const KernelGroup* group) {
  constexpr int64_t kLimit = int64_t{1} << 31;
  for (const KernelArg& a : args) {
    if (a.kind != KernelArgKind::tensor) continue;
    int64_t span = 1;
    for (size_t k = 0; k < a.layout.sizes.size(); ++k) {
      if (a.layout.sizes[k] == 0) {
        span = 0;
        break;
      }
      span += (a.layout.sizes[k] - 1) * a.layout.strides[k];
      if (span >= kLimit) return false;
    }
  }
  if (group)
    for (const ir::Value* v : group_tensors(*group)) {
      int64_t numel = 1;
      for (int64_t n : v->type()->static_sizes()) {
        numel *= n;
        if (numel >= kLimit) return false;
      }
    }
  return true;
}

GpuKernel finish(KernelBuilder& b, GpuBuilder& g, const std::string& name, const KernelGroup* group,
                 const Stopwatch& clock) {
  GeneratedKernel k = b.finish();
  const bool index32 = fits_index32(k.args, group);
  GpuModuleText m = make_gpu_module(k.mlir, name, g.launch.block, index32);
  GpuKernel out;
  out.name = name;
  out.mlir = std::move(m.mlir);
  out.grid = g.launch.grid;
  out.block = g.launch.block;
  out.shared_bytes = m.shared_bytes;
  out.args = std::move(k.args);
  out.status_arg = g.status_arg();
  WICK_ASSERT(out.shared_bytes <= 48 * 1024, "GPU kernel " + name + " needs more than 48 KiB of shared memory");
  out.generate_ms = clock.elapsed_ms();
  return out;
}

}  // namespace

GpuKernel generate_gpu_kernel(const KernelGroup& group, const std::string& name, const GpuTarget& target) {
  GpuKernel k = write_gpu_kernel(group, name);
  compile_gpu_kernel(k, target);
  return k;
}

GpuKernel generate_gpu_copy(const TensorLayout& src, const std::string& name, const GpuTarget& target) {
  GpuKernel k = write_gpu_copy(src, name);
  compile_gpu_kernel(k, target);
  return k;
}

void compile_gpu_kernel(GpuKernel& kernel, const GpuTarget& target) {
  kernel.ptx = compile_gpu_module(kernel.mlir, target, &kernel.compile);
}

GpuKernel write_gpu_kernel(const KernelGroup& group, const std::string& name) {
  Stopwatch clock;
  WICK_ASSERT(can_generate_group(group.nodes), "kernel " + name + ": cannot generate this group");
  std::vector<const ir::Node*> compute;
  for (const ir::Node* n : group.nodes)
    if (!is_data(n)) compute.push_back(n);
  WICK_ASSERT(!compute.empty(), "kernel " + name + " has nothing to compute");
  WICK_ASSERT(!group.outputs.empty(), "kernel " + name + " has no outputs");
  for (const ir::Value* v : group.outputs)
    WICK_ASSERT(std::find(compute.begin(), compute.end(), v->node()) != compute.end(),
                "kernel " + name + ": output %" + v->name() + " is not computed in the group");
  check_static(group, name);

  std::vector<const ir::Node*> reductions;
  const ir::Node* movement = nullptr;
  for (const ir::Node* n : compute) {
    if (is_reduction(*n)) reductions.push_back(n);
    else if (n->op().lowering != ir::Lowering::pointwise) movement = n;
  }
  const bool mlp = is_mlp(compute);
  if (movement && !mlp)
    WICK_ASSERT(compute.size() == 1, "kernel " + name + ": " + movement->kind() + " must be alone in its group");

  KernelBuilder b(group, name);
  b.set_for_gpu();
  b.add_group_args();
  GpuBuilder g(b);
  if (mlp) {
    emit_gpu_mlp(g);
  } else if (movement) {
    const std::string& k = movement->kind();
    if (k == "aten::cat" || k == "aten::stack") {
      emit_gpu_concat(g, *movement);
    } else if (k == "aten::contiguous") {
      const MemRef* in = b.input_tensor(movement->input(0));
      const MemRef* out = b.output(movement->output());
      WICK_ASSERT(in && out, "kernel " + name + ": contiguous needs its input and output as arguments");
      emit_gpu_copy(g, *in, *out);
    } else if (scatter_ops().count(k)) {
      emit_gpu_scatter(g, *movement);
    } else {
      emit_gpu_gather(g, *movement);
    }
  } else if (!reductions.empty()) {
    emit_gpu_reduction(g, reductions);
  } else {
    emit_gpu_pointwise(g);
  }
  return finish(b, g, name, &group, clock);
}

GpuKernel write_gpu_copy(const TensorLayout& src, const std::string& name) {
  Stopwatch clock;
  if (std::find(src.sizes.begin(), src.sizes.end(), kDynamic) != src.sizes.end())
    dynamic_error(name, "the copied layout has a dynamic size");
  static const KernelGroup no_group;
  KernelBuilder b(no_group, name);
  b.set_for_gpu();
  MemRef in = b.add_tensor_arg(src, false);
  MemRef out = b.add_tensor_arg(contiguous_layout(src.dtype, src.sizes), true);
  in.sizes = out.sizes = static_shape(src.sizes);
  GpuBuilder g(b);
  emit_gpu_copy(g, in, out);
  return finish(b, g, name, nullptr, clock);
}

}  // namespace wick::codegen
