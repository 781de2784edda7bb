// Runs every case in tests/passes/*.wir: parse and verify the input, run the
// passes its `// run:` line names (or the pass the file is named after),
// verifying after each, and compare the printed module with the case's
// `// expect:` block; or, with `// expect-error: LINE:COL: TEXT`, require
// that error.
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include "../ir/ir_case_file.h"
#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/verifier.h"
#include "passes/autodiff.h"
#include "passes/canonicalize.h"
#include "passes/cast_wrapped_numbers.h"
#include "passes/decompose.h"
#include "passes/eliminate_common_subexpressions.h"
#include "passes/eliminate_dead_code.h"
#include "passes/fuse.h"
#include "passes/guard_endless_loops.h"
#include "passes/infer_shapes.h"
#include "passes/lower_complex.h"
#include "passes/lower_nested_tensors.h"
#include "passes/lower_packed_sequences.h"
#include "passes/integer_quantized_ops.h"
#include "passes/requantize_averages.h"
#include "passes/pipeline.h"
#include "passes/hoist_permutes.h"
#include "passes/sink_permutes.h"
#include "passes/sink_stores.h"
#include "passes/squeeze_unit_batch.h"
#include "passes/unroll_loops.h"
#include "passes/widen_library_calls.h"
#include "test_paths.h"

namespace wick {
namespace {

using testing::IrCase;
using PassFn = void (*)(ir::Graph&);

const std::map<std::string, PassFn>& passes() {
  static const std::map<std::string, PassFn> table = {
      {"autodiff", [](ir::Graph& g) { passes::autodiff(g, passes::loss_spec(g)); }},
      {"canonicalize", [](ir::Graph& g) { passes::canonicalize(g); }},
      {"cast_wrapped_numbers", [](ir::Graph& g) {
         passes::cast_wrapped_numbers(g);
         passes::infer_shapes(g);
       }},
      {"infer_shapes", [](ir::Graph& g) { passes::infer_shapes(g); }},
      {"fuse", [](ir::Graph& g) { passes::fuse(g); }},
      {"fuse_gpu", [](ir::Graph& g) { passes::fuse(g, passes::fuse_options(passes::TargetDevice::cuda)); }},
      {"decompose", [](ir::Graph& g) { passes::decompose(g); }},
      {"decompose_gpu", [](ir::Graph& g) { passes::decompose(g, {.for_gpu = true}); }},
      {"eliminate_common_subexpressions", passes::eliminate_common_subexpressions},
      {"eliminate_dead_code", passes::eliminate_dead_code},
      {"sink_stores", passes::sink_stores},
      {"squeeze_unit_batch", [](ir::Graph& g) { passes::squeeze_unit_batch(g); }},
      {"guard_endless_loops", [](ir::Graph& g) { passes::guard_endless_loops(g); }},
      {"hoist_permutes", [](ir::Graph& g) { passes::hoist_permutes(g); }},
      {"sink_permutes", [](ir::Graph& g) { passes::sink_permutes(g); }},
      {"integer_quantized_ops", [](ir::Graph& g) { passes::integer_quantized_ops(g); }},
      {"lower_complex", [](ir::Graph& g) { passes::lower_complex(g); }},
      {"lower_complex_gpu", [](ir::Graph& g) { passes::lower_complex(g, {.fft_kernels = false}); }},
      {"lower_nested_tensors", passes::lower_nested_tensors},
      {"lower_packed_sequences", [](ir::Graph& g) { passes::lower_packed_sequences(g); }},
      {"requantize_averages", [](ir::Graph& g) { passes::requantize_averages(g); }},
      {"simplify", passes::simplify_stage},
      // Small limits, so that the cases show both sides of them.
      {"unroll_loops", [](ir::Graph& g) { passes::unroll_loops(g, passes::UnrollLimits{4, 64}); }},
      {"widen_library_calls", [](ir::Graph& g) { passes::widen_library_calls(g); }},
      {"widen_library_calls_cpu", [](ir::Graph& g) { passes::widen_library_calls(g, {.bf16_products = true}); }},
  };
  return table;
}

std::string stem(const std::string& path) {
  std::string f = path.substr(path.rfind('/') + 1);
  return f.substr(0, f.find('.'));
}

std::vector<IrCase> all_cases() {
  std::vector<IrCase> all;
  for (const auto& f : testing::list_case_files((wick::test_paths::source_dir() + "/tests/passes"))) {
    auto cs = testing::read_ir_cases(f);
    all.insert(all.end(), cs.begin(), cs.end());
  }
  return all;
}

std::string case_name(const ::testing::TestParamInfo<IrCase>& info) {
  return stem(info.param.file) + "_line" + std::to_string(info.param.first_line);
}

// The expected print: comment lines and surrounding blank lines dropped.
std::string expected_print(const std::string& block) {
  std::string out;
  std::istringstream in(block);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("//", 0) != 0 && !(out.empty() && line.empty())) out += line + "\n";
  while (out.size() >= 2 && out.compare(out.size() - 2, 2, "\n\n") == 0) out.pop_back();
  return out;
}

std::unique_ptr<ir::Module> run_case(const IrCase& c) {
  auto m = ir::parse_module(c.text, "case.wir");
  ir::verify(*m);
  std::vector<std::string> names = c.passes;
  if (names.empty()) names.push_back(stem(c.file));
  for (const std::string& name : names) {
    auto it = passes().find(name);
    if (it == passes().end()) throw std::runtime_error("unknown pass " + name);
    for (const auto& g : m->methods()) it->second(*g);
    ir::verify(*m);
  }
  return m;
}

class PassText : public ::testing::TestWithParam<IrCase> {};

TEST_P(PassText, Case) {
  const IrCase& c = GetParam();
  if (c.expects_error) {
    try {
      run_case(c);
      FAIL() << "expected an error at " << c.error_line << ":" << c.error_column << ": " << c.error_text;
    } catch (const Error& e) {
      EXPECT_EQ(e.where().line, c.error_line) << e.what();
      EXPECT_EQ(e.where().column, c.error_column) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.error_text), std::string::npos)
          << "message: " << e.what() << "\nexpected to contain: " << c.error_text;
    }
    return;
  }
  ASSERT_TRUE(c.has_expected) << "a case needs `// expect:` or `// expect-error:`";
  auto m = run_case(c);
  const std::string expected = expected_print(c.expected);
  EXPECT_EQ(ir::print(*m), expected);
  // The expected text is itself valid IR in printed form.
  auto again = ir::parse_module(expected, "expected.wir");
  ir::verify(*again);
  EXPECT_EQ(ir::print(*again), expected);
}

INSTANTIATE_TEST_SUITE_P(Cases, PassText, ::testing::ValuesIn(all_cases()), case_name);

TEST(PassText, EveryPassHasCases) {
  std::map<std::string, int> count;
  for (const IrCase& c : all_cases()) {
    if (c.passes.empty()) ++count[stem(c.file)];
    for (const std::string& p : c.passes) ++count[p];
  }
  for (const auto& [name, fn] : passes()) EXPECT_GE(count[name], 3) << name;
}

}  // namespace
}  // namespace wick
