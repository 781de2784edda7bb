#include "runtime/executor.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "runtime/backward_kernels.h"
#include "runtime/cublaslt_gemm.h"
#include "runtime/cuda_device.h"
#include "runtime/cuda_graph.h"
#include "runtime/ctc_loss.h"
#include "runtime/cuda_tensor.h"
#include "runtime/cudnn_conv.h"
#include "runtime/extern_kernels.h"
#include "runtime/fft.h"
#include "runtime/linalg.h"
#include "runtime/plan_validate.h"
#include "runtime/thread_pool.h"
#include "support/error.h"

namespace wick::rt {
namespace {

// What a slot holds at run time.
struct RtValue {
  ScalarType scalar = ScalarType::none;  // when !tensor.defined()
  Tensor tensor;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string s;

  bool is_tensor() const { return tensor.defined(); }
  double as_double() const {
    switch (scalar) {
      case ScalarType::int_: return static_cast<double>(i);
      case ScalarType::float_: return f;
      case ScalarType::bool_: return b ? 1.0 : 0.0;
      default: throw Error("expected a number");
    }
  }
};

RtValue int_value(int64_t v) {
  RtValue r;
  r.scalar = ScalarType::int_;
  r.i = v;
  return r;
}
RtValue float_value(double v) {
  RtValue r;
  r.scalar = ScalarType::float_;
  r.f = v;
  return r;
}
RtValue bool_value(bool v) {
  RtValue r;
  r.scalar = ScalarType::bool_;
  r.b = v;
  return r;
}

// Shifts as the tensor ops make them (ScalarOp::shl_int): defined for
// every count, wrapping on overflow.
int64_t shift_left(int64_t a, int64_t count) {
  if (count < 0 || count > 63) return 0;
  return static_cast<int64_t>(static_cast<uint64_t>(a) << count);
}
int64_t shift_right(int64_t a, int64_t count) {
  if (count < 0 || count > 63) return a < 0 ? -1 : 0;
  return a >> count;
}

int64_t floordiv(int64_t a, int64_t b) {
  if (b == 0) throw Error("integer division by zero");
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// Reads the single element of a tensor as a double (for item and bool()).
double element(const Tensor& t) {
  if (t.numel() != 1)
    throw Error("a tensor with " + std::to_string(t.numel()) + " elements cannot be converted to a scalar");
  const void* p = t.data();
  switch (t.dtype()) {
    case DType::f32: return *static_cast<const float*>(p);
    case DType::f64: return *static_cast<const double*>(p);
    case DType::i64: return static_cast<double>(*static_cast<const int64_t*>(p));
    case DType::i32: return *static_cast<const int32_t*>(p);
    case DType::i16: return *static_cast<const int16_t*>(p);
    case DType::i8: return *static_cast<const int8_t*>(p);
    case DType::u8: return *static_cast<const uint8_t*>(p);
    case DType::b8: return *static_cast<const uint8_t*>(p) ? 1.0 : 0.0;
    default: throw Error("cannot read a scalar from a " + std::string(dtype_name(t.dtype())) + " tensor");
  }
}

int64_t element_int(const Tensor& t) {
  if (t.dtype() == DType::i64 && t.numel() == 1) return *static_cast<const int64_t*>(t.data());
  return static_cast<int64_t>(element(t));
}

Tensor scalar_tensor(DType dtype, const RtValue& v) {
  Tensor t = Tensor::zeros(dtype, {});
  void* p = t.data();
  const double d = v.as_double();
  switch (dtype) {
    case DType::f32: *static_cast<float*>(p) = static_cast<float>(d); break;
    case DType::f64: *static_cast<double*>(p) = d; break;
    case DType::i64: *static_cast<int64_t*>(p) = v.scalar == ScalarType::int_ ? v.i : static_cast<int64_t>(d); break;
    case DType::i32: *static_cast<int32_t*>(p) = static_cast<int32_t>(d); break;
    case DType::b8: *static_cast<uint8_t*>(p) = d != 0; break;
    default: throw Error("cannot make a " + std::string(dtype_name(dtype)) + " tensor from a scalar");
  }
  return t;
}

}  // namespace

// The reusable state of one run: slots, and the arena with the tensors that
// live in it (set once, when the context is made).
struct Executor::Context {
  int64_t call = 0;  // the run's number among the executor's runs (ScalarOp::call_index)
  std::vector<RtValue> slots;
  std::shared_ptr<Storage> arena;
  std::vector<Slot> per_run;  // slots cleared after every run
  // CUDA plans of fixed shapes: the run captured as a graph after the first
  // one, with the buffers it reads its inputs from and writes its outputs
  // and index flags to.
  std::unique_ptr<CudaGraph> graph;
  bool graph_failed = false;
  std::vector<Tensor> graph_inputs, graph_outputs;
  std::vector<std::pair<Tensor, std::string>> graph_flags;
};

namespace {

class Run {
 public:
  Run(const Plan& plan, const std::vector<PackedKernelFn>& kernels, const CudaPlanKernels* gpu,
      Executor::Context& c, const std::vector<int64_t>& symbols)
      : plan_(plan), kernels_(kernels), gpu_(gpu), slots_(c.slots), symbols_(symbols),
        bound_by_(symbols.size(), nullptr), call_(c.call) {}

  // CUDA plans: the index flags the kernels of this run set, with the op
  // each belongs to; read once the run's work is done.
  std::vector<std::pair<Tensor, std::string>> flags;

  RtValue& slot(Slot s) {
    WICK_ASSERT(s >= 0 && s < static_cast<Slot>(slots_.size()), "slot out of range");
    return slots_[static_cast<size_t>(s)];
  }
  const Tensor& tensor(Slot s) {
    RtValue& v = slot(s);
    WICK_ASSERT(v.is_tensor(), "slot " + std::to_string(s) + " holds no tensor");
    return v.tensor;
  }

  void block(const Block& b) {
    for (const Instr& in : b.instrs) {
      try {
        instr(in);
      } catch (const Error& e) {
        throw located(e, in);
      }
    }
  }

  // An error raised while running `in`, given in's place in the model's
  // code when it has none (an inner block's instruction gave it first).
  static Error located(const Error& e, const Instr& in) {
    if (e.where().known() || (in.source_file.empty() && in.source_line_number == 0)) return e;
    return Error(e.message(), SourceLocation{in.source_file, in.source_line_number, in.source_column}, e.op(),
                 in.source_text);
  }

 private:
  void instr(const Instr& in) {
    switch (in.op) {
      case Op::alloc: {
        if (in.arena_offset >= 0) return;  // placed in the arena when the context was made
        RtValue& v = slot(in.outputs[0]);
        v = RtValue();
        const std::vector<int64_t> sizes = in.int_symbols.empty() ? in.ints : resolved_ints(in);
        v.tensor = gpu_ ? cuda_empty(in.dtype, sizes, gpu_->device) : Tensor::empty(in.dtype, sizes);
        return;
      }
      case Op::kernel: return kernel(in);
      case Op::extern_call: return extern_call(in);
      case Op::view: {
        const Tensor& x = tensor(in.inputs[0]);
        const std::vector<int64_t> ints = in.int_symbols.empty() ? std::vector<int64_t>() : resolved_ints(in);
        const std::vector<int64_t>& p = in.int_symbols.empty() ? in.ints : ints;
        const int64_t rank = p[0];
        std::vector<int64_t> sizes(p.begin() + 1, p.begin() + 1 + rank);
        std::vector<int64_t> strides(p.begin() + 1 + rank, p.begin() + 1 + 2 * rank);
        RtValue v;
        v.tensor = x.as_strided(std::move(sizes), std::move(strides), x.offset() + p[1 + 2 * rank]);
        slot(in.outputs[0]) = std::move(v);
        return;
      }
      case Op::select: {
        const Tensor& x = tensor(in.inputs[0]);
        const int64_t d = in.ints[0];
        int64_t index = slot(in.inputs[1]).i;
        const int64_t size = x.size(static_cast<int>(d));
        if (index < -size || index >= size)
          throw Error("index " + std::to_string(index) + " is out of range for dim " + std::to_string(d) +
                      " of size " + std::to_string(size), {}, in.text);
        if (index < 0) index += size;
        std::vector<int64_t> sizes = x.sizes(), strides = x.strides();
        const int64_t offset = x.offset() + index * strides[d];
        sizes.erase(sizes.begin() + d);
        strides.erase(strides.begin() + d);
        RtValue v;
        v.tensor = x.as_strided(std::move(sizes), std::move(strides), offset);
        slot(in.outputs[0]) = std::move(v);
        return;
      }
      case Op::scalar: slot(in.outputs[0]) = scalar(in); return;
      case Op::constant: {
        RtValue v;
        v.scalar = in.scalar;
        if (in.scalar == ScalarType::int_) v.i = in.ints.at(0);
        if (in.scalar == ScalarType::float_) v.f = in.floats.at(0);
        if (in.scalar == ScalarType::bool_) v.b = in.ints.at(0) != 0;
        if (in.scalar == ScalarType::str) v.s = in.text;
        slot(in.outputs[0]) = std::move(v);
        return;
      }
      case Op::to_tensor: {
        RtValue v;
        v.tensor = scalar_tensor(in.dtype, slot(in.inputs[0]));
        if (gpu_) v.tensor = to_device(v.tensor, gpu_->device);
        slot(in.outputs[0]) = std::move(v);
        return;
      }
      case Op::item: {
        const Tensor t = gpu_ ? to_host(tensor(in.inputs[0])) : tensor(in.inputs[0]);
        if (in.index == 0) slot(in.outputs[0]) = int_value(element_int(t));
        else if (in.index == 1) slot(in.outputs[0]) = float_value(element(t));
        else slot(in.outputs[0]) = bool_value(element(t) != 0);
        return;
      }
      case Op::move: {
        for (size_t i = 0; i < in.inputs.size(); ++i) {
          RtValue v = slot(in.inputs[i]);
          slot(in.outputs[i]) = std::move(v);
        }
        return;
      }
      case Op::if_: {
        const RtValue& c = slot(in.inputs[0]);
        const Block& b = in.blocks[c.b ? 0 : 1];
        block(b);
        std::vector<RtValue> results;
        for (Slot r : b.results) results.push_back(slot(r));
        for (size_t i = 0; i < in.outputs.size(); ++i) slot(in.outputs[i]) = std::move(results[i]);
        return;
      }
      case Op::loop: return loop(in);
      case Op::raise: throw Error("the model raised an exception: " + in.text);
      case Op::store: return store(in);
      case Op::nonzero: return nonzero(in);
      case Op::repeat_index: return repeat_index(in);
    }
  }

  // Binds the dynamic dim of a size the data decides. Sizes the compiler
  // named alike (the same mask computed twice) must agree: a second
  // selection of another count stops the run before a kernel could read past
  // the smaller one.
  void bind_count(const Instr& in, int64_t count) {
    const size_t sym = static_cast<size_t>(in.ints[0]);
    if (bound_by_[sym] && bound_by_[sym] != &in && symbols_[sym] != count)
      throw Error("two selections of one size by the compiler's reckoning select " + std::to_string(symbols_[sym]) +
                  " and " + std::to_string(count) + " elements", {}, in.text);
    symbols_[sym] = count;
    bound_by_[sym] = &in;
  }

  // repeat_interleave's source positions: i, repeats[i] times, for i < n.
  void repeat_index(const Instr& in) {
    WICK_ASSERT(!gpu_, "repeat_index in a CUDA plan");
    const Tensor& r = tensor(in.inputs[0]);
    const int64_t n = slot(in.inputs[1]).i;
    if (r.dim() > 1) throw Error("repeats must be a 0-d or 1-d tensor, got " + r.describe(), {}, in.text);
    if (r.dtype() != DType::i64 && r.dtype() != DType::i32)
      throw Error("repeats must be an integer tensor, got " + r.describe(), {}, in.text);
    const int64_t stride = r.dim() == 1 ? r.strides()[0] : 0;
    const bool one_for_all = r.numel() == 1;
    if (!one_for_all && r.numel() != n)
      throw Error("repeats holds " + std::to_string(r.numel()) + " counts for " + std::to_string(n) + " elements",
                  {}, in.text);
    auto count_of = [&](int64_t i) -> int64_t {
      const int64_t at = one_for_all ? 0 : i * stride;
      return r.dtype() == DType::i64 ? r.data_as<int64_t>()[at] : r.data_as<int32_t>()[at];
    };
    int64_t total = 0;
    for (int64_t i = 0; i < n; ++i) {
      const int64_t c = count_of(i);
      if (c < 0) throw Error("repeats can not be negative, got " + std::to_string(c), {}, in.text);
      if (c > (int64_t{1} << 40) - total) throw Error("repeats add up to more than 2^40 elements", {}, in.text);
      total += c;
    }
    bind_count(in, total);
    RtValue v;
    v.tensor = Tensor::empty(DType::i64, {total});
    int64_t* out = v.tensor.data_as<int64_t>();
    for (int64_t i = 0; i < n; ++i) out = std::fill_n(out, count_of(i), i);
    slot(in.outputs[0]) = std::move(v);
  }

  // The positions of the nonzero elements, row-major, and the size they
  // give the dynamic dim.
  void nonzero(const Instr& in) {
    WICK_ASSERT(!gpu_, "nonzero in a CUDA plan");
    const Tensor& x = tensor(in.inputs[0]);
    std::vector<int64_t> positions;
    const int rank = x.dim();
    std::vector<int64_t> index(static_cast<size_t>(rank), 0);
    const char* base = static_cast<const char*>(x.data());
    const int64_t esize = static_cast<int64_t>(dtype_size(x.dtype()));
    for (int64_t k = 0, n = x.numel(); k < n; ++k) {
      int64_t at = 0;
      for (int d = 0; d < rank; ++d) at += index[static_cast<size_t>(d)] * x.strides()[static_cast<size_t>(d)];
      if (nonzero_element(x.dtype(), base + at * esize)) positions.insert(positions.end(), index.begin(), index.end());
      for (int d = rank - 1; d >= 0 && ++index[static_cast<size_t>(d)] == x.size(d); --d) index[static_cast<size_t>(d)] = 0;
    }
    const int64_t count = rank == 0 ? (x.numel() == 1 && nonzero_element(x.dtype(), base) ? 1 : 0)
                                    : static_cast<int64_t>(positions.size()) / rank;
    bind_count(in, count);
    RtValue v;
    v.tensor = Tensor::empty(DType::i64, {count, static_cast<int64_t>(rank)});
    if (!positions.empty()) std::memcpy(v.tensor.data(), positions.data(), positions.size() * sizeof(int64_t));
    slot(in.outputs[0]) = std::move(v);
  }

  static bool nonzero_element(DType dtype, const char* p) {
    switch (dtype) {
      case DType::f32: { float v; std::memcpy(&v, p, sizeof v); return v != 0; }
      case DType::f64: { double v; std::memcpy(&v, p, sizeof v); return v != 0; }
      case DType::i64: { int64_t v; std::memcpy(&v, p, sizeof v); return v != 0; }
      case DType::i32: { int32_t v; std::memcpy(&v, p, sizeof v); return v != 0; }
      case DType::i16: { int16_t v; std::memcpy(&v, p, sizeof v); return v != 0; }
      case DType::f16:
      case DType::bf16: { uint16_t v; std::memcpy(&v, p, sizeof v); return (v & 0x7fff) != 0; }  // -0 is zero
      case DType::i8:
      case DType::u8:
      case DType::b8: return *p != 0;
      case DType::c64:  // complex tensors never reach the runtime
      case DType::c128: break;
    }
    return false;
  }

  // A training step's update of a module tensor, in place: the executors
  // sharing the tensor's storage (eval-mode plans) see the new value.
  void store(const Instr& in) {
    const Tensor& src = tensor(in.inputs[0]);
    const Tensor& dst = tensor(in.inputs[1]);
    if (src.dtype() != dst.dtype() || src.sizes() != dst.sizes())
      throw Error("cannot store a " + src.describe() + " into a module tensor of " + dst.describe(), {}, in.text);
    if (src.numel() == 0 || src.data() == dst.data()) return;
    if (gpu_) return cuda_copy(src, dst);
    const size_t esize = dtype_size(dst.dtype());
    if (src.is_contiguous() && dst.is_contiguous()) {
      std::memmove(dst.data(), src.data(), dst.nbytes());
      return;
    }
    const int rank = dst.dim();
    std::vector<int64_t> index(static_cast<size_t>(rank), 0);
    const char* from = static_cast<const char*>(src.data());
    char* to = static_cast<char*>(dst.data());
    for (int64_t k = 0, n = dst.numel(); k < n; ++k) {
      int64_t a = 0, b = 0;
      for (int d = 0; d < rank; ++d) {
        a += index[d] * src.strides()[d];
        b += index[d] * dst.strides()[d];
      }
      std::memcpy(to + b * static_cast<int64_t>(esize), from + a * static_cast<int64_t>(esize), esize);
      for (int d = rank - 1; d >= 0 && ++index[d] == dst.size(d); --d) index[d] = 0;
    }
  }

  void loop(const Instr& in) {
    const int64_t trips = slot(in.inputs[0]).i;
    bool go = slot(in.inputs[1]).b;
    std::vector<RtValue> carried;
    for (size_t i = 2; i < in.inputs.size(); ++i) carried.push_back(slot(in.inputs[i]));
    const Block& body = in.blocks[0];
    for (int64_t it = 0; it < trips && go; ++it) {
      // Each trip selects anew: its sizes are checked against this trip's.
      std::fill(bound_by_.begin(), bound_by_.end(), nullptr);
      slot(body.params[0]) = int_value(it);
      for (size_t i = 0; i < carried.size(); ++i) slot(body.params[i + 1]) = carried[i];
      block(body);
      go = slot(body.results[0]).b;
      for (size_t i = 0; i < carried.size(); ++i) carried[i] = slot(body.results[i + 1]);
    }
    for (size_t i = 0; i < in.outputs.size(); ++i) slot(in.outputs[i]) = std::move(carried[i]);
  }

  // A generated CUDA kernel: device pointers to each tensor's first element,
  // scalars by value (codegen/gpu_kernel_gen.h), on the device's stream.
  void gpu_kernel(const Instr& in) {
    CudaKernelArgs args;
    const size_t n = in.inputs.size() + in.outputs.size();
    for (size_t k = 0; k < n; ++k) {
      const RtValue& v = slot(k < in.inputs.size() ? in.inputs[k] : in.outputs[k - in.inputs.size()]);
      if (v.is_tensor()) {
        args.pointer(v.tensor);
        continue;
      }
      switch (v.scalar) {
        case ScalarType::int_: args.i64(v.i); break;
        case ScalarType::float_: args.f64(v.f); break;
        case ScalarType::bool_: args.i32(v.b ? 1 : 0); break;
        default: WICK_ASSERT(false, "kernel argument of no value");
      }
    }
    if (!in.ints.empty() && in.ints[0] == 1) {
      const Tensor& flag = tensor(in.outputs.back());
      cuda_memset(flag, 0);
      flags.emplace_back(flag, in.text);
    }
    const int64_t* d = &plan_.launch_dims[6 * static_cast<size_t>(in.index)];
    CudaLaunchDims dims;
    for (int i = 0; i < 3; ++i) {
      dims.grid[static_cast<size_t>(i)] = static_cast<unsigned>(d[i]);
      dims.block[static_cast<size_t>(i)] = static_cast<unsigned>(d[3 + i]);
    }
    cuda_launch(gpu_->functions[static_cast<size_t>(in.index)], dims, args);
  }

  void kernel(const Instr& in) {
    if (gpu_) return gpu_kernel(in);
    constexpr size_t kMaxArgs = kMaxKernelArgs;
    const size_t n = in.inputs.size() + in.outputs.size();
    WICK_ASSERT(n <= kMaxArgs, "kernel with more than 64 arguments");  // plans are validated
    const Tensor* tensors[kMaxArgs];
    int64_t words[kMaxArgs];
    void* args[kMaxArgs];
    for (size_t k = 0; k < n; ++k) {
      RtValue& v = slot(k < in.inputs.size() ? in.inputs[k] : in.outputs[k - in.inputs.size()]);
      tensors[k] = v.is_tensor() ? &v.tensor : nullptr;
      if (v.is_tensor()) continue;
      switch (v.scalar) {
        case ScalarType::int_: words[k] = v.i; break;
        case ScalarType::float_: std::memcpy(&words[k], &v.f, sizeof(double)); break;
        case ScalarType::bool_: words[k] = v.b ? 1 : 0; break;
        default: WICK_ASSERT(false, "kernel argument of no value");
      }
      args[k] = &words[k];
    }
    const PackedKernelFn fn = kernels_[static_cast<size_t>(in.index)];
    // Kernels that index with tensor data report a bad index through a flag,
    // their last argument, which each call first resets: split calls get a
    // flag each, or-ed afterwards.
    const bool has_status = !in.ints.empty() && in.ints[0] == 1;
    std::atomic<bool> bad_index{false};
    // One call on rows [begin, end) of dim 0: sliced tensors start at `begin`.
    auto call = [&](int64_t begin, int64_t end) {
      MemRefDescriptorBuffer descriptors[kMaxArgs];
      void* local[kMaxArgs];
      int64_t status = 0;
      for (size_t k = 0; k < n; ++k) {
        if (!tensors[k]) {
          local[k] = args[k];
          continue;
        }
        const Tensor& t = *tensors[k];
        const bool slice = !in.sliced.empty() && in.sliced[k] && t.dim() > 0;
        if (has_status && k == n - 1) {
          descriptors[k].set(&status, 0, {}, {});
        } else if (!slice) {
          descriptors[k].set(t.storage()->data(), t.offset(), t.sizes(), t.strides());
        } else {
          int64_t sizes[MemRefDescriptorBuffer::kMaxRank];
          std::copy(t.sizes().begin(), t.sizes().end(), sizes);
          sizes[0] = end - begin;
          descriptors[k].set(t.storage()->data(), t.offset() + begin * t.strides()[0],
                             std::span<const int64_t>(sizes, t.sizes().size()), t.strides());
        }
        local[k] = descriptors[k].data();
      }
      fn(local);
      if (status != 0) bad_index = true;
    };
    // All sliced arguments share the size of dim 0 (the kernel's domain);
    // the work per row is taken from the largest of them (an embedding's
    // output rows, not its index rows).
    int64_t rows = 0, row_elements = 0;
    for (size_t k = 0; k < in.sliced.size() && k < n; ++k) {
      if (!in.sliced[k] || !tensors[k] || tensors[k]->dim() == 0) continue;
      const Tensor& t = *tensors[k];
      rows = t.size(0);
      if (rows > 0) row_elements = std::max(row_elements, t.numel() / rows);
    }
    ThreadPool& pool = default_thread_pool();
    // Split only work worth the hand-off: at least kMinElementsPerChunk each.
    constexpr int64_t kMinElementsPerChunk = 1 << 15;
    const int64_t grain = std::max<int64_t>(1, kMinElementsPerChunk / std::max<int64_t>(row_elements, 1));
    if (rows >= 2 * grain && pool.num_threads() > 1 && !ThreadPool::in_parallel_region()) {
      pool.parallel_for(0, rows, grain, call);
    } else {
      call(0, rows);
    }
    if (has_status) {
      *tensor(in.outputs.back()).data_as<int64_t>() = bad_index ? 1 : 0;
      if (bad_index) throw Error("index out of range", {}, in.text);
    }
  }

  void extern_call(const Instr& in) {
    const Tensor none;
    auto arg = [&](size_t i) -> const Tensor& {
      return i < in.inputs.size() && in.inputs[i] >= 0 ? tensor(in.inputs[i]) : none;
    };
    Tensor& out = slot(in.outputs[0]).tensor;
    const auto& p = in.ints;
    const Epilogue post{static_cast<PostOp>(in.post_op), in.post_alpha, in.post_beta};
    const bool gpu = gpu_ != nullptr;
    switch (static_cast<ExternOp>(in.index)) {
      case ExternOp::matmul: return (gpu ? cuda_matmul : matmul)(arg(0), arg(1), out, post);
      case ExternOp::linear: return (gpu ? cuda_linear : linear)(arg(0), arg(1), arg(2), out, post);
      case ExternOp::quantized_linear_dynamic:
        if (gpu) throw Error("the quantized linear has no CUDA kernel", {}, in.text);
        return quantized_linear_dynamic(arg(0), arg(1), arg(2), arg(3), arg(4), static_cast<int>(p[0]), out, post,
                                        p.size() > 1 && p[1] != 0);
      case ExternOp::addmm:
        return (gpu ? cuda_addmm : addmm)(arg(0), arg(1), arg(2), static_cast<float>(in.floats[0]),
                                          static_cast<float>(in.floats[1]), out, post);
      case ExternOp::conv1d: {
        Conv1dParams c;
        c.stride = p[0];
        c.padding = p[1];
        c.dilation = p[2];
        c.groups = p[3];
        c.constant_weights = p.size() > 4 && p[4] != 0;
        return (gpu ? cuda_conv1d : conv1d)(arg(0), arg(1), arg(2), c, out, post);
      }
      case ExternOp::conv2d: {
        Conv2dParams c;
        c.stride = {p[0], p[1]};
        c.padding = {p[2], p[3]};
        c.dilation = {p[4], p[5]};
        c.groups = p[6];
        c.constant_weights = p.size() > 7 && p[7] != 0;
        return (gpu ? cuda_conv2d : conv2d)(arg(0), arg(1), arg(2), c, out, post);
      }
      case ExternOp::conv2d_int8: {
        if (gpu) throw Error("the quantized convolution has no CUDA kernel", {}, in.text);
        Conv2dParams c;
        c.stride = {p[1], p[2]};
        c.padding = {p[3], p[4]};
        c.dilation = {p[5], p[6]};
        c.groups = p[7];
        c.constant_weights = p[8] != 0;
        return conv2d_int8(arg(0), p[0], arg(1), c, out);
      }
      case ExternOp::conv3d: {
        if (gpu) throw Error("conv3d has no CUDA kernel (the CUDA pipeline writes it as conv2d)", {}, in.text);
        Conv3dParams c;
        c.stride = {p[0], p[1], p[2]};
        c.padding = {p[3], p[4], p[5]};
        c.dilation = {p[6], p[7], p[8]};
        c.groups = p[9];
        c.constant_weights = p.size() > 10 && p[10] != 0;
        return conv3d(arg(0), arg(1), arg(2), c, out, post);
      }
      case ExternOp::max_pool2d: {
        MaxPool2dParams m;
        m.kernel = {p[0], p[1]};
        m.stride = {p[2], p[3]};
        m.padding = {p[4], p[5]};
        m.dilation = {p[6], p[7]};
        m.ceil_mode = p[8] != 0;
        return (gpu ? cuda_max_pool2d : max_pool2d)(arg(0), m, out);
      }
      case ExternOp::avg_pool2d: {
        AvgPool2dParams a;
        a.kernel = {p[0], p[1]};
        a.stride = {p[2], p[3]};
        a.padding = {p[4], p[5]};
        a.ceil_mode = p[6] != 0;
        a.count_include_pad = p[7] != 0;
        if (p[8] != 0) a.divisor_override = p[8];
        return (gpu ? cuda_avg_pool2d : avg_pool2d)(arg(0), a, out);
      }
      case ExternOp::adaptive_avg_pool2d:
        if (gpu) throw Error("adaptive_avg_pool2d has no CUDA kernel", {}, in.text);
        return adaptive_avg_pool2d(arg(0), {p[0], p[1]}, out);
      case ExternOp::conv_input_backward:
      case ExternOp::conv_weight_backward:
      case ExternOp::max_pool2d_backward:
      case ExternOp::avg_pool2d_backward:
      case ExternOp::adaptive_avg_pool2d_backward: return backward_call(in, arg(0), arg(1), out, gpu);
      case ExternOp::lu_solve:
      case ExternOp::slogdet:
      case ExternOp::cholesky:
      case ExternOp::triangular_solve:
      case ExternOp::symmetric_eigen:
      case ExternOp::singular_values:
      case ExternOp::qr_factor:
      case ExternOp::matrix_exponential:
      case ExternOp::lu_factor:
      case ExternOp::lu_permutation: return linalg_call(in, arg(0), arg(1), out, gpu);
      case ExternOp::fourier_transform:
        if (gpu) throw Error("Fourier transforms (" + in.text + ") have no CUDA kernel", {}, in.text);
        return fourier_transform(arg(0), p[0], static_cast<FftKind>(p[1]), p[2], out, in.text.c_str());
      case ExternOp::short_time_transform:
        if (gpu) throw Error("Fourier transforms (" + in.text + ") have no CUDA kernel", {}, in.text);
        return short_time_transform(arg(0), arg(1), p[0], p[1], out, in.text.c_str());
      case ExternOp::ctc_loss:
      case ExternOp::ctc_loss_backward: {
        if (gpu) throw Error("ctc_loss has no CUDA kernel", {}, in.text);
        const CtcOptions options{p[0], p[1] != 0};
        if (static_cast<ExternOp>(in.index) == ExternOp::ctc_loss)
          return ctc_loss(arg(0), arg(1), arg(2), arg(3), options, out);
        return ctc_loss_backward(arg(0), arg(1), arg(2), arg(3), arg(4), options, out);
      }
    }
  }

  void linalg_call(const Instr& in, const Tensor& a, const Tensor& b, Tensor& out, bool gpu) {
    if (gpu) throw Error("linear algebra (" + in.text + ") has no CUDA kernel", {}, in.text);
    switch (static_cast<ExternOp>(in.index)) {
      case ExternOp::lu_solve: return lu_solve(a, b, out, !in.ints.empty() && in.ints[0] != 0);
      case ExternOp::slogdet: return slogdet(a, out);
      case ExternOp::cholesky: return cholesky(a, out, !in.ints.empty() && in.ints[0] != 0);
      case ExternOp::triangular_solve: return triangular_solve(a, b, in.ints[0] != 0, in.ints[1] != 0, out);
      case ExternOp::symmetric_eigen: return symmetric_eigen(a, out);
      case ExternOp::singular_values: return singular_values(a, in.ints[0] != 0, out);
      case ExternOp::qr_factor: return qr_factor(a, in.ints[0] != 0, in.ints[1] != 0, out);
      case ExternOp::matrix_exponential: return matrix_exponential(a, out);
      case ExternOp::lu_factor: return lu_factor(a, in.ints[0] != 0, out);
      case ExternOp::lu_permutation: return lu_permutation(a, out);
      default: WICK_ASSERT(false, "not a linear algebra call");
    }
  }

  // The extern calls of the backward pass.
  void backward_call(const Instr& in, const Tensor& a, const Tensor& b, Tensor& out, bool gpu) {
    const auto& p = in.ints;
    switch (static_cast<ExternOp>(in.index)) {
      case ExternOp::conv_input_backward:
      case ExternOp::conv_weight_backward: {
        const size_t s = static_cast<size_t>(p.at(0));
        ConvBackwardParams c;
        c.stride.assign(p.begin() + 1, p.begin() + 1 + s);
        c.padding.assign(p.begin() + 1 + s, p.begin() + 1 + 2 * s);
        c.dilation.assign(p.begin() + 1 + 2 * s, p.begin() + 1 + 3 * s);
        c.groups = p.at(1 + 3 * s);
        if (static_cast<ExternOp>(in.index) == ExternOp::conv_input_backward)
          return (gpu ? cuda_conv_input_backward : conv_input_backward)(a, b, c, out);
        return (gpu ? cuda_conv_weight_backward : conv_weight_backward)(a, b, c, out);
      }
      case ExternOp::max_pool2d_backward: {
        MaxPool2dParams m;
        m.kernel = {p[0], p[1]};
        m.stride = {p[2], p[3]};
        m.padding = {p[4], p[5]};
        m.dilation = {p[6], p[7]};
        m.ceil_mode = p[8] != 0;
        return (gpu ? cuda_max_pool2d_backward : max_pool2d_backward)(a, b, m, out);
      }
      case ExternOp::avg_pool2d_backward: {
        AvgPool2dParams v;
        v.kernel = {p[0], p[1]};
        v.stride = {p[2], p[3]};
        v.padding = {p[4], p[5]};
        v.ceil_mode = p[6] != 0;
        v.count_include_pad = p[7] != 0;
        v.divisor_override = p[8];
        return (gpu ? cuda_avg_pool2d_backward : avg_pool2d_backward)(a, v, out);
      }
      case ExternOp::adaptive_avg_pool2d_backward:
        if (gpu) throw Error("adaptive_avg_pool2d_backward has no CUDA kernel", {}, in.text);
        return adaptive_avg_pool2d_backward(a, out);
      default: WICK_ASSERT(false, "not a backward extern call");
    }
  }

  RtValue scalar(const Instr& in) {
    auto x = [&](size_t i) -> RtValue& { return slot(in.inputs[i]); };
    switch (static_cast<ScalarOp>(in.index)) {
      case ScalarOp::add_int: return int_value(x(0).i + x(1).i);
      case ScalarOp::sub_int: return int_value(x(0).i - x(1).i);
      case ScalarOp::mul_int: return int_value(x(0).i * x(1).i);
      case ScalarOp::floordiv_int: return int_value(floordiv(x(0).i, x(1).i));
      case ScalarOp::remainder_int: return int_value(x(0).i - floordiv(x(0).i, x(1).i) * x(1).i);
      case ScalarOp::neg_int: return int_value(-x(0).i);
      case ScalarOp::add_float: return float_value(x(0).as_double() + x(1).as_double());
      case ScalarOp::sub_float: return float_value(x(0).as_double() - x(1).as_double());
      case ScalarOp::mul_float: return float_value(x(0).as_double() * x(1).as_double());
      case ScalarOp::div_float: return float_value(x(0).as_double() / x(1).as_double());
      case ScalarOp::neg_float: return float_value(-x(0).as_double());
      case ScalarOp::eq: return bool_value(x(0).as_double() == x(1).as_double());
      case ScalarOp::ne: return bool_value(x(0).as_double() != x(1).as_double());
      case ScalarOp::lt: return bool_value(x(0).as_double() < x(1).as_double());
      case ScalarOp::le: return bool_value(x(0).as_double() <= x(1).as_double());
      case ScalarOp::gt: return bool_value(x(0).as_double() > x(1).as_double());
      case ScalarOp::ge: return bool_value(x(0).as_double() >= x(1).as_double());
      case ScalarOp::not_: return bool_value(!x(0).b);
      case ScalarOp::and_: return bool_value(x(0).b && x(1).b);
      case ScalarOp::or_: return bool_value(x(0).b || x(1).b);
      case ScalarOp::int_to_float: return float_value(x(0).as_double());  // an int or a bool
      case ScalarOp::float_to_int: {
        double d = x(0).as_double();
        if (!std::isfinite(d)) throw Error("cannot convert a non-finite float to an int");
        return int_value(static_cast<int64_t>(d));
      }
      case ScalarOp::to_bool: return bool_value(x(0).as_double() != 0);
      case ScalarOp::size: {
        const Tensor& t = tensor(in.inputs[0]);
        int64_t d = x(1).i;
        if (d < 0) d += t.dim();
        if (d < 0 || d >= t.dim()) throw Error("size(): dim out of range");
        return int_value(t.size(static_cast<int>(d)));
      }
      case ScalarOp::max_int: return int_value(std::max(x(0).i, x(1).i));
      case ScalarOp::min_int: return int_value(std::min(x(0).i, x(1).i));
      case ScalarOp::derive_index: return int_value(x(1).i + x(0).i * x(2).i);
      case ScalarOp::call_index: return int_value(call_);
      case ScalarOp::and_int: return int_value(x(0).i & x(1).i);
      case ScalarOp::or_int: return int_value(x(0).i | x(1).i);
      case ScalarOp::xor_int: return int_value(x(0).i ^ x(1).i);
      case ScalarOp::shl_int: return int_value(shift_left(x(0).i, x(1).i));
      case ScalarOp::shr_int: return int_value(shift_right(x(0).i, x(1).i));
    }
    WICK_ASSERT(false, "unknown scalar op");
  }

  // `in.ints` with dynamic dims replaced by their values in this run.
  std::vector<int64_t> resolved_ints(const Instr& in) const {
    std::vector<int64_t> v = in.ints;
    for (size_t i = 0; i < in.int_symbols.size() && i < v.size(); ++i) {
      if (in.int_symbols[i] < 0) continue;
      const size_t sym = static_cast<size_t>(in.int_symbols[i]);
      if (symbols_[sym] < 0)
        throw Error("dynamic dim \"" + plan_.symbols[sym] + "\" is used before a nonzero binds it", {}, in.text);
      v[i] *= symbols_[sym];
    }
    return v;
  }

  const Plan& plan_;
  const std::vector<PackedKernelFn>& kernels_;
  const CudaPlanKernels* gpu_;
  std::vector<RtValue>& slots_;
  // Dynamic dims: bound from the inputs' sizes, or by a nonzero instruction
  // (which one, to check a second binding against).
  std::vector<int64_t> symbols_;
  std::vector<const Instr*> bound_by_;
  int64_t call_ = 0;
};

}  // namespace

std::string check_inputs(const std::vector<TensorSpec>& specs, const std::vector<Tensor>& inputs) {
  std::vector<int64_t> symbols;
  return bind_symbols(specs, inputs, &symbols);
}

std::string bind_symbols(const std::vector<TensorSpec>& specs, const std::vector<Tensor>& inputs,
                         std::vector<int64_t>* symbols) {
  if (inputs.size() != specs.size())
    return "the model takes " + std::to_string(specs.size()) + " input" + (specs.size() == 1 ? "" : "s") +
           ", got " + std::to_string(inputs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const Tensor& t = inputs[i];
    const TensorSpec& s = specs[i];
    if (!t.defined()) return "input " + std::to_string(i) + " is an undefined tensor";
    if (t.dtype() != s.dtype)
      return "input " + std::to_string(i) + " has dtype " + std::string(dtype_name(t.dtype())) + " but the model expects " +
             std::string(dtype_name(s.dtype));
    // Built only for a message: this runs on every call.
    auto expected = [&] { return "input " + std::to_string(i) + " has shape " + shape_str(t.sizes()); };
    if (t.dim() != static_cast<int>(s.sizes.size()))
      return expected() + " but the model expects rank " + std::to_string(s.sizes.size());
    for (size_t d = 0; d < s.sizes.size(); ++d) {
      const int32_t sym = d < s.size_symbols.size() ? s.size_symbols[d] : -1;
      if (sym < 0) {
        if (t.size(static_cast<int>(d)) != s.sizes[d])
          return expected() + " but this compiled signature expects " + std::to_string(s.sizes[d]) + " in dim " +
                 std::to_string(d);
        continue;
      }
      const int64_t coefficient = s.sizes[d], actual = t.size(static_cast<int>(d));
      if (coefficient <= 0 || actual % coefficient != 0)
        return expected() + ": dim " + std::to_string(d) + " must be a multiple of " + std::to_string(coefficient);
      if (symbols->size() <= static_cast<size_t>(sym)) symbols->resize(static_cast<size_t>(sym) + 1, -1);
      int64_t& value = (*symbols)[static_cast<size_t>(sym)];
      if (value >= 0 && value != actual / coefficient)
        return "inputs disagree on a dynamic dim: input " + std::to_string(i) + " gives it " +
               std::to_string(actual / coefficient) + ", an earlier input " + std::to_string(value);
      value = actual / coefficient;
    }
  }
  return {};
}

Executor::Executor(Plan plan, std::vector<PackedKernelFn> kernels, std::vector<Tensor> tensors)
    : plan_(std::move(plan)), kernels_(std::move(kernels)), tensors_(std::move(tensors)) {
  WICK_ASSERT(kernels_.size() == plan_.kernels.size(), "kernel count mismatch");
  WICK_ASSERT(tensors_.size() == plan_.tensors.size(), "tensor count mismatch");
}

namespace {

// Whether a run of `b` queues device work only: nothing read back to the
// host, no branch on data, so that it can be replayed as a CUDA graph.
bool device_only(const Block& b) {
  for (const Instr& in : b.instrs) {
    switch (in.op) {
      case Op::if_:
      case Op::loop:
      case Op::item:
      case Op::select:
      case Op::raise:
      case Op::to_tensor: return false;
      default: break;
    }
  }
  return true;
}

// Whether replaying a graph beats launching directly. A replay first copies
// the inputs into the graph's own buffers; a launch saved is worth a few
// microseconds of host time, about what a device copy of 1 MiB costs. So a
// plan whose inputs outweigh that (a bandwidth-bound kernel over gigabytes)
// launches directly instead of paying a second pass over its inputs.
bool graph_pays(const Plan& plan) {
  int64_t launches = 0;
  for (const Instr& in : plan.body.instrs)
    if (in.op == Op::kernel || in.op == Op::extern_call) ++launches;
  double input_bytes = 0;
  for (const TensorSpec& s : plan.input_specs) {
    double n = static_cast<double>(dtype_size(s.dtype));
    for (int64_t d : s.sizes) n *= static_cast<double>(d);
    input_bytes += n;
  }
  return launches > 1 && input_bytes <= static_cast<double>(launches) * (1 << 20);
}

}  // namespace

Executor::Executor(CudaPlanKernels kernels, Plan plan, std::vector<Tensor> tensors)
    : plan_(std::move(plan)), gpu_(std::make_unique<CudaPlanKernels>(std::move(kernels))) {
  WICK_ASSERT(plan_.device == PlanDevice::cuda, "a CPU plan given CUDA kernels");
  WICK_ASSERT(gpu_->functions.size() == plan_.kernels.size(), "kernel count mismatch");
  WICK_ASSERT(tensors.size() == plan_.tensors.size(), "tensor count mismatch");
  WICK_ASSERT(plan_.launch_dims.size() == 6 * plan_.kernels.size(), "launch dims missing");
  for (const Tensor& t : tensors) tensors_.push_back(to_device(t.contiguous(), gpu_->device));
  graph_safe_ = plan_.symbols.empty() && device_only(plan_.body) && graph_pays(plan_);
}

Executor::~Executor() = default;

Executor::Executor(Executor&& o) noexcept
    : plan_(std::move(o.plan_)),
      kernels_(std::move(o.kernels_)),
      gpu_(std::move(o.gpu_)),
      graph_safe_(o.graph_safe_),
      tensors_(std::move(o.tensors_)),
      contexts_(std::move(o.contexts_)),
      calls_(o.calls_.load()) {}

std::unique_ptr<Executor::Context> Executor::acquire() const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!contexts_.empty()) {
      auto c = std::move(contexts_.back());
      contexts_.pop_back();
      return c;
    }
  }
  auto c = std::make_unique<Context>();
  c->slots.resize(static_cast<size_t>(plan_.num_slots));
  std::vector<bool> persistent(static_cast<size_t>(plan_.num_slots), false);
  for (size_t i = 0; i < plan_.tensors.size(); ++i) {
    c->slots[static_cast<size_t>(plan_.tensors[i].first)].tensor = tensors_[i];
    persistent[static_cast<size_t>(plan_.tensors[i].first)] = true;
  }
  // Zero-size tensors live in the arena too (a batch of 0): never leave it absent.
  const size_t arena_bytes = static_cast<size_t>(std::max<int64_t>(plan_.arena_bytes, 64));
  c->arena = gpu_ ? cuda_allocate(arena_bytes, gpu_->device) : Storage::allocate_cpu(arena_bytes, false);
  for (const Instr& in : plan_.body.instrs) {
    if (in.op != Op::alloc || in.arena_offset < 0) continue;
    const int64_t esize = static_cast<int64_t>(dtype_size(in.dtype));
    WICK_ASSERT(in.arena_offset % esize == 0, "misaligned arena offset");
    c->slots[static_cast<size_t>(in.outputs[0])].tensor =
        Tensor::view_of(c->arena, in.dtype, in.ints, Tensor::contiguous_strides(in.ints), in.arena_offset / esize);
    persistent[static_cast<size_t>(in.outputs[0])] = true;
  }
  for (size_t i = 0; i < persistent.size(); ++i)
    if (!persistent[i]) c->per_run.push_back(static_cast<Slot>(i));
  return c;
}

void Executor::release(std::unique_ptr<Context> c) const {
  // What a run leaves in its slots (inputs, outputs, views) is not kept alive.
  for (Slot s : c->per_run) c->slots[static_cast<size_t>(s)] = RtValue();
  std::lock_guard<std::mutex> lock(mutex_);
  contexts_.push_back(std::move(c));
}

std::vector<Tensor> Executor::run(const std::vector<Tensor>& inputs) const {
  return run_impl(inputs, false);
}

std::vector<Tensor> Executor::run_on_device(const std::vector<Tensor>& inputs) const {
  return run_impl(inputs, true);
}

std::vector<Tensor> Executor::run_impl(const std::vector<Tensor>& inputs, bool outputs_on_device) const {
  std::vector<int64_t> symbols;
  std::string problem = bind_symbols(plan_.input_specs, inputs, &symbols);
  if (!problem.empty()) throw Error(problem);
  symbols.resize(plan_.symbols.size(), -1);
  std::unique_ptr<Context> c = acquire();
  c->call = calls_.fetch_add(1, std::memory_order_relaxed);
  if (gpu_) {
    std::vector<Tensor> outputs;
    try {
      outputs = run_cuda(*c, inputs, symbols, outputs_on_device);
    } catch (...) {
      release(std::move(c));
      throw;
    }
    release(std::move(c));
    return outputs;
  }
  std::vector<Tensor> outputs;
  try {
    Run r(plan_, kernels_, nullptr, *c, symbols);
    for (size_t i = 0; i < inputs.size(); ++i) r.slot(plan_.inputs[i]).tensor = inputs[i].contiguous();
    r.block(plan_.body);
    for (Slot s : plan_.outputs) {
      const Tensor& t = r.tensor(s);
      outputs.push_back(t.is_contiguous() && t.offset() == 0 && t.storage()->nbytes() == t.nbytes() ? t : t.clone());
    }
  } catch (...) {
    release(std::move(c));
    throw;
  }
  release(std::move(c));
  return outputs;
}

namespace {

void check_flags(const std::vector<std::pair<Tensor, std::string>>& flags) {
  for (const auto& [flag, op] : flags)
    if (*to_host(flag).data_as<int64_t>() != 0) throw Error("index out of range", {}, op);
}

}  // namespace

std::vector<Tensor> Executor::run_cuda(Context& c, const std::vector<Tensor>& inputs,
                                       const std::vector<int64_t>& symbols, bool outputs_on_device) const {
  std::vector<Tensor> outputs;
  if (c.graph && c.graph->captured()) {
    for (size_t i = 0; i < inputs.size(); ++i) cuda_copy(inputs[i], c.graph_inputs[i]);
    c.graph->replay();
    check_flags(c.graph_flags);
    for (const Tensor& t : c.graph_outputs) outputs.push_back(outputs_on_device ? t : to_host(t));
    return outputs;
  }
  std::vector<Tensor> device_inputs;
  for (const Tensor& t : inputs) device_inputs.push_back(to_device(t, gpu_->device));
  {
    Run r(plan_, kernels_, gpu_.get(), c, symbols);
    for (size_t i = 0; i < inputs.size(); ++i) r.slot(plan_.inputs[i]).tensor = device_inputs[i];
    r.block(plan_.body);
    check_flags(r.flags);
    for (Slot s : plan_.outputs) {
      const Tensor& t = r.tensor(s);
      if (!outputs_on_device) {
        outputs.push_back(to_host(t));
      } else if (t.is_contiguous() && t.offset() == 0 && t.storage()->nbytes() == t.nbytes()) {
        outputs.push_back(t);
      } else {  // a view of the arena or of another tensor: the next run may overwrite it
        Tensor copy = cuda_empty(t.dtype(), t.sizes(), gpu_->device);
        cuda_copy(t, copy);
        outputs.push_back(copy);
      }
    }
  }
  if (graph_safe_ && !c.graph_failed && !c.graph) capture_graph(c, device_inputs);
  return outputs;
}

// Captures one run into c.graph, reading its inputs from buffers of its own;
// a plan that cannot be captured keeps running directly.
void Executor::capture_graph(Context& c, const std::vector<Tensor>& inputs) const {
  c.graph = std::make_unique<CudaGraph>(gpu_->device);
  c.graph_inputs.clear();
  for (const Tensor& t : inputs) c.graph_inputs.push_back(cuda_empty(t.dtype(), t.sizes(), gpu_->device));
  const std::vector<int64_t> no_symbols;
  Run r(plan_, kernels_, gpu_.get(), c, no_symbols);
  for (size_t i = 0; i < inputs.size(); ++i) r.slot(plan_.inputs[i]).tensor = c.graph_inputs[i];
  std::string why;
  const bool ok = c.graph->capture([&] { r.block(plan_.body); }, &why);
  if (!ok) {
    c.graph.reset();
    c.graph_failed = true;
    return;
  }
  c.graph_outputs.clear();
  for (Slot s : plan_.outputs) c.graph_outputs.push_back(r.tensor(s));
  c.graph_flags = r.flags;
  for (const Tensor& t : c.graph_inputs) c.graph->keep_alive(t.storage());
  for (const Tensor& t : c.graph_outputs) c.graph->keep_alive(t.storage());
  for (const auto& f : c.graph_flags) c.graph->keep_alive(f.first.storage());
  c.graph->keep_alive(c.arena);
  for (const Tensor& t : tensors_) c.graph->keep_alive(t.storage());
}

}  // namespace wick::rt
