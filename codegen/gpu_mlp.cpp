// GPU small-MLP kernels: the small-MLP group (kernel_mlp.cpp: a chain of
// small linear layers with pointwise activations between them, the whole
// NN5 model say) as one kernel, a thread per row. Everything is unrolled:
// a row's features stay in registers from layer to layer, each weight is a
// uniform load (every lane of a warp reads the same address: one request,
// served from L1 after the first warp), each multiply-add one FMA, and the
// activations come from the op table's expressions (PointwiseEval) on the
// registers. The code grows with the weights and the registers with the
// features, so the fuse pass forms such groups for the GPU only while they
// are small (passes::FuseOptions::mlp_max_features, mlp_max_weights).
// Blocks of one warp spread a small batch over many SMs.
#include "codegen/gpu_builder.h"
#include "codegen/pointwise_eval.h"
#include "ir/constant_value.h"
#include "support/error.h"

namespace wick::codegen {

void emit_gpu_mlp(GpuBuilder& g) {
  KernelBuilder& b = g.kb();
  MlirWriter& w = g.w();
  const std::vector<MlpLayer> layers = mlp_layers(b);
  const MemRef* x = b.input_tensor(layers.front().linear->input(0));
  WICK_ASSERT(x && x->layout.sizes.size() == 2, "an MLP kernel reads a 2-D input as an argument");
  const MemRef* out = b.output(layers.back().end);
  WICK_ASSERT(out != nullptr, "an MLP kernel writes its last layer");
  const int64_t rows = x->layout.sizes[0];
  if (rows == 0) return;
  // One warp per block while that leaves enough blocks to fill the GPU.
  const int64_t block = rows <= 4096 ? 32 : 128;
  g.launch.block = {static_cast<uint32_t>(block), 1, 1};
  g.launch.grid = {static_cast<uint32_t>(ceil_div(rows, block)), 1, 1};

  const std::string row = g.add(g.mul(g.block_id(0), block), g.thread_id(0));
  w.begin_if(g.less(row, rows));
  std::vector<Scalar> features;
  for (int64_t k = 0; k < x->layout.sizes[1]; ++k) features.push_back(w.load(*x, {row, w.index(k)}));
  PointwiseEval eval(b);
  for (const MlpLayer& l : layers) {
    WICK_ASSERT(static_cast<int64_t>(features.size()) == l.in, "MLP layers must chain");
    const MemRef* weight = b.input_tensor(l.linear->input(1));
    WICK_ASSERT(weight != nullptr, "an MLP layer reads its weight as an argument");
    const MemRef* bias = ir::is_none(l.linear->input(2)) ? nullptr : b.input_tensor(l.linear->input(2));
    for (Scalar& f : features) f = w.convert(f, DType::f32);
    std::vector<Scalar> next;
    for (int64_t o = 0; o < l.out; ++o) {
      const std::string j = w.index(o);
      Scalar acc = bias ? w.convert(w.load(*bias, {j}), DType::f32) : w.float_constant(DType::f32, 0.0);
      for (int64_t k = 0; k < l.in; ++k) {
        const Scalar wk = w.convert(w.load(*weight, {j, w.index(k)}), DType::f32);
        // The LLVM intrinsic: convert-gpu-to-nvvm leaves math.fma alone.
        acc = w.op("llvm.intr.fma(" + wk.ssa + ", " + features[static_cast<size_t>(k)].ssa + ", " + acc.ssa +
                       ") : (f32, f32, f32) -> f32",
                   DType::f32);
      }
      if (l.end == l.linear->output()) {
        next.push_back(acc);
        continue;
      }
      eval.preset(l.linear->output(), {row, j}, acc);
      next.push_back(eval.value_at(l.end, {row, j}));
    }
    eval.clear_cache();
    features = std::move(next);
  }
  for (size_t o = 0; o < features.size(); ++o) w.store(features[o], *out, {row, w.index(static_cast<int64_t>(o))});
  w.end_if();
}

}  // namespace wick::codegen
