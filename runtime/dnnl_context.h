// What every oneDNN-backed kernel shares: the CPU engine, the OpenMP thread
// count that oneDNN runs on (this oneDNN build uses OpenMP), the translation
// of wick's views and epilogues into oneDNN descriptors, and the running of a
// created primitive (dnnl_execute.cpp). Internal to the runtime.
#pragma once

#include <memory>

#include "support/tensor.h"

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <utility>
#include <vector>

#include "runtime/extern_kernels.h"

namespace wick::rt::dnnl_support {

dnnl::engine& engine();

// Points oneDNN's OpenMP team of the calling thread at the size of
// default_thread_pool() (one inside a parallel_for chunk, or for a call of
// fewer than kSerialWork multiply-adds, which a team would only slow down)
// and returns that count. Call it before creating or running a primitive:
// primitives are tuned for the thread count seen at creation.
constexpr int64_t kSerialWork = int64_t{1} << 18;
int sync_threads(int64_t multiply_adds = -1);

// f32 memory descriptor of a strided view. Strides of size-1 dimensions do
// not matter to the data but oneDNN reads them when it classifies layouts,
// so they are normalised.
dnnl::memory::desc f32_md(const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides);
dnnl::memory::desc f32_md(const Tensor& t);
dnnl::memory::desc f32_contiguous_md(const std::vector<int64_t>& sizes);
// The same in the tensor's own dtype (f32 or bf16).
dnnl::memory::data_type data_type_of(DType t);
dnnl::memory::desc plain_md(const Tensor& t);
dnnl::memory::desc contiguous_md(const std::vector<int64_t>& sizes, DType dtype);

// Whether this CPU multiplies bf16 natively (AVX512_BF16 or AMX), where
// oneDNN's bf16 products run at twice the f32 rate; elsewhere the products
// widen their operands to f32 first. Tests may force the widened path.
bool native_bf16();
void force_widened_bf16(bool on);

// Primitive attributes: user-managed scratchpad (so one primitive can run on
// several threads at once), optional output scale and sum post-op, then the
// epilogue as an eltwise post-op.
dnnl::primitive_attr make_attr(const Epilogue& e, float output_scale = 1.f, float sum_scale = 0.f);
// The epilogue's eltwise post-op (none for PostOp::none).
void append_epilogue(dnnl::post_ops& ops, const Epilogue& e);

// True when oneDNN chose its slow reference implementation.
bool is_reference(const dnnl::primitive_desc_base& pd);

// A conversion between the caller's layout of an operand and the blocked
// layout a primitive runs on.
struct Reorder {
  int arg;  // DNNL_ARG_*: inputs are converted before the primitive, DST after
  dnnl::primitive primitive;
  dnnl::memory::desc user, inner;
  dnnl::memory::desc scratchpad;
};

// A created primitive and the memory descriptors it was created for.
struct CachedPrimitive {
  uint64_t id = 0;  // unique for the process lifetime
  dnnl::primitive primitive;
  std::vector<std::pair<int, dnnl::memory::desc>> args;  // DNNL_ARG_* -> descriptor
  dnnl::memory::desc scratchpad;
  std::vector<Reorder> reorders;
  std::string impl;         // oneDNN's implementation name
  bool contiguous = false;  // created for contiguous copies of the operands
  bool reference = false;   // oneDNN's slow reference implementation

  static CachedPrimitive of(dnnl::primitive primitive, const dnnl::primitive_desc_base& pd,
                            bool contiguous,
                            std::initializer_list<std::pair<int, dnnl::memory::desc>> args) {
    static std::atomic<uint64_t> next_id{1};
    CachedPrimitive c;
    c.id = next_id.fetch_add(1, std::memory_order_relaxed);
    c.primitive = std::move(primitive);
    c.args.assign(args.begin(), args.end());
    c.scratchpad = pd.scratchpad_desc();
    c.contiguous = contiguous;
    c.impl = pd.impl_info_str();
    c.reference = is_reference(pd);
    return c;
  }
};

// The conversion of operand `arg` between the caller's layout `user` and the
// primitive's `inner`: into `inner` for inputs, back into `user` for DST.
Reorder make_reorder(int arg, const dnnl::memory::desc& user, const dnnl::memory::desc& inner);

// Runs `p` on the calling thread's stream with the given data pointers (one
// per DNNL_ARG_* that `p` was created with, in the caller's layout; null
// pointers are skipped), converting layouts as `p.reorders` say.
// `constant_weights`, when given, owns the weights and promises they never
// change (inference on module parameters): their conversion to the
// primitive's layout is done once and kept while that storage lives.
void execute(const CachedPrimitive& p, std::initializer_list<std::pair<int, void*>> data,
             const std::shared_ptr<Storage>& constant_weights = nullptr);

// How many converted copies of constant weights are kept for storages that
// still live (one per weight and layout); for tests.
size_t kept_weight_conversions();

// Translates dnnl::error into a wick::Error naming the op.
[[noreturn]] void rethrow_dnnl(const char* op, const dnnl::error& e);

}  // namespace wick::rt::dnnl_support
