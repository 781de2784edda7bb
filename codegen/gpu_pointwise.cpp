// GPU elementwise kernels: fused pointwise groups (each output element
// computed from the group's inputs in registers by PointwiseEval, as on the
// CPU) and strided-to-contiguous copies, over the thread mapping of
// plan_domain, 4 consecutive elements per thread with 128-bit memory
// accesses where alignment allows (see emit_elementwise).
#include <algorithm>
#include <map>

#include "codegen/gpu_builder.h"
#include "codegen/pointwise_eval.h"
#include "support/error.h"

namespace wick::codegen {

bool vector_readable(const TensorLayout& layout, const std::vector<int64_t>& domain) {
  const size_t r = layout.sizes.size();
  if (r == 0 || domain.empty() || r > domain.size()) return false;
  if (layout.sizes[r - 1] != domain.back() || layout.sizes[r - 1] < 4 || layout.strides[r - 1] != 1) return false;
  for (size_t k = 0; k + 1 < r; ++k)
    if (layout.sizes[k] > 1 && layout.strides[k] % 4 != 0) return false;
  return true;
}

namespace {

// One vector store of the lanes' values into `out` at `idx` (the first lane's).
void store_vector(MlirWriter& w, const std::vector<Scalar>& lanes, const MemRef& out,
                  const std::vector<std::string>& idx) {
  const DType t = out.layout.dtype;
  const std::string elem = storage_type(t);
  std::string list;
  for (size_t k = 0; k < lanes.size(); ++k) {
    Scalar c = w.convert(lanes[k], t);
    if (t == DType::b8) c = w.op("arith.extui " + c.ssa + " : i1 to i8", DType::i8);
    list += (k ? ", " : "") + c.ssa;
  }
  const std::string vtype = "vector<" + std::to_string(lanes.size()) + "x" + elem + ">";
  const std::string v = w.op("vector.from_elements " + list + " : " + vtype);
  std::string at;
  for (size_t i = 0; i < idx.size(); ++i) at += (i ? ", " : "") + idx[i];
  w.line("vector.store " + v + ", " + out.ssa + "[" + at + "] : " + out.type + ", " + vtype);
}

}  // namespace

std::vector<Scalar> load_vector(MlirWriter& w, const MemRef& m, const std::vector<std::string>& idx, int lanes) {
  WICK_ASSERT(idx.size() == m.layout.sizes.size(), "a vector load with the wrong number of indices");
  const DType t = m.layout.dtype;
  const std::string elem = storage_type(t);
  const std::string vtype = "vector<" + std::to_string(lanes) + "x" + elem + ">";
  std::string at;
  for (size_t i = 0; i < idx.size(); ++i) at += (i ? ", " : "") + (m.layout.strides[i] == 0 ? w.index(0) : idx[i]);
  const std::string v = w.op("vector.load " + m.ssa + "[" + at + "] : " + m.type + ", " + vtype);
  std::vector<Scalar> out;
  for (int k = 0; k < lanes; ++k) {
    Scalar e = w.op("vector.extract " + v + "[" + std::to_string(k) + "] : " + elem + " from " + vtype,
                    t == DType::b8 ? DType::i8 : t);
    out.push_back(t == DType::b8 ? w.convert(e, DType::b8) : e);
  }
  return out;
}

void emit_elementwise(GpuBuilder& g, const std::vector<int64_t>& domain, const std::vector<const MemRef*>& outs,
                      const std::vector<const MemRef*>& vector_inputs, const ElementwiseBody& body) {
  MlirWriter& w = g.w();
  auto forget = [&] {
    if (body.forget) body.forget();
  };
  const int lanes = !domain.empty() && domain.back() >= 4 && domain.back() % 4 == 0 ? 4 : 1;
  DomainMap m = plan_domain(domain, lanes);
  g.launch = launch_of(m);
  if (m.empty) return;
  auto store_all = [&](const std::vector<std::string>& idx) {
    const std::vector<Scalar> v = body.values(idx);
    WICK_ASSERT(v.size() == outs.size(), "an elementwise kernel computes one value per output");
    for (size_t o = 0; o < outs.size(); ++o) w.store(v[o], *outs[o], idx);
  };
  std::vector<std::string> idx = open_domain(g, m);
  if (lanes == 1) {
    store_all(idx);
  } else {
    std::vector<const MemRef*> vectors = outs;
    vectors.insert(vectors.end(), vector_inputs.begin(), vector_inputs.end());
    w.begin_if(g.aligned16(vectors));
    for (const MemRef* v : vectors) w.line("memref.assume_alignment " + v->ssa + ", 16 : " + v->type);
    std::vector<std::vector<std::string>> lane_idx;
    for (int k = 0; k < lanes; ++k) {
      lane_idx.push_back(idx);
      lane_idx.back().back() = g.add(idx.back(), k);
    }
    if (body.vector_loads) body.vector_loads(lane_idx);
    std::vector<std::vector<Scalar>> per_output(outs.size());
    for (int k = 0; k < lanes; ++k) {
      const std::vector<Scalar> v = body.values(lane_idx[k]);
      WICK_ASSERT(v.size() == outs.size(), "an elementwise kernel computes one value per output");
      for (size_t o = 0; o < outs.size(); ++o) per_output[o].push_back(v[o]);
    }
    for (size_t o = 0; o < outs.size(); ++o) store_vector(w, per_output[o], *outs[o], idx);
    forget();
    w.begin_else();
    const std::string end = g.add(idx.back(), lanes);
    std::vector<std::string> at = idx;
    at.back() = w.fresh("i");
    w.line("scf.for " + at.back() + " = " + idx.back() + " to " + end + " step " + w.index(1) + " {");
    w.open_region();
    store_all(at);
    forget();
    w.close_region();
    w.end_if();
  }
  forget();
  close_domain(g, m);
}

void emit_gpu_pointwise(GpuBuilder& g) {
  KernelBuilder& b = g.kb();
  MlirWriter& w = g.w();
  const std::vector<const ir::Value*>& outputs = b.group().outputs;
  const std::vector<int64_t> domain = static_sizes(outputs.front());
  std::vector<const MemRef*> outs;
  for (const ir::Value* v : outputs) {
    if (static_sizes(v) != domain)
      throw v->node()->error("GPU kernels need every output of a pointwise group in one shape; %" + v->name() +
                             " is " + v->type()->str() + " beside " + outputs.front()->type()->str());
    outs.push_back(b.output(v));
  }
  std::vector<const MemRef*> vector_inputs;
  std::vector<const ir::Value*> tensors;
  for (size_t i = 0; i < b.group().inputs.size(); ++i) {
    const ir::Value* v = b.group().inputs[i];
    if (!v->type()->is_tensor() || gathered_in(b.group(), v)) continue;  // a gather reads it whole
    tensors.push_back(v);
    if (vector_readable(b.group().input_layouts[i], domain)) vector_inputs.push_back(b.input_tensor(v));
  }
  PointwiseEval eval(b);
  ElementwiseBody body;
  // Each input's 4 lanes first: the vector-readable ones by one vector
  // load, handed to PointwiseEval as the values it would have loaded; the
  // others by scalar loads (cached, so reused).
  body.vector_loads = [&](const std::vector<std::vector<std::string>>& lanes) {
    for (const ir::Value* v : tensors) {
      std::vector<std::vector<std::string>> at;
      for (const std::vector<std::string>& idx : lanes)
        at.push_back(broadcast_index(w, b.shape(v), static_shape(domain), idx));
      const MemRef* m = b.input_tensor(v);
      if (std::find(vector_inputs.begin(), vector_inputs.end(), m) == vector_inputs.end()) {
        for (const std::vector<std::string>& idx : at) eval.value_at(v, idx);
        continue;
      }
      const std::vector<Scalar> loaded = load_vector(w, *m, at[0], static_cast<int>(at.size()));
      for (size_t k = 0; k < at.size(); ++k) eval.preset(v, at[k], loaded[k]);
    }
  };
  body.values = [&](const std::vector<std::string>& idx) {
    std::vector<Scalar> r;
    for (const ir::Value* v : outputs) r.push_back(eval.value_at(v, idx));
    return r;
  };
  body.forget = [&] { eval.clear_cache(); };
  emit_elementwise(g, domain, outs, vector_inputs, body);
}

void emit_gpu_copy(GpuBuilder& g, const MemRef& in, const MemRef& out) {
  MlirWriter& w = g.w();
  const std::vector<int64_t> domain = out.layout.sizes;
  WICK_ASSERT(in.layout.sizes == domain, "a copy between different shapes");
  std::vector<const MemRef*> vector_inputs;
  if (vector_readable(in.layout, domain)) vector_inputs.push_back(&in);
  std::map<std::string, Scalar> lanes;  // by index, from a vector load
  auto key = [](const std::vector<std::string>& idx) {
    std::string k;
    for (const std::string& i : idx) k += i + ",";
    return k;
  };
  ElementwiseBody body;
  if (!vector_inputs.empty())
    body.vector_loads = [&](const std::vector<std::vector<std::string>>& at) {
      const std::vector<Scalar> loaded = load_vector(w, in, at[0], static_cast<int>(at.size()));
      for (size_t k = 0; k < at.size(); ++k) lanes[key(at[k])] = loaded[k];
    };
  body.values = [&](const std::vector<std::string>& idx) {
    auto it = lanes.find(key(idx));
    return std::vector<Scalar>{it != lanes.end() ? it->second : w.load(in, idx)};
  };
  body.forget = [&] { lanes.clear(); };
  emit_elementwise(g, domain, {&out}, vector_inputs, body);
}

}  // namespace wick::codegen
