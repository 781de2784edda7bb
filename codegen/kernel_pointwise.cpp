// Pointwise kernels: one loop nest over the outputs' shape (one per shape
// when the outputs differ); each output element is computed from the
// group's inputs in registers (pointwise_eval) and stored. Size-1 dims get
// no loop. The innermost loop is a plain scf.for over contiguous output
// elements, which LLVM's loop vectorizer widens to the host's vector width.
#include <algorithm>

#include "codegen/kernel_builder.h"
#include "codegen/pointwise_eval.h"
#include "support/error.h"

namespace wick::codegen {

void emit_pointwise(KernelBuilder& b) {
  MlirWriter& w = b.w();
  PointwiseEval eval(b);
  // One loop nest per distinct output shape, in order of first appearance.
  std::vector<std::vector<Size>> domains;
  for (const ir::Value* v : b.group().outputs)
    if (std::find(domains.begin(), domains.end(), b.output(v)->sizes) == domains.end())
      domains.push_back(b.output(v)->sizes);
  for (const std::vector<Size>& domain : domains) {
    const std::vector<std::string> idx = open_loops(w, domain);
    for (const ir::Value* v : b.group().outputs)
      if (b.output(v)->sizes == domain) w.store(eval.value_at(v, idx), *b.output(v), idx);
    close_loops(w, domain);
    eval.clear_cache();
  }
}

}  // namespace wick::codegen
