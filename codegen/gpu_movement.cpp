// GPU data movement: cat and stack, and the gathers index_select,
// embedding, index.Tensor and one_hot. Each is a thread per output element
// (plan_domain's mapping): cat and stack pick the input an element comes
// from by comparing its position along the dim with the inputs' static
// offsets (a chain of scf.if, no division); a gather reads its index
// tensor, checks the index (check_index, as on the CPU), reads the source
// at the checked index (0 when bad, so nothing outside the inputs is read),
// writes 0 where the index was bad and sets the status flag.
#include "codegen/gpu_builder.h"
#include "codegen/pointwise_eval.h"
#include "ir/constant_value.h"
#include "support/error.h"

namespace wick::codegen {
namespace {

// Opens the thread mapping over `out`; false when it has no elements.
bool open_output(GpuBuilder& g, DomainMap& m, const MemRef& out, std::vector<std::string>* idx) {
  m = plan_domain(out.layout.sizes, 1);
  g.launch = launch_of(m);
  if (m.empty) return false;
  *idx = open_domain(g, m);
  return true;
}

// Sets the status flag where `ok` is false.
void flag_unless(GpuBuilder& g, const Scalar& ok) {
  MlirWriter& w = g.w();
  w.begin_if(w.op("arith.xori " + ok.ssa + ", " + w.bool_constant(true).ssa + " : i1", DType::b8));
  g.store_status();
  w.end_if();
}

// `v` where `ok`, else 0 of v's dtype.
Scalar or_zero(MlirWriter& w, const Scalar& ok, const Scalar& v) {
  return w.select(ok, v, w.number(v.dtype, 0, 0, true));
}

void emit_index_select(GpuBuilder& g, const ir::Node& node) {
  KernelBuilder& b = g.kb();
  MlirWriter& w = g.w();
  const MemRef& self = b.operand_of(node, node.input(0));
  const MemRef& index = b.operand_of(node, node.input(2));
  const MemRef& out = b.result_of(node);
  const std::vector<Size>& s = self.sizes;
  const int64_t rank = static_cast<int64_t>(s.size());
  if (rank == 0) throw node.error("index_select of a zero-dim tensor is not supported");
  auto dim = ir::constant_int(node.input(1));
  WICK_ASSERT(dim.has_value(), "index_select: the dim must be a constant");
  const int64_t d = *dim < 0 ? *dim + rank : *dim;
  DomainMap m;
  std::vector<std::string> idx;
  if (!open_output(g, m, out, &idx)) return;
  const bool scalar_index = index.sizes.empty();
  const Scalar raw = w.load(index, scalar_index ? std::vector<std::string>{} : std::vector{idx[d]});
  const CheckedIndex c = check_index(w, raw, s[d], false);
  std::vector<std::string> at = idx;
  at[d] = c.index;
  w.store(or_zero(w, c.ok, w.load(self, at)), out, idx);
  flag_unless(g, c.ok);
  close_domain(g, m);
}

void emit_embedding(GpuBuilder& g, const ir::Node& node) {
  KernelBuilder& b = g.kb();
  MlirWriter& w = g.w();
  const MemRef& weight = b.operand_of(node, node.input(0));
  const MemRef& indices = b.operand_of(node, node.input(1));
  const MemRef& out = b.result_of(node);
  const size_t r = indices.sizes.size();
  DomainMap m;
  std::vector<std::string> idx;
  if (!open_output(g, m, out, &idx)) return;
  const std::vector<std::string> pos(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(r));
  const CheckedIndex c = check_index(w, w.load(indices, pos), weight.sizes[0], false);
  w.store(or_zero(w, c.ok, w.load(weight, {c.index, idx[r]})), out, idx);
  flag_unless(g, c.ok);
  close_domain(g, m);
}

void emit_one_hot(GpuBuilder& g, const ir::Node& node) {
  KernelBuilder& b = g.kb();
  MlirWriter& w = g.w();
  const MemRef& self = b.operand_of(node, node.input(0));
  const MemRef& out = b.result_of(node);
  const size_t r = self.sizes.size();
  const int64_t classes = out.layout.sizes.back();
  DomainMap m;
  std::vector<std::string> idx;
  if (!open_output(g, m, out, &idx)) return;
  const std::vector<std::string> pos(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(r));
  const Scalar v = w.convert(w.load(self, pos), DType::i64);
  const Scalar ok = w.op("arith.cmpi ult, " + v.ssa + ", " + w.int_constant(DType::i64, classes).ssa + " : i64",
                         DType::b8);
  const Scalar hit = w.op("arith.cmpi eq, " + v.ssa + ", " + w.index_to_i64(idx[r]).ssa + " : i64", DType::b8);
  w.store(hit, out, idx);
  flag_unless(g, ok);
  close_domain(g, m);
}

// x[i0, :, i2] with index tensors and None entries (advanced_index, shared
// with the CPU generator): the output index splits into the kept dims
// before the broadcast index shape, the broadcast index, the kept dims after.
void emit_index(GpuBuilder& g, const ir::Node& node) {
  KernelBuilder& b = g.kb();
  MlirWriter& w = g.w();
  const MemRef& self = b.operand_of(node, node.input(0));
  const MemRef& out = b.result_of(node);
  const std::vector<Size>& s = self.sizes;
  const AdvancedIndex a = advanced_index(b, node, s, node.input(1));
  WICK_ASSERT(a.result_sizes == out.sizes, "index.Tensor: the result type disagrees with advanced indexing");
  DomainMap m;
  std::vector<std::string> idx;
  if (!open_output(g, m, out, &idx)) return;
  const size_t np = a.pre_sizes.size(), nb = a.bshape.size();
  const std::vector<std::string> bidx(idx.begin() + static_cast<std::ptrdiff_t>(np),
                                      idx.begin() + static_cast<std::ptrdiff_t>(np + nb));
  std::vector<std::string> picked;
  const std::optional<Scalar> ok = a.pick(w, s, bidx, picked);
  for (size_t k = 0; k < a.pre_dims.size(); ++k) picked[a.pre_dims[k]] = idx[k];
  for (size_t k = 0; k < a.rest_dims.size(); ++k) picked[a.rest_dims[k]] = idx[np + nb + k];
  Scalar v = w.load(self, picked);
  if (ok) v = or_zero(w, *ok, v);
  w.store(v, out, idx);
  if (ok) flag_unless(g, *ok);
  close_domain(g, m);
}

}  // namespace

void emit_gpu_concat(GpuBuilder& g, const ir::Node& node) {
  KernelBuilder& b = g.kb();
  MlirWriter& w = g.w();
  const bool stack = node.is("aten::stack");
  const MemRef& out = b.result_of(node);
  const int64_t out_rank = static_cast<int64_t>(out.sizes.size());
  auto dim = ir::constant_int(node.input(1));
  WICK_ASSERT(dim.has_value(), node.kind() + ": the dim must be a constant");
  const int64_t d = *dim < 0 ? *dim + out_rank : *dim;
  // The inputs that hold elements, and where each ends along the dim.
  struct Part {
    const MemRef* in;
    int64_t begin, end;
  };
  std::vector<Part> parts;
  int64_t offset = 0;
  const std::vector<const ir::Value*> elements = list_elements(node.input(0));
  for (size_t k = 0; k < elements.size(); ++k) {
    const MemRef* in = b.input_tensor(elements[k]);
    WICK_ASSERT(in != nullptr, node.kind() + ": list element " + std::to_string(k) + " is not a kernel input");
    const std::vector<int64_t>& sizes = in->layout.sizes;
    if (stack) {
      parts.push_back({in, static_cast<int64_t>(k), static_cast<int64_t>(k) + 1});
      continue;
    }
    // cat skips 1-D empty tensors whatever the other ranks (legacy torch).
    if (sizes.size() == 1 && sizes[0] == 0) continue;
    if (sizes[d] > 0) parts.push_back({in, offset, offset + sizes[d]});
    offset += sizes[d];
  }
  DomainMap m;
  std::vector<std::string> idx;
  if (!open_output(g, m, out, &idx)) return;
  WICK_ASSERT(!parts.empty(), node.kind() + ": elements in the output but no input holds any");
  const DType t = out.layout.dtype;
  auto read = [&](const Part& p) {
    std::vector<std::string> at = idx;
    if (stack) at.erase(at.begin() + d);
    else if (p.begin != 0) at[d] = w.op("arith.subi " + idx[d] + ", " + w.index(p.begin) + " : index");
    return w.convert(w.load(*p.in, at), t);
  };
  // if (i < end0) in0 else if (i < end1) in1 ... else last.
  std::vector<Scalar> pending;
  Scalar value;
  for (size_t k = 0; k < parts.size(); ++k) {
    if (k + 1 == parts.size()) {
      value = read(parts[k]);
      break;
    }
    pending.push_back(g.open_if_value(g.less(idx[d], parts[k].end), {t})[0]);
    g.else_value({read(parts[k])});
  }
  for (size_t k = pending.size(); k-- > 0;) {
    g.end_if_value({value});
    value = pending[k];
  }
  w.store(value, out, idx);
  close_domain(g, m);
}

void emit_gpu_gather(GpuBuilder& g, const ir::Node& node) {
  g.add_status();
  if (node.is("aten::index_select")) return emit_index_select(g, node);
  if (node.is("aten::embedding")) return emit_embedding(g, node);
  if (node.is("aten::one_hot")) return emit_one_hot(g, node);
  WICK_ASSERT(node.is("aten::index.Tensor"), "no GPU gather kernel for " + node.kind());
  emit_index(g, node);
}

}  // namespace wick::codegen
