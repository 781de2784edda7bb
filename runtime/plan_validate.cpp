#include "runtime/plan_validate.h"

#include <limits>

#include "runtime/plan_printer.h"
#include "runtime/post_op.h"
#include "runtime/tensor_spec.h"
#include "support/error.h"
#include "support/tensor.h"

namespace wick::rt {
namespace {

bool known_dtype(DType t) {
  for (DType d : kAllDTypes)
    if (d == t) return true;
  return false;
}

class Validator {
 public:
  Validator(const Plan& plan, std::string file) : plan_(plan), file_(std::move(file)) {}

  void run() {
    if (plan_.num_slots < 0 || plan_.num_slots > kMaxPlanSlots)
      fail("bad slot count " + std::to_string(plan_.num_slots));
    if (plan_.inputs.size() != plan_.input_specs.size())
      fail(std::to_string(plan_.inputs.size()) + " inputs but " + std::to_string(plan_.input_specs.size()) +
           " input specs");
    for (Slot s : plan_.inputs) slot(s, "input");
    if (plan_.symbols.size() > kMaxSymbols) fail("too many dynamic dims (" + std::to_string(plan_.symbols.size()) + ")");
    for (size_t k = 0; k < plan_.symbols.size(); ++k) {
      if (!valid_symbol_name(plan_.symbols[k])) fail("bad dynamic dim name \"" + plan_.symbols[k].substr(0, 80) + "\"");
      for (size_t j = 0; j < k; ++j)
        if (plan_.symbols[j] == plan_.symbols[k]) fail("dynamic dim \"" + plan_.symbols[k] + "\" is named twice");
    }
    std::vector<bool> bound(plan_.symbols.size(), false);
    for (const TensorSpec& spec : plan_.input_specs) {
      sizes(spec.dtype, spec.sizes, "input spec");
      if (spec.size_symbols.empty()) continue;
      if (spec.size_symbols.size() != spec.sizes.size())
        fail("an input spec of rank " + std::to_string(spec.sizes.size()) + " has " +
             std::to_string(spec.size_symbols.size()) + " dynamic dim entries");
      for (size_t d = 0; d < spec.sizes.size(); ++d) {
        const int32_t sym = spec.size_symbols[d];
        if (sym == -1) continue;
        symbol(sym, "an input spec");
        if (spec.sizes[d] < 1) fail("an input spec has a dynamic dim with coefficient " + std::to_string(spec.sizes[d]));
        bound[static_cast<size_t>(sym)] = true;
      }
    }
    // The inputs fix every symbol the instructions use, but those a nonzero
    // binds (the executor refuses a size read before it is bound).
    bound_by_nonzero(plan_.body, bound);
    for (size_t k = 0; k < bound.size(); ++k)
      if (!bound[k]) fail("dynamic dim \"" + plan_.symbols[k] + "\" is no dim of an input and no nonzero binds it");
    for (Slot s : plan_.outputs) slot(s, "output");
    for (const auto& [s, name] : plan_.tensors) {
      slot(s, "tensor");
      if (name.empty()) fail("a module tensor has an empty name");
    }
    for (const std::string& k : plan_.kernels) {
      if (k.empty() || k.size() > 1024) fail("bad kernel name length " + std::to_string(k.size()));
      // Kernel names become symbol names looked up in model.so.
      for (char c : k)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') fail("bad kernel name \"" + k + "\"");
    }
    if (plan_.arena_bytes < 0 || plan_.arena_bytes > kMaxTensorBytes)
      fail("bad arena size " + std::to_string(plan_.arena_bytes));
    launch_dims();
    block(plan_.body, 0);
  }

 private:
  [[noreturn]] void fail(const std::string& message) const {
    throw Error("invalid plan: " + message, SourceLocation{file_});
  }
  [[noreturn]] void fail(const Instr& in, const std::string& message) const {
    throw Error("invalid plan: " + message + " in instruction: " + print_instr(in), SourceLocation{file_});
  }

  // A CUDA plan gives every kernel a grid and a block within the limits of
  // every CUDA device; a CPU plan gives none.
  void launch_dims() const {
    if (plan_.device == PlanDevice::cpu) {
      if (!plan_.launch_dims.empty()) fail("a CPU plan has kernel launch dimensions");
      return;
    }
    if (plan_.launch_dims.size() != 6 * plan_.kernels.size())
      fail(std::to_string(plan_.launch_dims.size()) + " launch dimensions for " + std::to_string(plan_.kernels.size()) +
           " kernels (6 each)");
    const int64_t grid_max[3] = {(int64_t{1} << 31) - 1, 65535, 65535};
    const int64_t block_max[3] = {1024, 1024, 64};
    for (size_t k = 0; k < plan_.kernels.size(); ++k) {
      const int64_t* d = &plan_.launch_dims[6 * k];
      for (int i = 0; i < 3; ++i)
        if (d[i] < 1 || d[i] > grid_max[i] || d[3 + i] < 1 || d[3 + i] > block_max[i])
          fail("bad launch dimensions for kernel " + plan_.kernels[k]);
      if (d[3] * d[4] * d[5] > 1024) fail("kernel " + plan_.kernels[k] + " has more than 1024 threads per block");
    }
  }

  static void bound_by_nonzero(const Block& b, std::vector<bool>& bound) {
    for (const Instr& in : b.instrs) {
      if ((in.op == Op::nonzero || in.op == Op::repeat_index) && in.ints.size() == 1 && in.ints[0] >= 0 &&
          static_cast<size_t>(in.ints[0]) < bound.size())
        bound[static_cast<size_t>(in.ints[0])] = true;
      for (const Block& c : in.blocks) bound_by_nonzero(c, bound);
    }
  }

  void symbol(int32_t sym, const char* what) const {
    if (sym < 0 || static_cast<size_t>(sym) >= plan_.symbols.size())
      fail(std::string(what) + " names dynamic dim " + std::to_string(sym) + " (" +
           std::to_string(plan_.symbols.size()) + " dynamic dims)");
  }

  // An alloc's or a view's dynamic sizes (int_symbols), and a kernel's sliced args.
  void dynamic_fields(const Instr& in) const {
    if (!in.int_symbols.empty()) {
      if (in.op != Op::alloc && in.op != Op::view) fail(in, "dynamic sizes on an instruction that takes none");
      count(in, in.int_symbols.size(), in.ints.size(), "dynamic size entries (one per integer)");
      bool dynamic = false;
      for (int32_t sym : in.int_symbols) {
        if (sym == -1) continue;
        if (sym < 0 || static_cast<size_t>(sym) >= plan_.symbols.size())
          fail(in, "dynamic dim " + std::to_string(sym) + " out of range (" + std::to_string(plan_.symbols.size()) +
                       " dynamic dims)");
        dynamic = true;
      }
      if (in.op == Op::view && in.int_symbols[0] != -1) fail(in, "a view of dynamic rank");
      // The arena is laid out once, for sizes known when the plan was built.
      if (in.op == Op::alloc && dynamic && in.arena_offset != -1) fail(in, "a dynamic-size allocation in the arena");
    }
    if (!in.sliced.empty()) {
      if (in.op != Op::kernel) fail(in, "sliced arguments on an instruction that is no kernel");
      count(in, in.sliced.size(), in.inputs.size() + in.outputs.size(), "sliced flags (one per argument)");
      count(in, in.outputs.size(), 1, "results", true);  // the first output's dim 0 is what is split
      for (uint8_t f : in.sliced)
        if (f > 1) fail(in, "bad sliced flag " + std::to_string(f));
    }
  }

  void slot(Slot s, const char* what) const {
    if (s < 0 || s >= plan_.num_slots)
      fail(std::string(what) + " slot " + std::to_string(s) + " is out of range (" + std::to_string(plan_.num_slots) +
           " slots)");
  }

  void sizes(DType dtype, const std::vector<int64_t>& dims, const char* what) const {
    if (!known_dtype(dtype)) fail(std::string(what) + " has an unknown dtype");
    if (dims.size() > static_cast<size_t>(kMaxTensorRank))
      fail(std::string(what) + " has rank " + std::to_string(dims.size()));
    int64_t numel = 0, bytes = 0;
    if (!checked_numel(dims, &numel) || !checked_mul(numel, static_cast<int64_t>(dtype_size(dtype)), &bytes) ||
        bytes > kMaxTensorBytes)
      fail(std::string(what) + " has a bad shape " + shape_str(dims));
  }

  void block(const Block& b, int depth) {
    if (depth > kMaxPlanDepth) fail("blocks nested deeper than " + std::to_string(kMaxPlanDepth));
    for (Slot s : b.params) slot(s, "block parameter");
    for (Slot s : b.results) slot(s, "block result");
    for (const Instr& in : b.instrs) instr(in, depth);
  }

  // Checks an operand count: exactly `n`, or at least `n` when `at_least`.
  void count(const Instr& in, size_t have, size_t n, const char* what, bool at_least = false) const {
    if (at_least ? have < n : have != n)
      fail(in, std::string("expected ") + (at_least ? "at least " : "") + std::to_string(n) + " " + what + ", got " +
                   std::to_string(have));
  }

  void instr(const Instr& in, int depth) {
    if (!op_name(in.op)) fail("unknown op " + std::to_string(static_cast<int>(in.op)));
    if (!known_dtype(in.dtype)) fail(in, "unknown dtype");
    if (!scalar_type_name(in.scalar)) fail(in, "unknown scalar type");
    if (!post_op_name(static_cast<PostOp>(in.post_op))) fail(in, "unknown post-op");
    if (in.post_op != 0 && in.op != Op::extern_call) fail(in, "a post-op on an instruction that is no library call");
    if (in.op == Op::extern_call && (in.index < 0 || in.index > 255 || !extern_op_name(static_cast<ExternOp>(in.index))))
      fail(in, "unknown library call");
    // Only a library call's optional operands (a bias) may be absent (-1).
    for (size_t i = 0; i < in.inputs.size(); ++i) {
      if (in.inputs[i] == -1 && in.op == Op::extern_call && optional_extern_input(in, i)) continue;
      slot(in.inputs[i], "operand");
    }
    for (Slot s : in.outputs) slot(s, "result");
    const bool control = in.op == Op::if_ || in.op == Op::loop;
    if (!control) count(in, in.blocks.size(), 0, "blocks");
    dynamic_fields(in);
    switch (in.op) {
      case Op::alloc:
        count(in, in.inputs.size(), 0, "operands");
        count(in, in.outputs.size(), 1, "results");
        sizes(in.dtype, in.ints, "allocation");
        if (in.arena_offset != -1) {
          int64_t numel = 0;
          checked_numel(in.ints, &numel);
          const int64_t bytes = numel * static_cast<int64_t>(dtype_size(in.dtype));
          if (in.arena_offset < 0 || in.arena_offset > plan_.arena_bytes || bytes > plan_.arena_bytes - in.arena_offset)
            fail(in, "the allocation lies outside the arena of " + std::to_string(plan_.arena_bytes) + " bytes");
        }
        return;
      case Op::kernel:
        if (in.index < 0 || static_cast<size_t>(in.index) >= plan_.kernels.size())
          fail(in, "kernel index out of range (" + std::to_string(plan_.kernels.size()) + " kernels)");
        if (in.ints.size() > 1 || (!in.ints.empty() && in.ints[0] != 0 && in.ints[0] != 1)) fail(in, "bad kernel flags");
        if (!in.ints.empty() && in.ints[0] == 1) count(in, in.outputs.size(), 1, "results", true);
        if (in.inputs.size() + in.outputs.size() > kMaxKernelArgs)
          fail(in, "a kernel of more than " + std::to_string(kMaxKernelArgs) + " arguments");
        return;
      case Op::extern_call: return extern_call(in);
      case Op::view: {
        count(in, in.inputs.size(), 1, "operands");
        count(in, in.outputs.size(), 1, "results");
        count(in, in.ints.size(), 1, "integers", true);
        const int64_t rank = in.ints[0];
        if (rank < 0 || rank > kMaxTensorRank) fail(in, "bad view rank");
        count(in, in.ints.size(), static_cast<size_t>(2 + 2 * rank), "integers");
        return;
      }
      case Op::select:
        count(in, in.inputs.size(), 2, "operands");
        count(in, in.outputs.size(), 1, "results");
        count(in, in.ints.size(), 1, "integers");
        if (in.ints[0] < 0 || in.ints[0] >= kMaxTensorRank) fail(in, "bad dimension");
        return;
      case Op::scalar: {
        const auto op = static_cast<ScalarOp>(in.index);
        if (in.index < 0 || in.index > 255 || !scalar_op_name(op)) fail(in, "unknown scalar op");
        count(in, in.outputs.size(), 1, "results");
        count(in, in.inputs.size(), scalar_arity(op), "operands");
        return;
      }
      case Op::constant:
        count(in, in.inputs.size(), 0, "operands");
        count(in, in.outputs.size(), 1, "results");
        if (in.scalar == ScalarType::int_ || in.scalar == ScalarType::bool_) count(in, in.ints.size(), 1, "integers", true);
        if (in.scalar == ScalarType::float_) count(in, in.floats.size(), 1, "floats", true);
        return;
      case Op::to_tensor:
      case Op::item:
        count(in, in.inputs.size(), 1, "operands");
        count(in, in.outputs.size(), 1, "results");
        if (in.op == Op::item && (in.index < 0 || in.index > 2)) fail(in, "bad item kind");
        return;
      case Op::move: count(in, in.outputs.size(), in.inputs.size(), "results"); return;
      case Op::if_:
        count(in, in.inputs.size(), 1, "operands");
        count(in, in.blocks.size(), 2, "blocks");
        for (const Block& b : in.blocks) {
          count(in, b.params.size(), 0, "branch parameters");
          count(in, b.results.size(), in.outputs.size(), "branch results");
          block(b, depth + 1);
        }
        return;
      case Op::loop: {
        count(in, in.inputs.size(), 2, "operands", true);
        count(in, in.blocks.size(), 1, "blocks");
        const size_t carried = in.inputs.size() - 2;
        count(in, in.outputs.size(), carried, "results");
        count(in, in.blocks[0].params.size(), carried + 1, "loop body parameters");
        count(in, in.blocks[0].results.size(), carried + 1, "loop body results");
        block(in.blocks[0], depth + 1);
        return;
      }
      case Op::raise: return;
      case Op::nonzero:
      case Op::repeat_index:
        count(in, in.inputs.size(), in.op == Op::nonzero ? 1 : 2, "operands");
        count(in, in.outputs.size(), 1, "results");
        count(in, in.ints.size(), 1, "integers");
        if (in.ints[0] < 0 || in.ints[0] > std::numeric_limits<int32_t>::max()) fail(in, "bad dynamic dim");
        symbol(static_cast<int32_t>(in.ints[0]), "a size the data decides");
        if (plan_.device != PlanDevice::cpu) fail(in, "a size the data decides in a plan for the GPU");
        return;
      case Op::store: {
        count(in, in.inputs.size(), 2, "operands");
        count(in, in.outputs.size(), 0, "results");
        bool module_tensor = false;
        for (const auto& [s, name] : plan_.tensors) module_tensor = module_tensor || s == in.inputs[1];
        if (!module_tensor) fail(in, "a store into a slot that holds no module tensor");
        return;
      }
    }
  }

  static size_t scalar_arity(ScalarOp op) {
    switch (op) {
      case ScalarOp::neg_int:
      case ScalarOp::neg_float:
      case ScalarOp::not_:
      case ScalarOp::int_to_float:
      case ScalarOp::float_to_int:
      case ScalarOp::to_bool: return 1;
      case ScalarOp::derive_index: return 3;
      case ScalarOp::call_index: return 0;
      default: return 2;
    }
  }

  // Operands a library call may leave out: the bias of linear, convolution
  // and the quantized linear.
  static bool optional_extern_input(const Instr& in, size_t i) {
    const auto op = static_cast<ExternOp>(in.index);
    return (i == 2 && (op == ExternOp::linear || op == ExternOp::conv1d || op == ExternOp::conv2d ||
                       op == ExternOp::conv3d)) ||
           (i == 4 && op == ExternOp::quantized_linear_dynamic);
  }

  void extern_call(const Instr& in) const {
    const auto op = static_cast<ExternOp>(in.index);
    count(in, in.outputs.size(), 1, "results");
    size_t inputs = 1, floats = 0, ints = 0, max_ints = 0;
    switch (op) {
      case ExternOp::matmul: inputs = 2; break;
      case ExternOp::linear: inputs = 3; break;
      case ExternOp::addmm: inputs = 3; floats = 2; break;
      case ExternOp::conv1d: inputs = 3; ints = 4; max_ints = 5; break;  // the last: constant weights
      case ExternOp::conv2d: inputs = 3; ints = 7; max_ints = 8; break;
      case ExternOp::conv3d: inputs = 3; ints = 10; max_ints = 11; break;
      case ExternOp::max_pool2d: ints = 9; break;
      case ExternOp::avg_pool2d: ints = 9; break;
      case ExternOp::adaptive_avg_pool2d: ints = 2; break;
      case ExternOp::conv_input_backward:
      case ExternOp::conv_weight_backward: {
        // ints: spatial rank s, stride[s], padding[s], dilation[s], groups
        inputs = 2;
        count(in, in.ints.size(), 1, "integers", true);
        const int64_t s = in.ints[0];
        if (s < 1 || s > 3) fail(in, "bad convolution rank");
        ints = static_cast<size_t>(2 + 3 * s);
        break;
      }
      case ExternOp::max_pool2d_backward: inputs = 2; ints = 9; break;
      case ExternOp::avg_pool2d_backward: ints = 9; break;
      case ExternOp::adaptive_avg_pool2d_backward: break;
      case ExternOp::lu_solve: inputs = 2; max_ints = 1; break;  // ints: report (info)
      case ExternOp::slogdet: break;
      case ExternOp::cholesky: max_ints = 1; break;
      case ExternOp::triangular_solve: inputs = 2; ints = 2; break;
      case ExternOp::symmetric_eigen: break;
      case ExternOp::singular_values: ints = 1; break;
      case ExternOp::qr_factor: ints = 2; break;
      case ExternOp::matrix_exponential: break;
      case ExternOp::fourier_transform:
        ints = 3;
        if (in.ints.size() == 3 && (in.ints[1] < 0 || in.ints[1] > 3)) fail(in, "bad Fourier transform kind");
        break;
      case ExternOp::short_time_transform: inputs = 2; ints = 2; break;
      case ExternOp::ctc_loss: inputs = 4; ints = 2; break;
      case ExternOp::ctc_loss_backward: inputs = 5; ints = 2; break;
      case ExternOp::lu_factor: ints = 1; break;
      case ExternOp::lu_permutation: break;
      case ExternOp::quantized_linear_dynamic: inputs = 5; ints = 1; max_ints = 2; break;  // qmax, constant weights
      case ExternOp::conv2d_int8: inputs = 2; ints = 9; break;
    }
    count(in, in.inputs.size(), inputs, "operands");
    if (max_ints > ints && in.ints.size() == max_ints) ints = max_ints;
    count(in, in.ints.size(), ints, "integers");
    count(in, in.floats.size(), floats, "floats");
  }

  const Plan& plan_;
  std::string file_;
};

}  // namespace

void validate_plan(const Plan& plan, const std::string& file) { Validator(plan, file).run(); }

}  // namespace wick::rt
