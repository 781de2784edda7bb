// Text emission of one MLIR kernel function: fresh SSA names, indented lines,
// constants hoisted into the entry block (so every region sees them), typed
// scalar values with conversions between wick dtypes, memref loads and
// stores, and scf loops. Kernel generators speak in these terms and never
// format MLIR by hand beyond single ops.
//
// Register forms: bool is i1, u8 is i8 treated as unsigned; in memory both
// are one byte (i8).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "codegen/kernel_gen.h"

namespace wick::codegen {

std::string storage_type(DType t);   // element type in memory
std::string register_type(DType t);  // element type of a loaded value
// The dtype arithmetic runs in: f16 and bf16 widen to f32, as torch's CPU
// kernels do.
DType opmath_dtype(DType t);
int bit_width(DType t);
// memref<4x16xf32, strided<[16, 1], offset: ?>>; a kDynamic size prints `?`.
std::string memref_type(const TensorLayout& layout);

// The size of a dim while a kernel is written: a static number, or an index
// value read at run time (from a memref descriptor).
struct Size {
  int64_t value = 0;  // when static
  std::string ssa;    // when dynamic: an SSA value of type index

  static Size of(int64_t n) { return {n, {}}; }
  bool dynamic() const { return !ssa.empty(); }
  bool is(int64_t n) const { return !dynamic() && value == n; }  // statically n
  bool operator==(const Size& o) const { return dynamic() ? ssa == o.ssa : !o.dynamic() && value == o.value; }
  bool operator!=(const Size& o) const { return !(*this == o); }
};
std::vector<Size> static_shape(const std::vector<int64_t>& sizes);
std::vector<int64_t> static_values(const std::vector<Size>& sizes);  // asserts they are static
std::string sizes_str(const std::vector<Size>& sizes);  // "[2, ?]": a dynamic size as ?

// A value in a register, with the dtype it represents.
struct Scalar {
  std::string ssa;
  DType dtype = DType::f32;
};

// A memref argument of the kernel.
struct MemRef {
  std::string ssa;
  TensorLayout layout;
  std::string type;          // memref_type(layout)
  std::vector<Size> sizes;   // the layout's sizes, dynamic ones as index values
};

class MlirWriter {
 public:
  std::string fresh(const char* hint = "v");
  void line(const std::string& text);
  // `%r = <op>` on one line; returns %r.
  std::string op(const std::string& text);
  Scalar op(const std::string& text, DType result);

  // Constants, hoisted and shared.
  std::string index(int64_t v);
  Scalar float_constant(DType t, double v);  // t is f32 or f64
  Scalar int_constant(DType t, int64_t v);   // integer dtypes; b8 gives i1
  Scalar bool_constant(bool v);
  // `v` (given as a double, or exactly as an int64 when `is_int`) in dtype t.
  Scalar number(DType t, double v, int64_t i, bool is_int);

  // Conversions: `to` may be any dtype; b8 means nonzero.
  Scalar convert(const Scalar& v, DType to);
  Scalar to_bool(const Scalar& v) { return convert(v, DType::b8); }
  Scalar index_to_i64(const std::string& index_value);
  std::string i64_to_index(const Scalar& v);

  Scalar load(const MemRef& m, const std::vector<std::string>& idx);
  // Converts `v` to the memref's dtype and stores it.
  void store(const Scalar& v, const MemRef& m, const std::vector<std::string>& idx);
  Scalar select(const Scalar& cond, const Scalar& a, const Scalar& b);

  // `%r = <text>` in the function's entry block (allocas, so every region
  // sees them); returns %r.
  std::string entry_op(const std::string& text, const char* hint = "buf");
  // The index value of a size: its SSA value, or a constant.
  std::string bound(const Size& s) { return s.dynamic() ? s.ssa : index(s.value); }
  // `for %i = lower to upper step step` with no carried values; returns %i.
  std::string begin_for_step(int64_t lower, int64_t upper, int64_t step);
  std::string begin_for_step(const Size& upper, int64_t step);  // from 0
  // Opens a region by hand (for ops the helpers here do not cover); the
  // caller writes the opening line and closes it with close_region.
  void open_region() { ++depth_; }
  void close_region(const std::string& closing = "}");
  // `for %i = 0 to n` with no carried values; returns %i.
  std::string begin_for(int64_t n);
  std::string begin_for(int64_t lower, int64_t upper);
  // With carried values: `carried` receives the region's names for them.
  std::string begin_for(int64_t lower, int64_t upper, const std::vector<Scalar>& init,
                        std::vector<Scalar>* carried);
  // The same up to a size that may be dynamic (static sizes write exactly
  // what the overloads above write).
  std::string begin_for(const Size& n);
  std::string begin_for(const Size& n, const std::vector<Scalar>& init, std::vector<Scalar>* carried);
  // Closes the innermost loop; yields `next` when the loop carries values
  // and returns the loop's results.
  std::vector<Scalar> end_for(const std::vector<Scalar>& next = {});
  // scf.if without results; else_ opens the else region.
  void begin_if(const Scalar& cond);
  void begin_else();
  void end_if();

  // The whole module text: one function with `params` ("%a0: memref<...>").
  std::string module(const std::string& name, const std::vector<std::string>& params) const;

 private:
  std::string constant(const std::string& literal, const std::string& type);
  std::string begin_dynamic_for(const std::string& upper, const std::vector<Scalar>& init,
                                std::vector<Scalar>* carried);

  struct Loop {
    std::vector<Scalar> results;
    std::vector<DType> types;
  };
  int next_id_ = 0;
  int depth_ = 1;
  std::string constants_;
  std::string body_;
  std::map<std::string, std::string> constant_names_;
  std::vector<Loop> loops_;
};

}  // namespace wick::codegen
