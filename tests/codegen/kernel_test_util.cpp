#include "kernel_test_util.h"

#include <torch/csrc/jit/runtime/operator.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>

#include "codegen/jit_engine.h"
#include "ir/constant_value.h"
#include "ir/op_table.h"
#include "ir/parser.h"
#include "runtime/memref_descriptor.h"
#include "support/tensor.h"

namespace wick::codegen::test {

torch::ScalarType torch_dtype(DType t) {
  switch (t) {
    case DType::f32: return torch::kFloat;
    case DType::f64: return torch::kDouble;
    case DType::f16: return torch::kHalf;
    case DType::bf16: return torch::kBFloat16;
    case DType::i64: return torch::kLong;
    case DType::i32: return torch::kInt;
    case DType::i16: return torch::kShort;
    case DType::i8: return torch::kChar;
    case DType::u8: return torch::kByte;
    case DType::b8: return torch::kBool;
    case DType::c64: return torch::kComplexFloat;
    case DType::c128: return torch::kComplexDouble;
  }
  return torch::kFloat;
}

DType wick_dtype(torch::ScalarType t) {
  for (DType d : kAllDTypes)
    if (torch_dtype(d) == t) return d;
  throw std::runtime_error("no wick dtype for a torch dtype");
}

std::unique_ptr<ir::Module> parse_graph(const std::string& text) {
  auto m = ir::parse_module(text, "test.wir");
  ir::Graph& g = graph_of(*m);
  ir::walk(g.block(), [](ir::Node* n) {
    if (!n->op().infer) return;
    bool known = true;
    for (ir::Value* v : n->outputs()) known = known && v->type()->is_tensor() && v->type()->fully_static();
    if (known) return;
    std::vector<ir::TypePtr> types = n->op().infer(*n);
    for (size_t i = 0; i < types.size(); ++i) n->output(i)->set_type(types[i]);
  });
  return m;
}

ir::Graph& graph_of(ir::Module& m) { return *m.methods().at(0); }

KernelGroup whole_graph_group(const ir::Graph& g, const std::vector<c10::IValue>& inputs) {
  KernelGroup group;
  for (ir::Node* n : *g.block()) group.nodes.push_back(n);
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    const ir::Value* v = g.inputs()[i];
    group.inputs.push_back(v);
    TensorLayout layout;
    if (i < inputs.size() && inputs[i].isTensor()) {
      const torch::Tensor& t = inputs[i].toTensor();
      layout.dtype = wick_dtype(t.scalar_type());
      layout.sizes = t.sizes().vec();
      layout.strides = t.strides().vec();
    } else if (v->type()->is_tensor()) {
      layout = contiguous_layout(*v->type()->dtype(), v->type()->static_sizes());
    }
    group.input_layouts.push_back(layout);
  }
  for (const ir::Value* v : g.outputs()) group.outputs.push_back(v);
  return group;
}

namespace {

// A wick::Tensor over a torch tensor's memory, same strides and offset.
Tensor wrap(const torch::Tensor& t) {
  auto storage = std::make_shared<Storage>(t.storage().data(), t.storage().nbytes(), Device{}, nullptr);
  return Tensor::view_of(storage, wick_dtype(t.scalar_type()), t.sizes().vec(), t.strides().vec(),
                         t.storage_offset());
}

}  // namespace

std::vector<torch::Tensor> run_kernel(const GeneratedKernel& kernel, const std::vector<c10::IValue>& inputs) {
  CompileOptions options;
  options.cache_dir = "off";
  CompiledModule module = JitEngine::global().compile(kernel.mlir, {packed_entry_name(kernel.name)}, options);
  std::deque<MemRefDescriptorBuffer> descriptors;
  std::deque<int64_t> ints;
  std::deque<double> doubles;
  std::deque<bool> bools;
  std::vector<Tensor> outputs;
  std::vector<void*> args;
  size_t next_input = 0;
  for (const KernelArg& a : kernel.args) {
    if (a.kind != KernelArgKind::tensor) {
      const c10::IValue& v = inputs.at(next_input++);
      if (a.kind == KernelArgKind::int_scalar) args.push_back(&ints.emplace_back(v.toInt()));
      else if (a.kind == KernelArgKind::float_scalar) args.push_back(&doubles.emplace_back(v.toDouble()));
      else args.push_back(&bools.emplace_back(v.toBool()));
      continue;
    }
    Tensor t;
    if (a.is_output) {
      t = Tensor::zeros(a.layout.dtype, a.layout.sizes);
      // Garbage, so that an element the kernel forgets shows.
      std::memset(t.data(), 0x7f, t.nbytes());
      outputs.push_back(t);
    } else {
      t = wrap(inputs.at(next_input++).toTensor());
    }
    descriptors.emplace_back(t.storage()->data(), t.offset(), t.sizes(), t.strides());
    args.push_back(descriptors.back().data());
  }
  module.packed(kernel.name)(args.data());
  std::vector<torch::Tensor> result;
  for (const Tensor& t : outputs)
    result.push_back(torch::from_blob(t.data(), t.sizes(), torch_dtype(t.dtype())).clone());
  return result;
}

KernelResult run_group(const KernelGroup& group, const std::vector<c10::IValue>& inputs, const std::string& name) {
  KernelResult r;
  r.kernel = generate_kernel(group, name);
  // WICK_TEST_DUMP_MLIR=1 prints every kernel the tests generate.
  if (std::getenv("WICK_TEST_DUMP_MLIR")) std::fprintf(stderr, "%s\n", r.kernel.mlir.c_str());
  r.outputs = run_kernel(r.kernel, inputs);
  if (r.kernel.status_arg >= 0) {
    r.status = r.outputs.back().item<int64_t>();
    r.outputs.pop_back();
  }
  return r;
}

KernelResult run_graph(const std::string& text, const std::vector<c10::IValue>& inputs) {
  auto m = parse_graph(text);
  return run_group(whole_graph_group(graph_of(*m), inputs), inputs);
}

namespace {

c10::IValue to_ivalue(const ir::Value* v, const std::map<const ir::Value*, c10::IValue>& values) {
  auto it = values.find(v);
  if (it != values.end()) return it->second;
  if (const ir::AttrValue* a = ir::constant_attr(v)) {
    if (std::holds_alternative<ir::NoneValue>(*a)) return {};
    if (auto* b = std::get_if<bool>(a)) return *b;
    if (auto* i = std::get_if<int64_t>(a)) return *i;
    if (auto* d = std::get_if<double>(a)) return *d;
    if (auto* s = std::get_if<std::string>(a)) {
      if (v->type()->kind() == ir::TypeKind::Device) return c10::Device(*s);
      return *s;
    }
    if (auto* l = std::get_if<std::vector<int64_t>>(a)) return *l;
    if (auto* l = std::get_if<std::vector<double>>(a)) return *l;
    throw std::runtime_error("test: unsupported constant");
  }
  const ir::Node* n = v->node();
  if (n->is("prim::ListConstruct")) {
    const ir::Type& element = *v->type()->element();
    if (element.kind() == ir::TypeKind::Optional) {
      c10::List<c10::optional<at::Tensor>> list;
      for (const ir::Value* e : n->inputs()) {
        c10::IValue iv = to_ivalue(e, values);
        list.push_back(iv.isNone() ? c10::optional<at::Tensor>() : iv.toTensor());
      }
      return list;
    }
    if (element.is_tensor()) {
      c10::List<at::Tensor> list;
      for (const ir::Value* e : n->inputs()) list.push_back(to_ivalue(e, values).toTensor());
      return list;
    }
    std::vector<int64_t> list;
    for (const ir::Value* e : n->inputs()) list.push_back(to_ivalue(e, values).toInt());
    return list;
  }
  throw std::runtime_error("test: no value for %" + v->name());
}

}  // namespace

std::vector<torch::Tensor> torch_reference(const ir::Node& node,
                                           const std::map<const ir::Value*, c10::IValue>& values) {
  const ir::Schema& s = node.op().schema;
  torch::jit::Stack stack;
  for (const ir::Value* v : node.inputs()) stack.push_back(to_ivalue(v, values));
  for (const auto& op : torch::jit::getAllOperatorsFor(c10::Symbol::fromQualString(s.base_name()))) {
    if (op->schema().overload_name() != s.overload) continue;
    op->getOperation()(stack);
    std::vector<torch::Tensor> out;
    for (const c10::IValue& v : stack) out.push_back(v.toTensor());
    return out;
  }
  throw std::runtime_error("test: torch has no operator " + node.kind());
}

std::vector<torch::Tensor> torch_graph(const ir::Graph& g, const std::vector<c10::IValue>& inputs) {
  std::map<const ir::Value*, c10::IValue> values;
  for (size_t i = 0; i < g.inputs().size(); ++i) values[g.inputs()[i]] = inputs.at(i);
  for (ir::Node* n : *g.block()) {
    if (n->is("prim::Constant") || n->is("prim::ListConstruct")) continue;
    std::vector<torch::Tensor> out = torch_reference(*n, values);
    for (size_t i = 0; i < out.size(); ++i) values[n->output(i)] = out[i];
  }
  std::vector<torch::Tensor> out;
  for (const ir::Value* v : g.outputs()) out.push_back(values.at(v).toTensor());
  return out;
}

::testing::AssertionResult matches(const torch::Tensor& out, const torch::Tensor& ref, double tol) {
  if (out.scalar_type() != ref.scalar_type())
    return ::testing::AssertionFailure() << "dtype " << out.scalar_type() << ", expected " << ref.scalar_type();
  if (out.sizes() != ref.sizes())
    return ::testing::AssertionFailure() << "shape " << out.sizes() << ", expected " << ref.sizes();
  if (!out.is_floating_point()) {
    if (torch::equal(out, ref)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "values differ:\n" << out << "\nexpected\n" << ref;
  }
  torch::Tensor o = out.to(torch::kDouble), r = ref.to(torch::kDouble);
  if (!torch::equal(o.isnan(), r.isnan()))
    return ::testing::AssertionFailure() << "NaN in other places:\n" << out << "\nexpected\n" << ref;
  torch::Tensor inf = r.isinf() | o.isinf();
  if (!torch::equal(o.masked_select(inf), r.masked_select(inf)))
    return ::testing::AssertionFailure() << "infinities differ:\n" << out << "\nexpected\n" << ref;
  torch::Tensor finite = r.isfinite() & o.isfinite();
  if (finite.sum().item<int64_t>() == 0) return ::testing::AssertionSuccess();
  const double err = (o - r).abs().masked_select(finite).max().item<double>();
  double scale = r.abs().masked_select(finite).max().item<double>();
  if (scale == 0) scale = 1;
  if (err / scale <= tol) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "relative error " << err / scale << " > " << tol << ":\n"
                                       << out << "\nexpected\n" << ref;
}

}  // namespace wick::codegen::test
