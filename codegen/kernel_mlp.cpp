// Small multilayer perceptrons in one kernel: a chain of linear layers with
// activations between them (the whole NN5 model, say), where every GEMM is
// too small for a library call to pay off. Rows are processed in blocks of
// kLanes; inside a block every layer's activations are kept feature-major
// (one vector of kLanes rows per feature), so that each multiply-add is one
// vector FMA of a broadcast weight with a row vector, and the whole chain
// stays in L1. Activations between layers are computed from the op table's
// expressions (pointwise_eval) on the stored layer outputs. The number of
// rows may be dynamic (a batch dim, or a slice of the rows); features are
// static. Layers compute in their dtype, f32 or f64 (a vector of kLanes f64
// rows spans two registers).
#include <algorithm>

#include "codegen/kernel_builder.h"
#include "codegen/pointwise_eval.h"
#include "ir/constant_value.h"
#include "support/error.h"

namespace wick::codegen {
namespace {

constexpr int64_t kLanes = 16;

struct Layer : MlpLayer {
  explicit Layer(const MlpLayer& l) : MlpLayer(l) {}
  std::string out_buf;  // linear output, [out][kLanes]
  std::string end_buf;  // chain end, [out][kLanes] (== out_buf without activations)
};

// The kernel's element type and the types built on it.
struct Element {
  DType dtype;
  std::string scalar;  // "f32" or "f64"
  explicit Element(DType t) : dtype(t), scalar(storage_type(t)) {}
  std::string vec() const { return "vector<" + std::to_string(kLanes) + "x" + scalar + ">"; }
  std::string buf_type(int64_t features) const {
    return "memref<" + std::to_string(features) + "x" + std::to_string(kLanes) + "x" + scalar + ">";
  }
};

// A row-major [kLanes, features] view of a feature-major buffer, so that the
// pointwise evaluator can read it with (row, feature) indices.
MemRef row_view(MlirWriter& w, const Element& el, const std::string& buf, int64_t features) {
  MemRef m;
  m.layout.dtype = el.dtype;
  m.layout.sizes = {kLanes, features};
  m.layout.strides = {1, kLanes};
  m.sizes = static_shape(m.layout.sizes);
  m.type = "memref<" + std::to_string(kLanes) + "x" + std::to_string(features) + "x" + el.scalar + ", strided<[1, " +
           std::to_string(kLanes) + "]>>";
  m.ssa = w.entry_op("memref.transpose " + buf + " (d0, d1) -> (d1, d0) : " + el.buf_type(features) + " to " + m.type);
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

// Copies rows [r0, r0 + kLanes) of `x` (features contiguous; rows past
// `last_row` read it again) into `buf`, feature-major: 16 x 16 tiles are read
// a row at a time and transposed in registers (shuffles), where reading a
// column of 16 rows would take a gather per column. f32 only: a tile of f64
// would not fit the registers.
void transpose_rows(MlirWriter& w, const MemRef& x, const std::string& r0, const std::string& last_row,
                    int64_t features, const std::string& buf) {
  static_assert(kLanes == 16, "the register transpose works on 16 x 16 tiles");
  const Element el(DType::f32);
  auto vec = [&] { return el.vec(); };
  auto buf_type = [&](int64_t n) { return el.buf_type(n); };
  const std::string tile = "vector<16x16xf32>";
  const std::string pad = w.op("arith.constant 0.0 : f32");
  std::vector<std::string> row_index;
  for (int64_t i = 0; i < kLanes; ++i) {
    const std::string row = w.op("arith.addi " + r0 + ", " + w.index(i) + " : index");
    row_index.push_back(w.op("arith.minui " + row + ", " + last_row + " : index"));
  }
  // `count` features from `k0`: reads past the last feature are masked.
  auto copy_tile = [&](const std::string& k0, int64_t count) {
    const std::string in_bounds = count == kLanes ? "true" : "false";
    std::string t = w.op("arith.constant dense<0.000000e+00> : " + tile);
    for (int64_t i = 0; i < kLanes; ++i) {
      const std::string v = w.op("vector.transfer_read " + x.ssa + "[" + row_index[static_cast<size_t>(i)] + ", " + k0 +
                                 "], " + pad + " {in_bounds = [" + in_bounds + "]} : " + x.type + ", " + vec());
      t = w.op("vector.insert " + v + ", " + t + " [" + std::to_string(i) + "] : " + vec() + " into " + tile);
    }
    const std::string tt = w.op("vector.transpose " + t + ", [1, 0] : " + tile + " to " + tile);
    for (int64_t c = 0; c < count; ++c) {
      const std::string col = w.op("vector.extract " + tt + "[" + std::to_string(c) + "] : " + vec() + " from " + tile);
      const std::string k = w.op("arith.addi " + k0 + ", " + w.index(c) + " : index");
      w.line("vector.store " + col + ", " + buf + "[" + k + ", " + w.index(0) + "] : " + buf_type(features) + ", " + vec());
    }
  };
  const int64_t full = features / kLanes * kLanes;
  if (full > 0) {
    const std::string k0 = w.begin_for_step(0, full, kLanes);
    copy_tile(k0, kLanes);
    w.end_for();
  }
  if (features > full) copy_tile(w.index(full), features - full);
}

// 4 to 8 accumulators: the first count that divides `out`, else 4 and a tail.
int64_t features_per_group(int64_t out) {
  for (int64_t u : {8, 7, 6, 5, 4})
    if (out % u == 0) return u;
  return 4;
}

struct LayerArgs {
  const Element& el;
  const MemRef& weight;  // [out, in]
  const MemRef* bias;    // [out] or null
  const std::string& in_buf;
  int64_t in;
  const std::string& out_buf;
  int64_t out;
};

// Output features [j0, j0 + count) of a layer for the block's rows: each a
// vector of kLanes rows, sum over k of weight[j, k] * in_buf[k].
void emit_features(MlirWriter& w, const LayerArgs& l, const std::string& j0, int64_t count,
                   const std::string& zero_vec) {
  const std::string vec = l.el.vec();
  std::vector<std::string> js, init, acc, sum;
  for (int64_t u = 0; u < count; ++u) {
    js.push_back(u == 0 ? j0 : w.op("arith.addi " + j0 + ", " + w.index(u) + " : index"));
    if (l.bias) {
      Scalar bj = w.load(*l.bias, {js.back()});
      init.push_back(w.op("vector.broadcast " + bj.ssa + " : " + l.el.scalar + " to " + vec));
    } else {
      init.push_back(zero_vec);
    }
    acc.push_back(w.fresh("acc"));
    sum.push_back(w.fresh("sum"));
  }
  const std::string k = w.fresh("k");
  std::string results = sum[0] + (count > 1 ? ":" + std::to_string(count) : "");
  std::string args, types;
  for (int64_t u = 0; u < count; ++u) {
    args += (u ? ", " : "") + acc[static_cast<size_t>(u)] + " = " + init[static_cast<size_t>(u)];
    types += (u ? ", " : "") + vec;
  }
  w.line(results + " = scf.for " + k + " = " + w.index(0) + " to " + w.index(l.in) + " step " + w.index(1) +
         " iter_args(" + args + ") -> (" + types + ") {");
  w.open_region();
  const std::string xv =
      w.op("vector.load " + l.in_buf + "[" + k + ", " + w.index(0) + "] : " + l.el.buf_type(l.in) + ", " + vec);
  std::string next;
  for (int64_t u = 0; u < count; ++u) {
    Scalar wjk = w.load(l.weight, {js[static_cast<size_t>(u)], k});
    const std::string wv = w.op("vector.broadcast " + wjk.ssa + " : " + l.el.scalar + " to " + vec);
    next += (u ? ", " : "") + w.op("vector.fma " + wv + ", " + xv + ", " + acc[static_cast<size_t>(u)] + " : " + vec);
  }
  w.line("scf.yield " + next + " : " + types);
  w.close_region();
  for (int64_t u = 0; u < count; ++u) {
    const std::string r = count > 1 ? sum[0] + "#" + std::to_string(u) : sum[0];
    w.line("vector.store " + r + ", " + l.out_buf + "[" + js[static_cast<size_t>(u)] + ", " + w.index(0) + "] : " +
           l.el.buf_type(l.out) + ", " + vec);
  }
}

}  // namespace

std::vector<MlpLayer> mlp_layers(const KernelBuilder& b) {
  const KernelGroup& g = b.group();
  std::vector<MlpLayer> layers;
  for (const ir::Node* n : g.nodes) {
    if (!n->is("aten::linear")) continue;
    MlpLayer l;
    l.linear = n;
    if (!n->input(1)->type()->fully_static()) throw n->error("an MLP layer needs a weight of static shape");
    const std::vector<int64_t> ws = static_sizes(n->input(1));
    const DType t = static_dtype(n->input(0));
    WICK_ASSERT(ws.size() == 2 && (t == DType::f32 || t == DType::f64), "an MLP layer needs a 2-D f32 or f64 weight");
    WICK_ASSERT(static_dtype(n->input(1)) == t, "an MLP layer's weight has its input's dtype");
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
  for (size_t i = 1; i < layers.size(); ++i)
    WICK_ASSERT(layers[i].linear->input(0) == layers[i - 1].end, "MLP layers must form a chain");
  return layers;
}

void emit_mlp(KernelBuilder& b) {
  MlirWriter& w = b.w();
  std::vector<Layer> layers;
  for (const MlpLayer& l : mlp_layers(b)) layers.emplace_back(l);
  const ir::Value* x = layers.front().linear->input(0);
  const MemRef* xin = b.input_tensor(x);
  WICK_ASSERT(xin != nullptr, "an MLP kernel reads its input as an argument");
  WICK_ASSERT(xin->sizes.size() == 2, "an MLP kernel's input is 2-D");
  const Size rows = xin->sizes[0];
  if (xin->sizes[1].dynamic()) throw layers.front().linear->error("an MLP kernel needs a static number of features");
  const std::vector<int64_t> xs = {0, xin->sizes[1].value};
  const Element el(xin->layout.dtype);
  auto buf_type = [&](int64_t n) { return el.buf_type(n); };

  const std::string input_buf = w.entry_op("memref.alloca() : " + buf_type(xs[1]));
  for (Layer& l : layers) {
    l.out_buf = w.entry_op("memref.alloca() : " + buf_type(l.out));
    l.end_buf = l.end == l.linear->output() ? l.out_buf : w.entry_op("memref.alloca() : " + buf_type(l.out));
  }
  const std::string zero_vec = w.entry_op("arith.constant dense<0.000000e+00> : " + el.vec());
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
  if (rows.dynamic()) last_row = w.op("arith.subi " + rows.ssa + ", " + w.index(1) + " : index");
  else last_row = w.index(rows.value - 1);
  if (xin->layout.strides.back() == 1 && el.dtype == DType::f32) {
    transpose_rows(w, *xin, r0, last_row, xs[1], input_buf);
  } else {
    const std::string r = w.begin_for(kLanes);
    std::string row = w.op("arith.addi " + r0 + ", " + r + " : index");
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
    // Output features in groups: independent accumulators hide the FMA
    // latency, and each row vector loaded serves them all.
    const int64_t unroll = features_per_group(l.out);
    const int64_t grouped = l.out / unroll * unroll;
    if (grouped > 0) {
      const std::string j0 = w.begin_for_step(0, grouped, unroll);
      emit_features(w, LayerArgs{el, *weight, bias, in_buf, l.in, l.out_buf, l.out}, j0, unroll, zero_vec);
      w.end_for();
    }
    for (int64_t j = grouped; j < l.out; ++j)
      emit_features(w, LayerArgs{el, *weight, bias, in_buf, l.in, l.out_buf, l.out}, w.index(j), 1, zero_vec);
    if (l.end != l.linear->output() && &l != &layers.back()) {
      // The activations, element by element, into the next layer's input.
      b.bind(l.linear->output(), row_view(w, el, l.out_buf, l.out));
      const MemRef end_view = row_view(w, el, l.end_buf, l.out);
      // One loop over the buffer's elements in memory order (row r of
      // feature f at f * kLanes + r), which LLVM vectorizes along memory. A
      // nest of features over rows lets it unroll the rows' loop of kLanes
      // and vectorize the features' instead, with gathers and scatters
      // (a ReLU chain took twice as long that way as a sigmoid one).
      const std::string i = w.begin_for(l.out * kLanes);
      const std::string r = w.op("arith.remui " + i + ", " + w.index(kLanes) + " : index");
      const std::string f = w.op("arith.divui " + i + ", " + w.index(kLanes) + " : index");
      w.store(eval.value_at(l.end, {r, f}), end_view, {r, f});
      w.end_for();
      eval.clear_cache();
    }
    in_buf = l.end_buf;
  }
  // The last layer's rows that exist, through its activations, to the output.
  const Layer& last = layers.back();
  b.bind(last.linear->output(), row_view(w, el, last.out_buf, last.out));
  const MemRef* out = b.output(last.end);
  {
    // Rows innermost and no condition inside the loop, so that it vectorizes.
    const std::string left = w.op("arith.subi " + w.bound(rows) + ", " + r0 + " : index");
    const Size valid{0, w.op("arith.minui " + left + ", " + w.index(kLanes) + " : index")};
    const std::string f = w.begin_for(last.out);
    const std::string r = w.begin_for(valid);
    const std::string row = w.op("arith.addi " + r0 + ", " + r + " : index");
    // The evaluator indexes the block's rows; the output takes the real row.
    w.store(eval.value_at(last.end, {r, f}), *out, {row, f});
    w.end_for();
    w.end_for();
    eval.clear_cache();
  }
  w.end_for();
}

}  // namespace wick::codegen
