// The Plan: what a compiled method does, as a flat list of instructions over
// numbered value slots, with structured If/Loop instructions that own nested
// blocks. It holds no pointers into the compiler, so it can be run by the
// executor of a deployed runtime and written to disk.
//
// A slot holds a tensor or a scalar at run time. Kernels are named and bound
// to function pointers separately (a JIT module or a shared library).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/dtype.h"

namespace wick::rt {

using Slot = int32_t;

enum class Op : uint8_t {
  alloc,        // outputs[0] = contiguous tensor: dtype, sizes in `ints`; at `arena_offset`
                // bytes into the run's arena, or newly allocated when that is -1
  kernel,       // kernels[index](inputs..., outputs...): tensors as memrefs, scalars by value;
                // with ints == {1} the last output is an int64 flag: nonzero means an index was out of range
  extern_call,  // an ExternOp (`index`) on inputs, writing outputs[0] (already allocated)
  view,         // outputs[0] = inputs[0] restrided: ints = [rank, sizes..., strides..., offset_delta]
  select,       // outputs[0] = inputs[0] at index inputs[1] (an int slot) of dim ints[0]
  scalar,       // outputs[0] = ScalarOp (`index`) of inputs
  constant,     // outputs[0] = the scalar in ints[0] / floats[0] / text (ScalarType in `dtype`)
  to_tensor,    // outputs[0] = 0-d tensor of dtype `dtype` holding the scalar inputs[0]
  item,         // outputs[0] = the one element of tensor inputs[0] as an int, float or bool (index: 0/1/2)
  move,         // outputs[i] = inputs[i]
  if_,          // blocks[0] if inputs[0] else blocks[1]; outputs = the block's results
  loop,         // up to inputs[0] trips while the condition holds; see Block
  raise,        // stops with an error carrying `text`
  store,        // writes tensor inputs[0] into the module tensor in slot inputs[1] (a Plan::tensors
                // slot), element by element honouring both layouts: a training step's update
  nonzero,      // outputs[0] = the positions of inputs[0]'s nonzero elements, a new [N, rank] int64
                // tensor in row-major order; binds dynamic dim ints[0] to N (a size the data decides;
                // CPU plans only)
  repeat_index,  // outputs[0] = each i < inputs[1] (an int slot) repeated inputs[0][i] times (or
                 // inputs[0]'s one count for all), a new [N] int64 tensor; binds dynamic dim
                 // ints[0] to N as nonzero does
};

// Where a plan runs: its tensors, kernels and extern calls are all on one device.
enum class PlanDevice : uint8_t { cpu, cuda };

// The kind of scalar a `constant` instruction or a slot holds.
enum class ScalarType : uint8_t { none, int_, float_, bool_, str };

// Scalar ops the executor evaluates itself (what is left after constant
// folding: loop counters, conditions on tensor values).
enum class ScalarOp : uint8_t {
  add_int, sub_int, mul_int, floordiv_int, remainder_int, neg_int,
  add_float, sub_float, mul_float, div_float, neg_float,
  eq, ne, lt, le, gt, ge,  // on two numbers of any kind
  not_, and_, or_,
  int_to_float, float_to_int, to_bool,
  size,  // inputs: tensor, int dim
  max_int, min_int,
  derive_index,  // inputs: index, start, step
  // Bitwise on ints (two's complement); a shift count outside [0, 63] gives
  // 0 for shl and the sign (0 or -1) for shr.
  and_int, or_int, xor_int, shl_int, shr_int,
  call_index,  // no inputs: how many runs of this plan's executor began before this one (random streams)
};

enum class ExternOp : uint8_t {
  matmul,               // inputs: a, b
  linear,               // inputs: x, weight, [bias]
  addmm,                // inputs: bias, a, b; floats: beta, alpha
  conv1d,               // inputs: x, weight, [bias]; ints: stride, padding, dilation, groups, constant weights
  conv2d,               // inputs: x, weight, [bias]; ints: stride[2], padding[2], dilation[2], groups, constant weights
  max_pool2d,           // ints: kernel[2], stride[2], padding[2], dilation[2], ceil_mode
  avg_pool2d,           // ints: kernel[2], stride[2], padding[2], ceil_mode, count_include_pad, divisor (0: none)
  adaptive_avg_pool2d,  // ints: output size[2]
  // Gradients (runtime/backward_kernels.h); outputs[0] receives the gradient.
  conv_input_backward,           // inputs: grad_output, weight; ints: spatial, stride[s], padding[s], dilation[s], groups
  conv_weight_backward,          // inputs: grad_output, input; ints as conv_input_backward
  max_pool2d_backward,           // inputs: grad_output, input; ints as max_pool2d
  avg_pool2d_backward,           // inputs: grad_output; ints as avg_pool2d
  adaptive_avg_pool2d_backward,  // inputs: grad_output
  conv3d,  // inputs: x, weight, [bias]; ints: stride[3], padding[3], dilation[3], groups, constant weights
  // Dense linear algebra (runtime/linalg.h), f32 or f64, CPU only.
  lu_solve,          // inputs: A, B; ints: [report] (outputs[0] [*, n + 1, k]: X, then info)
  slogdet,           // inputs: A; outputs[0] is [*, 2]: sign, log|det|
  cholesky,          // inputs: A; ints: [report] (outputs[0] [*, n + 1, n]: L, then info)
  triangular_solve,  // inputs: A, B; ints: upper, unitriangular
  symmetric_eigen,   // inputs: A; outputs[0] is [*, n + 1, n]: eigenvalues, then eigenvectors
  singular_values,   // inputs: A; ints: vectors (outputs[0] [*, m + n + 1, k]: U, s, V; else [*, k])
  qr_factor,         // inputs: A; ints: r_part, complete (outputs[0] is Q or R)
  matrix_exponential,  // inputs: A
  // Fast Fourier transforms (runtime/fft.h), f32 or f64, CPU only.
  fourier_transform,  // inputs: x; ints: dim, kind (rt::FftKind), signal length n
  short_time_transform,  // inputs: signal, window; ints: n_fft, hop
  // Connectionist temporal classification (runtime/ctc_loss.h), CPU only.
  ctc_loss,           // inputs: log_probs, targets, input_lengths, target_lengths; ints: blank, zero_infinity
  ctc_loss_backward,  // inputs: grad, then as ctc_loss; ints as ctc_loss
  // LU (runtime/linalg.h), CPU only.
  lu_factor,       // inputs: A; ints: check (outputs[0] [*, m + 2, n]: LU, pivots, info)
  lu_permutation,  // inputs: pivots [*, k]; outputs[0] [*, m] int64
  // An integer product (runtime/extern_kernels.h), CPU only.
  quantized_linear_dynamic,  // inputs: x, w, w_scale, w_zero_point, [bias]; ints: qmax, [constant weights]
  // inputs: x (u8 [N, H, W, C]), w (i8); ints: zero point, stride[2], padding[2], dilation[2], groups,
  // constant weights
  conv2d_int8,
};

struct Instr;

// A block of instructions. A loop body's params are [iteration, carried...]
// and its results [continue condition, carried...]; an if branch has no
// params and one result per output of the If.
struct Block {
  std::vector<Instr> instrs;
  std::vector<Slot> params;
  std::vector<Slot> results;
};

struct Instr {
  Op op = Op::move;
  int32_t index = 0;  // kernel index, ExternOp, ScalarOp, or item kind
  std::vector<Slot> inputs;
  std::vector<Slot> outputs;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  DType dtype = DType::f32;
  ScalarType scalar = ScalarType::none;
  std::string text;  // raise message, string constants, the source op for messages
  std::vector<Block> blocks;
  // extern_call only: an activation applied to the result in the same call
  // (rt::PostOp), with its two parameters.
  uint8_t post_op = 0;
  float post_alpha = 0;
  float post_beta = 0;
  // alloc only: where the tensor lives in the arena (see Plan::arena_bytes).
  int64_t arena_offset = -1;
  // When not empty, parallel to `ints`: ints[i] is a coefficient of symbol
  // int_symbols[i] (Plan::symbols), or a plain number where that is -1.
  // Sizes of tensors with a dynamic (symbolic) dim are written this way.
  std::vector<int32_t> int_symbols;
  // kernel only: when not empty, the kernel may run as several calls on
  // slices of its dim 0, split across threads; one flag per argument (inputs
  // then outputs): 1 where the argument's dim 0 is sliced, 0 where it is
  // passed whole (it broadcasts along dim 0).
  std::vector<uint8_t> sliced;
  // Where in the model's code the instruction comes from (file, line,
  // column and the line itself), for the errors it raises while running.
  std::string source_file;
  int32_t source_line_number = 0;
  int32_t source_column = 0;
  std::string source_text;
};

struct TensorSpec {
  DType dtype = DType::f32;
  std::vector<int64_t> sizes;
  // When not empty, parallel to `sizes`: the symbol a dim is a multiple of
  // (sizes[i] is then the coefficient), or -1 for a static size.
  std::vector<int32_t> size_symbols;
};

struct Plan {
  int32_t num_slots = 0;
  std::vector<Slot> inputs;
  std::vector<TensorSpec> input_specs;  // checked before anything runs
  std::vector<Slot> outputs;
  // Module tensors (parameters, buffers, constants) loaded into slots.
  std::vector<std::pair<Slot, std::string>> tensors;
  std::vector<std::string> kernels;  // names, bound to functions by the caller
  Block body;
  // Intermediates share one arena, allocated once per executor context and
  // reused by every run: no allocation per call in steady state.
  int64_t arena_bytes = 0;
  // Names of the dynamic dims (e.g. "B"); bound from the inputs' sizes at run time.
  std::vector<std::string> symbols;
  PlanDevice device = PlanDevice::cpu;
  // cuda only: six numbers per kernel, parallel to `kernels`: the grid's and
  // the block's x, y and z.
  std::vector<int64_t> launch_dims;
};

}  // namespace wick::rt
