// Data movement without data-dependent indices: cat and stack (one loop nest
// per input, written at its place in the output; along a dynamic dim the
// places are run-time sums) and the strided-to-contiguous copy behind
// aten::contiguous and generate_copy.
#include "codegen/kernel_builder.h"
#include "ir/constant_value.h"
#include "support/error.h"

namespace wick::codegen {

void emit_copy(MlirWriter& w, const MemRef& in, const MemRef& out) {
  WICK_ASSERT(in.sizes == out.sizes, "a copy between different shapes");
  const std::vector<std::string> idx = open_loops(w, in.sizes);
  w.store(w.load(in, idx), out, idx);
  close_loops(w, in.sizes);
}

void emit_concat(KernelBuilder& b, const ir::Node& node) {
  MlirWriter& w = b.w();
  const bool stack = node.is("aten::stack");
  const ir::Value* result = node.output();
  const MemRef* out = b.output(result);
  WICK_ASSERT(out != nullptr, node.kind() + ": its result is not a kernel output");
  const int64_t out_rank = static_cast<int64_t>(out->sizes.size());
  auto dim = ir::constant_int(node.input(1));
  WICK_ASSERT(dim.has_value(), node.kind() + ": the dim must be a constant");
  const int64_t d = *dim < 0 ? *dim + out_rank : *dim;
  Size offset = Size::of(0);
  const std::vector<const ir::Value*> elements = list_elements(node.input(0));
  for (size_t k = 0; k < elements.size(); ++k) {
    const ir::Value* e = elements[k];
    const MemRef* in = b.input_tensor(e);
    WICK_ASSERT(in != nullptr, node.kind() + ": list element " + std::to_string(k) + " is not a kernel input");
    const std::vector<Size>& sizes = in->sizes;
    // cat skips 1-D empty tensors whatever the other ranks (legacy torch).
    if (!stack && sizes.size() == 1 && sizes[0].is(0)) continue;
    const std::vector<std::string> idx = open_loops(w, sizes);
    std::vector<std::string> o = idx;
    if (stack) {
      o.insert(o.begin() + d, w.index(static_cast<int64_t>(k)));
    } else if (!offset.is(0)) {
      o[d] = sizes[d].is(1) ? w.bound(offset)
                            : w.op("arith.addi " + idx[d] + ", " + w.bound(offset) + " : index");
    }
    w.store(w.load(*in, idx), *out, o);
    close_loops(w, sizes);
    if (stack) continue;
    if (!offset.dynamic() && !sizes[d].dynamic()) offset.value += sizes[d].value;
    else offset = Size{0, w.op("arith.addi " + w.bound(offset) + ", " + w.bound(sizes[d]) + " : index")};
  }
}

}  // namespace wick::codegen
