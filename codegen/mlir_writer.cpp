#include "codegen/mlir_writer.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "support/error.h"

namespace wick::codegen {

std::string storage_type(DType t) {
  switch (t) {
    case DType::f32: return "f32";
    case DType::f64: return "f64";
    case DType::f16: return "f16";
    case DType::bf16: return "bf16";
    case DType::i64: return "i64";
    case DType::i32: return "i32";
    case DType::i16: return "i16";
    case DType::i8:
    case DType::u8:
    case DType::b8: return "i8";
    case DType::c64:  // lowered to real parts before code generation
    case DType::c128: break;
  }
  return "?";
}

std::string register_type(DType t) { return t == DType::b8 ? "i1" : storage_type(t); }

DType opmath_dtype(DType t) { return t == DType::f16 || t == DType::bf16 ? DType::f32 : t; }

int bit_width(DType t) { return t == DType::b8 ? 1 : static_cast<int>(dtype_size(t)) * 8; }

std::string memref_type(const TensorLayout& layout) {
  WICK_ASSERT(layout.sizes.size() == layout.strides.size(), "layout sizes and strides differ in rank");
  // MLIR rejects zero strides: a broadcast (stride-0) dim becomes a size-1
  // dim that is always read at index 0 (see MlirWriter::load).
  std::string s = "memref<";
  for (size_t i = 0; i < layout.sizes.size(); ++i) {
    WICK_ASSERT(layout.strides[i] >= 0, "memref strides must be static and not negative");
    if (layout.strides[i] == 0) s += "1x";
    else if (layout.sizes[i] == kDynamic) s += "?x";
    else s += std::to_string(layout.sizes[i]) + "x";
  }
  s += storage_type(layout.dtype) + ", strided<[";
  for (size_t i = 0; i < layout.strides.size(); ++i)
    s += (i ? ", " : "") + std::to_string(layout.strides[i] == 0 ? 1 : layout.strides[i]);
  return s + "], offset: ?>>";
}

std::vector<Size> static_shape(const std::vector<int64_t>& sizes) {
  std::vector<Size> s;
  for (int64_t n : sizes) {
    WICK_ASSERT(n != kDynamic, "a dynamic size where a static one is needed");
    s.push_back(Size::of(n));
  }
  return s;
}

std::vector<int64_t> static_values(const std::vector<Size>& sizes) {
  std::vector<int64_t> v;
  for (const Size& n : sizes) {
    WICK_ASSERT(!n.dynamic(), "a dynamic size where a static one is needed");
    v.push_back(n.value);
  }
  return v;
}

std::string sizes_str(const std::vector<Size>& sizes) {
  std::string out = "[";
  for (size_t i = 0; i < sizes.size(); ++i)
    out += (i ? ", " : "") + (sizes[i].dynamic() ? std::string("?") : std::to_string(sizes[i].value));
  return out + "]";
}

std::string MlirWriter::fresh(const char* hint) { return "%" + std::string(hint) + std::to_string(next_id_++); }

void MlirWriter::line(const std::string& text) {
  body_.append(2 * depth_, ' ');
  body_ += text;
  body_ += '\n';
}

std::string MlirWriter::op(const std::string& text) {
  std::string r = fresh();
  line(r + " = " + text);
  return r;
}

Scalar MlirWriter::op(const std::string& text, DType result) { return {op(text), result}; }

std::string MlirWriter::constant(const std::string& literal, const std::string& type) {
  const std::string key = literal + ":" + type;
  auto it = constant_names_.find(key);
  if (it != constant_names_.end()) return it->second;
  std::string name = fresh("c");
  constants_ += "    " + name + " = arith.constant " + literal + (type == "i1" ? "" : " : " + type) + "\n";
  constant_names_[key] = name;
  return name;
}

std::string MlirWriter::index(int64_t v) { return constant(std::to_string(v), "index"); }

Scalar MlirWriter::float_constant(DType t, double v) {
  // Bit patterns keep every value exact, inf and nan included.
  char buf[32];
  if (t == DType::f32) {
    float f = static_cast<float>(v);
    uint32_t bits;
    std::memcpy(&bits, &f, sizeof bits);
    std::snprintf(buf, sizeof buf, "0x%08X", bits);
  } else {
    WICK_ASSERT(t == DType::f64, "float constants are f32 or f64");
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    std::snprintf(buf, sizeof buf, "0x%016llX", static_cast<unsigned long long>(bits));
  }
  return {constant(buf, storage_type(t)), t};
}

Scalar MlirWriter::int_constant(DType t, int64_t v) {
  if (t == DType::b8) return bool_constant(v != 0);
  WICK_ASSERT(is_integral(t), "int_constant of a non-integer dtype");
  // Wrap to the width, as a cast would; MLIR wants the signed form.
  const int bits = bit_width(t);
  if (bits < 64) {
    const int64_t m = int64_t{1} << bits;
    v = ((v % m) + m) % m;
    if (v >= m / 2) v -= m;
  }
  return {constant(std::to_string(v), storage_type(t)), t};
}

Scalar MlirWriter::bool_constant(bool v) { return {constant(v ? "true" : "false", "i1"), DType::b8}; }

Scalar MlirWriter::number(DType t, double v, int64_t i, bool is_int) {
  if (t == DType::b8) return bool_constant(is_int ? i != 0 : v != 0);
  if (is_floating(t)) {
    Scalar c = float_constant(t == DType::f64 ? DType::f64 : DType::f32, is_int ? static_cast<double>(i) : v);
    return convert(c, t);
  }
  if (!is_int) {
    if (std::isnan(v)) i = 0;
    else if (v >= 9.2e18) i = INT64_MAX;
    else if (v <= -9.2e18) i = INT64_MIN;
    else i = static_cast<int64_t>(v);
  }
  return int_constant(t, i);
}

Scalar MlirWriter::convert(const Scalar& v, DType to) {
  const DType from = v.dtype;
  if (from == to) return v;
  const std::string ft = register_type(from), tt = register_type(to);
  if (to == DType::b8) {
    if (is_floating(from)) {
      Scalar zero = convert(float_constant(DType::f32, 0.0), from);
      return op("arith.cmpf une, " + v.ssa + ", " + zero.ssa + " : " + ft, to);
    }
    return op("arith.cmpi ne, " + v.ssa + ", " + int_constant(from, 0).ssa + " : " + ft, to);
  }
  if (from == DType::b8) {
    if (is_floating(to)) return op("arith.uitofp " + v.ssa + " : i1 to " + tt, to);
    return op("arith.extui " + v.ssa + " : i1 to " + tt, to);
  }
  // To f16 or bf16 from f64 or an integer through f32, as c10's Half and
  // BFloat16 convert (from a float), rounding twice; directly, bf16 would
  // also need a compiler-rt routine the JIT does not link.
  if ((to == DType::f16 || to == DType::bf16) && !(is_floating(from) && bit_width(from) <= 32))
    return convert(convert(v, DType::f32), to);
  if (is_floating(from) && is_floating(to)) {
    if (bit_width(from) == bit_width(to)) return convert(convert(v, DType::f32), to);  // f16 <-> bf16
    const char* how = bit_width(from) < bit_width(to) ? "arith.extf " : "arith.truncf ";
    return op(how + v.ssa + " : " + ft + " to " + tt, to);
  }
  if (is_floating(from)) {
    // Narrow integers go through i64 and wrap, as a C cast on x86 does.
    if (to != DType::i64) return convert(convert(v, DType::i64), to);
    return op("arith.fptosi " + v.ssa + " : " + ft + " to i64", to);
  }
  if (is_floating(to)) {
    const char* how = from == DType::u8 ? "arith.uitofp " : "arith.sitofp ";
    return op(how + v.ssa + " : " + ft + " to " + tt, to);
  }
  // Integer to integer.
  if (bit_width(from) == bit_width(to)) return {v.ssa, to};  // i8 <-> u8 reinterpret
  if (bit_width(from) > bit_width(to)) return op("arith.trunci " + v.ssa + " : " + ft + " to " + tt, to);
  const char* how = from == DType::u8 ? "arith.extui " : "arith.extsi ";
  return op(how + v.ssa + " : " + ft + " to " + tt, to);
}

Scalar MlirWriter::index_to_i64(const std::string& index_value) {
  return op("arith.index_cast " + index_value + " : index to i64", DType::i64);
}

std::string MlirWriter::i64_to_index(const Scalar& v) {
  Scalar w = convert(v, DType::i64);
  return op("arith.index_cast " + w.ssa + " : i64 to index");
}

namespace {
// Stride-0 dims are size 1 in the memref type and read at index 0.
std::string index_list(MlirWriter& w, const TensorLayout& layout, const std::vector<std::string>& idx) {
  std::string s = "[";
  for (size_t i = 0; i < idx.size(); ++i) s += (i ? ", " : "") + (layout.strides[i] == 0 ? w.index(0) : idx[i]);
  return s + "]";
}
}  // namespace

Scalar MlirWriter::load(const MemRef& m, const std::vector<std::string>& idx) {
  WICK_ASSERT(idx.size() == m.layout.sizes.size(), "load with the wrong number of indices");
  const DType t = m.layout.dtype;
  Scalar raw = op("memref.load " + m.ssa + index_list(*this, m.layout, idx) + " : " + m.type, t == DType::b8 ? DType::i8 : t);
  if (t == DType::b8) return convert(raw, DType::b8);
  return raw;
}

void MlirWriter::store(const Scalar& v, const MemRef& m, const std::vector<std::string>& idx) {
  WICK_ASSERT(idx.size() == m.layout.sizes.size(), "store with the wrong number of indices");
  const DType t = m.layout.dtype;
  Scalar c = convert(v, t);
  if (t == DType::b8) c = op("arith.extui " + c.ssa + " : i1 to i8", DType::i8);
  line("memref.store " + c.ssa + ", " + m.ssa + index_list(*this, m.layout, idx) + " : " + m.type);
}

Scalar MlirWriter::select(const Scalar& cond, const Scalar& a, const Scalar& b) {
  WICK_ASSERT(cond.dtype == DType::b8 && a.dtype == b.dtype, "select operands disagree");
  return op("arith.select " + cond.ssa + ", " + a.ssa + ", " + b.ssa + " : " + register_type(a.dtype), a.dtype);
}

std::string MlirWriter::entry_op(const std::string& text, const char* hint) {
  std::string r = fresh(hint);
  constants_ += "    " + r + " = " + text + "\n";
  return r;
}

std::string MlirWriter::begin_for_step(int64_t lower, int64_t upper, int64_t step) {
  std::string iv = fresh("i");
  line("scf.for " + iv + " = " + index(lower) + " to " + index(upper) + " step " + index(step) + " {");
  ++depth_;
  loops_.push_back({});
  return iv;
}

std::string MlirWriter::begin_for_step(const Size& upper, int64_t step) {
  if (!upper.dynamic()) return begin_for_step(0, upper.value, step);
  const std::string lower = index(0), by = index(step);
  std::string iv = fresh("i");
  line("scf.for " + iv + " = " + lower + " to " + upper.ssa + " step " + by + " {");
  ++depth_;
  loops_.push_back({});
  return iv;
}

void MlirWriter::close_region(const std::string& closing) {
  --depth_;
  line(closing);
}

std::string MlirWriter::begin_for(int64_t n) { return begin_for(0, n); }

std::string MlirWriter::begin_for(int64_t lower, int64_t upper) {
  std::string iv = fresh("i");
  line("scf.for " + iv + " = " + index(lower) + " to " + index(upper) + " step " + index(1) + " {");
  ++depth_;
  loops_.push_back({});
  return iv;
}

std::string MlirWriter::begin_for(int64_t lower, int64_t upper, const std::vector<Scalar>& init,
                                  std::vector<Scalar>* carried) {
  if (init.empty()) return begin_for(lower, upper);
  std::string iv = fresh("i");
  std::string result = fresh("r");
  Loop loop;
  std::string args, types;
  carried->clear();
  for (size_t i = 0; i < init.size(); ++i) {
    Scalar c{fresh("acc"), init[i].dtype};
    carried->push_back(c);
    args += (i ? ", " : "") + c.ssa + " = " + init[i].ssa;
    types += (i ? ", " : "") + register_type(init[i].dtype);
    loop.results.push_back({init.size() == 1 ? result : result + "#" + std::to_string(i), init[i].dtype});
    loop.types.push_back(init[i].dtype);
  }
  std::string lhs = init.size() == 1 ? result : result + ":" + std::to_string(init.size());
  line(lhs + " = scf.for " + iv + " = " + index(lower) + " to " + index(upper) + " step " + index(1) +
       " iter_args(" + args + ") -> (" + types + ") {");
  ++depth_;
  loops_.push_back(std::move(loop));
  return iv;
}

std::string MlirWriter::begin_for(const Size& n) {
  if (!n.dynamic()) return begin_for(n.value);
  return begin_dynamic_for(n.ssa, {}, nullptr);
}

std::string MlirWriter::begin_for(const Size& n, const std::vector<Scalar>& init, std::vector<Scalar>* carried) {
  if (!n.dynamic()) return begin_for(0, n.value, init, carried);
  return begin_dynamic_for(n.ssa, init, carried);
}

std::string MlirWriter::begin_dynamic_for(const std::string& upper, const std::vector<Scalar>& init,
                                          std::vector<Scalar>* carried) {
  const std::string lower = index(0), step = index(1);
  std::string iv = fresh("i");
  Loop loop;
  std::string head = "scf.for " + iv + " = " + lower + " to " + upper + " step " + step;
  if (!init.empty()) {
    const std::string result = fresh("r");
    std::string args, types;
    carried->clear();
    for (size_t i = 0; i < init.size(); ++i) {
      Scalar c{fresh("acc"), init[i].dtype};
      carried->push_back(c);
      args += (i ? ", " : "") + c.ssa + " = " + init[i].ssa;
      types += (i ? ", " : "") + register_type(init[i].dtype);
      loop.results.push_back({init.size() == 1 ? result : result + "#" + std::to_string(i), init[i].dtype});
      loop.types.push_back(init[i].dtype);
    }
    const std::string lhs = init.size() == 1 ? result : result + ":" + std::to_string(init.size());
    head = lhs + " = " + head + " iter_args(" + args + ") -> (" + types + ")";
  }
  line(head + " {");
  ++depth_;
  loops_.push_back(std::move(loop));
  return iv;
}

std::vector<Scalar> MlirWriter::end_for(const std::vector<Scalar>& next) {
  WICK_ASSERT(!loops_.empty(), "end_for without a loop");
  Loop loop = std::move(loops_.back());
  loops_.pop_back();
  WICK_ASSERT(next.size() == loop.types.size(), "a loop yields the wrong number of values");
  if (!next.empty()) {
    std::string vals, types;
    for (size_t i = 0; i < next.size(); ++i) {
      WICK_ASSERT(next[i].dtype == loop.types[i], "a loop yields a value of another dtype");
      vals += (i ? ", " : "") + next[i].ssa;
      types += (i ? ", " : "") + register_type(next[i].dtype);
    }
    line("scf.yield " + vals + " : " + types);
  }
  --depth_;
  line("}");
  return loop.results;
}

void MlirWriter::begin_if(const Scalar& cond) {
  WICK_ASSERT(cond.dtype == DType::b8, "scf.if needs an i1 condition");
  line("scf.if " + cond.ssa + " {");
  ++depth_;
}

void MlirWriter::begin_else() {
  --depth_;
  line("} else {");
  ++depth_;
}

void MlirWriter::end_if() {
  --depth_;
  line("}");
}

std::string MlirWriter::module(const std::string& name, const std::vector<std::string>& params) const {
  WICK_ASSERT(loops_.empty() && depth_ == 1, "kernel " + name + " has unclosed regions");
  std::string s = "module {\n  func.func @" + name + "(";
  for (size_t i = 0; i < params.size(); ++i) s += (i ? ", " : "") + params[i];
  s += ") attributes {llvm.emit_c_interface} {\n";
  s += constants_;
  // The body was indented for depth 1 inside the function; nest it one more.
  size_t start = 0;
  while (start < body_.size()) {
    size_t end = body_.find('\n', start);
    s += "  " + body_.substr(start, end - start + 1);
    start = end + 1;
  }
  s += "    return\n  }\n}\n";
  return s;
}

}  // namespace wick::codegen
