// Internal to GPU kernel generation: what the GPU kernel kinds share while
// one kernel is written. The kernel is written with the CPU path's
// KernelBuilder and MlirWriter (arguments, loads, stores, conversions) and
// PointwiseEval (fused expressions); GpuBuilder adds the GPU side: thread
// and block ids, the launch geometry, warp shuffles, barriers, workgroup
// memory, per-thread registers that stand for group values, loops that
// start at a thread's own index, and the status flag. gpu_module.h turns
// the written func.func into the gpu.func kernel.
//
// Index arithmetic never divides per element: a domain is mapped onto the
// grid dim by dim (plan_domain), and where dims must be recovered from one
// linear id (outer dims folded into blockIdx.z, rows of a row kernel) the
// division is by constants, once per thread, which LLVM turns into
// multiply-high and shifts.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "codegen/kernel_builder.h"

namespace wick::codegen {

struct GpuLaunch {
  std::array<uint32_t, 3> grid{1, 1, 1}, block{1, 1, 1};
};

class GpuBuilder {
 public:
  explicit GpuBuilder(KernelBuilder& b) : b_(b), w_(b.w()) {}

  KernelBuilder& kb() { return b_; }
  MlirWriter& w() { return w_; }
  GpuLaunch launch;

  // gpu.thread_id / gpu.block_id of dim 0, 1, 2 (x, y, z), in the entry block.
  std::string thread_id(int dim);
  std::string block_id(int dim);
  void barrier() { w_.line("gpu.barrier"); }
  // The value of lane (lane ^ offset) of the warp; every lane of the warp
  // must execute it. Any dtype (narrow integers and bools travel as i32).
  Scalar shuffle_xor(const Scalar& v, int offset);
  // A workgroup buffer of static `sizes`, row-major; use with w().load/store.
  MemRef shared(DType t, const std::vector<int64_t>& sizes);
  // From here on, PointwiseEval reads `v` (a value of the group) as `s` at
  // every index: a one-element per-thread buffer (registers after LLVM's
  // SROA) bound to v with all strides 0.
  void bind_register(const ir::Value* v, const Scalar& s);

  // The int64 [] status output (see gpu_kernel_gen.h); store_status writes 1.
  const MemRef& add_status();
  void store_status();
  int status_arg() const { return status_arg_; }

  // scf.for %i = start to end step step, where `start` is an index value
  // (a thread's own first element), carrying `init`.
  std::string begin_loop(const std::string& start, int64_t end, int64_t step, const std::vector<Scalar>& init,
                         std::vector<Scalar>* carried);
  std::vector<Scalar> end_loop(const std::vector<Scalar>& next = {});
  // `%r = scf.if %cond -> (types) { ... } else { ... }`: open_if_value
  // returns the results (usable after end_if_value); else_value yields the
  // then-branch's values and opens the else branch, end_if_value yields its
  // values and closes.
  std::vector<Scalar> open_if_value(const Scalar& cond, const std::vector<DType>& types);
  void else_value(const std::vector<Scalar>& then_values);
  void end_if_value(const std::vector<Scalar>& else_values);

  // Index arithmetic on index values.
  std::string add(const std::string& a, const std::string& b);
  std::string add(const std::string& a, int64_t c) { return c == 0 ? a : add(a, w_.index(c)); }
  std::string mul(const std::string& a, int64_t c);
  std::string div(const std::string& a, int64_t c);  // unsigned, c > 0
  std::string rem(const std::string& a, int64_t c);
  std::string min(const std::string& a, int64_t c);
  Scalar less(const std::string& a, int64_t c);        // unsigned a < c
  Scalar equal(const std::string& a, int64_t c);
  Scalar both(const Scalar& a, const Scalar& b);       // i1 and; either may be empty (true)
  // Whether every memref in `ms` has a 16-byte aligned base pointer.
  Scalar aligned16(const std::vector<const MemRef*>& ms);

 private:
  struct Loop {
    std::vector<DType> types;
    std::string results;
  };
  KernelBuilder& b_;
  MlirWriter& w_;
  std::string thread_ids_[3], block_ids_[3];
  std::optional<MemRef> status_;
  int status_arg_ = -1;
  std::vector<Loop> loops_;
  std::vector<std::vector<DType>> ifs_;
};

// Threads over a static domain (the output of an elementwise kernel): the
// innermost dim along x, `lanes` consecutive elements per thread, the next
// dim along y, all outer dims folded into z (and recovered by constant
// division once per thread). Grid dims past the hardware limits become
// loops. A domain with no elements has nothing to launch (empty).
struct DomainMap {
  std::vector<int64_t> sizes;
  int lanes = 1;
  int64_t bx = 1, by = 1, gx = 1, gy = 1, gz = 1;
  bool empty = false;
  bool guard = false, y_loop = false, z_loop = false;  // what open_domain opened
};
DomainMap plan_domain(const std::vector<int64_t>& sizes, int lanes, int64_t max_threads = 256);
GpuLaunch launch_of(const DomainMap& m);
// Opens the guards and loops of the thread's elements and returns the index
// of each dim (the innermost is the first lane's); close with close_domain.
std::vector<std::string> open_domain(GpuBuilder& g, DomainMap& m);
void close_domain(GpuBuilder& g, const DomainMap& m);

int64_t ceil_div(int64_t a, int64_t b);
int64_t pow2_ceil(int64_t v);

// An elementwise kernel over `domain` (the shape of every output in
// `outs`, all contiguous): `values(idx)` gives the value of each output at
// idx. When the innermost dim is a multiple of 4 each thread takes 4
// consecutive elements. If then every memref in `outs` and `vector_inputs`
// (inputs whose innermost stride is 1 and other strides multiples of 4,
// see vector_readable) has a 16-byte aligned base pointer, a uniform branch
// takes a path where LLVM knows it (memref.assume_alignment):
// `vector_loads(lane_idx)` reads the 4 lanes' inputs first, vector_inputs
// with one vector.load each (load_vector), then each lane's values are
// computed and stored as one vector.store per output: 128-bit accesses for
// 32-bit dtypes. Otherwise a loop over the 4 lanes does the scalar work.
// `forget` drops values cached by the callbacks (it runs between the paths).
struct ElementwiseBody {
  std::function<void(const std::vector<std::vector<std::string>>&)> vector_loads;  // may be empty
  std::function<std::vector<Scalar>(const std::vector<std::string>&)> values;
  std::function<void()> forget;  // may be empty
};
void emit_elementwise(GpuBuilder& g, const std::vector<int64_t>& domain, const std::vector<const MemRef*>& outs,
                      const std::vector<const MemRef*>& vector_inputs, const ElementwiseBody& body);
// `lanes` consecutive elements of `m` along its innermost dim from `idx`,
// by one vector.load (aligned as the caller ensures), as register values.
std::vector<Scalar> load_vector(MlirWriter& w, const MemRef& m, const std::vector<std::string>& idx, int lanes);
// Whether a tensor argument of this layout can be read with the lanes of
// an elementwise kernel over `domain` merged into vector loads.
bool vector_readable(const TensorLayout& layout, const std::vector<int64_t>& domain);

// The GPU kernel kinds (gpu_pointwise.cpp, gpu_reduction.cpp,
// gpu_movement.cpp, gpu_scatter.cpp, gpu_mlp.cpp).
void emit_gpu_pointwise(GpuBuilder& g);
void emit_gpu_reduction(GpuBuilder& g, const std::vector<const ir::Node*>& reductions);
void emit_gpu_copy(GpuBuilder& g, const MemRef& in, const MemRef& out);
void emit_gpu_concat(GpuBuilder& g, const ir::Node& node);  // cat, stack
void emit_gpu_gather(GpuBuilder& g, const ir::Node& node);  // index_select, embedding, index.Tensor, one_hot
void emit_gpu_scatter(GpuBuilder& g, const ir::Node& node);  // slice_backward, index_add, index_put
void emit_gpu_mlp(GpuBuilder& g);  // chains of small linears and activations

}  // namespace wick::codegen
