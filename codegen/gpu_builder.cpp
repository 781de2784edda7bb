// GpuBuilder's primitives and the elementwise thread mapping.
#include "codegen/gpu_builder.h"

#include <algorithm>

#include "support/error.h"

namespace wick::codegen {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t pow2_ceil(int64_t v) {
  int64_t p = 1;
  while (p < v) p *= 2;
  return p;
}

namespace {
const char* const kDims[] = {"x", "y", "z"};
constexpr int64_t kMaxGridYZ = 65535;
constexpr int64_t kMaxGridX = 2147483647;
}  // namespace

std::string GpuBuilder::thread_id(int dim) {
  std::string& id = thread_ids_[dim];
  if (id.empty()) id = w_.entry_op(std::string("gpu.thread_id ") + kDims[dim], "tid");
  return id;
}

std::string GpuBuilder::block_id(int dim) {
  std::string& id = block_ids_[dim];
  if (id.empty()) id = w_.entry_op(std::string("gpu.block_id ") + kDims[dim], "bid");
  return id;
}

Scalar GpuBuilder::shuffle_xor(const Scalar& v, int offset) {
  const std::string off = w_.int_constant(DType::i32, offset).ssa;
  const std::string width = w_.int_constant(DType::i32, 32).ssa;
  const DType t = v.dtype;
  const bool wide = t == DType::i32 || t == DType::i64 || t == DType::f32 || t == DType::f64;
  const Scalar x = wide ? v : w_.convert(v, is_floating(t) ? DType::f32 : DType::i32);
  const std::string r = w_.fresh("sh");
  w_.line(r + ", " + w_.fresh("ok") + " = gpu.shuffle xor " + x.ssa + ", " + off + ", " + width + " : " +
          register_type(x.dtype));
  return w_.convert(Scalar{r, x.dtype}, t);
}

MemRef GpuBuilder::shared(DType t, const std::vector<int64_t>& sizes) {
  TensorLayout layout = contiguous_layout(t, sizes);
  std::string type = "memref<";
  for (int64_t n : sizes) type += std::to_string(n) + "x";
  type += storage_type(t) + ", #gpu.address_space<workgroup>>";
  MemRef m{w_.entry_op("memref.alloca() : " + type, "shared"), layout, type, static_shape(sizes)};
  return m;
}

void GpuBuilder::bind_register(const ir::Value* v, const Scalar& s) {
  const DType t = static_dtype(v);
  const std::vector<int64_t> sizes = static_sizes(v);
  TensorLayout layout;
  layout.dtype = t;
  layout.sizes = sizes;
  layout.strides.assign(sizes.size(), 0);
  std::string plain = "memref<";
  for (size_t k = 0; k < sizes.size(); ++k) plain += "1x";
  plain += storage_type(t) + ">";
  MemRef m;
  m.layout = layout;
  m.type = memref_type(layout);
  m.sizes = static_shape(sizes);
  const std::string buffer = w_.entry_op("memref.alloca() : " + plain, "reg");
  m.ssa = w_.entry_op("memref.cast " + buffer + " : " + plain + " to " + m.type, "reg");
  w_.store(s, m, std::vector<std::string>(sizes.size(), w_.index(0)));
  b_.bind(v, m);
}

const MemRef& GpuBuilder::add_status() {
  WICK_ASSERT(!status_, "a GPU kernel with two status outputs");
  status_arg_ = static_cast<int>(b_.group().inputs.size() + b_.group().outputs.size());
  status_ = b_.add_tensor_arg(contiguous_layout(DType::i64, {}), true);
  return *status_;
}

void GpuBuilder::store_status() {
  WICK_ASSERT(status_.has_value(), "a GPU kernel without a status output");
  w_.store(w_.int_constant(DType::i64, 1), *status_, {});
}

std::string GpuBuilder::begin_loop(const std::string& start, int64_t end, int64_t step,
                                   const std::vector<Scalar>& init, std::vector<Scalar>* carried) {
  const std::string iv = w_.fresh("i");
  std::string head = "scf.for " + iv + " = " + start + " to " + w_.index(end) + " step " + w_.index(step);
  Loop loop;
  if (!init.empty()) {
    loop.results = w_.fresh("r");
    std::string args, types;
    carried->clear();
    for (size_t i = 0; i < init.size(); ++i) {
      Scalar c{w_.fresh("acc"), init[i].dtype};
      carried->push_back(c);
      args += (i ? ", " : "") + c.ssa + " = " + init[i].ssa;
      types += (i ? ", " : "") + register_type(init[i].dtype);
      loop.types.push_back(init[i].dtype);
    }
    const std::string lhs = init.size() == 1 ? loop.results : loop.results + ":" + std::to_string(init.size());
    head = lhs + " = " + head + " iter_args(" + args + ") -> (" + types + ")";
  }
  w_.line(head + " {");
  w_.open_region();
  loops_.push_back(loop);
  return iv;
}

std::vector<Scalar> GpuBuilder::end_loop(const std::vector<Scalar>& next) {
  WICK_ASSERT(!loops_.empty(), "end_loop without a loop");
  Loop loop = loops_.back();
  loops_.pop_back();
  WICK_ASSERT(next.size() == loop.types.size(), "a loop yields the wrong number of values");
  std::vector<Scalar> results;
  if (!next.empty()) {
    std::string vals, types;
    for (size_t i = 0; i < next.size(); ++i) {
      WICK_ASSERT(next[i].dtype == loop.types[i], "a loop yields a value of another dtype");
      vals += (i ? ", " : "") + next[i].ssa;
      types += (i ? ", " : "") + register_type(next[i].dtype);
      results.push_back({next.size() == 1 ? loop.results : loop.results + "#" + std::to_string(i), loop.types[i]});
    }
    w_.line("scf.yield " + vals + " : " + types);
  }
  w_.close_region();
  return results;
}

std::vector<Scalar> GpuBuilder::open_if_value(const Scalar& cond, const std::vector<DType>& types) {
  WICK_ASSERT(cond.dtype == DType::b8, "scf.if needs an i1 condition");
  WICK_ASSERT(!types.empty(), "an scf.if with results needs result types");
  const std::string result = w_.fresh("if");
  std::string type_list;
  std::vector<Scalar> out;
  for (size_t i = 0; i < types.size(); ++i) {
    type_list += (i ? ", " : "") + register_type(types[i]);
    out.push_back({types.size() == 1 ? result : result + "#" + std::to_string(i), types[i]});
  }
  const std::string lhs = types.size() == 1 ? result : result + ":" + std::to_string(types.size());
  w_.line(lhs + " = scf.if " + cond.ssa + " -> (" + type_list + ") {");
  w_.open_region();
  ifs_.push_back(types);
  return out;
}

namespace {
void yield(MlirWriter& w, const std::vector<Scalar>& values, const std::vector<DType>& types) {
  WICK_ASSERT(values.size() == types.size(), "an scf.if branch yields the wrong number of values");
  std::string vals, type_list;
  for (size_t i = 0; i < values.size(); ++i) {
    WICK_ASSERT(values[i].dtype == types[i], "an scf.if branch yields a value of another dtype");
    vals += (i ? ", " : "") + values[i].ssa;
    type_list += (i ? ", " : "") + register_type(types[i]);
  }
  w.line("scf.yield " + vals + " : " + type_list);
}
}  // namespace

void GpuBuilder::else_value(const std::vector<Scalar>& then_values) {
  WICK_ASSERT(!ifs_.empty(), "else_value without open_if_value");
  yield(w_, then_values, ifs_.back());
  w_.close_region("} else {");
  w_.open_region();
}

void GpuBuilder::end_if_value(const std::vector<Scalar>& else_values) {
  WICK_ASSERT(!ifs_.empty(), "end_if_value without open_if_value");
  yield(w_, else_values, ifs_.back());
  w_.close_region();
  ifs_.pop_back();
}

std::string GpuBuilder::add(const std::string& a, const std::string& b) {
  return w_.op("arith.addi " + a + ", " + b + " : index");
}

std::string GpuBuilder::mul(const std::string& a, int64_t c) {
  if (c == 1) return a;
  return w_.op("arith.muli " + a + ", " + w_.index(c) + " : index");
}

std::string GpuBuilder::div(const std::string& a, int64_t c) {
  WICK_ASSERT(c > 0, "division by a constant that is not positive");
  if (c == 1) return a;
  return w_.op("arith.divui " + a + ", " + w_.index(c) + " : index");
}

std::string GpuBuilder::rem(const std::string& a, int64_t c) {
  WICK_ASSERT(c > 0, "remainder by a constant that is not positive");
  if (c == 1) return w_.index(0);
  return w_.op("arith.remui " + a + ", " + w_.index(c) + " : index");
}

std::string GpuBuilder::min(const std::string& a, int64_t c) {
  return w_.op("arith.minui " + a + ", " + w_.index(c) + " : index");
}

Scalar GpuBuilder::less(const std::string& a, int64_t c) {
  return w_.op("arith.cmpi ult, " + a + ", " + w_.index(c) + " : index", DType::b8);
}

Scalar GpuBuilder::equal(const std::string& a, int64_t c) {
  return w_.op("arith.cmpi eq, " + a + ", " + w_.index(c) + " : index", DType::b8);
}

Scalar GpuBuilder::both(const Scalar& a, const Scalar& b) {
  if (a.ssa.empty()) return b;
  if (b.ssa.empty()) return a;
  return w_.op("arith.andi " + a.ssa + ", " + b.ssa + " : i1", DType::b8);
}

Scalar GpuBuilder::aligned16(const std::vector<const MemRef*>& ms) {
  WICK_ASSERT(!ms.empty(), "an alignment test of no pointers");
  std::string bits;
  for (const MemRef* m : ms) {
    const std::string p = w_.op("memref.extract_aligned_pointer_as_index " + m->ssa + " : " + m->type + " -> index");
    bits = bits.empty() ? p : w_.op("arith.ori " + bits + ", " + p + " : index");
  }
  const std::string low = w_.op("arith.andi " + bits + ", " + w_.index(15) + " : index");
  return equal(low, 0);
}

DomainMap plan_domain(const std::vector<int64_t>& sizes, int lanes, int64_t max_threads) {
  DomainMap m;
  m.sizes = sizes;
  m.lanes = lanes;
  for (int64_t n : sizes) m.empty = m.empty || n == 0;
  if (m.empty || sizes.empty()) return m;
  const size_t n = sizes.size();
  const int64_t inner = sizes[n - 1];
  WICK_ASSERT(inner % lanes == 0, "lanes must divide the innermost dim");
  const int64_t threads_x = inner / lanes;
  m.bx = std::min(max_threads, pow2_ceil(threads_x));
  m.gx = ceil_div(threads_x, m.bx);
  WICK_ASSERT(m.gx <= kMaxGridX, "a domain too large for the grid");
  if (n >= 2) {
    m.by = std::min(max_threads / m.bx, pow2_ceil(sizes[n - 2]));
    m.gy = std::min(ceil_div(sizes[n - 2], m.by), kMaxGridYZ);
  }
  if (n >= 3) {
    int64_t z = 1;
    for (size_t k = 0; k + 2 < n; ++k) z *= sizes[k];
    m.gz = std::min(z, kMaxGridYZ);
  }
  return m;
}

GpuLaunch launch_of(const DomainMap& m) {
  GpuLaunch l;
  if (m.empty) return l;
  l.grid = {static_cast<uint32_t>(m.gx), static_cast<uint32_t>(m.gy), static_cast<uint32_t>(m.gz)};
  l.block = {static_cast<uint32_t>(m.bx), static_cast<uint32_t>(m.by), 1};
  return l;
}

std::vector<std::string> open_domain(GpuBuilder& g, DomainMap& m) {
  MlirWriter& w = g.w();
  const size_t n = m.sizes.size();
  WICK_ASSERT(!m.empty, "open_domain on an empty domain");
  std::vector<std::string> idx(n);
  if (n == 0) return idx;
  std::vector<Scalar> none;
  // Outer dims, folded into z.
  if (n >= 3) {
    int64_t z = 1;
    for (size_t k = 0; k + 2 < n; ++k) z *= m.sizes[k];
    std::string zi = g.block_id(2);
    if (z > kMaxGridYZ) {
      zi = g.begin_loop(zi, z, m.gz, {}, &none);
      m.z_loop = true;
    }
    // Innermost of the outer dims first; the outermost one needs no remainder.
    size_t outermost = 0;
    while (outermost + 2 < n && m.sizes[outermost] == 1) ++outermost;
    for (size_t k = n - 2; k-- > 0;) {
      if (m.sizes[k] == 1) {
        idx[k] = w.index(0);
        continue;
      }
      if (k == outermost) {
        idx[k] = zi;
        break;
      }
      idx[k] = g.rem(zi, m.sizes[k]);
      zi = g.div(zi, m.sizes[k]);
    }
    for (size_t k = 0; k < outermost; ++k) idx[k] = w.index(0);
  }
  Scalar guard;
  if (n >= 2) {
    const int64_t y = m.sizes[n - 2];
    if (y == 1) {
      idx[n - 2] = w.index(0);
    } else {
      std::string yi = g.add(g.mul(g.block_id(1), m.by), g.thread_id(1));
      if (ceil_div(y, m.by) > kMaxGridYZ) {
        yi = g.begin_loop(yi, y, m.gy * m.by, {}, &none);
        m.y_loop = true;
      } else if (m.gy * m.by > y) {
        guard = g.less(yi, y);
      }
      idx[n - 2] = yi;
    }
  }
  const int64_t threads_x = m.sizes[n - 1] / m.lanes;
  if (m.sizes[n - 1] == 1) {
    idx[n - 1] = w.index(0);
  } else {
    const std::string xi = g.add(g.mul(g.block_id(0), m.bx), g.thread_id(0));
    if (m.gx * m.bx > threads_x) guard = g.both(guard, g.less(xi, threads_x));
    idx[n - 1] = g.mul(xi, m.lanes);
  }
  m.guard = !guard.ssa.empty();
  if (m.guard) w.begin_if(guard);
  return idx;
}

void close_domain(GpuBuilder& g, const DomainMap& m) {
  if (m.guard) g.w().end_if();
  if (m.y_loop) g.end_loop();
  if (m.z_loop) g.end_loop();
}

}  // namespace wick::codegen
