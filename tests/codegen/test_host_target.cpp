// The target a kernel is compiled for: the CPU's features, and the tuning
// wick adds for CPUs whose costs LLVM's model gets wrong.
#include <gtest/gtest.h>

#include <string>

#include "codegen/compile_options.h"
#include "codegen/host_target.h"

namespace wick::codegen {
namespace {

bool has_feature(const TargetDescription& t, const std::string& feature) {
  const std::string list = "," + t.features + ",";
  return list.find("," + feature + ",") != std::string::npos;
}

TargetDescription target_for(const std::string& cpu, const std::string& features = "") {
  CompileOptions options;
  options.cpu = cpu;
  options.features = features;
  return resolve_target(options);
}

// Zen cores gather and scatter one element at a time: kernels for them are
// told to prefer neither, so that LLVM does not vectorize across rows with
// gathers where a row's own elements are contiguous.
TEST(HostTarget, ZenCoresPreferNoGatherOrScatter) {
  for (const char* cpu : {"znver3", "znver4"}) {
    SCOPED_TRACE(cpu);
    const TargetDescription t = target_for(cpu);
    EXPECT_TRUE(has_feature(t, "+prefer-no-gather")) << t.str();
    EXPECT_TRUE(has_feature(t, "+prefer-no-scatter")) << t.str();
  }
  const TargetDescription intel = target_for("skylake-avx512");
  EXPECT_FALSE(has_feature(intel, "+prefer-no-gather")) << intel.str();
  EXPECT_FALSE(has_feature(intel, "+prefer-no-scatter")) << intel.str();
}

TEST(HostTarget, GivenFeaturesOverrideTheTuning) {
  const TargetDescription t = target_for("znver4", "-prefer-no-gather");
  EXPECT_TRUE(has_feature(t, "-prefer-no-gather")) << t.str();
  EXPECT_TRUE(has_feature(t, "+prefer-no-scatter")) << t.str();
}

}  // namespace
}  // namespace wick::codegen
