#include "codegen/view_layout.h"

#include "ir/constant_value.h"
#include "ir/op_table.h"

namespace wick::codegen {

namespace {

int64_t wrap(int64_t d, int64_t rank) { return d < 0 ? d + rank : d; }

std::vector<int64_t> static_sizes_of(const ir::Value* v) { return v->type()->static_sizes(); }

}  // namespace

std::optional<StridedLayout> view_layout(const ir::Node& n, const StridedLayout& in) {
  return view_layout(n, in, static_sizes_of(n.output()));
}

std::optional<StridedLayout> view_layout(const ir::Node& n, const StridedLayout& in,
                                         const std::vector<int64_t>& output_sizes) {
  const std::string& name = n.op().schema.name;
  const int64_t rank = static_cast<int64_t>(in.sizes.size());
  StridedLayout out;
  out.sizes = output_sizes;
  if (name == "view" || name == "reshape" || name == "flatten") {
    auto s = restride(in.sizes, in.strides, out.sizes);
    if (!s) return std::nullopt;
    out.strides = *s;
    return out;
  }
  if (name == "contiguous") {
    if (!is_contiguous(in.sizes, in.strides)) return std::nullopt;
    out.strides = in.strides;
    return out;
  }
  if (name == "permute") {
    auto dims = ir::constant_int_list(n.input(1));
    WICK_ASSERT(dims.has_value(), "permute with dynamic dims");
    for (int64_t d : *dims) out.strides.push_back(in.strides[wrap(d, rank)]);
    return out;
  }
  if (name == "transpose" || name == "t") {
    out.strides = in.strides;
    if (rank >= 2) {
      int64_t a = name == "t" ? 0 : wrap(*ir::constant_int(n.input(1)), rank);
      int64_t b = name == "t" ? 1 : wrap(*ir::constant_int(n.input(2)), rank);
      std::swap(out.strides[a], out.strides[b]);
    }
    return out;
  }
  if (name == "unsqueeze") {
    int64_t d = wrap(*ir::constant_int(n.input(1)), rank + 1);
    out.strides = in.strides;
    int64_t s = d < rank ? in.sizes[d] * in.strides[d] : 1;
    out.strides.insert(out.strides.begin() + d, s);
    return out;
  }
  if (name == "squeeze") {
    const bool one_dim = n.op().schema.overload == "dim";
    const int64_t d = one_dim && rank > 0 ? wrap(*ir::constant_int(n.input(1)), rank) : -1;
    for (int64_t i = 0; i < rank; ++i) {
      const bool dropped = in.sizes[i] == 1 && (!one_dim || i == d);
      if (!dropped) out.strides.push_back(in.strides[i]);
    }
    return out;
  }
  if (name == "expand" || name == "expand_as") {
    const size_t lead = out.sizes.size() - in.sizes.size();
    out.strides.assign(out.sizes.size(), 0);
    for (size_t i = 0; i < in.sizes.size(); ++i)
      out.strides[lead + i] = in.sizes[i] == out.sizes[lead + i] ? in.strides[i] : 0;
    return out;
  }
  if (name == "select") {
    auto index = ir::constant_int(n.input(2));
    if (!index) return std::nullopt;
    int64_t d = wrap(*ir::constant_int(n.input(1)), rank);
    int64_t i = *index < 0 ? *index + in.sizes[d] : *index;
    out.strides = in.strides;
    out.strides.erase(out.strides.begin() + d);
    out.offset = i * in.strides[d];
    return out;
  }
  if (name == "slice") {
    int64_t d = wrap(*ir::constant_int(n.input(1)), rank);
    int64_t size = in.sizes[d];
    int64_t start = ir::is_none(n.input(2)) ? 0 : *ir::constant_int(n.input(2));
    if (start < 0) start = std::max<int64_t>(start + size, 0);
    start = std::min(start, size);
    int64_t step = *ir::constant_int(n.input(4));
    out.strides = in.strides;
    out.strides[d] *= step;
    out.offset = start * in.strides[d];
    return out;
  }
  return std::nullopt;
}

}  // namespace wick::codegen
