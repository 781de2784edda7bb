// Gathers, whose source positions come from index tensors: index_select,
// embedding, index.Tensor (advanced indexing) and one_hot. Torch raises on an
// out-of-range index; a kernel cannot, so each of these kernels has a status
// output (see kernel_gen.h) that it sets to 1, writing zeros where the bad
// index would have read. Reads always go through a checked index, so a bad
// index never touches memory outside the input.
#include "codegen/kernel_builder.h"
#include "codegen/pointwise_eval.h"
#include "ir/constant_value.h"
#include "support/error.h"

namespace wick::codegen {

CheckedIndex check_index(MlirWriter& w, const Scalar& raw, const Size& size, bool wrap) {
  Scalar i = w.convert(raw, DType::i64);
  Scalar n = size.dynamic() ? w.index_to_i64(size.ssa) : w.int_constant(DType::i64, size.value);
  if (wrap) {
    Scalar neg = w.op("arith.cmpi slt, " + i.ssa + ", " + w.int_constant(DType::i64, 0).ssa + " : i64", DType::b8);
    i = w.select(neg, w.op("arith.addi " + i.ssa + ", " + n.ssa + " : i64", DType::i64), i);
  }
  // One unsigned compare covers both ends: negative values are huge.
  Scalar ok = w.op("arith.cmpi ult, " + i.ssa + ", " + n.ssa + " : i64", DType::b8);
  Scalar safe = w.select(ok, i, w.int_constant(DType::i64, 0));
  return {ok, w.i64_to_index(safe)};
}

AdvancedIndex advanced_index(KernelBuilder& b, const ir::Node& node, const std::vector<Size>& s,
                             const ir::Value* list) {
  const std::vector<const ir::Value*> entries = list_elements(list);
  WICK_ASSERT(entries.size() <= s.size(), node.kind() + " with more indices than dims");
  AdvancedIndex a;
  a.index.assign(s.size(), nullptr);
  int first = -1, last = -1;
  for (size_t d = 0; d < entries.size(); ++d) {
    if (ir::is_none(entries[d])) continue;
    const MemRef* m = b.input_tensor(entries[d]);
    WICK_ASSERT(m != nullptr, node.kind() + ": an index tensor is not a kernel input");
    a.index[d] = m;
    if (first < 0) first = static_cast<int>(d);
    last = static_cast<int>(d);
    // Broadcast the index shapes (numpy rules; shapes were checked by type inference).
    const std::vector<Size>& is = m->sizes;
    if (is.size() > a.bshape.size()) a.bshape.insert(a.bshape.begin(), is.size() - a.bshape.size(), Size::of(1));
    for (size_t k = 0; k < is.size(); ++k) {
      Size& t = a.bshape[a.bshape.size() - is.size() + k];
      if (t.is(1)) t = is[k];
    }
  }
  bool adjacent = true;
  for (int d = first; d >= 0 && d <= last; ++d)
    if (!a.index[d]) adjacent = false;
  // Result dims: [kept dims before the indexed ones, if adjacent] + B + [other kept dims].
  for (int d = 0; d < static_cast<int>(s.size()); ++d) {
    if (a.index[d]) continue;
    (adjacent && d < first ? a.pre_dims : a.rest_dims).push_back(d);
  }
  for (int64_t d : a.pre_dims) a.pre_sizes.push_back(s[d]);
  for (int64_t d : a.rest_dims) a.rest_sizes.push_back(s[d]);
  a.result_sizes = a.pre_sizes;
  a.result_sizes.insert(a.result_sizes.end(), a.bshape.begin(), a.bshape.end());
  a.result_sizes.insert(a.result_sizes.end(), a.rest_sizes.begin(), a.rest_sizes.end());
  return a;
}

std::optional<Scalar> AdvancedIndex::pick(MlirWriter& w, const std::vector<Size>& s,
                                          const std::vector<std::string>& bidx,
                                          std::vector<std::string>& picked) const {
  picked.assign(s.size(), {});
  std::optional<Scalar> ok;
  for (size_t d = 0; d < s.size(); ++d) {
    if (!index[d]) continue;
    Scalar raw = w.load(*index[d], broadcast_index(w, index[d]->sizes, bshape, bidx));
    CheckedIndex c = check_index(w, raw, s[d], true);
    picked[d] = c.index;
    ok = ok ? w.op("arith.andi " + ok->ssa + ", " + c.ok.ssa + " : i1", DType::b8) : c.ok;
  }
  return ok;
}

namespace {

Scalar zero_of(MlirWriter& w, DType t) { return w.number(opmath_dtype(t), 0, 0, true); }

// Writes out[prefix + rest] = in[assemble(rest)] for every `rest` index over
// `rest_sizes` when `ok`, else zeros, and reports the bad index.
template <typename Assemble>
void guarded_copy(KernelBuilder& b, const Scalar* ok, const MemRef& in, const MemRef& out,
                  const std::vector<std::string>& prefix, const std::vector<Size>& rest_sizes,
                  Assemble assemble) {
  MlirWriter& w = b.w();
  auto body = [&](bool valid) {
    const std::vector<std::string> rest = open_loops(w, rest_sizes);
    std::vector<std::string> o = prefix;
    o.insert(o.end(), rest.begin(), rest.end());
    w.store(valid ? w.load(in, assemble(rest)) : zero_of(w, out.layout.dtype), out, o);
    close_loops(w, rest_sizes);
  };
  if (!ok) return body(true);
  w.begin_if(*ok);
  body(true);
  w.begin_else();
  b.report_out_of_range();
  body(false);
  w.end_if();
}

void emit_index_select(KernelBuilder& b, const ir::Node& node) {
  MlirWriter& w = b.w();
  const MemRef& self = b.operand_of(node, node.input(0));
  const MemRef& index = b.operand_of(node, node.input(2));
  const MemRef& out = b.result_of(node);
  const std::vector<Size>& s = self.sizes;
  const int64_t rank = static_cast<int64_t>(s.size());
  if (rank == 0) throw node.error("index_select of a zero-dim tensor is not supported");
  auto dim = ir::constant_int(node.input(1));
  WICK_ASSERT(dim.has_value(), "index_select: the dim must be a constant");
  const int64_t d = *dim < 0 ? *dim + rank : *dim;
  const std::vector<Size> pre_sizes(s.begin(), s.begin() + d), post_sizes(s.begin() + d + 1, s.end());
  const std::vector<std::string> pre = open_loops(w, pre_sizes);
  const bool scalar_index = index.sizes.empty();
  const Size m = scalar_index ? Size::of(1) : index.sizes[0];
  const std::string i = m.is(1) ? w.index(0) : w.begin_for(m);
  CheckedIndex c = check_index(w, w.load(index, scalar_index ? std::vector<std::string>{} : std::vector{i}), s[d], false);
  std::vector<std::string> prefix = pre;
  prefix.push_back(i);
  guarded_copy(b, &c.ok, self, out, prefix, post_sizes, [&](const std::vector<std::string>& post) {
    std::vector<std::string> idx = pre;
    idx.push_back(c.index);
    idx.insert(idx.end(), post.begin(), post.end());
    return idx;
  });
  if (!m.is(1)) w.end_for();
  close_loops(w, pre_sizes);
}

void emit_embedding(KernelBuilder& b, const ir::Node& node) {
  MlirWriter& w = b.w();
  const MemRef& weight = b.operand_of(node, node.input(0));
  const MemRef& indices = b.operand_of(node, node.input(1));
  const MemRef& out = b.result_of(node);
  const std::vector<Size>& p = indices.sizes;
  const std::vector<std::string> pos = open_loops(w, p);
  CheckedIndex c = check_index(w, w.load(indices, pos), weight.sizes[0], false);
  guarded_copy(b, &c.ok, weight, out, pos, {weight.sizes[1]}, [&](const std::vector<std::string>& j) {
    return std::vector<std::string>{c.index, j[0]};
  });
  close_loops(w, p);
}

void emit_one_hot(KernelBuilder& b, const ir::Node& node) {
  MlirWriter& w = b.w();
  const MemRef& self = b.operand_of(node, node.input(0));
  const MemRef& out = b.result_of(node);
  const std::vector<Size>& p = self.sizes;
  const Size classes = out.sizes.back();
  const std::vector<std::string> pos = open_loops(w, p);
  Scalar v = w.convert(w.load(self, pos), DType::i64);
  const Scalar n = classes.dynamic() ? w.index_to_i64(classes.ssa) : w.int_constant(DType::i64, classes.value);
  Scalar ok = w.op("arith.cmpi ult, " + v.ssa + ", " + n.ssa + " : i64", DType::b8);
  Scalar bad = w.op("arith.xori " + ok.ssa + ", " + w.bool_constant(true).ssa + " : i1", DType::b8);
  w.begin_if(bad);
  b.report_out_of_range();
  w.end_if();
  const std::string c = classes.is(1) ? w.index(0) : w.begin_for(classes);
  Scalar hit = w.op("arith.cmpi eq, " + v.ssa + ", " + w.index_to_i64(c).ssa + " : i64", DType::b8);
  std::vector<std::string> o = pos;
  o.push_back(c);
  w.store(hit, out, o);
  if (!classes.is(1)) w.end_for();
  close_loops(w, p);
}

// x[i0, :, i2] with index tensors and None (a full slice) entries. The index
// tensors broadcast together to a shape B. When the indexed dims are
// adjacent, B takes their place in the result; otherwise B comes first.
void emit_index(KernelBuilder& b, const ir::Node& node) {
  MlirWriter& w = b.w();
  const MemRef& self = b.operand_of(node, node.input(0));
  const MemRef& out = b.result_of(node);
  const std::vector<Size>& s = self.sizes;
  const AdvancedIndex a = advanced_index(b, node, s, node.input(1));
  WICK_ASSERT(a.result_sizes == out.sizes, "index.Tensor: the result type disagrees with advanced indexing");

  const std::vector<std::string> pre = open_loops(w, a.pre_sizes);
  const std::vector<std::string> bidx = open_loops(w, a.bshape);
  std::vector<std::string> picked;
  std::optional<Scalar> ok = a.pick(w, s, bidx, picked);
  std::vector<std::string> prefix = pre;
  prefix.insert(prefix.end(), bidx.begin(), bidx.end());
  guarded_copy(b, ok ? &*ok : nullptr, self, out, prefix, a.rest_sizes, [&](const std::vector<std::string>& rest) {
    std::vector<std::string> idx = picked;
    for (size_t k = 0; k < a.pre_dims.size(); ++k) idx[a.pre_dims[k]] = pre[k];
    for (size_t k = 0; k < a.rest_dims.size(); ++k) idx[a.rest_dims[k]] = rest[k];
    return idx;
  });
  close_loops(w, a.bshape);
  close_loops(w, a.pre_sizes);
}

}  // namespace

void emit_gather(KernelBuilder& b, const ir::Node& node) {
  b.add_status();
  if (node.is("aten::index_select")) return emit_index_select(b, node);
  if (node.is("aten::embedding")) return emit_embedding(b, node);
  if (node.is("aten::one_hot")) return emit_one_hot(b, node);
  WICK_ASSERT(node.is("aten::index.Tensor"), "no gather kernel for " + node.kind());
  emit_index(b, node);
}

}  // namespace wick::codegen
