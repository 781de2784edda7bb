// Helpers for the GPU kernel tests: kernel groups from IR text, and checks
// on the PTX a GPU kernel compiles to (ptxas accepts it for an
// architecture; which instructions it uses).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "codegen/gpu_kernel_gen.h"
#include "ir/module.h"

namespace wick::codegen::gpu_test {

// Parses one graph; node result types may be partial (`Tensor`): each op's
// type rule fills them in, in order.
std::unique_ptr<ir::Module> parse_graph(const std::string& text);
ir::Graph& graph_of(ir::Module& m);

// Every node of the graph (its inputs and outputs) as one group; tensor
// inputs contiguous unless `layouts` (parallel to the graph inputs, empty
// entries meaning contiguous) says otherwise.
KernelGroup whole_graph_group(const ir::Graph& g, const std::vector<TensorLayout>& layouts = {});

// The nodes of the first prim::FusionGroup of `g` as a group, its inputs
// contiguous.
KernelGroup fusion_group(const ir::Graph& g);

// Whether ptxas is there to run; tests skip (with a message) when not.
bool have_ptxas();
#define WICK_REQUIRE_PTXAS() \
  if (!::wick::codegen::gpu_test::have_ptxas()) GTEST_SKIP() << "ptxas not found (set WICK_PTXAS)"

// ptxas assembles the kernel's PTX for sm_<sm>.
::testing::AssertionResult assembles(const GpuKernel& k, int sm);
// The PTX lines of the kernel body that match `opcode` at an instruction's
// start (after the predicate), e.g. "div.s32" also finds "div.s32.x";
// "div." finds every division.
int count_instructions(const std::string& ptx, const std::string& opcode);
// Integer divisions and remainders (div.s32/u32/s64/u64, rem.*); float
// divisions (div.rn.f32, ...) do not count.
int integer_divisions(const std::string& ptx);

// The default target with the cache off.
GpuTarget target(int sm = 90);

}  // namespace wick::codegen::gpu_test
