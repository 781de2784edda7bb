#include "gpu_test_util.h"

#include <cstdlib>
#include <sstream>

#include "codegen/ptxas.h"
#include "ir/op_table.h"
#include "ir/parser.h"

namespace wick::codegen::gpu_test {

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

KernelGroup whole_graph_group(const ir::Graph& g, const std::vector<TensorLayout>& layouts) {
  KernelGroup group;
  for (ir::Node* n : *g.block()) group.nodes.push_back(n);
  for (size_t i = 0; i < g.inputs().size(); ++i) {
    const ir::Value* v = g.inputs()[i];
    group.inputs.push_back(v);
    TensorLayout layout;
    if (i < layouts.size() && !layouts[i].sizes.empty()) layout = layouts[i];
    else if (v->type()->is_tensor()) layout = contiguous_layout(*v->type()->dtype(), v->type()->static_sizes());
    group.input_layouts.push_back(layout);
  }
  for (const ir::Value* v : g.outputs()) group.outputs.push_back(v);
  return group;
}

KernelGroup fusion_group(const ir::Graph& g) {
  for (const ir::Node* n : *g.block()) {
    if (!n->is("prim::FusionGroup")) continue;
    const ir::Block* body = n->block(0);
    KernelGroup group;
    for (const ir::Node* m : *body) group.nodes.push_back(m);
    for (const ir::Value* p : body->params()) {
      group.inputs.push_back(p);
      group.input_layouts.push_back(p->type()->is_tensor()
                                        ? contiguous_layout(*p->type()->dtype(), p->type()->static_sizes())
                                        : TensorLayout{});
    }
    for (const ir::Value* r : body->results()) group.outputs.push_back(r);
    return group;
  }
  throw std::runtime_error("test: the graph has no fusion group");
}

bool have_ptxas() { return !find_ptxas().empty(); }

::testing::AssertionResult assembles(const GpuKernel& k, int sm) {
  std::string log;
  std::string cubin = assemble_ptx(k.ptx, sm, &log);
  if (cubin.empty())
    return ::testing::AssertionFailure() << "ptxas -arch=sm_" << sm << " rejects kernel " << k.name << ":\n"
                                         << log << "\n--- PTX ---\n" << k.ptx;
  return ::testing::AssertionSuccess();
}

int count_instructions(const std::string& ptx, const std::string& opcode) {
  std::istringstream in(ptx);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    size_t p = line.find_first_not_of(" \t");
    if (p == std::string::npos) continue;
    if (line[p] == '@') {  // a predicate: @%p1 or @!%p1
      p = line.find_first_of(" \t", p);
      if (p == std::string::npos) continue;
      p = line.find_first_not_of(" \t", p);
      if (p == std::string::npos) continue;
    }
    if (line.compare(p, opcode.size(), opcode) == 0) ++n;
  }
  return n;
}

int integer_divisions(const std::string& ptx) {
  int n = 0;
  for (const char* op : {"div.s16", "div.u16", "div.s32", "div.u32", "div.s64", "div.u64", "rem.s16", "rem.u16",
                         "rem.s32", "rem.u32", "rem.s64", "rem.u64"})
    n += count_instructions(ptx, op);
  return n;
}

GpuTarget target(int sm) {
  GpuTarget t;
  t.sm = sm;
  t.cache_dir = "off";
  t.dump_ir = std::getenv("WICK_GPU_DUMP") != nullptr;  // to see the lowered MLIR and the LLVM IR
  return t;
}

}  // namespace wick::codegen::gpu_test
