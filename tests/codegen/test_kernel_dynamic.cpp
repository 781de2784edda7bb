// Kernels over dims known only at run time, against LibTorch: graphs typed
// with a symbolic batch dim (`B`) become one kernel each, compiled once and
// run at several sizes. And the outer-dim split: every splittable kernel is
// also run as two and three calls on slices of dim 0 (sub-descriptors, one
// thread each) and must write exactly what one whole call writes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <thread>
#include <tuple>

#include "codegen/jit_engine.h"
#include "kernel_test_util.h"
#include "runtime/memref_descriptor.h"
#include "support/error.h"

namespace wick::codegen {
namespace {

using test::matches;
using Inputs = std::vector<c10::IValue>;
using MakeInputs = std::function<Inputs(int64_t)>;

const std::vector<int64_t> kSizes = {1, 3, 17, 200};

class DynamicKernels : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::set_num_threads(1);
    torch::manual_seed(13);
  }
};

// The size of `d` with B bound to `batch`.
int64_t concrete(const ir::Dim& d, int64_t batch) {
  int64_t n = d.coefficient();
  for (const std::string& s : d.symbols()) {
    EXPECT_EQ(s, "B");
    n *= batch;
  }
  return n;
}

std::vector<int64_t> concrete_shape(const ir::Value* v, int64_t batch) {
  std::vector<int64_t> s;
  for (const ir::Dim& d : *v->type()->shape()) s.push_back(concrete(d, batch));
  return s;
}

// A contiguous layout of a value's type: kDynamic where the dim is symbolic
// (only dim 0 may be, for the strides to stay static).
TensorLayout input_layout(const ir::Value* v) {
  const std::vector<ir::Dim>& dims = *v->type()->shape();
  TensorLayout l;
  l.dtype = *v->type()->dtype();
  l.strides.assign(dims.size(), 1);
  for (size_t k = 0; k < dims.size(); ++k) l.sizes.push_back(dims[k].is_static() ? dims[k].value() : kDynamic);
  for (size_t k = dims.size(); k-- > 1;) {
    EXPECT_TRUE(dims[k].is_static()) << "give the layout of %" << v->name();
    l.strides[k - 1] = l.strides[k] * std::max<int64_t>(l.sizes[k], 1);
  }
  return l;
}

// The nodes `nodes` (all of the graph when empty) as one group; input
// layouts contiguous unless given by input position.
KernelGroup make_group(const ir::Graph& g, bool dynamic_dim0, const std::map<size_t, TensorLayout>& layouts = {}) {
  KernelGroup group;
  for (ir::Node* n : *g.block()) group.nodes.push_back(n);
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    const ir::Value* v = g.inputs()[i];
    group.inputs.push_back(v);
    if (layouts.count(i)) group.input_layouts.push_back(layouts.at(i));
    else group.input_layouts.push_back(v->type()->is_tensor() ? input_layout(v) : TensorLayout{});
  }
  for (const ir::Value* v : g.outputs()) group.outputs.push_back(v);
  group.dynamic_dim0 = dynamic_dim0;
  return group;
}

struct Kernel {
  KernelGroup group;
  GeneratedKernel code;
  PackedKernelFn fn = nullptr;
  CompiledModule module;
};

Kernel compile(KernelGroup group) {
  Kernel k;
  k.group = std::move(group);
  k.code = generate_kernel(k.group, "dyn");
  if (std::getenv("WICK_TEST_DUMP_MLIR")) std::fprintf(stderr, "%s\n", k.code.mlir.c_str());
  CompileOptions options;
  options.cache_dir = "off";
  k.module = JitEngine::global().compile(k.code.mlir, {packed_entry_name(k.code.name)}, options);
  k.fn = k.module.packed(k.code.name);
  EXPECT_EQ(k.code.sliced_dim0.size(), k.code.args.size());
  return k;
}

struct Outputs {
  std::vector<torch::Tensor> tensors;
  int64_t status = 0;
};

// Calls `k` on `inputs` (parallel to the group's inputs) with B = batch, as
// `slices` calls over slices of dim 0, each on its own thread and with its
// own status output.
Outputs call(const Kernel& k, const Inputs& inputs, int64_t batch, int slices = 1) {
  const GeneratedKernel& code = k.code;
  std::vector<torch::Tensor> tensors(code.args.size());
  std::vector<c10::IValue> scalars(code.args.size());
  Outputs out;
  size_t next_input = 0, next_output = 0;
  for (size_t i = 0; i < code.args.size(); ++i) {
    const KernelArg& a = code.args[i];
    if (static_cast<int>(i) == code.status_arg) continue;
    if (a.kind != KernelArgKind::tensor) {
      scalars[i] = inputs.at(next_input++);
      continue;
    }
    if (a.is_output) {
      torch::Tensor t = torch::empty(concrete_shape(k.group.outputs.at(next_output++), batch),
                                     test::torch_dtype(a.layout.dtype));
      std::memset(t.data_ptr(), 0x7f, t.nbytes());  // an element the kernel forgets shows
      out.tensors.push_back(t);
      tensors[i] = t;
      continue;
    }
    torch::Tensor t = inputs.at(next_input++).toTensor();
    for (int64_t d = 0; d < t.dim(); ++d)
      EXPECT_TRUE(a.layout.strides[d] == t.stride(d) || t.size(d) == 1) << "input " << i << " dim " << d;
    tensors[i] = t;
  }
  int64_t rows = -1;
  for (size_t i = 0; i < code.args.size() && rows < 0; ++i)
    if (code.sliced_dim0[i]) rows = tensors[i].size(0);
  if (slices > 1) {
    EXPECT_GE(rows, 0) << "a split kernel with no sliced argument";
  }
  std::vector<torch::Tensor> status(slices);
  auto run_slice = [&](int j) {
    const int64_t i0 = slices == 1 ? 0 : rows * j / slices, i1 = slices == 1 ? 0 : rows * (j + 1) / slices;
    std::deque<MemRefDescriptorBuffer> descriptors;
    std::deque<int64_t> ints;
    std::deque<double> doubles;
    std::deque<bool> bools;
    std::vector<void*> args;
    for (size_t i = 0; i < code.args.size(); ++i) {
      const KernelArg& a = code.args[i];
      if (static_cast<int>(i) == code.status_arg) {
        args.push_back(descriptors.emplace_back(status[j].data_ptr(), 0, std::vector<int64_t>{},
                                                std::vector<int64_t>{}).data());
        continue;
      }
      if (a.kind == KernelArgKind::int_scalar) args.push_back(&ints.emplace_back(scalars[i].toInt()));
      else if (a.kind == KernelArgKind::float_scalar) args.push_back(&doubles.emplace_back(scalars[i].toDouble()));
      else if (a.kind == KernelArgKind::bool_scalar) args.push_back(&bools.emplace_back(scalars[i].toBool()));
      if (a.kind != KernelArgKind::tensor) continue;
      const torch::Tensor& t = tensors[i];
      std::vector<int64_t> sizes = t.sizes().vec(), strides = t.strides().vec();
      int64_t offset = t.storage_offset();
      if (slices > 1 && code.sliced_dim0[i]) {
        EXPECT_EQ(sizes[0], rows) << "sliced arguments differ in dim 0";
        sizes[0] = i1 - i0;
        offset += i0 * strides[0];
      }
      args.push_back(descriptors.emplace_back(t.storage().data(), offset, sizes, strides).data());
    }
    k.fn(args.data());
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < slices; ++j) {
    status[j] = torch::full({}, 7, torch::kLong);
    threads.emplace_back(run_slice, j);
  }
  for (std::thread& t : threads) t.join();
  if (code.status_arg >= 0)
    for (const torch::Tensor& s : status) out.status |= s.item<int64_t>();
  return out;
}

// Splitting gives exactly what one call gives.
void check_split(const Kernel& k, const Inputs& inputs, int64_t batch, const Outputs& whole) {
  for (int slices : {2, 3}) {
    Outputs parts = call(k, inputs, batch, slices);
    EXPECT_EQ(parts.status, whole.status) << slices << " slices";
    for (size_t i = 0; i < whole.tensors.size(); ++i)
      EXPECT_TRUE(torch::equal(parts.tensors[i], whole.tensors[i])) << "output " << i << ", " << slices << " slices";
  }
}

struct Check {
  std::function<void(ir::Graph&)> retype;  // fixes types after inference
  bool dynamic_dim0 = false;
  std::map<size_t, TensorLayout> layouts;
  double tol = 1e-5;
  std::vector<int64_t> sizes = kSizes;
};

// Generates the graph's kernel once and runs it at every size, whole and
// (when splittable) split, against torch. Returns the kernel.
Kernel check(const std::string& text, const MakeInputs& make, const Check& c = {}) {
  SCOPED_TRACE(text);
  auto m = test::parse_graph(text);
  if (c.retype) c.retype(test::graph_of(*m));
  const ir::Graph& g = test::graph_of(*m);
  Kernel k = compile(make_group(g, c.dynamic_dim0, c.layouts));
  for (int64_t batch : c.sizes) {
    SCOPED_TRACE("B = " + std::to_string(batch));
    const Inputs inputs = make(batch);
    const std::vector<torch::Tensor> ref = test::torch_graph(g, inputs);
    Outputs got = call(k, inputs, batch);
    EXPECT_EQ(got.status, 0);
    EXPECT_EQ(got.tensors.size(), ref.size());
    for (size_t i = 0; i < ref.size() && i < got.tensors.size(); ++i)
      EXPECT_TRUE(matches(got.tensors[i], ref[i], c.tol)) << "output " << i;
    if (k.code.splittable_dim0) check_split(k, inputs, batch, got);
  }
  k.group = {};  // points into the graph, which goes now
  return k;
}

// ---- row groups -----------------------------------------------------------------

// softmax as decomposed, one kernel over a symbolic batch: split across
// calls, each slice computes its own rows.
TEST_F(DynamicKernels, RowGroupSplitsByRows) {
  Kernel k = check(R"(graph @g(%x : Tensor(f32, [B, 24])) -> (Tensor, Tensor) {
  %one : Int = prim::Constant[value=1]()
  %dims : List[Int] = prim::Constant[value=[-1]]()
  %t : Bool = prim::Constant[value=true]()
  %none : None = prim::Constant[value=none]()
  %m : Tensor = aten::amax(%x, %dims, %t)
  %d : Tensor = aten::sub.Tensor(%x, %m, %one)
  %e : Tensor = aten::exp(%d)
  %s : Tensor = aten::sum.dim_IntList(%e, %dims, %t, %none)
  %r : Tensor = aten::div.Tensor(%e, %s)
  return(%r, %s)
})",
                   [](int64_t b) { return Inputs{torch::randn({b, 24}) * 3}; });
  EXPECT_TRUE(k.code.splittable_dim0);
}

// Two gathers from one source in one kernel, as grid_sample's taps: the
// source passes whole to every slice, the index rows split.
TEST_F(DynamicKernels, GathersFromOneSourceSplitByRows) {
  auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [37]), %i : Tensor(i64, [B, 6]), %j : Tensor(i64, [B, 6])) -> (Tensor) {
  %one : Int = prim::Constant[value=1]()
  %a : Tensor = wick::gather_flat(%x, %i)
  %b : Tensor = wick::gather_flat(%x, %j)
  %r : Tensor = aten::add.Tensor(%a, %b, %one)
  return(%r)
})");
  const ir::Graph& g = test::graph_of(*m);
  Kernel k = compile(make_group(g, true));
  EXPECT_TRUE(k.code.splittable_dim0);
  for (int64_t batch : kSizes) {
    SCOPED_TRACE("B = " + std::to_string(batch));
    torch::Tensor x = torch::randn({37});
    torch::Tensor i = torch::randint(0, 37, {batch, 6}, torch::kLong), j = torch::randint(0, 37, {batch, 6}, torch::kLong);
    const Inputs inputs = {x, i, j};
    Outputs got = call(k, inputs, batch);
    ASSERT_EQ(got.tensors.size(), 1u);
    EXPECT_TRUE(matches(got.tensors[0], torch::take(x, i) + torch::take(x, j), 1e-6));
    if (k.code.splittable_dim0) check_split(k, inputs, batch, got);
  }
  k.group = {};
}

// ---- pointwise ---------------------------------------------------------------

TEST_F(DynamicKernels, PointwiseWithBroadcasting) {
  // [B, 1] and [1, 16] broadcast against [B, 16]; a second output shape.
  Kernel k = check(R"(graph @g(%x : Tensor(f32, [B, 16]), %y : Tensor(f32, [16]), %z : Tensor(f32, [B, 1]), %w : Tensor(f32, [1, 16])) -> (Tensor, Tensor, Tensor) {
  %one : Int = prim::Constant[value=1]()
  %a : Tensor = aten::add.Tensor(%x, %y, %one)
  %b : Tensor = aten::mul.Tensor(%a, %z)
  %c : Tensor = aten::sub.Tensor(%b, %w, %one)
  %d : Tensor = aten::sigmoid(%c)
  %e : Tensor = aten::add.Tensor(%z, %w, %one)
  %f : Tensor = aten::neg(%z)
  return(%d, %e, %f)
})",
                   [](int64_t b) {
                     return Inputs{torch::randn({b, 16}), torch::randn({16}), torch::randn({b, 1}),
                                   torch::randn({1, 16})};
                   });
  EXPECT_NE(k.code.mlir.find("memref<?x16xf32, strided<[16, 1], offset: ?>>"), std::string::npos) << k.code.mlir;
  EXPECT_NE(k.code.mlir.find("memref.dim"), std::string::npos);
  EXPECT_EQ(k.code.args[0].layout.sizes, (std::vector<int64_t>{kDynamic, 16}));
  EXPECT_TRUE(k.code.splittable_dim0);
  EXPECT_EQ(k.code.sliced_dim0, (std::vector<bool>{true, false, true, false, true, true, true}));
}

TEST_F(DynamicKernels, PointwiseIntegerAndScalarArguments) {
  check(R"(graph @g(%x : Tensor(i64, [B, 5]), %s : Int) -> (Tensor) {
  %a : Tensor = aten::mul.Scalar(%x, %s)
  %r : Tensor = aten::remainder.Scalar(%a, %s)
  return(%r)
})",
        [](int64_t b) { return Inputs{torch::randint(-100, 100, {b, 5}, torch::kLong), int64_t{7}}; });
}

// ---- reductions ---------------------------------------------------------------

std::string reduction_graph(const std::string& call, const std::string& type = "Tensor(f32, [B, 16, 8])",
                            const std::string& dims = "[1]", int outputs = 1) {
  const std::string results = outputs == 1 ? "%r" : "%r, %i";
  return "graph @g(%x : " + type + ") -> (" + (outputs == 1 ? "Tensor" : "Tensor, Tensor") + ") {\n" +
         "  %dims : List[Int] = prim::Constant[value=" + dims + "]()\n" +
         "  %dim : Int = prim::Constant[value=" + dims.substr(1, dims.find_first_of(",]") - 1) + "]()\n" +
         "  %t : Bool = prim::Constant[value=true]()\n  %f : Bool = prim::Constant[value=false]()\n" +
         "  %none : None = prim::Constant[value=none]()\n" + "  " +
         (outputs == 1 ? "%r : Tensor" : "%r : Tensor, %i : Tensor") + " = " + call + "\n  return(" + results + ")\n}\n";
}

MakeInputs batch_of(std::vector<int64_t> rest) {
  return [rest](int64_t b) {
    std::vector<int64_t> shape = {b};
    shape.insert(shape.end(), rest.begin(), rest.end());
    return Inputs{torch::randn(shape)};
  };
}

TEST_F(DynamicKernels, ReductionsOverStaticDims) {
  const MakeInputs x = batch_of({16, 8});
  for (const auto& [call, dims, outputs] : std::vector<std::tuple<std::string, std::string, int>>{
           {"aten::sum.dim_IntList(%x, %dims, %t, %none)", "[2]", 1},
           {"aten::mean.dim(%x, %dims, %f, %none)", "[1, 2]", 1},
           {"aten::amax(%x, %dims, %f)", "[1]", 1},  // innermost dim kept: accumulates in place
           {"aten::mean.dim(%x, %dims, %t, %none)", "[1]", 1},
           {"aten::max.dim(%x, %dim, %f)", "[2]", 2},
           {"aten::argmax(%x, %dim, %t)", "[1]", 1}}) {
    Kernel k = check(reduction_graph(call, "Tensor(f32, [B, 16, 8])", dims, outputs), x);
    EXPECT_TRUE(k.code.splittable_dim0) << call;
  }
}

TEST_F(DynamicKernels, ReductionsOverTheSymbolicDim) {
  const MakeInputs x = batch_of({16, 8});
  for (const auto& [call, dims, outputs] : std::vector<std::tuple<std::string, std::string, int>>{
           {"aten::sum.dim_IntList(%x, %dims, %f, %none)", "[0]", 1},
           {"aten::mean.dim(%x, %dims, %t, %none)", "[0]", 1},  // divides by B at run time
           {"aten::mean.dim(%x, %dims, %f, %none)", "[0, 2]", 1},
           {"aten::mean(%x, %none)", "[0]", 1},
           {"aten::amin(%x, %dims, %f)", "[0, 1]", 1},
           {"aten::max.dim(%x, %dim, %t)", "[0]", 2},
           {"aten::argmax(%x, %dim, %f)", "[0]", 1}}) {
    Kernel k = check(reduction_graph(call, "Tensor(f32, [B, 16, 8])", dims, outputs), x);
    EXPECT_FALSE(k.code.splittable_dim0) << call;
    EXPECT_FALSE(std::count(k.code.sliced_dim0.begin(), k.code.sliced_dim0.end(), true)) << call;
  }
  // Ties keep the first index, as torch does.
  check(reduction_graph("aten::argmax(%x, %dim, %f)", "Tensor(f32, [B, 3])", "[0]"),
        [](int64_t b) { return Inputs{torch::randint(0, 2, {b, 3}).to(torch::kFloat)}; });
}

TEST_F(DynamicKernels, ReductionsOverANonLeadingSymbolicDim) {
  // x is [16, B]: a transposed view with static strides.
  TensorLayout xt{DType::f32, {16, kDynamic}, {1, 16}};
  auto make = [](int64_t b) { return Inputs{torch::randn({b, 16}).t()}; };
  for (const auto& [call, dims] : std::vector<std::pair<std::string, std::string>>{
           {"aten::sum.dim_IntList(%x, %dims, %f, %none)", "[1]"},
           {"aten::mean.dim(%x, %dims, %t, %none)", "[1]"},
           {"aten::amax(%x, %dims, %f)", "[0]"},
           {"aten::argmax(%x, %dim, %f)", "[1]"}}) {
    Check c;
    c.layouts = {{0, xt}};
    check(reduction_graph(call, "Tensor(f32, [16, B])", dims), make, c);
  }
}

TEST_F(DynamicKernels, ExpAndSumGroupsOfASoftmax) {
  // softmax(x, 1) as three kernels: the row max; exp(x - max) summed; the
  // quotient, recomputing exp. Each is split as well as run whole.
  auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [B, 37])) -> (Tensor) {
  %dims : List[Int] = prim::Constant[value=[1]]()
  %t : Bool = prim::Constant[value=true]()
  %none : None = prim::Constant[value=none]()
  %one : Int = prim::Constant[value=1]()
  %mx : Tensor = aten::amax(%x, %dims, %t)
  %d : Tensor = aten::sub.Tensor(%x, %mx, %one)
  %e : Tensor = aten::exp(%d)
  %s : Tensor = aten::sum.dim_IntList(%e, %dims, %t, %none)
  %r : Tensor = aten::div.Tensor(%e, %s)
  return(%r)
})");
  const ir::Graph& g = test::graph_of(*m);
  std::map<std::string, const ir::Node*> node;
  for (const ir::Node* n : *g.block()) node[n->output()->name()] = n;
  const ir::Value* x = g.inputs()[0];
  auto group = [&](std::vector<std::string> nodes, std::vector<const ir::Value*> inputs, std::string out) {
    KernelGroup grp;
    for (const std::string& n : nodes) grp.nodes.push_back(node.at(n));
    grp.inputs = inputs;
    for (const ir::Value* v : inputs) grp.input_layouts.push_back(input_layout(v));
    grp.outputs = {node.at(out)->output()};
    return compile(grp);
  };
  const ir::Value* mx = node.at("mx")->output();
  const ir::Value* s = node.at("s")->output();
  Kernel k_max = group({"mx"}, {x}, "mx");
  Kernel k_sum = group({"d", "e", "s"}, {x, mx}, "s");
  Kernel k_div = group({"d", "e", "r"}, {x, mx, s}, "r");
  for (const Kernel* k : {&k_max, &k_sum, &k_div}) {
    EXPECT_TRUE(k->code.splittable_dim0);
    EXPECT_EQ(k->code.sliced_dim0, std::vector<bool>(k->code.args.size(), true));
  }
  for (int64_t b : kSizes) {
    torch::Tensor xv = torch::randn({b, 37}) * 4;
    for (int slices : {1, 2, 3}) {
      torch::Tensor mv = call(k_max, {xv}, b, slices).tensors[0];
      torch::Tensor sv = call(k_sum, {xv, mv}, b, slices).tensors[0];
      torch::Tensor r = call(k_div, {xv, mv, sv}, b, slices).tensors[0];
      EXPECT_TRUE(matches(r, torch::softmax(xv, 1))) << "B = " << b << ", " << slices << " slices";
    }
  }
}

// ---- data movement -------------------------------------------------------------

TEST_F(DynamicKernels, CatAlongTheSymbolicDim) {
  // The second element lands at a run-time offset; cat along dim 0 cannot
  // split. (Type inference leaves B + 2*B + B unknown: the result type is
  // given here.)
  Check c;
  c.retype = [](ir::Graph& g) {
    const std::vector<ir::Dim> shape = {ir::Dim::monomial(4, {"B"}), ir::Dim::constant(16)};
    g.outputs()[0]->set_type(ir::Type::tensor(DType::f32, shape));
  };
  Kernel k = check(R"(graph @g(%x : Tensor(f32, [B, 16]), %y : Tensor(f32, [2*B, 16]), %z : Tensor(f32, [B, 16])) -> (Tensor) {
  %dim : Int = prim::Constant[value=0]()
  %l : List[Tensor] = prim::ListConstruct(%x, %y, %z)
  %r : Tensor = aten::cat(%l, %dim)
  return(%r)
})",
                   [](int64_t b) {
                     return Inputs{torch::randn({b, 16}), torch::randn({2 * b, 16}), torch::randn({b, 16})};
                   },
                   c);
  EXPECT_FALSE(k.code.splittable_dim0);
}

TEST_F(DynamicKernels, CatAndStackAlongAStaticDim) {
  Kernel cat = check(R"(graph @g(%x : Tensor(f32, [B, 4]), %y : Tensor(f32, [B, 12])) -> (Tensor) {
  %dim : Int = prim::Constant[value=-1]()
  %l : List[Tensor] = prim::ListConstruct(%x, %y, %x)
  %r : Tensor = aten::cat(%l, %dim)
  return(%r)
})",
                     [](int64_t b) { return Inputs{torch::randn({b, 4}), torch::randn({b, 12})}; });
  EXPECT_TRUE(cat.code.splittable_dim0);
  Kernel stack = check(R"(graph @g(%x : Tensor(f32, [B, 16]), %y : Tensor(f32, [B, 16])) -> (Tensor) {
  %dim : Int = prim::Constant[value=1]()
  %l : List[Tensor] = prim::ListConstruct(%x, %y)
  %r : Tensor = aten::stack(%l, %dim)
  return(%r)
})",
                       [](int64_t b) { return Inputs{torch::randn({b, 16}), torch::randn({b, 16})}; });
  EXPECT_TRUE(stack.code.splittable_dim0);
}

TEST_F(DynamicKernels, Copies) {
  // contiguous of a [B, 8, 16] view with its inner dims transposed.
  Check c;
  c.layouts = {{0, TensorLayout{DType::f32, {kDynamic, 8, 16}, {128, 1, 8}}}};
  Kernel k = check(R"(graph @g(%x : Tensor(f32, [B, 8, 16])) -> (Tensor) {
  %fmt : Int = prim::Constant[value=0]()
  %r : Tensor = aten::contiguous(%x, %fmt)
  return(%r)
})",
                   [](int64_t b) { return Inputs{torch::randn({b, 16, 8}).transpose(1, 2)}; }, c);
  EXPECT_TRUE(k.code.splittable_dim0);
  // generate_copy of a dynamic layout, and of a static one asked to split.
  for (const TensorLayout& src : {TensorLayout{DType::f32, {kDynamic, 8, 16}, {128, 1, 8}},
                                  TensorLayout{DType::f32, {40, 8, 16}, {128, 1, 8}}}) {
    GeneratedKernel copy = generate_copy(src, "copy", true);
    EXPECT_TRUE(copy.splittable_dim0);
    EXPECT_EQ(copy.sliced_dim0, (std::vector<bool>{true, true}));
    EXPECT_NE(copy.mlir.find("memref<?x8x16xf32, strided<[128, 1, 8], offset: ?>>"), std::string::npos) << copy.mlir;
    Kernel ck;
    ck.code = copy;
    CompileOptions options;
    options.cache_dir = "off";
    ck.module = JitEngine::global().compile(copy.mlir, {packed_entry_name(copy.name)}, options);
    ck.fn = ck.module.packed(copy.name);
    auto m = test::parse_graph(R"(graph @g(%x : Tensor(f32, [B, 8, 16])) -> (Tensor(f32, [B, 8, 16])) {
  return(%x)
})");
    ck.group.outputs = {test::graph_of(*m).inputs()[0]};
    for (int64_t b : {int64_t{40}, int64_t{3}}) {
      if (src.sizes[0] != kDynamic && b != src.sizes[0]) continue;
      torch::Tensor x = torch::randn({b, 16, 8}).transpose(1, 2);
      for (int slices : {1, 2, 3}) EXPECT_TRUE(torch::equal(call(ck, {x}, b, slices).tensors[0], x.contiguous()));
    }
  }
}

// ---- gathers ---------------------------------------------------------------------

TEST_F(DynamicKernels, EmbeddingOfABatchOfIndices) {
  const std::string text = R"(graph @g(%w : Tensor(f32, [50, 8]), %i : Tensor(i64, [B, 16])) -> (Tensor) {
  %pad : Int = prim::Constant[value=-1]()
  %f : Bool = prim::Constant[value=false]()
  %r : Tensor = aten::embedding(%w, %i, %pad, %f, %f)
  return(%r)
})";
  torch::Tensor w = torch::randn({50, 8});
  Kernel k = check(text, [&](int64_t b) { return Inputs{w, torch::randint(0, 50, {b, 16}, torch::kLong)}; });
  EXPECT_TRUE(k.code.splittable_dim0);
  // The table is passed whole; the status output is never sliced.
  EXPECT_EQ(k.code.sliced_dim0, (std::vector<bool>{false, true, true, false}));
  // A bad index in one slice reaches the caller.
  auto m = test::parse_graph(text);
  Kernel again = compile(make_group(test::graph_of(*m), false));
  torch::Tensor idx = torch::randint(0, 50, {17, 16}, torch::kLong);
  idx.index_put_({15, 3}, 50);
  for (int slices : {1, 2, 3}) EXPECT_EQ(call(again, {w, idx}, 17, slices).status, 1) << slices;
}

TEST_F(DynamicKernels, IndexSelect) {
  // Along a static dim: rows of x. Along dim 0 with a batch of indices: rows of the index.
  Kernel rows = check(R"(graph @g(%x : Tensor(f32, [B, 16]), %i : Tensor(i64, [5])) -> (Tensor) {
  %dim : Int = prim::Constant[value=1]()
  %r : Tensor = aten::index_select(%x, %dim, %i)
  return(%r)
})",
                      [](int64_t b) {
                        return Inputs{torch::randn({b, 16}), torch::randint(0, 16, {5}, torch::kLong)};
                      });
  EXPECT_EQ(rows.code.sliced_dim0, (std::vector<bool>{true, false, true, false}));
  Kernel picks = check(R"(graph @g(%x : Tensor(f32, [30, 8]), %i : Tensor(i32, [B])) -> (Tensor) {
  %dim : Int = prim::Constant[value=0]()
  %r : Tensor = aten::index_select(%x, %dim, %i)
  return(%r)
})",
                       [](int64_t b) {
                         return Inputs{torch::randn({30, 8}), torch::randint(0, 30, {b}, torch::kInt)};
                       });
  EXPECT_EQ(picks.code.sliced_dim0, (std::vector<bool>{false, true, true, false}));
  // The symbolic dim of the source is indexed: its size bounds the indices.
  check(R"(graph @g(%x : Tensor(f32, [B, 8]), %i : Tensor(i64, [6])) -> (Tensor) {
  %dim : Int = prim::Constant[value=0]()
  %r : Tensor = aten::index_select(%x, %dim, %i)
  return(%r)
})",
        [](int64_t b) { return Inputs{torch::randn({b, 8}), torch::randint(0, b, {6}, torch::kLong)}; });
}

TEST_F(DynamicKernels, AdvancedIndexingAndOneHot) {
  check(R"(graph @g(%x : Tensor(f32, [B, 6, 7]), %c : Tensor(i64, [3])) -> (Tensor) {
  %n : None = prim::Constant[value=none]()
  %l : List[Optional[Tensor]] = prim::ListConstruct(%n, %c)
  %r : Tensor = aten::index.Tensor(%x, %l)
  return(%r)
})",
        [](int64_t b) { return Inputs{torch::randn({b, 6, 7}), torch::randint(-6, 6, {3}, torch::kLong)}; });
  Kernel rows = check(R"(graph @g(%x : Tensor(f32, [20, 6]), %a : Tensor(i64, [B])) -> (Tensor) {
  %l : List[Optional[Tensor]] = prim::ListConstruct(%a)
  %r : Tensor = aten::index.Tensor(%x, %l)
  return(%r)
})",
                      [](int64_t b) {
                        return Inputs{torch::randn({20, 6}), torch::randint(-20, 20, {b}, torch::kLong)};
                      });
  EXPECT_EQ(rows.code.sliced_dim0, (std::vector<bool>{false, true, true, false}));
  Kernel hot = check(R"(graph @g(%x : Tensor(i64, [B])) -> (Tensor) {
  %n : Int = prim::Constant[value=6]()
  %r : Tensor = aten::one_hot(%x, %n)
  return(%r)
})",
                     [](int64_t b) { return Inputs{torch::randint(0, 6, {b}, torch::kLong)}; });
  EXPECT_TRUE(hot.code.splittable_dim0);
}

// ---- the MLP kernel ------------------------------------------------------------------

const char* kMlp = R"(graph @g(%x : Tensor(f32, [ROWS, 4]), %w1 : Tensor(f32, [8, 4]), %b1 : Tensor(f32, [8]), %w2 : Tensor(f32, [2, 8])) -> (Tensor) {
  %n : None = prim::Constant[value=none]()
  %h : Tensor = aten::linear(%x, %w1, %b1)
  %a : Tensor = aten::tanh(%h)
  %y : Tensor = aten::linear(%a, %w2, %n)
  return(%y)
})";

std::string mlp_text(const std::string& rows) {
  std::string s = kMlp;
  s.replace(s.find("ROWS"), 4, rows);
  return s;
}

TEST_F(DynamicKernels, MlpRows) {
  torch::Tensor w1 = torch::randn({8, 4}), b1 = torch::randn({8}), w2 = torch::randn({2, 8});
  auto make = [&](int64_t b) { return Inputs{torch::randn({b, 4}), w1, b1, w2}; };
  Check c;
  c.tol = 1e-4;
  Kernel k = check(mlp_text("B"), make, c);
  EXPECT_NE(k.code.mlir.find("vector.fma"), std::string::npos) << "not the MLP kernel";
  EXPECT_TRUE(k.code.splittable_dim0);
  EXPECT_EQ(k.code.sliced_dim0, (std::vector<bool>{true, false, false, false, true}));
  // Static rows, split on request: 40 rows are two full blocks and a tail.
  c.dynamic_dim0 = true;
  c.sizes = {40};
  Kernel s = check(mlp_text("40"), make, c);
  EXPECT_TRUE(s.code.splittable_dim0);
  EXPECT_NE(s.code.mlir.find("memref<?x4xf32"), std::string::npos);
}

// ---- splitting static kernels -------------------------------------------------------

TEST_F(DynamicKernels, StaticGroupsSplitOnRequest) {
  Check c;
  c.dynamic_dim0 = true;
  c.sizes = {40};
  Kernel k = check(R"(graph @g(%x : Tensor(f32, [40, 16]), %y : Tensor(f32, [16])) -> (Tensor) {
  %one : Int = prim::Constant[value=1]()
  %a : Tensor = aten::add.Tensor(%x, %y, %one)
  %r : Tensor = aten::relu(%a)
  return(%r)
})",
                   [](int64_t) { return Inputs{torch::randn({40, 16}), torch::randn({16})}; }, c);
  EXPECT_TRUE(k.code.splittable_dim0);
  EXPECT_NE(k.code.mlir.find("memref<?x16xf32, strided<[16, 1], offset: ?>>"), std::string::npos);
  EXPECT_EQ(k.code.args[0].layout.sizes, (std::vector<int64_t>{kDynamic, 16}));
  Kernel r = check(reduction_graph("aten::sum.dim_IntList(%x, %dims, %f, %none)", "Tensor(f32, [40, 16, 8])", "[2]"),
                   [](int64_t) { return Inputs{torch::randn({40, 16, 8})}; }, c);
  EXPECT_TRUE(r.code.splittable_dim0);
}

// Groups that cannot split give the very kernel they give without the request.
TEST_F(DynamicKernels, UnsplittableGroupsIgnoreTheRequest) {
  for (const std::string& text : {
           reduction_graph("aten::sum.dim_IntList(%x, %dims, %f, %none)", "Tensor(f32, [40, 16])", "[0]"),
           reduction_graph("aten::mean(%x, %none)", "Tensor(f32, [40, 16])", "[0]"),
           std::string(R"(graph @g(%x : Tensor(f32, [4, 3]), %y : Tensor(f32, [4, 3])) -> (Tensor) {
  %dim : Int = prim::Constant[value=0]()
  %l : List[Tensor] = prim::ListConstruct(%x, %y)
  %r : Tensor = aten::cat(%l, %dim)
  return(%r)
})"),
           std::string(R"(graph @g(%x : Tensor(f32, [4, 3]), %y : Tensor(f32, [4, 3])) -> (Tensor) {
  %dim : Int = prim::Constant[value=0]()
  %l : List[Tensor] = prim::ListConstruct(%x, %y)
  %r : Tensor = aten::stack(%l, %dim)
  return(%r)
})"),
           std::string(R"(graph @g(%x : Tensor(f32, [6, 3]), %i : Tensor(i64, [4]), %s : Tensor(f32, [4, 3])) -> (Tensor) {
  %dim : Int = prim::Constant[value=0]()
  %one : Int = prim::Constant[value=1]()
  %r : Tensor = aten::index_add(%x, %dim, %i, %s, %one)
  return(%r)
})"),
           std::string(R"(graph @g(%x : Tensor(f32, [1, 16])) -> (Tensor) {
  %r : Tensor = aten::relu(%x)
  return(%r)
})")}) {
    SCOPED_TRACE(text);
    auto m = test::parse_graph(text);
    const ir::Graph& g = test::graph_of(*m);
    GeneratedKernel asked = generate_kernel(make_group(g, true), "k");
    GeneratedKernel plain = generate_kernel(make_group(g, false), "k");
    EXPECT_FALSE(asked.splittable_dim0);
    EXPECT_EQ(asked.sliced_dim0, std::vector<bool>(asked.args.size(), false));
    EXPECT_EQ(asked.mlir, plain.mlir);
    EXPECT_EQ(asked.mlir.find('?' + std::string("x")), std::string::npos);
  }
}

// ---- what dynamic dims cannot express ------------------------------------------------

void expect_error(const std::string& text, const std::map<size_t, TensorLayout>& layouts, const std::string& message) {
  SCOPED_TRACE(text);
  auto m = test::parse_graph(text);
  try {
    generate_kernel(make_group(test::graph_of(*m), false, layouts), "k");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

TEST_F(DynamicKernels, DynamicStridesAreAnError) {
  const std::string message = "a dynamic dim must not make strides dynamic";
  // A [4, B] result (from a transposed input) would need the stride B.
  expect_error(R"(graph @g(%x : Tensor(f32, [4, B])) -> (Tensor) {
  %r : Tensor = aten::relu(%x)
  return(%r)
})",
               {{0, TensorLayout{DType::f32, {4, kDynamic}, {1, 4}}}}, message);
  // So would stacking a batch along dim 0.
  expect_error(R"(graph @g(%x : Tensor(f32, [B, 16]), %y : Tensor(f32, [B, 16])) -> (Tensor) {
  %dim : Int = prim::Constant[value=0]()
  %l : List[Tensor] = prim::ListConstruct(%x, %y)
  %r : Tensor = aten::stack(%l, %dim)
  return(%r)
})",
               {}, message);
  EXPECT_THROW(contiguous_layout(DType::f32, {4, kDynamic}), Error);
  EXPECT_EQ(contiguous_layout(DType::f32, {kDynamic, 4}).strides, (std::vector<int64_t>{4, 1}));
}

TEST_F(DynamicKernels, ADimNoArgumentCarriesIsAnError) {
  // A batch broadcast in memory (stride 0) does not say how large it is.
  expect_error(R"(graph @g(%x : Tensor(f32, [B, 16])) -> (Tensor) {
  %dims : List[Int] = prim::Constant[value=[0]]()
  %f : Bool = prim::Constant[value=false]()
  %none : None = prim::Constant[value=none]()
  %r : Tensor = aten::sum.dim_IntList(%x, %dims, %f, %none)
  return(%r)
})",
               {{0, TensorLayout{DType::f32, {kDynamic, 16}, {0, 1}}}}, "no argument carries the dynamic dim B");
}

}  // namespace
}  // namespace wick::codegen
