// Small multilayer perceptrons in one kernel: a chain of linear layers with
// activations between them (the whole NN5 model, say), where every GEMM is
// too small for a library call to pay off. Rows are processed in blocks of
// kLanes; inside a block every layer's activations are kept feature-major
// (one vector of kLanes rows per feature), so that each multiply-add is one
// vector FMA of a broadcast weight with a row vector, and the whole chain
// stays in L1. Activations between layers are computed from the op table's
// expressions (pointwise_eval) on the stored layer outputs. The number of
// rows may be dynamic (a batch dim, or a slice of the rows); features are
// static.
#include <algorithm>

#include "codegen/kernel_builder.h"
#include "codegen/pointwise_eval.h"
#include "ir/constant_value.h"
#include "support/error.h"

namespace wick::codegen {
namespace {

constexpr int64_t kLanes = 16;

struct Layer {
  const ir::Node* linear;
  const ir::Value* end;  // the last value of the activation chain after it
  int64_t in = 0, out = 0;
  std::string out_buf;  // linear output, [out][kLanes]
  std::string end_buf;  // chain end, [out][kLanes] (== out_buf without activations)
};

std::string vec() { return "vector<" + std::to_string(kLanes) + "xf32>"; }
std::string buf_type(int64_t features) { return "memref<" + std::to_string(features) + "x" + std::to_string(kLanes) + "xf32>"; }

// A row-major [kLanes, features] view of a feature-major buffer, so that the
// pointwise evaluator can read it with (row, feature) indices.
MemRef row_view(MlirWriter& w, const std::string& buf, int64_t features) {
  MemRef m;
  m.layout.dtype = DType::f32;
  m.layout.sizes = {kLanes, features};
  m.layout.strides = {1, kLanes};
  m.sizes = static_shape(m.layout.sizes);
  m.type = "memref<" + std::to_string(kLanes) + "x" + std::to_string(features) + "xf32, strided<[1, " +
           std::to_string(kLanes) + "]>>";
  m.ssa = w.entry_op("memref.transpose " + buf + " (d0, d1) -> (d1, d0) : " + buf_type(features) + " to " + m.type);
  return m;
}

// The single group node using `v`, or null.
const ir::Node* only_user(const KernelBuilder& b, const ir::Value* v) {
  const ir::Node* user = nullptr;
  for (const ir::Use& u : v->uses()) {
    if (!b.in_group(u.user)) continue;
    if (user && user != u.user) return nullptr;
    user = u.user;
  }
  return user;
}

}  // namespace

void emit_mlp(KernelBuilder& b) {
  MlirWriter& w = b.w();
  const KernelGroup& g = b.group();
  std::vector<Layer> layers;
  for (const ir::Node* n : g.nodes) {
    if (!n->is("aten::linear")) continue;
    Layer l;
    l.linear = n;
    if (!n->input(1)->type()->fully_static()) throw n->error("an MLP layer needs a weight of static shape");
    const std::vector<int64_t> ws = static_sizes(n->input(1));
    WICK_ASSERT(ws.size() == 2 && static_dtype(n->input(0)) == DType::f32, "an MLP layer needs a 2-D f32 weight");
    l.out = ws[0];
    l.in = ws[1];
    // Follow the activations after the layer to the end of its chain.
    const ir::Value* v = n->output();
    for (const ir::Node* next = only_user(b, v); next && !next->is("aten::linear"); next = only_user(b, v))
      v = next->output();
    l.end = v;
    layers.push_back(l);
  }
  WICK_ASSERT(!layers.empty(), "an MLP kernel without layers");
  WICK_ASSERT(g.outputs.size() == 1 && g.outputs[0] == layers.back().end, "an MLP kernel writes its last layer only");
  const ir::Value* x = layers.front().linear->input(0);
  const MemRef* xin = b.input_tensor(x);
  WICK_ASSERT(xin != nullptr, "an MLP kernel reads its input as an argument");
  WICK_ASSERT(xin->sizes.size() == 2, "an MLP kernel's input is 2-D");
  const Size rows = xin->sizes[0];
  if (xin->sizes[1].dynamic()) throw layers.front().linear->error("an MLP kernel needs a static number of features");
  const std::vector<int64_t> xs = {0, xin->sizes[1].value};
  for (size_t i = 1; i < layers.size(); ++i)
    WICK_ASSERT(layers[i].linear->input(0) == layers[i - 1].end, "MLP layers must form a chain");

  const std::string input_buf = w.entry_op("memref.alloca() : " + buf_type(xs[1]));
  for (Layer& l : layers) {
    l.out_buf = w.entry_op("memref.alloca() : " + buf_type(l.out));
    l.end_buf = l.end == l.linear->output() ? l.out_buf : w.entry_op("memref.alloca() : " + buf_type(l.out));
  }
  const std::string zero_vec = w.entry_op("arith.constant dense<0.000000e+00> : " + vec());
  const std::string c0 = w.index(0);
  PointwiseEval eval(b);

  // Blocks of kLanes rows; a dynamic count of rows may be 0.
  std::string r0, last_row;
  if (rows.dynamic()) {
    r0 = w.begin_for_step(rows, kLanes);
  } else {
    const int64_t blocks = (rows.value + kLanes - 1) / kLanes;
    r0 = w.begin_for_step(0, blocks * kLanes, kLanes);
  }
  // The block's rows, feature-major; rows past the end read the last row.
  {
    const std::string r = w.begin_for(kLanes);
    std::string row = w.op("arith.addi " + r0 + ", " + r + " : index");
    if (rows.dynamic()) last_row = w.op("arith.subi " + rows.ssa + ", " + w.index(1) + " : index");
    else last_row = w.index(rows.value - 1);
    row = w.op("arith.minui " + row + ", " + last_row + " : index");
    const std::string k = w.begin_for(xs[1]);
    Scalar v = w.load(*xin, {row, k});
    w.line("memref.store " + v.ssa + ", " + input_buf + "[" + k + ", " + r + "] : " + buf_type(xs[1]));
    w.end_for();
    w.end_for();
  }
  std::string in_buf = input_buf;
  for (const Layer& l : layers) {
    const MemRef* weight = b.input_tensor(l.linear->input(1));
    WICK_ASSERT(weight != nullptr, "an MLP layer reads its weight as an argument");
    const MemRef* bias = ir::is_none(l.linear->input(2)) ? nullptr : b.input_tensor(l.linear->input(2));
    const std::string j = w.begin_for(l.out);
    std::string init = zero_vec;
    if (bias) {
      Scalar bj = w.load(*bias, {j});
      init = w.op("vector.broadcast " + bj.ssa + " : f32 to " + vec());
    }
    const std::string k = w.fresh("k");
    const std::string acc = w.fresh("acc");
    const std::string sum = w.fresh("sum");
    w.line(sum + " = scf.for " + k + " = " + c0 + " to " + w.index(l.in) + " step " + w.index(1) + " iter_args(" + acc +
           " = " + init + ") -> (" + vec() + ") {");
    w.open_region();
    const std::string xv = w.op("vector.load " + in_buf + "[" + k + ", " + c0 + "] : " + buf_type(l.in) + ", " + vec());
    Scalar wjk = w.load(*weight, {j, k});
    const std::string wv = w.op("vector.broadcast " + wjk.ssa + " : f32 to " + vec());
    const std::string next = w.op("vector.fma " + wv + ", " + xv + ", " + acc + " : " + vec());
    w.line("scf.yield " + next + " : " + vec());
    w.close_region();
    w.line("vector.store " + sum + ", " + l.out_buf + "[" + j + ", " + c0 + "] : " + buf_type(l.out) + ", " + vec());
    w.end_for();
    if (l.end != l.linear->output() && &l != &layers.back()) {
      // The activations, element by element, into the next layer's input.
      b.bind(l.linear->output(), row_view(w, l.out_buf, l.out));
      const MemRef end_view = row_view(w, l.end_buf, l.out);
      // Rows innermost: contiguous in the buffers, so the loop vectorizes.
      const std::string f = w.begin_for(l.out);
      const std::string r = w.begin_for(kLanes);
      w.store(eval.value_at(l.end, {r, f}), end_view, {r, f});
      w.end_for();
      w.end_for();
      eval.clear_cache();
    }
    in_buf = l.end_buf;
  }
  // The last layer's rows that exist, through its activations, to the output.
  const Layer& last = layers.back();
  b.bind(last.linear->output(), row_view(w, last.out_buf, last.out));
  const MemRef* out = b.output(last.end);
  {
    const std::string r = w.begin_for(kLanes);
    const std::string row = w.op("arith.addi " + r0 + ", " + r + " : index");
    Scalar inside{w.op("arith.cmpi ult, " + row + ", " + w.bound(rows) + " : index"), DType::b8};
    w.begin_if(inside);
    const std::string f = w.begin_for(last.out);
    // The evaluator indexes the block's rows; the output takes the real row.
    w.store(eval.value_at(last.end, {r, f}), *out, {row, f});
    w.end_for();
    w.end_if();
    w.end_for();
    eval.clear_cache();
  }
  w.end_for();
}

}  // namespace wick::codegen
